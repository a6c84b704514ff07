//! Every message Djoliba shows a person about their input or their action: a stable key with
//! its arguments (`Message`), rendered in French or English. The rendering is one exhaustive
//! match in which every arm gives both languages, so a message without its translation does
//! not compile; arguments that are codes are shown by their label, never raw. Labels of every
//! code list live here too (`code_label`).

/// The language of the interface: French, the operation's, or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The English and the French of one message, with `{arg}` captured from the arm's bindings.
macro_rules! tr {
    ($lang:expr, $en:literal, $fr:literal) => {
        match $lang {
            Lang::En => format!($en),
            Lang::Fr => format!($fr),
        }
    };
}

/// The messages: each variant with its arguments and its stable key (used by API clients and
/// in tests). Arguments are codes, numbers, dates or P-codes: never a person's name.
macro_rules! catalogue {
    ($( $variant:ident $({ $($arg:ident : $ty:ty),* $(,)? })? = $key:literal ),* $(,)?) => {
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Message { $( $variant $({ $($arg: $ty),* })? ),* }

        impl Message {
            /// The stable key of the message.
            pub fn key(&self) -> &'static str {
                match self { $( Message::$variant { .. } => $key ),* }
            }

            /// One message of every kind, with placeholder arguments (for tests of the catalogue).
            pub fn samples() -> Vec<Message> {
                vec![ $( Message::$variant $({ $($arg: Default::default()),* })? ),* ]
            }
        }
    };
}

catalogue! {
    // What a field should hold.
    Value = "value",
    OneOf { codes: String } = "one_of",
    IdentifierLength { max: usize } = "identifier_length",
    NameAsRecorded = "name_as_recorded",
    NameLength { max: usize } = "name_length",
    FullDate = "full_date",
    IsoDate = "iso_date",
    FuzzyDate = "fuzzy_date",
    NoSuchDate { date: String } = "no_such_date",
    DateNotAfterToday { today: String } = "date_not_after_today",
    PeriodDate = "period_date",
    PeriodNotOver { end: String } = "period_not_over",
    DateFrom1900 = "date_from_1900",
    DateOnOrAfter { from: String } = "date_on_or_after",
    AgeInYears = "age_in_years",
    BirthDateOrAge = "birth_date_or_age",
    PopulationGroup { codes: String } = "population_group",
    Phone = "phone",
    IdentifierNumber = "identifier_number",
    IdentifierItem = "identifier_item",
    Country = "country",
    DocumentsNotHeld = "documents_not_held",
    OneHead = "one_head",
    AtLeastOneMember = "at_least_one_member",
    CommuneOrSite { code: String } = "commune_or_site",
    MemberRemoved = "member_removed",
    HeadStays = "head_stays",
    DifferentPlaces { code: String } = "different_places",
    PlaceAmbiguous { name: String, options: String } = "place_ambiguous",
    PlaceNameUnknown { name: String, suggestions: String } = "place_name_unknown",
    AnotherRelationship = "another_relationship",
    UniqueMemberId = "unique_member_id",
    MemberConcerned { kind: String } = "member_concerned",
    MemberExternalId = "member_external_id",
    MemberPersonId = "member_person_id",
    MemberId = "member_id",
    MemberIdOrExternalId = "member_id_or_external_id",
    PersonIdForReimport = "person_id_for_reimport",
    PersonIdInHousehold = "person_id_in_household",
    HouseholdId = "household_id",
    HouseholdIdOnce { row: usize, file: String } = "household_id_once",
    HouseholdOfImport = "household_of_import",
    HouseholdNumberFree = "household_number_free",
    PlaceOfEvent { kind: String } = "place_of_event",
    CauseOfEvent { kind: String, codes: String } = "cause_of_event",
    Pcode = "pcode",
    PcodeUnknown = "pcode_unknown",
    PcodeRetired { code: String, old_name: String, successor: String, successor_name: String, others: usize } = "pcode_retired",
    PcodeNotUnder { code: String, parent: String } = "pcode_not_under",
    CommuneCode = "commune_code",
    RegionCodes = "region_codes",
    PlaceInRegions { regions: String } = "place_in_regions",
    StaysInRegions { regions: String } = "stays_in_regions",
    FiguresLevel = "figures_level",
    AdminLevel = "admin_level",
    Reason = "reason",
    TextLength { max: usize } = "text_length",
    TextAtMost { max: usize } = "text_at_most",
    SiteName = "site_name",
    OrganisationName = "organisation_name",
    OrganisationCode = "organisation_code",
    ExistingOrganisation = "existing_organisation",
    OwnOrganisation = "own_organisation",
    OrganisationNeeded = "organisation_needed",
    RegistrarNeedsOrganisation = "registrar_needs_organisation",
    AnotherOrganisation = "another_organisation",
    Username = "username",
    Password = "password",
    CurrentPassword = "current_password",
    NewPasswordDifferent = "new_password_different",
    SamePasswordTwice = "same_password_twice",
    TokenPurpose = "token_purpose",
    TokenDays = "token_days",
    ReadScopeOnly = "read_scope_only",
    FilePart = "file_part",
    WholeCount = "whole_count",
    StaffCount { max: i64 } = "staff_count",
    ReferenceDate = "reference_date",
    // Assistance.
    QuantityWithoutUnit { unit: String } = "quantity_without_unit",
    WithinPeriod { from: String, to: String } = "within_period",
    WithinCycle { from: String, to: String } = "within_cycle",
    AtMostEntitled { remaining: String, unit: String } = "at_most_entitled",
    PlannedHousehold = "planned_household",
    MemberAssisted = "member_assisted",
    LivingMember = "living_member",
    LivingHousehold = "living_household",
    KeptRecord = "kept_record",
    OverrideReason = "override_reason",
    HouseholdOfProgramme = "household_of_programme",
    EntitlementOfRound = "entitlement_of_round",
    HouseholdOfEntitlement { household: String } = "household_of_entitlement",
    DeliveryDate = "delivery_date",
    CalendarQuarter = "calendar_quarter",
    NothingReported = "nothing_reported",
    IssueDescribed = "issue_described",
    SampleSize { max: usize } = "sample_size",
    HouseholdInSample = "household_in_sample",
    NothingToMonitor = "nothing_to_monitor",
    // Import files: the whole table.
    RecordKind = "record_kind",
    TableHeader = "table_header",
    OneColumn { column: String, column_fr: String, first: String, second: String } = "one_column",
    RequiredColumn { column: String, column_fr: String, table: String, table_fr: String } = "required_column",
    HouseholdRows = "household_rows",
    HxlTagRow = "hxl_tag_row",
    HxlUnknownTag { written: String, suggestion: String } = "hxl_unknown_tag",
    HxlPlaceColumn = "hxl_place_column",
    HxlCountColumn = "hxl_count_column",
    HxlDateColumn = "hxl_date_column",
    // Files that cannot be read.
    FileNotUtf8 = "file_not_utf8",
    Utf16Invalid = "utf16_invalid",
    NotText = "not_text",
    FileEmpty = "file_empty",
    FileNoRows = "file_no_rows",
    HeaderUnreadable { detail: String } = "header_unreadable",
    LineUnreadable { detail: String } = "line_unreadable",
    RowLength { fields: usize, header: usize } = "row_length",
    NotAWorkbook { detail: String } = "not_a_workbook",
    SheetUnreadable { detail: String } = "sheet_unreadable",
    TooManyColumns { column: String, max: usize, last: String } = "too_many_columns",
    WorkbookTooLarge { megabytes: u64, limit: u64 } = "workbook_too_large",
    TooManyCells { max: u64 } = "too_many_cells",
    NoSheet = "no_sheet",
    // Conflicts with what is recorded.
    ExternalIdTaken { id: String } = "external_id_taken",
    StaleVersion { current: i64, expected: i64 } = "stale_version",
    AlreadyVoided = "already_voided",
    AlreadyMerged = "already_merged",
    OrganisationCodeTaken { code: String } = "organisation_code_taken",
    UsernameTaken { username: String } = "username_taken",
    SeriesNameTaken { name: String } = "series_name_taken",
    SeriesFileImported { name: String } = "series_file_imported",
    MovementIdTaken { id: String } = "movement_id_taken",
    AlreadyRecorded = "already_recorded",
    ProgrammeCodeTaken { code: String } = "programme_code_taken",
    PlanCodeTaken { code: String } = "plan_code_taken",
    IndicatorCodeTaken { code: String } = "indicator_code_taken",
    IndicatorRulesFixed { reports: usize } = "indicator_rules_fixed",
    KindsCountPeople = "kinds_count_people",
    IndicatorOfPlan { codes: String } = "indicator_of_plan",
    TargetPlace = "target_place",
    TargetCount = "target_count",
    TargetOrInNeed = "target_or_in_need",
    HxlTargetColumns = "hxl_target_columns",
    TargetOnce { row: usize } = "target_once",
    ReportMonth = "report_month",
    MonthNotOver = "month_not_over",
    PartsWithinTotal { total: String } = "parts_within_total",
    ReportLocked = "report_locked",
    ReportSentBack = "report_sent_back",
    SendBackComment = "send_back_comment",
    ReportDecision = "report_decision",
    HxlActivityColumns = "hxl_activity_columns",
    ActivityMonth = "activity_month",
    ActivityRowOnce { row: usize } = "activity_row_once",
    SectorOfList { codes: String } = "sector_of_list",
    FundingSheetKind = "funding_sheet_kind",
    FundingAmount = "funding_amount",
    FundingYear = "funding_year",
    CurrencyCode = "currency_code",
    CurrencyNeedsRate { currency: String } = "currency_needs_rate",
    FundingText = "funding_text",
    FlowId = "flow_id",
    FlowOnce { row: usize } = "flow_once",
    PlanOfFlow { codes: String } = "plan_of_flow",
    PlanCode { codes: String } = "plan_code",
    ParentCommitment = "parent_commitment",
    PaidAboveCommitment { commitment: String, paid: String } = "paid_above_commitment",
    SharesAddUp { total: String } = "shares_add_up",
    SharePerSector { sectors: usize } = "share_per_sector",
    RegionCodeList = "region_code_list",
    BudgetDimension = "budget_dimension",
    RequirementOnce { row: usize } = "requirement_once",
    CycleNotDraft { status: String } = "cycle_not_draft",
    CycleNotDistributing { status: String } = "cycle_not_distributing",
    CycleStep { status: String, next: String } = "cycle_step",
    CycleClosed = "cycle_closed",
    AlreadyAssisted { programme: String, cycle: String, from: String, to: String } = "already_assisted",
    AlreadyAssistedElsewhere = "already_assisted_elsewhere",
    ImportAborted = "import_aborted",
    ChronologyAlone { kind: String, problem: Box<Message> } = "chronology",
    ChronologyInFile { kind: String, problem: Box<Message>, other: String, date: String, row: usize, file: String } = "chronology_in_file",
    ChronologyWithRecorded { kind: String, problem: Box<Message>, other: String, date: String, event: String } = "chronology_with_recorded",
    PlaceNotMali { country: String } = "place_not_mali",
    PlaceLevelMismatch { code: String, name: String, found: i64, given: i64 } = "place_level_mismatch",
    Region2023Unsourced { name: String, smaller: String } = "region_2023_unsourced",
    CercleOrRegion2023 { name: String, cercles: String, composite: bool } = "cercle_or_region_2023",
    TableUnitUnknown { name: String, level: i64, within: String, closest: String } = "table_unit_unknown",
    PlaceNameAmbiguous { name: String, level: i64, count: usize, options: String } = "place_name_ambiguous",
    PlaceMissing = "place_missing",
    // Duplicate detection: what the model could not learn.
    ModelNoCandidates = "model_no_candidates",
    ModelTooFewInTraining { matches: u64, pairs: u64 } = "model_too_few_in_training",
    ModelDefault = "model_default",
    MergeReason = "merge_reason",
    // Sync between offices.
    SyncNodeName = "sync_node_name",
    SyncAlreadyNode = "sync_already_node",
    SyncPublicKey = "sync_public_key",
    SyncSameNode = "sync_same_node",
    SyncValue = "sync_value",
    SyncBundleFor = "sync_bundle_for",
    ModelTooFewDuplicates { pairs: u64 } = "model_too_few_duplicates",
    ModelFieldBarelyCounts { field: String } = "model_field_barely_counts",
    // Chronology: what an event may not do (the event and the one it conflicts with are named
    // around it).
    AfterDeath = "after_death",
    BeforeAnyDisplacement = "before_any_displacement",
    NeedsDisplaced { status: String } = "needs_displaced",
    FirstEvent = "first_event",
    WhileDisplaced = "while_displaced",
    WhileAbroad = "while_abroad",
    WhileAlreadyAbroad = "while_already_abroad",
    NeedsAbroad = "needs_abroad",
}

