//! Closed code lists. Each code has one stable snake_case spelling used in the API, in files and
//! in the database; `parse` accepts it (case and accents folded) plus listed French synonyms,
//! because field teams type French.

use crate::error::FieldError;
use crate::messages::Message;
use crate::text::fold;

macro_rules! code_list {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident = $code:literal $( | $alias:literal )* ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name { $( #[serde(rename = $code)] #[schema(rename = $code)] $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $code ),+ }
            }

            /// The accepted spellings, for error messages: "a, b, c".
            pub fn codes() -> String {
                let codes: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
                codes.join(", ")
            }

            /// What a field of this list expects: one of its codes.
            pub fn expected() -> Message {
                Message::OneOf { codes: Self::codes() }
            }

            /// Parses a code or one of its synonyms; `field` names the input in the error.
            pub fn parse(field: &str, input: &str) -> Result<$name, FieldError> {
                // A code as stored: no folding (figures parse millions of them).
                $( if input == $code { return Ok($name::$variant); } )+
                let folded = fold(input).replace(' ', "_");
                $(
                    if folded == $code $( || folded == fold($alias).replace(' ', "_") )* {
                        return Ok($name::$variant);
                    }
                )+
                Err(FieldError::new(field, input.trim(), Self::expected()))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

code_list! {
    /// Sex as recorded at registration.
    Sex { Female = "f" | "female" | "feminin" | "femme" | "F", Male = "m" | "male" | "masculin" | "homme" | "h" }
}

code_list! {
    /// How precisely a date is known. `estimated` dates come from an estimated age.
    DatePrecision { Day = "day" | "jour", Month = "month" | "mois", Year = "year" | "annee", Estimated = "estimated" | "estime" | "estimation" }
}

code_list! {
    /// The household's intention about a durable solution.
    Intention {
        Return = "return" | "retour" | "retourner",
        IntegrateLocally = "integrate_locally" | "integration locale" | "integration_locale" | "rester",
        SettleElsewhere = "settle_elsewhere" | "reinstallation ailleurs" | "ailleurs",
        Undecided = "undecided" | "indecis" | "ne sait pas" | "nsp",
    }
}

code_list! {
    /// Where the household lives now.
    ShelterType {
        HostFamily = "host_family" | "famille d accueil" | "famille_accueil",
        Site = "site" | "camp" | "site de deplaces",
        Rented = "rented" | "location" | "loue",
        Own = "own" | "proprietaire" | "propre logement",
        Collective = "collective_centre" | "centre collectif" | "collective",
        Makeshift = "makeshift" | "abri de fortune" | "abri_fortune",
        NoShelter = "none" | "sans abri" | "aucun",
        Other = "other" | "autre",
    }
}

code_list! {
    /// A member's relationship to the head of household.
    Relationship {
        Head = "head" | "chef" | "chef de menage" | "chef menage" | "chef de famille" | "cm",
        Spouse = "spouse" | "conjoint" | "epoux" | "epouse",
        Child = "child" | "enfant" | "fils" | "fille",
        Parent = "parent" | "pere" | "mere",
        Sibling = "sibling" | "frere" | "soeur",
        Grandchild = "grandchild" | "petit enfant" | "petit_enfant",
        OtherRelative = "other_relative" | "autre parent",
        Unrelated = "unrelated" | "sans lien",
    }
}

code_list! {
    /// Civil documents, held or missing.
    Document {
        NationalId = "national_id" | "cni" | "carte d identite" | "nina",
        BirthCertificate = "birth_certificate" | "acte de naissance" | "acte_naissance",
        Passport = "passport" | "passeport",
        ConsularCard = "consular_card" | "carte consulaire",
        Other = "other" | "autre",
    }
}

code_list! {
    /// What a person's document number is the number of. UNHCR's is the proGres individual
    /// number; a ration card's is the distribution list's.
    IdentifierKind {
        NationalId = "national_id" | "nina" | "cni" | "carte d identite",
        BirthCertificate = "birth_certificate" | "acte de naissance" | "acte_naissance",
        Passport = "passport" | "passeport",
        ConsularCard = "consular_card" | "carte consulaire",
        Unhcr = "unhcr" | "hcr" | "unhcr_id" | "progres",
        RationCard = "ration_card" | "carte de ration",
        Other = "other" | "autre",
    }
}

code_list! {
    /// Specific needs (UNHCR standard categories, abridged). The protection-related ones are
    /// sensitive; see `SpecificNeed::is_protection_sensitive`.
    SpecificNeed {
        Disability = "disability" | "handicap",
        SeriousMedicalCondition = "serious_medical_condition" | "maladie grave",
        OlderPersonAtRisk = "older_person_at_risk" | "personne agee",
        PregnantOrLactating = "pregnant_or_lactating" | "femme enceinte ou allaitante",
        SingleParent = "single_parent" | "parent seul",
        UnaccompaniedChild = "unaccompanied_child" | "enfant non accompagne",
        SeparatedChild = "separated_child" | "enfant separe",
        WomanAtRisk = "woman_at_risk" | "femme a risque",
        GbvSurvivor = "gbv_survivor" | "survivant vbg",
        TortureSurvivor = "torture_survivor" | "survivant de torture",
        LegalProtectionNeed = "legal_protection_need" | "besoin de protection juridique",
    }
}

impl SpecificNeed {
    /// Protection-related needs that only roles with a need to know may see.
    pub fn is_protection_sensitive(self) -> bool {
        matches!(
            self,
            SpecificNeed::UnaccompaniedChild
                | SpecificNeed::SeparatedChild
                | SpecificNeed::WomanAtRisk
                | SpecificNeed::GbvSurvivor
                | SpecificNeed::TortureSurvivor
                | SpecificNeed::LegalProtectionNeed
        )
    }
}

code_list! {
    /// A movement event, for a household or for a person who moves apart from it.
    MovementKind {
        Displacement = "displacement" | "deplacement",
        SecondaryDisplacement = "secondary_displacement" | "deplacement secondaire",
        PendularVisit = "pendular_visit" | "mouvement pendulaire" | "visite pendulaire",
        Return = "return" | "retour",
        LocalIntegration = "local_integration" | "integration locale",
        SettlementElsewhere = "settlement_elsewhere" | "installation ailleurs",
        DepartureAbroad = "departure_abroad" | "depart a l etranger",
        ArrivalFromAbroad = "arrival_from_abroad" | "arrivee de l etranger",
        Birth = "birth" | "naissance",
        Death = "death" | "deces",
    }
}

impl MovementKind {
    /// Births and deaths belong to a person, never to a whole household.
    pub fn is_person_only(self) -> bool {
        matches!(self, MovementKind::Birth | MovementKind::Death)
    }

    /// Whether the event needs a destination location inside Mali.
    pub fn needs_destination(self) -> bool {
        matches!(
            self,
            MovementKind::Displacement
                | MovementKind::SecondaryDisplacement
                | MovementKind::PendularVisit
                | MovementKind::Return
                | MovementKind::SettlementElsewhere
                | MovementKind::ArrivalFromAbroad
        )
    }
}

code_list! {
    /// Why people moved.
    Cause {
        ArmedConflict = "armed_conflict" | "conflit arme" | "conflit",
        IntercommunalViolence = "intercommunal_violence" | "violence intercommunautaire" | "violences intercommunautaires",
        Drought = "drought" | "secheresse",
        Flood = "flood" | "inondation" | "inondations",
        FoodInsecurity = "food_insecurity" | "insecurite alimentaire",
        Other = "other" | "autre",
    }
}

code_list! {
    /// Where a household or person stands, derived from their movements.
    Status {
        NotDisplaced = "not_displaced",
        Displaced = "displaced",
        Returned = "returned",
        LocallyIntegrated = "locally_integrated",
        SettledElsewhere = "settled_elsewhere",
        Abroad = "abroad",
        ArrivedFromAbroad = "arrived_from_abroad",
        Deceased = "deceased",
    }
}

code_list! {
    /// What a programme delivers. Two entitlements of one kind over overlapping periods are
    /// the same assistance twice (the duplicate-assistance check).
    AssistanceKind {
        MultipurposeCash = "multipurpose_cash" | "cash" | "transfert monetaire" | "transfert monetaire a usage multiple" | "tmum" | "cash a usage multiple",
        SectoralCash = "sectoral_cash" | "cash sectoriel" | "transfert monetaire sectoriel",
        Voucher = "voucher" | "coupon" | "bon" | "bons",
        ShelterKit = "shelter_kit" | "kit abri" | "kit d abri" | "abri",
        NfiKit = "nfi_kit" | "nfi" | "kit ame" | "ame" | "articles menagers essentiels",
        Food = "food" | "vivres" | "nourriture" | "ration",
        EducationEnrolment = "education_enrolment" | "inscription scolaire" | "scolarisation",
        CatchUpClasses = "catch_up_classes" | "cours de rattrapage" | "rattrapage",
        VocationalTraining = "vocational_training" | "formation professionnelle",
        LegalInformation = "legal_information" | "information juridique",
        LegalCounselling = "legal_counselling" | "conseil juridique",
        LegalAssistance = "legal_assistance" | "assistance juridique",
        CivilDocumentation = "civil_documentation" | "documentation civile" | "etat civil",
        PsychosocialSupport = "psychosocial_support" | "soutien psychosocial" | "pss",
    }
}

code_list! {
    /// Whom a programme assists: a household as a whole, or each person.
    TargetUnit { Household = "household" | "menage", Person = "person" | "personne" | "individu" }
}

code_list! {
    /// What an amount or quantity counts: a currency (ISO 4217) or a unit of goods or service.
    Unit {
        Xof = "XOF" | "xof" | "fcfa" | "f cfa" | "franc cfa" | "francs cfa",
        Usd = "USD" | "usd" | "dollar" | "dollars",
        Eur = "EUR" | "eur" | "euro" | "euros",
        Kit = "kit" | "kits",
        Kg = "kg" | "kilogramme" | "kilogrammes",
        Item = "item" | "article" | "articles",
        Session = "session" | "seance" | "seances" | "sessions",
        Enrolment = "enrolment" | "inscription",
    }
}

code_list! {
    /// A distribution round's stage: planned (draft), approved, being distributed, closed.
    CycleStatus {
        Draft = "draft" | "brouillon",
        Approved = "approved" | "approuve",
        Distributing = "distributing" | "en distribution" | "en cours",
        Closed = "closed" | "cloture" | "clos" | "ferme",
    }
}

code_list! {
    /// How assistance reached people.
    Modality {
        CashInHand = "cash_in_hand" | "especes" | "en especes" | "cash",
        MobileMoney = "mobile_money" | "argent mobile" | "orange money" | "moov money",
        Voucher = "voucher" | "coupon" | "bon",
        InKind = "in_kind" | "en nature",
        Service = "service",
    }
}

code_list! {
    /// What became of a delivery. Only `delivered` and `partial` reach people.
    DeliveryOutcome {
        Delivered = "delivered" | "livre" | "recu" | "distribue" | "remis",
        Partial = "partial" | "partiel" | "partiellement" | "partiellement livre",
        NotCollected = "not_collected" | "non retire" | "absent",
        Refused = "refused" | "refuse",
        Failed = "failed" | "echec" | "echoue",
    }
}

code_list! {
    /// What a household said when asked, after the distribution, whether it received its
    /// assistance (post-distribution monitoring). `not_reached`: nobody could be asked.
    MonitoringAnswer {
        Received = "received" | "recu" | "oui",
        ReceivedWithIssues = "received_with_issues" | "recu avec problemes" | "recu avec probleme" | "probleme",
        NotReceived = "not_received" | "non recu" | "non",
        NotReached = "not_reached" | "injoignable" | "non joint" | "absent",
    }
}

code_list! {
    /// Why someone in a round is to be gone back to: the last visit did not hand everything
    /// over, or the monitoring answer says something went wrong.
    FollowUpReason {
        Partial = "partial",
        NotCollected = "not_collected",
        Refused = "refused",
        Failed = "failed",
        NotReceived = "not_received",
        ReceivedWithIssues = "received_with_issues",
        ReportedLess = "reported_less",
    }
}

code_list! {
    /// What an organisation's office in the operation is, as agencies' factsheets list them.
    OfficeKind {
        CountryOffice = "country_office" | "bureau pays" | "bureau de pays" | "country office",
        SubOffice = "sub_office" | "sous-bureau" | "sous bureau" | "bureau regional" | "sub-office",
        FieldOffice = "field_office" | "bureau de terrain" | "field office",
        FieldUnit = "field_unit" | "antenne" | "unite de terrain" | "field unit",
    }
}

code_list! {
    /// How a monitoring sample is drawn: at random among the households who received
    /// something, or all of them.
    SampleMethod { Random = "random" | "aleatoire" | "au hasard", Full = "full" | "exhaustif" | "complet" | "tous" }
}

impl AssistanceKind {
    /// How this kind of assistance is usually handed over: what forms and lists offer first.
    pub fn usual_modality(self) -> Modality {
        match self {
            AssistanceKind::MultipurposeCash | AssistanceKind::SectoralCash => Modality::MobileMoney,
            AssistanceKind::Voucher => Modality::Voucher,
            AssistanceKind::ShelterKit | AssistanceKind::NfiKit | AssistanceKind::Food => Modality::InKind,
            _ => Modality::Service,
        }
    }
}

impl DeliveryOutcome {
    /// Whether the household or person received something.
    pub fn reached(self) -> bool {
        matches!(self, DeliveryOutcome::Delivered | DeliveryOutcome::Partial)
    }
}

impl MonitoringAnswer {
    /// Whether the household could be asked at all: the rate of answers counts these.
    pub fn answered(self) -> bool {
        self != MonitoringAnswer::NotReached
    }

    /// Whether the household says it received something, so may report an amount.
    pub fn received(self) -> bool {
        matches!(self, MonitoringAnswer::Received | MonitoringAnswer::ReceivedWithIssues)
    }
}

impl Unit {
    pub fn is_currency(self) -> bool {
        matches!(self, Unit::Xof | Unit::Usd | Unit::Eur)
    }
}

code_list! {
    /// A user's role. Finer access control (scopes, agreements) builds on these.
    Role {
        Admin = "admin" | "administrateur",
        ImOfficer = "im_officer" | "information management officer" | "gestionnaire de l information",
        Registrar = "registrar" | "enregistreur" | "agent d enregistrement",
        Protection = "protection" | "protection caseworker" | "caseworker" | "agent de protection",
        Viewer = "viewer" | "lecteur" | "donor" | "bailleur",
    }
}

impl Role {
    pub fn can_write_registry(self) -> bool {
        matches!(self, Role::Admin | Role::ImOfficer | Role::Registrar | Role::Protection)
    }

    /// Individual records at all. Viewers (donors, government) see aggregates only, with
    /// disclosure control.
    pub fn sees_records(self) -> bool {
        self != Role::Viewer
    }

    /// Protection-related specific needs (GBV, separated children…): need to know only.
    pub fn sees_protection_needs(self) -> bool {
        matches!(self, Role::Admin | Role::Protection)
    }

    /// Phone numbers: for those who contact people.
    pub fn sees_phone(self) -> bool {
        matches!(self, Role::Admin | Role::Protection | Role::Registrar)
    }

    /// Document numbers: for those who register people, check their papers or help them get
    /// new ones.
    pub fn sees_identifiers(self) -> bool {
        matches!(self, Role::Admin | Role::Protection | Role::Registrar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_french_synonyms() {
        assert_eq!(MovementKind::parse("kind", "Retour").unwrap(), MovementKind::Return);
        assert_eq!(MovementKind::parse("kind", "pendular_visit").unwrap(), MovementKind::PendularVisit);
        assert_eq!(Cause::parse("cause", "Sécheresse").unwrap(), Cause::Drought);
        assert_eq!(Sex::parse("sex", "F").unwrap(), Sex::Female);
        assert_eq!(ShelterType::parse("shelter", "Famille d'accueil").unwrap(), ShelterType::HostFamily);
    }

    #[test]
    fn rejects_unknown_code_naming_field_and_choices() {
        let err = Cause::parse("cause", "earthquake").unwrap_err();
        assert_eq!(err.field, "cause");
        assert_eq!(err.value, "earthquake");
        assert!(err.expected.to_string().contains("armed_conflict"), "{}", err.expected);
    }

    #[test]
    fn every_code_round_trips() {
        for kind in MovementKind::ALL {
            assert_eq!(MovementKind::parse("k", kind.as_str()).unwrap(), *kind);
        }
        for status in Status::ALL {
            assert_eq!(Status::parse("s", status.as_str()).unwrap(), *status);
        }
    }
}

code_list! {
    /// What an indicator of a response plan counts.
    IndicatorUnit {
        People = "people" | "personnes" | "individus" | "ind",
        Households = "households" | "menages" | "hh",
        Items = "items" | "articles" | "kits",
        Sessions = "sessions" | "seances",
        Schools = "schools" | "ecoles",
        Sites = "sites",
    }
}

code_list! {
    /// How an indicator's values add up across periods or across places (as the partner
    /// reporting portal stores it): fixed once values are reported.
    Aggregation {
        Sum = "sum" | "somme",
        Maximum = "max" | "maximum",
        Latest = "latest" | "dernier" | "derniere valeur",
        Average = "average" | "avg" | "moyenne",
    }
}

code_list! {
    /// How an indicator's values are broken down.
    Disaggregation {
        Sex = "sex" | "sexe",
        Age = "age" | "tranche d age" | "ages",
        PopulationGroup = "population_group" | "groupe" | "groupe de population",
    }
}

code_list! {
    /// Where a partner's monthly report stands: submitted, sent back with a comment, or
    /// accepted (then locked).
    ReportStatus {
        Submitted = "submitted" | "soumis",
        SentBack = "sent_back" | "renvoye",
        Accepted = "accepted" | "accepte" | "valide",
    }
}

code_list! {
    /// A contribution's stage, as OCHA FTS records it: pledges are promises and not counted
    /// as funding until committed.
    FlowStatus {
        Pledge = "pledge" | "annonce" | "promesse" | "pledged",
        Commitment = "commitment" | "engagement" | "committed" | "engage",
        Paid = "paid" | "verse" | "paye" | "contribution",
    }
}

code_list! {
    /// UNHCR's budget pillars.
    Pillar {
        Refugee = "refugee_programme" | "pillar_1" | "pilier 1" | "refugees" | "refugies",
        Stateless = "stateless_programme" | "pillar_2" | "pilier 2" | "stateless" | "apatrides",
        Reintegration = "reintegration_projects" | "pillar_3" | "pilier 3" | "reintegration",
        Idp = "idp_projects" | "pillar_4" | "pilier 4" | "idp" | "pdi",
    }
}

code_list! {
    /// Where a figure of the 4W comes from: counted from Djoliba's deliveries, reported by a
    /// partner in an accepted monthly report, or imported from a partner's 3W/5W sheet.
    ReachedBy {
        Counted = "counted" | "compte",
        Reported = "reported" | "rapporte",
        Imported = "imported" | "importe",
    }
}
