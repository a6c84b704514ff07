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

    /// The table's name in French: the template's sheet names.
    pub fn french_name(self) -> &'static str {
        match self {
            TableKind::Households => "ménages",
            TableKind::People => "personnes",
            TableKind::Movements => "mouvements",
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
/// last part, case, accents, spaces and punctuation folded, French articles left out ("Point
/// d'enregistrement" is `point_enregistrement`), French and alternative names recognised.
pub fn normalise_header(header: &str) -> String {
    let last = header.rsplit(['/', ':']).next().unwrap_or(header);
    let folded = domain::text::fold(last).replace(' ', "_");
    let key = header_key(&folded);
    for kind in TableKind::ALL {
        for column in kind.columns() {
            if key == column.name || column.aliases.iter().any(|alias| header_key(alias) == key) {
                return column.name.to_string();
            }
        }
    }
    if ["record", "type_enregistrement", "enregistrement"].contains(&key.as_str()) {
        return "record".into();
    }
    if header.starts_with('_') {
        // Kobo's own columns (_index, _parent_index, _uuid…) keep their leading underscore.
        return format!("_{folded}");
    }
    folded
}

/// A folded header's words without punctuation or the articles French names put between them.
fn header_key(folded: &str) -> String {
    const ARTICLES: [&str; 8] = ["d", "de", "du", "des", "l", "la", "le", "les"];
    let words = folded.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty());
    words.filter(|w| !ARTICLES.contains(w)).collect::<Vec<_>>().join("_")
}

/// A column's header and description in French, for the French template: headers the import
/// reads back as the column (`normalise_header` folds accents), descriptions as a clerk reads them.
pub fn french(kind: TableKind, column: &str) -> (&'static str, &'static str) {
    match column {
        "household_id" if kind != TableKind::Households => ("id_ménage", "L'id_ménage du ménage (feuille « ménages »)."),
        "household_id" => ("id_ménage", "Identifiant du ménage dans votre organisation ; unique dans l'organisation. Réimporter le même identifiant met le ménage à jour au lieu de l'ajouter une seconde fois."),
        "organisation" => ("organisation", "Code de l'organisation qui enregistre ; par défaut celle de la personne qui importe."),
        "registration_point" => ("point_enregistrement", "P-code (COD-AB du 2021-12-20) ou nom de la commune ou du site d'enregistrement, ex. ML070101 ou Gao."),
        "registration_date" => ("date_enregistrement", "Date d'enregistrement, AAAA-MM-JJ (JJ/MM/AAAA accepté)."),
        "population_group" => ("groupe_population", "Groupe de population : choisir dans la liste (PDI, Réfugiés…)."),
        "origin" => ("origine", "P-code ou nom du lieu d'origine."),
        "current_location" => ("lieu_actuel", "P-code ou nom du lieu où vit le ménage à l'enregistrement."),
        "shelter_type" => ("type_abri", "Type d'abri : choisir dans la liste."),
        "intention" => ("intention", "Intention du ménage : choisir dans la liste."),
        "person_id" => ("id_personne", "Identifiant de la personne ; unique dans le ménage (1, 2, 3…). Dans les mouvements : seulement pour le mouvement d'un membre seul, une naissance ou un décès."),
        "given_name" => ("prénom", "Prénom tel qu'enregistré."),
        "family_name" => ("nom", "Nom de famille tel qu'enregistré."),
        "father_name" => ("nom_du_père", "Nom du père tel qu'enregistré."),
        "other_spellings" => ("autres_orthographes", "Autres orthographes du nom, séparées par |."),
        "sex" => ("sexe", "Sexe : choisir dans la liste."),
        "birth_date" => ("date_de_naissance", "AAAA-MM-JJ, AAAA-MM ou AAAA selon ce qui est connu ; sinon laisser vide et remplir âge_estimé."),
        "estimated_age" => ("âge_estimé", "Âge en années entières, quand la date de naissance n'est pas connue."),
        "relationship" => ("lien_de_parenté", "Lien avec le chef de ménage : choisir dans la liste."),
        "documents_held" => ("documents_détenus", "Codes des documents détenus, séparés par des espaces ou | : national_id, birth_certificate, passport, consular_card, other."),
        "documents_missing" => ("documents_manquants", "Documents qui manquent à la personne, mêmes codes."),
        "specific_needs" => ("besoins_spécifiques", "Codes des besoins spécifiques séparés par des espaces ou |, ex. disability separated_child."),
        "phone" => ("téléphone", "Numéro de téléphone."),
        "identifiers" => ("numéros_documents", "Numéros de pièces sous la forme type:numéro séparés par |, ex. national_id:12345678901234|unhcr:123-45678901."),
        "movement_id" => ("id_mouvement", "Identifiant de l'événement dans votre organisation, s'il y en a un."),
        "kind" => ("type_mouvement", "Type de mouvement : choisir dans la liste."),
        "date" => ("date_mouvement", "AAAA-MM-JJ, AAAA-MM ou AAAA selon ce qui est connu."),
        "from" => ("lieu_départ", "P-code ou nom du lieu quitté."),
        "to" => ("lieu_arrivée", "P-code ou nom du lieu atteint (obligatoire pour les déplacements, retours et visites)."),
        "country" => ("pays", "Code ISO 3166-1 alpha-3 du pays étranger, pour les départs vers l'étranger et les arrivées de l'étranger."),
        "cause" => ("cause", "Cause du déplacement : choisir dans la liste (obligatoire pour les déplacements)."),
        "source" => ("source", "D'où vient l'information."),
        _ => ("", ""),
    }
}
