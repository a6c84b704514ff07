//! The factsheet's words in French and English: one struct, both languages side by side, so a
//! word without its translation does not compile.

use domain::messages::Lang;
use serde::Serialize;

macro_rules! words {
    ($($key:ident: $fr:literal, $en:literal;)*) => {
        /// The factsheet's headings and notes in one language.
        #[derive(Debug, Serialize)]
        pub struct Words { $(pub $key: &'static str,)* }
        static FR: Words = Words { $($key: $fr,)* };
        static EN: Words = Words { $($key: $en,)* };
    };
}

impl Words {
    pub fn of(lang: Lang) -> &'static Words {
        match lang {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }
}

words! {
    title: "Fiche d'information de l'opération — Mali", "Operation factsheet — Mali";
    whole_operation: "Toute l'opération", "The whole operation";
    data_as_of: "données au", "data as of";
    on: "au", "on";
    key_figures: "Chiffres clés", "Key figures";
    idps_registered: "PDI enregistrées", "Registered IDPs";
    returned_idps: "PDI retournées (dans le stock IRIS)", "Returned IDPs (in the IRIS stock)";
    iris_note: "sans décision de solution", "no solutions decision yet";
    people_reached: "Personnes assistées (une fois chacune)", "People reached (each once)";
    funded: "Financé", "Funded";
    population: "Population concernée", "Population of concern";
    group: "Groupe", "Group";
    registry: "Registre", "Registry";
    published: "Chiffres publiés (source, date)", "Published figures (source, date)";
    not_covered: "non couvert", "not covered";
    stale: "plus d'un an", "over a year old";
    trend: "Stock IRIS de PDI du registre (PDI retournées comprises), fin de mois", "The registry's IRIS IDP stock (returned IDPs included), month ends";
    map: "Zones d'opération : stock IRIS de PDI par région", "Areas of operation: the IRIS IDP stock by région";
    iris_stock: "Stock IRIS de PDI", "IRIS IDP stock";
    funding: "Financement", "Funding";
    plan: "Plan", "Plan";
    requested: "Demandé", "Requested";
    received: "Reçu", "Received";
    share: "%", "%";
    gap: "Manque", "Gap";
    sector: "Secteur", "Sector";
    not_specified: "Non spécifié", "Not specified";
    budgets: "Budget et dépenses par année", "Budget and expenditure by year";
    year: "Année", "Year";
    budget: "Budget", "Budget";
    expenditure: "Dépenses", "Expenditure";
    results: "Résultats de la période", "Results of the period";
    assistance: "Assistance", "Assistance";
    people: "Personnes", "People";
    households: "Ménages", "Households";
    targets: "Cibles du plan", "Plan targets";
    indicator: "Indicateur", "Indicator";
    target: "Cible", "Target";
    achieved: "Atteint", "Achieved";
    presence: "Présence : organisations actives par région", "Presence: organisations active by région";
    offices: "Bureaux et personnel", "Offices and staff";
    office: "Bureau", "Office";
    offices_word: "bureaux", "offices";
    office_word: "bureau", "office";
    national_staff: "personnel national", "national staff";
    international_staff: "personnel international", "international staff";
    national: "National", "National";
    international: "International", "International";
    partners: "Partenaires de mise en œuvre", "Implementing partners";
    place: "Lieu", "Place";
    organisations: "Organisations", "Organisations";
    sources: "Sources", "Sources";
    source_registry: "Registre Djoliba : ménages et mouvements enregistrés, stock selon les recommandations IRIS", "Djoliba registry: registered households and movements, stock per the IRIS recommendations";
    source_funding: "Flux financiers et besoins importés (format FTS)", "Funding flows and requirements imported (FTS format)";
    nothing: "Rien à montrer pour cette période.", "Nothing to show for this period.";
    public_note: "Pour publication : les effectifs de moins de", "For publication: counts under";
    internal_note: "Usage interne : effectifs non masqués.", "Internal use: counts not suppressed.";
    hidden_mark: "• : masqué (effectif trop petit)", "• : hidden (count too small)";
    generated_for: "fiche produite pour la date du", "factsheet made for";
}