impl Message {
    /// The message in `lang`. Codes among the arguments are shown by their label.
    pub fn render(&self, lang: Lang) -> String {
        // Inside an English sentence a label reads in lower case ("a pendular visit").
        let label = |code: &str| code_label(lang, code);
        let inline = |code: &str| match lang {
            Lang::En => code_label(lang, code).to_lowercase(),
            Lang::Fr => code_label(lang, code),
        };
        match self {
            Message::Value => tr!(lang, "a value", "une valeur"),
            Message::OneOf { codes } => tr!(lang, "one of {codes}", "l'une des valeurs {codes}"),
            Message::IdentifierLength { max } => {
                tr!(lang, "an identifier of 1 to {max} characters", "un identifiant de 1 à {max} caractères")
            }
            Message::NameAsRecorded => tr!(lang, "a name as recorded", "un nom tel qu'il a été donné"),
            Message::NameLength { max } => tr!(
                lang,
                "a name of at most {max} characters, without control characters",
                "un nom d'au plus {max} caractères, sans caractères de contrôle"
            ),
            Message::FullDate => tr!(lang, "a full date YYYY-MM-DD", "une date complète AAAA-MM-JJ"),
            Message::IsoDate => tr!(lang, "a date as YYYY-MM-DD or DD/MM/YYYY", "une date AAAA-MM-JJ ou JJ/MM/AAAA"),
            Message::FuzzyDate => tr!(
                lang,
                "a date as YYYY-MM-DD, YYYY-MM or YYYY (DD/MM/YYYY also accepted)",
                "une date AAAA-MM-JJ, AAAA-MM ou AAAA (JJ/MM/AAAA accepté aussi)"
            ),
            Message::DateNotAfterToday { today } => tr!(
                lang,
                "a date not after today ({today})",
                "une date qui n'est pas postérieure à aujourd'hui ({today})"
            ),
            Message::PeriodDate => tr!(
                lang,
                "a date as YYYY-MM-DD, YYYY-MM, MM/YYYY, YYYY or a month by name (March 2024)",
                "une date AAAA-MM-JJ, AAAA-MM, MM/AAAA, AAAA ou un mois en lettres (mars 2024)"
            ),
            Message::PeriodNotOver { end } => tr!(
                lang,
                "a period that is over: this one ends on {end}, after today",
                "une période terminée : celle-ci finit le {end}, après aujourd'hui"
            ),
            Message::DateFrom1900 => tr!(lang, "a date from 1900 on", "une date à partir de 1900"),
            Message::DateOnOrAfter { from } => {
                tr!(lang, "a date on or after from ({from})", "une date égale ou postérieure à la date de début ({from})")
            }
            Message::AgeInYears => {
                tr!(lang, "an age in whole years from 0 to 120", "un âge en années entières, de 0 à 120")
            }
            Message::NoSuchDate { date } => {
                tr!(lang, "a date that exists: {date} does not", "une date qui existe : le {date} n'existe pas")
            }
            Message::MemberRemoved => tr!(
                lang,
                "a member still in the household: this one was removed from it",
                "un membre encore dans le ménage : celui-ci en a été retiré"
            ),
            Message::HeadStays => tr!(
                lang,
                "another member: the head of household stays (make another member the head first)",
                "un autre membre : le chef de ménage reste (désignez d'abord un autre chef)"
            ),
            Message::CommuneOrSite { code } => tr!(
                lang,
                "a commune or a site: {code} is a région or a cercle (a commune's P-code has 8 characters, e.g. ML070101)",
                "une commune ou un site : {code} est une région ou un cercle (le P-code d'une commune a 8 caractères, ex. ML070101)"
            ),
            Message::DifferentPlaces { code } => tr!(
                lang,
                "a place other than the one it left ({code}): a movement goes from one place to another",
                "un autre lieu que celui du départ ({code}) : un mouvement va d'un lieu à un autre"
            ),
            Message::AtLeastOneMember => tr!(
                lang,
                "at least one member, with a given and a family name",
                "au moins un membre, avec un prénom et un nom de famille"
            ),
            Message::PlaceAmbiguous { name, options } => tr!(
                lang,
                "one place: \"{name}\" names several ({options}); give the P-code of the one meant",
                "un seul lieu : « {name} » en désigne plusieurs ({options}) ; donnez le P-code de celui voulu"
            ),
            Message::PlaceNameUnknown { name, suggestions } => {
                if suggestions.is_empty() {
                    tr!(
                        lang,
                        "a place of the gazetteer, by name or P-code: \"{name}\" is not one",
                        "un lieu du répertoire, par son nom ou son P-code : « {name} » n'en est pas un"
                    )
                } else {
                    tr!(
                        lang,
                        "a place of the gazetteer: \"{name}\" is not one; did you mean {suggestions}?",
                        "un lieu du répertoire : « {name} » n'en est pas un ; vouliez-vous dire {suggestions} ?"
                    )
                }
            }
            Message::BirthDateOrAge => tr!(
                lang,
                "either a birth date or an estimated age, not both",
                "soit une date de naissance, soit un âge estimé, pas les deux"
            ),
            Message::PopulationGroup { codes } => {
                tr!(lang, "a population group code: {codes}", "un code de groupe de population : {codes}")
            }
            Message::Phone => tr!(lang, "digits, spaces, + or -, at most 20", "des chiffres, espaces, + ou -, 20 au plus"),
            Message::IdentifierNumber => tr!(
                lang,
                "a document number of 3 to 40 letters and digits, at least one a digit (spaces, dashes, dots and slashes may separate them)",
                "un numéro de document de 3 à 40 lettres et chiffres, dont au moins un chiffre (espaces, tirets, points et barres obliques peuvent les séparer)"
            ),
            Message::IdentifierItem => tr!(
                lang,
                "document numbers as kind:number, separated by |, e.g. national_id:1234567890123|unhcr:123-45678901",
                "des numéros de document sous la forme type:numéro, séparés par |, p. ex. national_id:1234567890123|unhcr:123-45678901"
            ),
            Message::Country => tr!(
                lang,
                "an ISO 3166-1 alpha-3 code of a country other than Mali, e.g. BFA, NER, MRT",
                "le code ISO 3166-1 alpha-3 d'un pays autre que le Mali, p. ex. BFA, NER, MRT"
            ),
            Message::DocumentsNotHeld => {
                tr!(lang, "documents not also listed as held", "des documents qui ne sont pas aussi déclarés détenus")
            }
            Message::OneHead => tr!(
                lang,
                "at most one member with relationship head",
                "au plus un membre ayant le lien « chef de ménage »"
            ),
            Message::AnotherRelationship => tr!(
                lang,
                "another relationship: the household has a head",
                "un autre lien : le ménage a déjà un chef"
            ),
            Message::UniqueMemberId => tr!(
                lang,
                "an identifier not used by another member of the household",
                "un identifiant qu'aucun autre membre du ménage n'utilise"
            ),
            Message::MemberConcerned { kind } => {
                let kind = inline(kind);
                tr!(
                    lang,
                    "the member concerned: a {kind} concerns one person",
                    "le membre concerné : l'événement « {kind} » concerne une seule personne"
                )
            }
            Message::MemberExternalId => tr!(
                lang,
                "the external_id of one of the household's members",
                "l'identifiant (external_id) d'un des membres du ménage"
            ),
            Message::MemberPersonId => {
                tr!(lang, "the person_id of a member of the household", "le person_id d'un membre du ménage")
            }
            Message::MemberId => tr!(lang, "the id of a member of this household", "l'identifiant d'un membre de ce ménage"),
            Message::MemberIdOrExternalId => tr!(
                lang,
                "the id or external_id of a member of this household",
                "l'identifiant ou l'external_id d'un membre de ce ménage"
            ),
            Message::PersonIdForReimport => tr!(
                lang,
                "the person's identifier, needed to import again safely",
                "l'identifiant de la personne, nécessaire pour réimporter sans doublon"
            ),
            Message::PersonIdInHousehold => tr!(
                lang,
                "the person's identifier within the household",
                "l'identifiant de la personne dans le ménage"
            ),
            Message::HouseholdId => tr!(lang, "the household's identifier", "l'identifiant du ménage"),
            Message::HouseholdIdOnce { row, file } => tr!(
                lang,
                "an identifier used once; it is already on row {row} of {file}",
                "un identifiant utilisé une seule fois ; il figure déjà à la ligne {row} de {file}"
            ),
            Message::HouseholdOfImport => tr!(
                lang,
                "the household_id of a household in the households table of this import",
                "le household_id d'un ménage de la table des ménages de cet import"
            ),
            Message::HouseholdNumberFree => tr!(
                lang,
                "a household number free in your organisation: this one is used by a household outside your régions",
                "un numéro de ménage libre dans votre organisation : celui-ci est utilisé par un ménage hors de vos régions"
            ),
            Message::PlaceOfEvent { kind } => {
                let kind = inline(kind);
                tr!(lang, "the P-code where the {kind} led", "le P-code du lieu où a mené l'événement « {kind} »")
            }
            Message::CauseOfEvent { kind, codes } => {
                let kind = inline(kind);
                tr!(
                    lang,
                    "the cause of the {kind}: one of {codes}",
                    "la cause de l'événement « {kind} » : l'une des valeurs {codes}"
                )
            }
            Message::Pcode => tr!(lang, "a P-code of the current gazetteer", "un P-code du répertoire géographique en vigueur"),
            Message::PcodeUnknown => tr!(
                lang,
                "a P-code of the COD-AB 2021-12-20 gazetteer (ML, ML01…ML10, ML0101…, ML010101…)",
                "un P-code du répertoire COD-AB du 2021-12-20 (ML, ML01…ML10, ML0101…, ML010101…)"
            ),
            Message::PcodeRetired { code, old_name, successor, successor_name, others } => {
                let more = match (lang, *others) {
                    (_, 0) => String::new(),
                    (Lang::En, n) => format!(" and {n} other unit(s) in part"),
                    (Lang::Fr, n) => format!(" et, en partie, {n} autre(s) unité(s)"),
                };
                tr!(
                    lang,
                    "a P-code of the COD-AB 2021-12-20 gazetteer; {code} is the retired 2015 code of {old_name}: use {successor} {successor_name}{more}",
                    "un P-code du répertoire COD-AB du 2021-12-20 ; {code} est l'ancien code 2015 de {old_name} : utilisez {successor} {successor_name}{more}"
                )
            }
            Message::PcodeNotUnder { code, parent } => tr!(
                lang,
                "a P-code of the COD-AB 2021-12-20 gazetteer; there is no unit {code} under {parent}",
                "un P-code du répertoire COD-AB du 2021-12-20 ; il n'existe pas d'unité {code} dans {parent}"
            ),
            Message::CommuneCode => tr!(
                lang,
                "the P-code of a commune (admin 3), e.g. ML070101",
                "le P-code d'une commune (niveau 3), p. ex. ML070101"
            ),
            Message::RegionCodes => tr!(
                lang,
                "admin 1 P-codes (régions) of the gazetteer, e.g. ML07",
                "des P-codes de niveau 1 (régions) du répertoire, p. ex. ML07"
            ),
            Message::PlaceInRegions { regions } => {
                tr!(lang, "a place in your régions ({regions})", "un lieu de vos régions ({regions})")
            }
            Message::StaysInRegions { regions } => tr!(
                lang,
                "a place in your régions ({regions}): the household would leave your sight",
                "un lieu de vos régions ({regions}) : le ménage sortirait de votre vue"
            ),
            Message::FiguresLevel => tr!(
                lang,
                "a level: 1 (région), 2 (cercle), 3 (commune) or 4 (site)",
                "un niveau : 1 (région), 2 (cercle), 3 (commune) ou 4 (site)"
            ),
            Message::AdminLevel => tr!(lang, "an admin level from 0 to 3", "un niveau administratif de 0 à 3"),
            Message::Reason => tr!(
                lang,
                "why the record changes, 1 to 500 characters",
                "le motif de la modification, de 1 à 500 caractères"
            ),
            Message::TextLength { max } => tr!(lang, "a text of 1 to {max} characters", "un texte de 1 à {max} caractères"),
            Message::TextAtMost { max } => {
                tr!(lang, "a text of at most {max} characters", "un texte de {max} caractères au plus")
            }
            Message::SiteName => tr!(lang, "the site's name, 1 to 200 characters", "le nom du site, de 1 à 200 caractères"),
            Message::OrganisationName => tr!(
                lang,
                "the organisation's name, 1 to 200 characters",
                "le nom de l'organisation, de 1 à 200 caractères"
            ),
            Message::OrganisationCode => tr!(
                lang,
                "1 to 20 letters, digits, - or _ (e.g. NRC, UNHCR)",
                "de 1 à 20 lettres, chiffres, - ou _ (p. ex. NRC, UNHCR)"
            ),
            Message::ExistingOrganisation => {
                tr!(lang, "the code of an existing organisation", "le code d'une organisation existante")
            }
            Message::OwnOrganisation => tr!(
                lang,
                "your own organisation: a registrar registers for it only",
                "votre propre organisation : un agent d'enregistrement n'enregistre que pour elle"
            ),
            Message::OrganisationNeeded => tr!(
                lang,
                "an organisation code (your account belongs to none)",
                "un code d'organisation (votre compte n'appartient à aucune)"
            ),
            Message::RegistrarNeedsOrganisation => tr!(
                lang,
                "an organisation: a registrar registers for one",
                "une organisation : un agent d'enregistrement enregistre pour l'une d'elles"
            ),
            Message::AnotherOrganisation => {
                tr!(lang, "another organisation than the sharing one", "une autre organisation que celle qui partage")
            }
            Message::Username => tr!(
                lang,
                "2 to 64 letters, digits, '.', '_', '-' or '@'",
                "de 2 à 64 lettres, chiffres, « . », « _ », « - » ou « @ »"
            ),
            Message::Password => tr!(
                lang,
                "a password of at least 10 characters that is not common or easy to guess (a few unrelated words work well)",
                "un mot de passe d'au moins 10 caractères, ni courant ni facile à deviner (quelques mots sans rapport entre eux conviennent)"
            ),
            Message::CurrentPassword => tr!(lang, "your current password", "votre mot de passe actuel"),
            Message::NewPasswordDifferent => {
                tr!(lang, "a new password, not the current one", "un nouveau mot de passe, différent de l'actuel")
            }
            Message::SamePasswordTwice => tr!(lang, "the same new password twice", "deux fois le même nouveau mot de passe"),
            Message::TokenPurpose => tr!(
                lang,
                "what the token is for, 1 to 100 characters",
                "l'usage du jeton, de 1 à 100 caractères"
            ),
            Message::TokenDays => tr!(lang, "a life of 1 to 366 days", "une durée de 1 à 366 jours"),
            Message::ReadScopeOnly => tr!(
                lang,
                "read: this user's role may not change the registry",
                "lecture : le rôle de cet utilisateur ne permet pas de modifier le registre"
            ),
            Message::FilePart => tr!(
                lang,
                "a non-empty file in the multipart body",
                "un fichier non vide dans le corps multipart"
            ),
            Message::StaffCount { max } => {
                tr!(lang, "a number of staff from 0 to {max}", "un effectif de 0 à {max}")
            }
            Message::WholeCount => tr!(
                lang,
                "a whole number of people or households",
                "un nombre entier de personnes ou de ménages"
            ),
            Message::QuantityWithoutUnit { unit } => tr!(
                lang,
                "a number such as 25000 or 25 000, without its unit (counted in {unit})",
                "un nombre comme 25000 ou 25 000, sans son unité (compté en {unit})"
            ),
            Message::WithinPeriod { from, to } => tr!(
                lang,
                "a date within the programme's period ({from} to {to})",
                "une date comprise dans la période du programme (du {from} au {to})"
            ),
            Message::WithinCycle { from, to } => tr!(
                lang,
                "a date within the distribution round ({from} to {to})",
                "une date comprise dans la distribution (du {from} au {to})"
            ),
            Message::AtMostEntitled { remaining, unit } => tr!(
                lang,
                "at most what remains of the entitlement: {remaining} {unit}",
                "au plus ce qui reste du droit : {remaining} {unit}"
            ),
            Message::EntitlementOfRound => tr!(
                lang,
                "an entitlement code of this round's distribution list, as exported",
                "un code de droit de la liste de distribution de ce tour, tel qu'exporté"
            ),
            Message::HouseholdOfEntitlement { household } => tr!(
                lang,
                "the household of this entitlement code ({household}), or nothing",
                "le ménage de ce code de droit ({household}), ou rien"
            ),
            Message::CalendarQuarter => tr!(
                lang,
                "a calendar quarter, e.g. 2024-01-01 to 2024-03-31: figures from records you do not see are given by quarter, so that no two periods can be subtracted into a small count",
                "un trimestre civil, p. ex. du 2024-01-01 au 2024-03-31 : les chiffres tirés de fiches que vous ne voyez pas sont donnés par trimestre, pour qu'aucune soustraction de deux périodes ne révèle un petit effectif"
            ),
            Message::NothingReported => tr!(
                lang,
                "no amount: the household says it received nothing (or could not be asked)",
                "aucun montant : le ménage dit n'avoir rien reçu (ou n'a pas pu être interrogé)"
            ),
            Message::IssueDescribed => tr!(
                lang,
                "what went wrong, in a few words (the answer is: received with issues)",
                "ce qui n'a pas été, en quelques mots (la réponse est : reçu avec problèmes)"
            ),
            Message::SampleSize { max } => tr!(
                lang,
                "a whole number of households from 1 to {max} (those who received something in this round)",
                "un nombre entier de ménages de 1 à {max} (ceux qui ont reçu quelque chose dans cette distribution)"
            ),
            Message::HouseholdInSample => tr!(
                lang,
                "a household drawn in this monitoring sample (its id or number)",
                "un ménage tiré dans cet échantillon de suivi (son identifiant ou son numéro)"
            ),
            Message::NothingToMonitor => tr!(
                lang,
                "nobody has received anything in this round yet: the sample is drawn among those who did",
                "personne n'a encore rien reçu dans cette distribution : l'échantillon se tire parmi ceux qui ont reçu"
            ),
            Message::DeliveryDate => tr!(
                lang,
                "the day it was handed over (or the day they did not come), YYYY-MM-DD or DD/MM/YYYY",
                "le jour de la remise (ou du passage manqué), AAAA-MM-JJ ou JJ/MM/AAAA"
            ),
            Message::PlannedHousehold => tr!(
                lang,
                "a household planned in this distribution round (its id or number)",
                "un ménage prévu dans cette distribution (son identifiant ou son numéro)"
            ),
            Message::MemberAssisted => tr!(
                lang,
                "the member assisted, by id or member id: this programme assists persons",
                "le membre assisté, par identifiant ou identifiant de membre : ce programme assiste des personnes"
            ),
            Message::LivingMember => tr!(
                lang,
                "a living member (this person is recorded as deceased)",
                "un membre en vie (cette personne est enregistrée comme décédée)"
            ),
            Message::LivingHousehold => tr!(
                lang,
                "a household with a living member (every member of this one is recorded as deceased)",
                "un ménage dont un membre est en vie (tous les membres de celui-ci sont enregistrés comme décédés)"
            ),
            Message::KeptRecord => tr!(
                lang,
                "the record kept (this one was merged into another as a duplicate)",
                "la fiche conservée (celle-ci a été fusionnée dans une autre comme doublon)"
            ),
            Message::HouseholdOfProgramme => tr!(
                lang,
                "a household of the programme's organisation, within your scope (its id or number)",
                "un ménage de l'organisation du programme, dans votre périmètre (son identifiant ou son numéro)"
            ),
            Message::OverrideReason => tr!(
                lang,
                "a reason for assisting again (kept in the audit log)",
                "un motif pour assister à nouveau (conservé dans le journal d'audit)"
            ),
            Message::ReferenceDate => tr!(lang, "the date the figure refers to", "la date à laquelle se rapporte le chiffre"),
            Message::RecordKind => tr!(
                lang,
                "household, person or movement",
                "household, person ou movement (ménage, personne ou mouvement)"
            ),
            Message::TableHeader => tr!(
                lang,
                "the header of a households, people or movements table (see the template), or a record column",
                "l'en-tête d'une table de ménages, de personnes ou de mouvements (voir le modèle), ou une colonne record"
            ),
            Message::OneColumn { column, column_fr, first, second } => tr!(
                lang,
                "one column {column}: columns {first} and {second} both read as it; remove or rename one",
                "une seule colonne {column_fr} : les colonnes {first} et {second} se lisent toutes deux ainsi ; supprimez ou renommez l'une d'elles"
            ),
            Message::RequiredColumn { column, column_fr, table, table_fr } => tr!(
                lang,
                "a column {column} in the {table} table (see the template)",
                "une colonne {column_fr} dans la table {table_fr} (voir le modèle)"
            ),
            Message::HouseholdRows => tr!(
                lang,
                "at least one household row: people and movements belong to households of the same import",
                "au moins une ligne de ménage : personnes et mouvements appartiennent aux ménages du même import"
            ),
            Message::HxlUnknownTag { written, suggestion } => {
                let (hint_en, hint_fr) = if suggestion.is_empty() {
                    (String::new(), String::new())
                } else {
                    (format!(" (did you mean {suggestion}?)"), format!(" (vouliez-vous écrire {suggestion} ?)"))
                };
                tr!(
                    lang,
                    "a tag of the HXL vocabulary: {written} is not one{hint_en}; correct it, or import again accepting unknown tags to leave this column out",
                    "un hashtag du vocabulaire HXL : {written} n'en est pas un{hint_fr} ; corrigez-le, ou importez à nouveau en acceptant les hashtags inconnus pour laisser cette colonne de côté"
                )
            }
            Message::HxlTagRow => tr!(
                lang,
                "a row of HXL hashtags (#adm1+name, #date+reported, #affected+idps+ind…) under the header",
                "une ligne de hashtags HXL (#adm1+name, #date+reported, #affected+idps+ind…) sous l'en-tête"
            ),
            Message::HxlPlaceColumn => tr!(
                lang,
                "a place column: #country (or #adm0), #adm1, #adm2 or #adm3, with +code or +name",
                "une colonne de lieu : #country (ou #adm0), #adm1, #adm2 ou #adm3, avec +code ou +name"
            ),
            Message::HxlCountColumn => tr!(
                lang,
                "a count column such as #affected+idps+ind or #affected+idps+hh",
                "une colonne d'effectifs comme #affected+idps+ind ou #affected+idps+hh"
            ),
            Message::HxlDateColumn => tr!(
                lang,
                "a #date+reported column, or a reference date given with the import",
                "une colonne #date+reported, ou une date de référence donnée avec l'import"
            ),
            Message::FileNotUtf8 => tr!(
                lang,
                "the file is not valid UTF-8 here; if Excel saved it, import it with the Windows-1252 encoding",
                "le fichier n'est pas en UTF-8 valide à cet endroit ; s'il a été enregistré par Excel, importez-le avec l'encodage Windows-1252"
            ),
            Message::Utf16Invalid => tr!(
                lang,
                "the file says it is UTF-16 but holds invalid characters",
                "le fichier se dit en UTF-16 mais contient des caractères invalides"
            ),
            Message::NotText => tr!(
                lang,
                "this is not a text file (it holds NUL bytes): save it as CSV in UTF-8 or Windows-1252, or as XLSX",
                "ce n'est pas un fichier texte (il contient des octets NUL) : enregistrez-le en CSV UTF-8 ou Windows-1252, ou en XLSX"
            ),
            Message::FileEmpty => tr!(lang, "the file is empty", "le fichier est vide"),
            Message::FileNoRows => tr!(
                lang,
                "the file is empty: expected a header row and data rows",
                "le fichier est vide : une ligne d'en-tête et des lignes de données étaient attendues"
            ),
            Message::HeaderUnreadable { detail } => tr!(
                lang,
                "the header row does not parse: {detail}",
                "la ligne d'en-tête ne se lit pas (détail technique : {detail})"
            ),
            Message::LineUnreadable { detail } => tr!(
                lang,
                "the line does not parse as CSV: {detail}",
                "la ligne ne se lit pas comme du CSV (détail technique : {detail})"
            ),
            Message::RowLength { fields, header } => tr!(
                lang,
                "the row has {fields} fields but the header has {header}: the file may be truncated or a quote left open",
                "la ligne a {fields} champs mais l'en-tête en a {header} : le fichier est peut-être tronqué ou un guillemet n'est pas fermé"
            ),
            Message::NotAWorkbook { detail } => tr!(
                lang,
                "not a readable Excel workbook ({detail}): save it again as .xlsx, or as CSV",
                "ce n'est pas un classeur Excel lisible (détail technique : {detail}) : enregistrez-le à nouveau en .xlsx, ou en CSV"
            ),
            Message::SheetUnreadable { detail } => tr!(
                lang,
                "the sheet cannot be read: {detail}",
                "la feuille ne peut pas être lue (détail technique : {detail})"
            ),
            Message::TooManyColumns { column, max, last } => tr!(
                lang,
                "column {column} holds a value, but a sheet may use only the first {max} columns (A to {last})",
                "la colonne {column} contient une valeur, mais une feuille ne peut utiliser que les {max} premières colonnes (A à {last})"
            ),
            Message::WorkbookTooLarge { megabytes, limit } => tr!(
                lang,
                "the workbook would take {megabytes} MB once unzipped, more than the {limit} MB a file may; split it, or save it as CSV",
                "le classeur occuperait {megabytes} Mo une fois décompressé, plus que les {limit} Mo permis ; divisez-le, ou enregistrez-le en CSV"
            ),
            Message::TooManyCells { max } => tr!(
                lang,
                "the workbook holds more than {max} cells; split it",
                "le classeur contient plus de {max} cellules ; divisez-le"
            ),
            Message::NoSheet => tr!(
                lang,
                "the workbook has no sheet with a header row",
                "le classeur n'a aucune feuille avec une ligne d'en-tête"
            ),
            Message::ExternalIdTaken { id } => tr!(
                lang,
                "household number {id} is already registered by this organisation",
                "le numéro de ménage {id} est déjà enregistré par cette organisation"
            ),
            Message::StaleVersion { current, expected } => tr!(
                lang,
                "the record was changed meanwhile (it is at version {current}, not {expected}): reload it and apply the change again",
                "la fiche a été modifiée entre-temps (version {current} et non {expected}) : rechargez-la et refaites la modification"
            ),
            Message::AlreadyVoided => tr!(lang, "the movement is already voided", "le mouvement est déjà annulé"),
            Message::PlanCodeTaken { code } => {
                tr!(lang, "the plan code {code} is already used", "le code de plan {code} est déjà utilisé")
            }
            Message::IndicatorRulesFixed { reports } => tr!(
                lang,
                "its unit and how its values add up, unchanged: {reports} report(s) already use them (add a new indicator instead)",
                "son unité et sa façon d'additionner les valeurs, inchangées : {reports} rapport(s) les utilisent déjà (créez plutôt un nouvel indicateur)"
            ),
            Message::IndicatorCodeTaken { code } => tr!(
                lang,
                "the indicator code {code} is already used in this plan",
                "le code d'indicateur {code} est déjà utilisé dans ce plan"
            ),
            Message::KindsCountPeople => tr!(
                lang,
                "no kinds of assistance: Djoliba counts people or households reached, so only an indicator in people or households is counted from deliveries",
                "aucun type d'assistance : Djoliba compte des personnes ou des ménages atteints, seul un indicateur en personnes ou en ménages se compte à partir des remises"
            ),
            // A sheet's reader knows no plan: an empty cell is asked for a code, no list.
            Message::IndicatorOfPlan { codes } if codes.is_empty() => {
                tr!(lang, "the code of one of the plan's indicators", "le code d'un indicateur du plan")
            }
            Message::IndicatorOfPlan { codes } => tr!(
                lang,
                "the code of one of the plan's indicators ({codes})",
                "le code d'un indicateur du plan ({codes})"
            ),
            Message::TargetPlace => tr!(
                lang,
                "the P-code of a région or a cercle (ML07, ML0701)",
                "le P-code d'une région ou d'un cercle (ML07, ML0701)"
            ),
            Message::TargetOrInNeed => tr!(
                lang,
                "people targeted, people in need, or both (a number of 0 or more)",
                "les personnes ciblées, dans le besoin, ou les deux (un nombre de 0 ou plus)"
            ),
            Message::TargetCount => tr!(
                lang,
                "a number of 0 or more (25000, 25 000), or nothing",
                "un nombre de 0 ou plus (25000, 25 000), ou rien"
            ),
            Message::HxlTargetColumns => tr!(
                lang,
                "HXL columns #indicator+code, a place (#adm1+code or #adm2+code), #date+start, #date+end and #targeted or #inneed",
                "des colonnes HXL #indicator+code, un lieu (#adm1+code ou #adm2+code), #date+start, #date+end et #targeted ou #inneed"
            ),
            Message::ReportMonth => tr!(lang, "a month as YYYY-MM (2024-05)", "un mois au format AAAA-MM (2024-05)"),
            Message::MonthNotOver => tr!(
                lang,
                "a month that is over: a month is reported once it has ended",
                "un mois terminé : un mois se déclare une fois fini"
            ),
            Message::PartsWithinTotal { total } => tr!(
                lang,
                "women and men adding up to no more than the total ({total})",
                "des femmes et des hommes qui ne dépassent pas le total ({total})"
            ),
            Message::ReportLocked => tr!(
                lang,
                "the report was accepted: it is locked and cannot change",
                "le rapport a été accepté : il est verrouillé et ne peut plus changer"
            ),
            Message::ReportSentBack => tr!(
                lang,
                "the report was sent back: the partner submits it again before it is reviewed",
                "le rapport a été renvoyé : le partenaire le soumet à nouveau avant qu'il soit examiné"
            ),
            Message::SendBackComment => tr!(
                lang,
                "a comment saying what to correct (3 to 1000 characters)",
                "un commentaire qui dit quoi corriger (3 à 1000 caractères)"
            ),
            Message::ReportDecision => tr!(lang, "accept or send_back", "accept ou send_back"),
            Message::HxlActivityColumns => tr!(
                lang,
                "HXL columns #org, #sector, #activity, a place (#adm1+code or #adm2+code), #date and #reached or #targeted",
                "des colonnes HXL #org, #sector, #activity, un lieu (#adm1+code ou #adm2+code), #date et #reached ou #targeted"
            ),
            Message::ActivityMonth => tr!(
                lang,
                "a month (2024-05) or a day of it (2024-05-01, 01/05/2024)",
                "un mois (2024-05) ou un jour de ce mois (2024-05-01, 01/05/2024)"
            ),
            Message::ActivityRowOnce { row } => tr!(
                lang,
                "one row per organisation, sector, activity, place, month and population group (row {row} gives the same)",
                "une ligne par organisation, secteur, activité, lieu, mois et groupe de population (la ligne {row} donne la même)"
            ),
            Message::SectorOfList { codes } => tr!(
                lang,
                "a sector of the code list, by code or name ({codes})",
                "un secteur de la liste, par code ou par nom ({codes})"
            ),
            Message::FundingSheetKind => tr!(
                lang,
                "an HXL sheet of funding flows (#org+name+funder, #status+text), requirements (#value+funding+required+usd), budgets (#value+budget+usd or #value+expenditure+usd) or projects (#activity+project+code with #value+funding+required+usd)",
                "une feuille HXL de flux de financement (#org+name+funder, #status+text), de besoins (#value+funding+required+usd), de budgets (#value+budget+usd ou #value+expenditure+usd) ou de projets (#activity+project+code avec #value+funding+required+usd)"
            ),
            Message::FundingAmount => tr!(
                lang,
                "an amount of 0 or more (250000, 250 000, 250000.50)",
                "un montant de 0 ou plus (250000, 250 000, 250000.50)"
            ),
            Message::FundingYear => tr!(
                lang,
                "a year between 2000 and 2100 (2024), or a date in it",
                "une année entre 2000 et 2100 (2024), ou une date de cette année"
            ),
            Message::CurrencyCode => tr!(
                lang,
                "a currency code of three letters (XOF, USD, EUR, NOK)",
                "un code de devise de trois lettres (XOF, USD, EUR, NOK)"
            ),
            Message::CurrencyNeedsRate { currency } => tr!(
                lang,
                "a rate for {currency} (#financial+fx, units of {currency} per US dollar) or the amount in US dollars (#value+funding+total+usd)",
                "un taux pour {currency} (#financial+fx, unités de {currency} par dollar américain) ou le montant en dollars américains (#value+funding+total+usd)"
            ),
            Message::FundingText => tr!(lang, "a name (1 to 200 characters)", "un nom (1 à 200 caractères)"),
            Message::FlowId => tr!(
                lang,
                "the flow's id (#activity+id+fts_internal) or its reference (#activity+code)",
                "l'identifiant du flux (#activity+id+fts_internal) ou sa référence (#activity+code)"
            ),
            Message::FlowOnce { row } => tr!(
                lang,
                "one row per flow (row {row} has the same id)",
                "une ligne par flux (la ligne {row} a le même identifiant)"
            ),
            Message::PlanOfFlow { codes } => tr!(
                lang,
                "the code of a response plan recorded in Djoliba ({codes}), or nothing for money outside any plan",
                "le code d'un plan de réponse enregistré dans Djoliba ({codes}), ou rien pour des fonds hors plan"
            ),
            Message::PlanCode { codes } => tr!(
                lang,
                "the code of a response plan recorded in Djoliba ({codes})",
                "le code d'un plan de réponse enregistré dans Djoliba ({codes})"
            ),
            Message::ParentCommitment => tr!(
                lang,
                "the id of a commitment (of this file or already recorded) that this payment pays",
                "l'identifiant d'un engagement (de ce fichier ou déjà enregistré) que ce versement honore"
            ),
            Message::PaidAboveCommitment { commitment, paid } => tr!(
                lang,
                "payments within the commitment they pay (committed {commitment} USD, paid {paid} USD with this one)",
                "des versements qui ne dépassent pas l'engagement qu'ils honorent ({commitment} USD engagés, {paid} USD versés avec celui-ci)"
            ),
            Message::SharesAddUp { total } => tr!(
                lang,
                "sector shares adding up to 100 (these add up to {total})",
                "des parts par secteur dont la somme fait 100 (celles-ci font {total})"
            ),
            Message::SharePerSector { sectors } => tr!(
                lang,
                "one share per sector listed ({sectors} sectors), separated by commas",
                "une part par secteur cité ({sectors} secteurs), séparées par des virgules"
            ),
            Message::RegionCodeList => tr!(
                lang,
                "région P-codes separated by commas (ML07, ML06), or nothing",
                "des P-codes de région séparés par des virgules (ML07, ML06), ou rien"
            ),
            Message::BudgetDimension => tr!(
                lang,
                "a pillar (#sector+pillar: refugee_programme, stateless_programme, reintegration_projects, idp_projects) or a sector (#sector+cluster)",
                "un pilier (#sector+pillar : refugee_programme, stateless_programme, reintegration_projects, idp_projects) ou un secteur (#sector+cluster)"
            ),
            Message::RequirementOnce { row } => tr!(
                lang,
                "one row per key (row {row} gives the same)",
                "une ligne par clé (la ligne {row} donne la même)"
            ),
            Message::TargetOnce { row } => tr!(
                lang,
                "one row per indicator, place and period (row {row} gives the same)",
                "une ligne par indicateur, lieu et période (la ligne {row} donne la même)"
            ),
            Message::ProgrammeCodeTaken { code } => tr!(
                lang,
                "the programme code {code} is already used by this organisation",
                "le code de programme {code} est déjà utilisé par cette organisation"
            ),
            Message::CycleNotDraft { status } => {
                let status = inline(status);
                tr!(
                    lang,
                    "the distribution round is {status}: only a draft round is planned",
                    "la distribution est au stade « {status} » : seule une distribution en brouillon se planifie"
                )
            }
            Message::CycleNotDistributing { status } => {
                let status = inline(status);
                tr!(
                    lang,
                    "the distribution round is {status}: deliveries are recorded while it is being distributed",
                    "la distribution est au stade « {status} » : les remises s'enregistrent pendant la distribution"
                )
            }
            Message::CycleStep { status, next } => {
                let (status, next) = (inline(status), inline(next));
                tr!(
                    lang,
                    "a round that is {status} moves on to {next} only",
                    "une distribution au stade « {status} » ne passe qu'au stade « {next} »"
                )
            }
            Message::CycleClosed => tr!(
                lang,
                "the distribution round is closed: it changes no more",
                "la distribution est clôturée : elle ne change plus"
            ),
            Message::AlreadyAssisted { programme, cycle, from, to } => tr!(
                lang,
                "already entitled to this kind of assistance in {programme} ({cycle}, {from} to {to}); give a reason to plan it anyway",
                "a déjà droit à ce type d'assistance dans {programme} ({cycle}, du {from} au {to}) ; donnez un motif pour le prévoir quand même"
            ),
            Message::AlreadyAssistedElsewhere => tr!(
                lang,
                "already entitled to this kind of assistance over this period by an organisation that does not share its records; give a reason to plan it anyway",
                "a déjà droit à ce type d'assistance sur cette période auprès d'une organisation qui ne partage pas ses fiches ; donnez un motif pour le prévoir quand même"
            ),
            Message::AlreadyMerged => tr!(
                lang,
                "the earlier record is already merged into the later one",
                "la fiche la plus ancienne est déjà fusionnée dans la plus récente"
            ),
            Message::OrganisationCodeTaken { code } => tr!(
                lang,
                "an organisation with code {code} exists",
                "une organisation de code {code} existe déjà"
            ),
            Message::UsernameTaken { username } => {
                tr!(lang, "the username {username} is taken", "le nom d'utilisateur {username} est déjà pris")
            }
            Message::SeriesFileImported { name } => tr!(
                lang,
                "a file not imported yet: this very file is already the series {name}",
                "un fichier pas encore importé : ce même fichier est déjà la série {name}"
            ),
            Message::SeriesNameTaken { name } => tr!(
                lang,
                "a series named {name} exists; choose another name, or replace it (its figures become a new version)",
                "une série nommée {name} existe déjà ; choisissez un autre nom, ou remplacez-la (ses chiffres deviennent une nouvelle version)"
            ),
            Message::MovementIdTaken { id } => tr!(
                lang,
                "a movement with external_id {id} is already recorded for this household",
                "un mouvement d'identifiant {id} est déjà enregistré pour ce ménage"
            ),
            Message::AlreadyRecorded => tr!(
                lang,
                "a record with the same identifier was saved at the same moment by someone else: reload, check, and try again",
                "un enregistrement de même identifiant vient d'être fait par quelqu'un d'autre : rechargez, vérifiez et réessayez"
            ),
            Message::ImportAborted => tr!(lang, "the import was stopped", "l'import a été arrêté"),
            Message::ChronologyAlone { kind, problem } => {
                let (kind, problem) = (label(kind), problem.render(lang));
                tr!(lang, "a consistent chronology: this {kind} {problem}", "une chronologie cohérente : cet événement « {kind} » {problem}")
            }
            Message::ChronologyInFile { kind, problem, other, date, row, file } => {
                let (kind, problem, other) = (label(kind), problem.render(lang), inline(other));
                tr!(
                    lang,
                    "a consistent chronology: this {kind} {problem}; it conflicts with the {other} of {date} (row {row} of {file})",
                    "une chronologie cohérente : cet événement « {kind} » {problem} ; il est en conflit avec l'événement « {other} » du {date} (ligne {row} de {file})"
                )
            }
            Message::ChronologyWithRecorded { kind, problem, other, date, event } => {
                let (kind, problem, other) = (label(kind), problem.render(lang), inline(other));
                tr!(
                    lang,
                    "a consistent chronology: this {kind} {problem}; it conflicts with the {other} of {date} (recorded event {event})",
                    "une chronologie cohérente : cet événement « {kind} » {problem} ; il est en conflit avec l'événement « {other} » du {date} (événement enregistré {event})"
                )
            }
            Message::PlaceNotMali { country } => tr!(
                lang,
                "a place in Mali: {country:?} is not Mali (ML, MLI), and Djoliba's gazetteer is Mali's",
                "un lieu du Mali : « {country} » n'est pas le Mali (ML, MLI), et le répertoire de Djoliba est celui du Mali"
            ),
            Message::PlaceLevelMismatch { code, name, found, given } => tr!(
                lang,
                "a unit of the level given: {code} is a level-{found} unit ({name}), given as admin {given}",
                "une unité du niveau indiqué : {code} est une unité de niveau {found} ({name}), donnée comme admin {given}"
            ),
            Message::Region2023Unsourced { name, smaller } => {
                let (en, fr) = if smaller.is_empty() {
                    (String::new(), String::new())
                } else {
                    (format!(" (the 2021 région less {smaller})"), format!(" (la région de 2021 moins {smaller})"))
                };
                tr!(
                    lang,
                    "figures cercle by cercle, with their P-codes: {name} is a région of the 2023 reform{en}, which COD-AB 2021 does not have, and no legal or OCHA source of its 2021 cercles is at hand to add its units up (it is not the unit of the same name in 2021)",
                    "des chiffres cercle par cercle, avec leurs P-codes : {name} est une région de la réforme de 2023{fr}, absente du COD-AB 2021, et aucune source légale ou d'OCHA sur ses cercles de 2021 n'est disponible pour additionner ses unités (ce n'est pas l'unité du même nom en 2021)"
                )
            }
            Message::CercleOrRegion2023 { name, cercles, composite } => {
                let (en, fr) = if *composite {
                    ("; for the région of 2023, tag it #adm1", " ; pour la région de 2023, marquez-la #adm1")
                } else {
                    ("", "")
                };
                tr!(
                    lang,
                    "the cercle's région (#adm1) or its P-code (#adm2+code): {name} names both a 2021 cercle ({cercles}) and a région of the 2023 reform made of several cercles{en}",
                    "la région du cercle (#adm1) ou son P-code (#adm2+code) : {name} désigne à la fois un cercle de 2021 ({cercles}) et une région de la réforme de 2023 faite de plusieurs cercles{fr}"
                )
            }
            Message::TableUnitUnknown { name, level, within, closest } => {
                let (in_en, in_fr) = if within.is_empty() {
                    (String::new(), String::new())
                } else {
                    (format!(" in {within}"), format!(" dans {within}"))
                };
                let (near_en, near_fr) = if closest.is_empty() {
                    (String::new(), String::new())
                } else {
                    (format!("; closest: {closest}"), format!(" ; les plus proches : {closest}"))
                };
                tr!(
                    lang,
                    "a place of the gazetteer: no admin {level} unit named {name:?}{in_en}{near_en}",
                    "un lieu du répertoire : aucune unité admin {level} nommée « {name} »{in_fr}{near_fr}"
                )
            }
            Message::PlaceNameAmbiguous { name, level, count, options } => tr!(
                lang,
                "the parent unit or the P-code: {name:?} names {count} admin {level} units ({options})",
                "l'unité parente ou le P-code : « {name} » désigne {count} unités admin {level} ({options})"
            ),
            Message::PlaceMissing => tr!(
                lang,
                "a place: #country, #adm1, #adm2 or #adm3 codes or names",
                "un lieu : codes ou noms #country, #adm1, #adm2 ou #adm3"
            ),
            Message::ModelNoCandidates => tr!(
                lang,
                "no two records share a blocking key: nothing to learn from; the starting values are used",
                "aucune paire de fiches ne partage une clé de regroupement : rien à apprendre ; les valeurs de départ sont utilisées"
            ),
            Message::ModelTooFewInTraining { matches, pairs } => tr!(
                lang,
                "training on one blocking rule's pairs found about {matches} matches among {pairs} pairs: too few to learn from",
                "l'apprentissage sur les paires d'une règle de regroupement n'a trouvé qu'environ {matches} doublons parmi {pairs} paires : trop peu pour apprendre"
            ),
            Message::ModelDefault => tr!(lang, "the default model is used", "le modèle par défaut est utilisé"),
            Message::MergeReason => tr!(
                lang,
                "why these two records are one person (e.g. the same national number, the same parents), 1 to 500 characters",
                "pourquoi ces deux fiches sont une seule personne (p. ex. même numéro NINA, mêmes parents), de 1 à 500 caractères"
            ),
            Message::SyncNodeName => tr!(
                lang,
                "a name for this office (e.g. Gao field office), 1 to 100 characters",
                "un nom pour ce bureau (p. ex. Bureau de Gao), de 1 à 100 caractères"
            ),
            Message::SyncAlreadyNode => tr!(
                lang,
                "this installation is a sync node already",
                "cette installation est déjà un nœud de synchronisation"
            ),
            Message::SyncPublicKey => tr!(
                lang,
                "the node's public key: 64 hexadecimal characters, as `djoliba sync init` printed it",
                "la clé publique du nœud : 64 caractères hexadécimaux, comme `djoliba sync init` l'a affichée"
            ),
            Message::SyncSameNode => tr!(
                lang,
                "another node than this one",
                "un autre nœud que celui-ci"
            ),
            Message::SyncBundleFor => tr!(
                lang,
                "the node the bundle is for (--for NODE): each node receives only its own organisations' and régions' households",
                "le nœud à qui le paquet est destiné (--for NŒUD) : chaque nœud ne reçoit que les ménages de ses organisations et régions"
            ),
            Message::SyncValue => tr!(
                lang,
                "one of the values kept, or a new value",
                "l'une des valeurs conservées, ou une nouvelle valeur"
            ),
            Message::ModelTooFewDuplicates { pairs } => tr!(
                lang,
                "the records hold about {pairs} duplicate pairs: too few to learn how duplicates agree; the default model is used",
                "les fiches contiennent environ {pairs} paires de doublons : trop peu pour apprendre comment les doublons concordent ; le modèle par défaut est utilisé"
            ),
            Message::ModelFieldBarelyCounts { field } => {
                let field = match (lang, field.as_str()) {
                    (Lang::En, _) => field.replace('_', " "),
                    (Lang::Fr, "given_name") => "prénom".into(),
                    (Lang::Fr, "family_name") => "nom de famille".into(),
                    (Lang::Fr, "father_name") => "nom du père".into(),
                    (Lang::Fr, "birth_date") => "date de naissance".into(),
                    (Lang::Fr, "sex") => "sexe".into(),
                    (Lang::Fr, "phone") => "téléphone".into(),
                    (Lang::Fr, "place") => "lieu".into(),
                    (Lang::Fr, "identifier") => "numéro de pièce".into(),
                    (Lang::Fr, other) => other.replace('_', " "),
                };
                tr!(
                    lang,
                    "{field}: duplicates and different people agree on it alike; it barely counts",
                    "{field} : doublons et personnes différentes y concordent autant ; ce champ compte à peine"
                )
            }
            Message::AfterDeath => tr!(lang, "comes after a recorded death", "survient après un décès enregistré"),
            Message::BeforeAnyDisplacement => {
                tr!(lang, "comes before any displacement", "survient avant tout déplacement")
            }
            Message::NeedsDisplaced { status } => {
                let status = inline(status);
                tr!(
                    lang,
                    "needs a displaced status, but the status is then {status}",
                    "demande le statut « déplacé », mais le statut est alors « {status} »"
                )
            }
            Message::FirstEvent => {
                tr!(lang, "must be the person's first event", "doit être le premier événement de la personne")
            }
            Message::WhileDisplaced => tr!(
                lang,
                "happens while already displaced (record a secondary displacement)",
                "survient alors que la personne est déjà déplacée (enregistrez un déplacement secondaire)"
            ),
            Message::WhileAbroad => tr!(
                lang,
                "happens while abroad (record an arrival from abroad first)",
                "survient alors que la personne est à l'étranger (enregistrez d'abord une arrivée de l'étranger)"
            ),
            Message::WhileAlreadyAbroad => {
                tr!(lang, "happens while already abroad", "survient alors que la personne est déjà à l'étranger")
            }
            Message::NeedsAbroad => tr!(
                lang,
                "needs the person or household to be abroad (a first event, or after a departure abroad)",
                "demande que la personne ou le ménage soit à l'étranger (premier événement, ou après un départ à l'étranger)"
            ),
        }
    }
}

