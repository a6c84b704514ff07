//! The documented columns of registry files. The same names are used by the import, the
//! export and the template, so an export can be imported again as it is.

/// A column of one of the three tables.
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    /// Other headers accepted for it (French, Kobo/ODK habits); compared folded.
    pub aliases: &'static [&'static str],
    pub description: &'static str,
}

const fn col(
    name: &'static str,
    required: bool,
    aliases: &'static [&'static str],
    description: &'static str,
) -> Column {
    Column { name, required, aliases, description }
}

pub const HOUSEHOLDS: &[Column] = &[
    col("household_id", true, &["id_menage", "menage_id", "household_external_id", "hh_id"], "The organisation's identifier for the household; unique within the organisation. Re-importing the same id updates the household instead of adding it again."),
    col("organisation", false, &["organisation_code", "org"], "Code of the registering organisation; defaults to the importing user's."),
    col("registration_point", true, &["point_enregistrement", "site_enregistrement"], "P-code (COD-AB 2021-12-20) of the registration point, e.g. ML070101."),
    col("registration_date", true, &["date_enregistrement", "date_d_enregistrement"], "Date of registration, YYYY-MM-DD (DD/MM/YYYY also accepted)."),
    col("population_group", true, &["groupe_population", "statut"], "Population group code: IDP, REF, RET, RDP, ASY, HST, OOC…"),
    col("origin", false, &["origine", "lieu_origine"], "P-code of the place of origin."),
    col("current_location", false, &["lieu_actuel", "localisation_actuelle"], "P-code of where the household lives when registered."),
    col("shelter_type", false, &["type_abri", "abri"], "host_family, site, rented, own, collective_centre, makeshift, none, other."),
    col("intention", false, &["intentions"], "return, integrate_locally, settle_elsewhere, undecided."),
];

pub const PEOPLE: &[Column] = &[
    col(
        "household_id",
        true,
        &["id_menage", "menage_id", "household_external_id", "hh_id"],
        "The household_id of the person's household (in the households table).",
    ),
    col(
        "person_id",
        true,
        &["id_personne", "personne_id", "person_external_id", "member_id"],
        "The organisation's identifier for the person; unique within the household.",
    ),
    col("given_name", true, &["prenom", "first_name"], "Given name as recorded."),
    col("family_name", true, &["nom", "nom_de_famille", "last_name", "surname"], "Family name as recorded."),
    col("father_name", false, &["nom_du_pere", "pere"], "Father's name as recorded."),
    col("other_spellings", false, &["autres_orthographes", "alias"], "Other spellings of the name, separated by |."),
    col("sex", false, &["sexe", "gender"], "f or m."),
    col(
        "birth_date",
        false,
        &["date_naissance", "date_de_naissance", "dob"],
        "YYYY-MM-DD, YYYY-MM or YYYY as known; leave empty and fill estimated_age if unknown.",
    ),
    col("estimated_age", false, &["age_estime", "age"], "Age in whole years, when the date of birth is unknown."),
    col(
        "relationship",
        false,
        &["lien_de_parente", "lien", "relation"],
        "head, spouse, child, parent, sibling, grandchild, other_relative, unrelated.",
    ),
    col(
        "documents_held",
        false,
        &["documents_detenus"],
        "national_id, birth_certificate, passport, consular_card, other; separated by spaces or |.",
    ),
    col("documents_missing", false, &["documents_manquants"], "Documents the person lacks, same codes."),
    col(
        "specific_needs",
        false,
        &["besoins_specifiques"],
        "Specific-needs codes separated by spaces or |, e.g. disability separated_child.",
    ),
    col("phone", false, &["telephone", "tel"], "Phone number."),
    col(
        "identifiers",
        false,
        &["numeros_documents", "pieces", "documents_numbers", "id_numbers"],
        "Document numbers as kind:number separated by |, e.g. national_id:12345678901234|unhcr:123-45678901; kinds: national_id, birth_certificate, passport, consular_card, unhcr, ration_card, other.",
    ),
];

pub const MOVEMENTS: &[Column] = &[
    col("household_id", true, &["id_menage", "menage_id", "household_external_id", "hh_id"], "The household_id of the household."),
    col("person_id", false, &["id_personne", "personne_id", "member_id"], "For a movement of one member only (and for births and deaths): the member's person_id."),
    col("movement_id", false, &["id_mouvement", "event_id"], "The organisation's identifier for the event, if any."),
    col("kind", true, &["type", "type_mouvement", "evenement"], "displacement, secondary_displacement, pendular_visit, return, local_integration, settlement_elsewhere, departure_abroad, arrival_from_abroad, birth, death."),
    col("date", true, &["date_mouvement", "date_evenement"], "YYYY-MM-DD, YYYY-MM or YYYY as known."),
    col("from", false, &["de", "depuis", "from_location", "lieu_depart"], "P-code of the place left."),
    col("to", false, &["vers", "to_location", "lieu_arrivee", "destination"], "P-code of the place reached (required for displacements, returns, visits)."),
    col("country", false, &["pays"], "ISO 3166-1 alpha-3 code of the foreign country, for departures abroad and arrivals from abroad."),
    col("cause", false, &["raison"], "armed_conflict, intercommunal_violence, drought, flood, food_insecurity, other (required for displacements)."),
    col("source", false, &["source_information"], "Where the information comes from."),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Households,
    People,
    Movements,
}

impl TableKind {
    pub const ALL: [TableKind; 3] = [TableKind::Households, TableKind::People, TableKind::Movements];

    pub fn columns(self) -> &'static [Column] {
        match self {
            TableKind::Households => HOUSEHOLDS,
            TableKind::People => PEOPLE,
            TableKind::Movements => MOVEMENTS,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TableKind::Households => "households",
            TableKind::People => "people",
            TableKind::Movements => "movements",
        }
    }

    /// Reads a sheet name or a `record` value: English or French.
    pub fn from_label(label: &str) -> Option<TableKind> {
        match domain::text::fold(label).as_str() {
            "households" | "household" | "menages" | "menage" => Some(TableKind::Households),
            "people" | "person" | "persons" | "members" | "member" | "personnes" | "personne" | "membres"
            | "membre" => Some(TableKind::People),
            "movements" | "movement" | "mouvements" | "mouvement" | "events" | "evenements" => {
                Some(TableKind::Movements)
            }
            _ => None,
        }
    }

    /// Guesses a table from its columns: the column only it has.
    pub fn from_headers(headers: &[String]) -> Option<TableKind> {
        let has = |name: &str| headers.iter().any(|h| h == name);
        if has("kind") {
            Some(TableKind::Movements)
        } else if has("given_name") || has("family_name") {
            Some(TableKind::People)
        } else if has("registration_date") || has("registration_point") {
            Some(TableKind::Households)
        } else {
            None
        }
    }
}

/// Maps a header as written to a column name: Kobo group paths (`group_a/sex`) are cut to the
/// last part, case, accents and spaces folded, French and alternative names recognised.
pub fn normalise_header(header: &str) -> String {
    let last = header.rsplit(['/', ':']).next().unwrap_or(header);
    let folded = domain::text::fold(last).replace(' ', "_");
    for kind in TableKind::ALL {
        for column in kind.columns() {
            if folded == column.name || column.aliases.contains(&folded.as_str()) {
                return column.name.to_string();
            }
        }
    }
    if folded == "record" || folded == "type_enregistrement" || folded == "enregistrement" {
        return "record".into();
    }
    if header.starts_with('_') {
        // Kobo's own columns (_index, _parent_index, _uuid…) keep their leading underscore.
        return format!("_{folded}");
    }
    folded
}