// The catalogue's macro writes the enum: a derive could not mark the default variant.
#[allow(clippy::derivable_impls)]
impl Default for Message {
    fn default() -> Message {
        Message::Value
    }
}

/// In the API a message is its English text (the key travels beside it where clients need it).
impl serde::Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.render(Lang::En))
    }
}

impl std::fmt::Display for Message {
    /// English: for logs, the command line and API messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// Labels of codes: population groups, kinds of movement and flow, causes, sex, relationships,
/// shelter, intentions, documents, specific needs, statuses, roles, age bands. Unknown codes
/// are shown as they are.
pub fn code_label(lang: Lang, code: &str) -> String {
    let pair = match code {
        // Population groups (HDX HAPI codes).
        "IDP" => ("Personnes déplacées internes", "Internally displaced persons"),
        "RDP" => ("PDI retournées", "Returned IDPs"),
        "REF" => ("Réfugiés", "Refugees"),
        "RET" => ("Réfugiés rapatriés", "Returned refugees"),
        "ASY" => ("Demandeurs d'asile", "Asylum seekers"),
        "ROC" => ("Personnes en situation assimilable à celle de réfugiés", "People in a refugee-like situation"),
        "OIP" => (
            "Autres personnes ayant besoin d'une protection internationale",
            "Other people in need of international protection",
        ),
        "IOC" => ("Personnes en situation assimilable à celle de PDI", "People in an IDP-like situation"),
        "STA" => ("Apatrides", "Stateless people"),
        "OOC" => ("Autres personnes relevant de la compétence", "Others of concern"),
        "HST" => ("Communauté hôte", "Host community"),
        "RST" => ("Réfugiés réinstallés", "Resettled refugees"),
        "NAT" => ("Réfugiés naturalisés", "Naturalised refugees"),
        "RRI" => ("Rapatriés et retournés", "Returnees"),
        // Movements and flows.
        "displacement" => ("Déplacement", "Displacement"),
        "secondary_displacement" => ("Déplacement secondaire", "Secondary displacement"),
        "pendular_visit" => ("Mouvement pendulaire", "Pendular visit"),
        "return" => ("Retour", "Return"),
        "local_integration" => ("Intégration locale", "Local integration"),
        "settlement_elsewhere" => ("Installation ailleurs", "Settlement elsewhere"),
        "departure_abroad" => ("Départ à l'étranger", "Departure abroad"),
        "arrival_from_abroad" => ("Arrivée de l'étranger", "Arrival from abroad"),
        "birth" => ("Naissance", "Birth"),
        "death" => ("Décès", "Death"),
        "solution" => ("Décision de solution durable", "Solutions decision"),
        "registration" => ("Enregistrement", "Registration"),
        // Causes.
        "armed_conflict" => ("Conflit armé", "Armed conflict"),
        "intercommunal_violence" => ("Violence intercommunautaire", "Intercommunal violence"),
        "drought" => ("Sécheresse", "Drought"),
        "flood" => ("Inondation", "Flood"),
        "food_insecurity" => ("Insécurité alimentaire", "Food insecurity"),
        "other" => ("Autre", "Other"),
        // Sex.
        "f" => ("Femme", "Female"),
        "m" => ("Homme", "Male"),
        // Relationships.
        "head" => ("Chef de ménage", "Head"),
        "spouse" => ("Conjoint·e", "Spouse"),
        "child" => ("Enfant", "Child"),
        "parent" => ("Parent", "Parent"),
        "sibling" => ("Frère ou sœur", "Sibling"),
        "grandchild" => ("Petit-enfant", "Grandchild"),
        "other_relative" => ("Autre parent", "Other relative"),
        "unrelated" => ("Sans lien de parenté", "Unrelated"),
        // Shelter.
        "host_family" => ("Famille d'accueil", "Host family"),
        "site" => ("Site de déplacés", "Displacement site"),
        "rented" => ("Location", "Rented"),
        "own" => ("Propre logement", "Own home"),
        "collective_centre" => ("Centre collectif", "Collective centre"),
        "makeshift" => ("Abri de fortune", "Makeshift shelter"),
        "none" => ("Sans abri", "No shelter"),
        // Intentions.
        "integrate_locally" => ("Rester (intégration locale)", "Integrate locally"),
        "settle_elsewhere" => ("S'installer ailleurs", "Settle elsewhere"),
        "undecided" => ("Indécis", "Undecided"),
        // Documents.
        "national_id" => ("Carte d'identité (NINA)", "National identity card (NINA)"),
        "birth_certificate" => ("Acte de naissance", "Birth certificate"),
        "passport" => ("Passeport", "Passport"),
        "consular_card" => ("Carte consulaire", "Consular card"),
        "unhcr" => ("Numéro individuel HCR (proGres)", "UNHCR individual number (proGres)"),
        "ration_card" => ("Carte de ration", "Ration card"),
        // Specific needs.
        "disability" => ("Handicap", "Disability"),
        "serious_medical_condition" => ("Maladie grave", "Serious medical condition"),
        "older_person_at_risk" => ("Personne âgée à risque", "Older person at risk"),
        "pregnant_or_lactating" => ("Femme enceinte ou allaitante", "Pregnant or lactating"),
        "single_parent" => ("Parent seul", "Single parent"),
        "unaccompanied_child" => ("Enfant non accompagné", "Unaccompanied child"),
        "separated_child" => ("Enfant séparé", "Separated child"),
        "woman_at_risk" => ("Femme à risque", "Woman at risk"),
        "gbv_survivor" => ("Survivant·e de VBG", "GBV survivor"),
        "torture_survivor" => ("Survivant·e de torture", "Torture survivor"),
        "legal_protection_need" => ("Besoin de protection juridique", "Legal protection need"),
        // Statuses.
        "not_displaced" => ("Non déplacé", "Not displaced"),
        "displaced" => ("Déplacé", "Displaced"),
        "returned" => ("Retourné", "Returned"),
        "locally_integrated" => ("Intégré localement", "Locally integrated"),
        "settled_elsewhere" => ("Installé ailleurs", "Settled elsewhere"),
        "abroad" => ("À l'étranger", "Abroad"),
        "arrived_from_abroad" => ("Arrivé de l'étranger", "Arrived from abroad"),
        "deceased" => ("Décédé", "Deceased"),
        // Roles.
        "admin" => ("Administrateur", "Administrator"),
        "im_officer" => ("Gestionnaire de l'information", "Information management officer"),
        "registrar" => ("Agent d'enregistrement", "Registrar"),
        "protection" => ("Agent de protection", "Protection caseworker"),
        "viewer" => ("Lecteur (agrégats)", "Viewer (aggregates)"),
        // Sectors: the global clusters and areas of responsibility, as Mali's clusters name them.
        "CCM" => ("Coordination et gestion des camps", "Camp Coordination / Management"),
        "EDU" => ("Éducation", "Education"),
        "ERY" => ("Relèvement précoce", "Early Recovery"),
        "FSC" => ("Sécurité alimentaire", "Food Security"),
        "HEA" => ("Santé", "Health"),
        "LOG" => ("Logistique", "Logistics"),
        "NUT" => ("Nutrition", "Nutrition"),
        "PRO" => ("Protection", "Protection"),
        "PRO-CPN" => ("Protection de l'enfance", "Child Protection"),
        "PRO-GBV" => ("Violences basées sur le genre", "Gender Based Violence"),
        "PRO-HLP" => ("Logement, terre et biens", "Housing, Land and Property"),
        "PRO-MIN" => ("Lutte antimines", "Mine Action"),
        "SHL" => ("Abris d'urgence et articles non alimentaires", "Emergency Shelter and NFI"),
        "TEL" => ("Télécommunications d'urgence", "Emergency Telecommunications"),
        "WSH" => ("Eau, hygiène et assainissement", "Water Sanitation Hygiene"),
        // Assistance.
        "multipurpose_cash" => ("Transfert monétaire à usage multiple", "Multipurpose cash"),
        "sectoral_cash" => ("Transfert monétaire sectoriel", "Sectoral cash"),
        "voucher" => ("Coupon", "Voucher"),
        "shelter_kit" => ("Kit d'abri", "Shelter kit"),
        "nfi_kit" => ("Kit d'articles ménagers essentiels (AME)", "Non-food items kit (NFI)"),
        "food" => ("Vivres", "Food"),
        "education_enrolment" => ("Inscription scolaire", "Education enrolment"),
        "catch_up_classes" => ("Cours de rattrapage", "Catch-up classes"),
        "vocational_training" => ("Formation professionnelle", "Vocational training"),
        "legal_information" => ("Information juridique", "Legal information"),
        "legal_counselling" => ("Conseil juridique", "Legal counselling"),
        "legal_assistance" => ("Assistance juridique", "Legal assistance"),
        "civil_documentation" => ("Documentation civile", "Civil documentation"),
        "psychosocial_support" => ("Soutien psychosocial", "Psychosocial support"),
        "household" => ("Ménage", "Household"),
        "person" => ("Personne", "Person"),
        "XOF" => ("F CFA (XOF)", "CFA francs (XOF)"),
        "USD" => ("Dollars US (USD)", "US dollars (USD)"),
        "EUR" => ("Euros (EUR)", "Euros (EUR)"),
        "kit" => ("kits", "kits"),
        "kg" => ("kg", "kg"),
        "item" => ("articles", "items"),
        "session" => ("séances", "sessions"),
        "enrolment" => ("inscriptions", "enrolments"),
        "draft" => ("Brouillon", "Draft"),
        "approved" => ("Approuvée", "Approved"),
        "distributing" => ("En distribution", "Distributing"),
        "closed" => ("Clôturée", "Closed"),
        "cash_in_hand" => ("Espèces", "Cash in hand"),
        "mobile_money" => ("Argent mobile", "Mobile money"),
        "in_kind" => ("En nature", "In kind"),
        "service" => ("Service", "Service"),
        "delivered" => ("Remis", "Delivered"),
        "partial" => ("Remis en partie", "Partly delivered"),
        "not_collected" => ("Non retiré", "Not collected"),
        "refused" => ("Refusé", "Refused"),
        "failed" => ("Échec", "Failed"),
        "received" => ("Reçu", "Received"),
        "received_with_issues" => ("Reçu avec problèmes", "Received with issues"),
        "not_received" => ("Non reçu", "Not received"),
        "not_reached" => ("Injoignable", "Could not be asked"),
        "reported_less" => ("Déclare avoir reçu moins", "Reports receiving less"),
        "random" => ("Aléatoire", "Random"),
        // Offices of an organisation.
        "country_office" => ("Bureau pays", "Country office"),
        "sub_office" => ("Sous-bureau", "Sub-office"),
        "field_office" => ("Bureau de terrain", "Field office"),
        "field_unit" => ("Antenne", "Field unit"),
        // Indicators of a response plan.
        "people" => ("Personnes", "People"),
        "households" => ("Ménages", "Households"),
        "items" => ("Articles", "Items"),
        "sessions" => ("Séances", "Sessions"),
        "schools" => ("Écoles", "Schools"),
        "sites" => ("Sites", "Sites"),
        "sum" => ("Somme", "Sum"),
        "max" => ("Maximum", "Maximum"),
        "latest" => ("Dernière valeur", "Latest value"),
        "average" => ("Moyenne", "Average"),
        "sex" => ("Sexe", "Sex"),
        "age" => ("Tranche d'âge", "Age band"),
        "population_group" => ("Groupe de population", "Population group"),
        "submitted" => ("Soumis", "Submitted"),
        "sent_back" => ("Renvoyé", "Sent back"),
        "accepted" => ("Accepté", "Accepted"),
        "full" => ("Exhaustif", "Full"),
        // Funding and the 4W.
        "pledge" => ("Annonce", "Pledge"),
        "commitment" => ("Engagement", "Commitment"),
        "paid" => ("Versé", "Paid"),
        "refugee_programme" => ("Pilier 1 : programme pour les réfugiés", "Pillar 1: refugee programme"),
        "stateless_programme" => ("Pilier 2 : programme pour les apatrides", "Pillar 2: stateless programme"),
        "reintegration_projects" => ("Pilier 3 : projets de réintégration", "Pillar 3: reintegration projects"),
        "idp_projects" => ("Pilier 4 : projets pour les PDI", "Pillar 4: IDP projects"),
        "counted" => ("Compté dans Djoliba", "Counted in Djoliba"),
        "reported" => ("Rapport mensuel accepté", "Accepted monthly report"),
        "imported" => ("Feuille 3W/5W importée", "Imported 3W/5W sheet"),
        "shared" => ("Partagé selon les parts", "Shared by the shares given"),
        "sheet_flows" => ("flux de financement", "funding flows"),
        "sheet_requirements" => ("besoins de financement", "funding requirements"),
        "sheet_budgets" => ("budgets et dépenses", "budgets and expenditure"),
        "sheet_projects" => ("projets", "projects"),
        "overlap" => ("Compté en entier sous chaque secteur", "Counted in full under each sector"),
        // Phases of an import.
        "reading" => ("lecture des fichiers", "reading the files"),
        "checking" => ("vérification", "checking"),
        "writing" => ("enregistrement des ménages", "saving households"),
        // Age bands.
        "0-4" | "5-11" | "12-17" | "18-59" => {
            return format!("{code} {}", if lang == Lang::Fr { "ans" } else { "years" })
        }
        "60+" => return if lang == Lang::Fr { "60 ans et plus".into() } else { "60 and over".into() },
        "unknown" => ("Inconnu", "Unknown"),
        "no_site" => ("Hors site", "Not on a site"),
        _ => return code.to_string(),
    };
    match lang {
        Lang::Fr => pair.0.to_string(),
        Lang::En => pair.1.to_string(),
    }
}

/// The actions an audit row records (its `action`): code, French, English. The audit log's
/// filter offers them in this order.
pub const AUDIT_ACTIONS: &[(&str, &str, &str)] = &[
    ("create", "Création", "Created"),
    ("update", "Modification", "Changed"),
    ("read", "Consultation", "Read"),
    ("read_history", "Consultation de l'historique", "History read"),
    ("list", "Consultation d'une liste", "List read"),
    ("export", "Export", "Export"),
    ("import", "Import", "Import"),
    ("register", "Enregistrement", "Registration"),
    ("add_member", "Ajout d'un membre", "Member added"),
    ("record_movement", "Mouvement enregistré", "Movement recorded"),
    ("void", "Annulation", "Voided"),
    ("solution", "Décision de solution durable", "Solutions decision"),
    ("check_duplicates", "Recherche de doublons avant enregistrement", "Duplicate check before saving"),
    ("duplicates.run", "Recherche de doublons dans le registre", "Duplicate detection run"),
    ("duplicates.accept", "Doublon confirmé", "Duplicate accepted"),
    ("duplicates.reject", "Doublon écarté", "Duplicate rejected"),
    ("duplicates.undo", "Décision sur un doublon annulée", "Duplicate decision undone"),
    ("sign_in", "Connexion", "Sign-in"),
    ("sign_in_failed", "Connexion refusée", "Sign-in refused"),
    ("change_password", "Mot de passe changé", "Password changed"),
    ("set_password", "Mot de passe réinitialisé", "Password reset"),
    ("set_regions", "Régions modifiées", "Régions changed"),
    ("set_role", "Rôle modifié", "Role changed"),
    ("disable", "Compte désactivé", "Account disabled"),
    ("enable", "Compte réactivé", "Account enabled"),
    ("share", "Accord de partage", "Sharing agreement"),
    ("token.create", "Jeton d'API créé", "API token created"),
    ("token.revoke", "Jeton d'API révoqué", "API token revoked"),
    ("advance", "Passage à l'étape suivante", "Moved to the next stage"),
    ("plan", "Planification", "Planned"),
    ("deliver", "Remise enregistrée", "Delivery recorded"),
    ("draw_sample", "Échantillon tiré", "Sample drawn"),
    ("monitor", "Suivi enregistré", "Monitoring recorded"),
    ("review", "Examen", "Review"),
    ("submit", "Soumission", "Submitted"),
    ("import_4w", "Import du 4W", "4W import"),
    ("import_funding", "Import des financements", "Funding import"),
    ("import_targets", "Import des cibles", "Targets import"),
    ("set_target", "Cible fixée", "Target set"),
    ("import_series", "Import d'une série", "Series imported"),
    ("replace_series", "Nouvelle version d'une série", "Series version added"),
    ("remove_series", "Série retirée", "Series removed"),
    ("set_office", "Bureau enregistré", "Office saved"),
    ("remove_office", "Bureau retiré", "Office removed"),
    ("set_partner", "Partenaire enregistré", "Partner saved"),
    ("remove_partner", "Partenaire retiré", "Partner removed"),
    ("sync.init", "Nœud de synchronisation créé", "Sync node created"),
    ("sync.enrol", "Bureau de terrain inscrit", "Field office enrolled"),
    ("sync.connect", "Connexion au bureau pays", "Connected to the country office"),
    ("sync.revoke", "Nœud révoqué", "Node revoked"),
    ("sync.new_epoch", "Nouvelle époque après une restauration", "New epoch after a restore"),
    ("sync.bundle_out", "Fichier de synchronisation écrit", "Sync bundle written"),
    ("sync.assistance_reviewed", "Conflit d'assistance examiné", "Assistance conflict reviewed"),
];

/// The kinds of record an audit row is about (its `entity`): code, French, English.
pub const AUDIT_KINDS: &[(&str, &str, &str)] = &[
    ("household", "Ménage", "Household"),
    ("person", "Personne", "Person"),
    ("movement", "Mouvement", "Movement"),
    ("registry", "Registre", "Registry"),
    ("user", "Compte", "Account"),
    ("organisation", "Organisation", "Organisation"),
    ("api_token", "Jeton d'API", "API token"),
    ("duplicate_pair", "Paire de doublons", "Pair of duplicates"),
    ("programme", "Programme", "Programme"),
    ("cycle", "Distribution", "Distribution round"),
    ("entitlement", "Droit à l'assistance", "Entitlement"),
    ("monitoring_sample", "Échantillon de suivi", "Monitoring sample"),
    ("follow_up", "Suivi", "Follow-up"),
    ("response_plan", "Plan de réponse", "Response plan"),
    ("indicator", "Indicateur", "Indicator"),
    ("activity_report", "Rapport mensuel d'un partenaire", "Partner's monthly report"),
    ("activity_rows", "Lignes du 4W", "4W rows"),
    ("funding", "Financement", "Funding"),
    ("series", "Série publiée", "Published series"),
    ("office", "Bureau", "Office"),
    ("site", "Site", "Site"),
    ("sync_node", "Nœud de synchronisation", "Sync node"),
    ("sync_peer", "Nœud inscrit", "Enrolled node"),
];

/// An audit row's action or kind of record in `lang`; `None` for a code not listed (shown as
/// it is, and caught by the browser walk's check that French pages show no raw code).
pub fn audit_label(lang: Lang, code: &str) -> Option<&'static str> {
    AUDIT_ACTIONS.iter().chain(AUDIT_KINDS).find(|(c, _, _)| *c == code).map(|(_, fr, en)| match lang {
        Lang::Fr => *fr,
        Lang::En => *en,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::*;

    #[test]
    fn every_code_has_a_label_in_both_languages() {
        let mut codes: Vec<&str> = Vec::new();
        codes.extend(Sex::ALL.iter().map(|c| c.as_str()));
        codes.extend(FlowStatus::ALL.iter().map(|c| c.as_str()));
        codes.extend(Pillar::ALL.iter().map(|c| c.as_str()));
        codes.extend(ReachedBy::ALL.iter().map(|c| c.as_str()));
        codes.extend(Intention::ALL.iter().map(|c| c.as_str()));
        codes.extend(ShelterType::ALL.iter().map(|c| c.as_str()));
        codes.extend(Relationship::ALL.iter().map(|c| c.as_str()));
        codes.extend(Document::ALL.iter().map(|c| c.as_str()));
        codes.extend(SpecificNeed::ALL.iter().map(|c| c.as_str()));
        codes.extend(MovementKind::ALL.iter().map(|c| c.as_str()));
        codes.extend(Cause::ALL.iter().map(|c| c.as_str()));
        codes.extend(Status::ALL.iter().map(|c| c.as_str()));
        codes.extend(Role::ALL.iter().map(|c| c.as_str()));
        codes.extend(AssistanceKind::ALL.iter().map(|c| c.as_str()));
        codes.extend(TargetUnit::ALL.iter().map(|c| c.as_str()));
        codes.extend(CycleStatus::ALL.iter().map(|c| c.as_str()));
        codes.extend(Modality::ALL.iter().map(|c| c.as_str()));
        codes.extend(DeliveryOutcome::ALL.iter().map(|c| c.as_str()));
        codes.extend(["solution", "registration", "IDP", "RDP", "REF", "RET", "HST"]);
        let gazetteer = crate::places::Gazetteer::built_in();
        codes.extend(gazetteer.sectors.iter().map(|s| s.code.as_str()));
        for code in codes {
            let (fr, en) = (code_label(Lang::Fr, code), code_label(Lang::En, code));
            assert_ne!(fr, code, "{code} has no French label");
            assert_ne!(en, code, "{code} has no English label");
        }
    }

    #[test]
    fn every_message_has_its_own_key_and_reads_differently_in_each_language() {
        let samples = Message::samples();
        let mut keys: Vec<&str> = samples.iter().map(Message::key).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "two messages share a key");
        for message in &samples {
            let (fr, en) = (message.render(Lang::Fr), message.render(Lang::En));
            assert!(!fr.is_empty() && !en.is_empty(), "{}", message.key());
            assert_ne!(fr, en, "{} reads the same in French and English", message.key());
        }
    }

    /// English words that no French message holds (codes, column names and examples aside).
    fn english_words(text: &str) -> Vec<&str> {
        const ENGLISH: &[&str] =
            &["the", "of", "is", "and", "or", "with", "must", "not", "your", "this", "which", "expected", "at", "one"];
        text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '_')
            .filter(|w| ENGLISH.contains(&w.to_ascii_lowercase().as_str()))
            .collect()
    }

    #[test]
    fn the_catalogue_reads_in_french_without_english() {
        // Arguments as a real error would give them: codes, dates and a nested problem.
        let mut samples = Message::samples();
        samples.extend([
            Message::MemberConcerned { kind: "birth".into() },
            Message::CauseOfEvent { kind: "displacement".into(), codes: Cause::codes() },
            Message::NeedsDisplaced { status: "returned".into() },
            Message::ChronologyInFile {
                kind: "return".into(),
                problem: Box::new(Message::BeforeAnyDisplacement),
                other: "displacement".into(),
                date: "2024-02-01".into(),
                row: 3,
                file: "movements.csv".into(),
            },
        ]);
        for message in &samples {
            let fr = message.render(Lang::Fr);
            let words = english_words(&fr);
            assert!(words.is_empty(), "{}: {fr:?} holds English words {words:?}", message.key());
        }
        // The check itself catches English.
        assert_eq!(english_words("the file is empty"), ["the", "is"]);
    }

    #[test]
    fn codes_in_messages_are_shown_by_their_label() {
        let message = Message::MemberConcerned { kind: "birth".into() };
        assert_eq!(
            message.render(Lang::Fr),
            "le membre concerné : l'événement « Naissance » concerne une seule personne"
        );
        assert_eq!(message.render(Lang::En), "the member concerned: a birth concerns one person");
    }
}
