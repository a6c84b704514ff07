//! French and English for the web pages. Every message exists in both languages because the
//! catalogue is one macro invocation: a message without its translation does not compile.
//! Code labels (population groups, kinds of movement…) and validation messages from the domain
//! are translated by `code_label` and `expected`, with tests over every code list.

use axum::http::HeaderMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

pub const LANG_COOKIE: &str = "djoliba_lang";

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

    /// The language cookie wins; then the browser's preference (the first of French or English
    /// in `Accept-Language` order of quality); French otherwise, the operation's language.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        if let Some(lang) = crate::auth::cookie(headers, LANG_COOKIE).and_then(|v| Lang::parse(&v)) {
            return lang;
        }
        let Some(accept) = headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Lang::Fr;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in accept.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let quality =
                pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            let Some(lang) = Lang::parse(tag.split('-').next().unwrap_or("")) else { continue };
            if best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang).unwrap_or(Lang::Fr)
    }

    pub fn messages(self) -> &'static Messages {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }
}

macro_rules! messages {
    ($($key:ident: $fr:literal, $en:literal;)*) => {
        /// The words of the interface, one field per message.
        pub struct Messages { $(pub $key: &'static str,)* }
        pub static FR: Messages = Messages { $($key: $fr,)* };
        pub static EN: Messages = Messages { $($key: $en,)* };
    };
}

messages! {
    app_tagline: "Système d'information sur les déplacements", "Displacement information system";
    demo_banner: "Démonstration : données synthétiques, aucune personne réelle", "Demo: synthetic data, no real person";
    skip_to_content: "Aller au contenu", "Skip to content";
    nav_dashboard: "Tableau de bord", "Dashboard";
    nav_registry: "Registre", "Registry";
    nav_register: "Enregistrer un ménage", "Register a household";
    nav_import: "Importer", "Import";
    nav_figures: "Chiffres", "Figures";
    nav_admin: "Administration", "Administration";
    nav_account: "Mon compte", "My account";
    account_title: "Mon compte", "My account";
    change_password: "Changer de mot de passe", "Change password";
    current_password: "Mot de passe actuel", "Current password";
    new_password: "Nouveau mot de passe", "New password";
    confirm_password: "Nouveau mot de passe, encore", "New password, again";
    password_advice: "Au moins 10 caractères, ni courant ni facile à deviner : quelques mots sans rapport entre eux conviennent. Vos sessions se ferment ; reconnectez-vous ensuite.", "At least 10 characters, not common or easy to guess: a few unrelated words work well. Your sessions end; sign in again afterwards.";
    password_changed: "Mot de passe changé : connectez-vous avec le nouveau.", "Password changed: sign in with the new one.";
    sign_in: "Se connecter", "Sign in";
    sign_out: "Se déconnecter", "Sign out";
    signed_in_as: "Connecté·e :", "Signed in as";
    username: "Identifiant", "Username";
    password: "Mot de passe", "Password";
    sign_in_failed: "Identifiant inconnu ou mot de passe erroné (après 5 échecs depuis cet ordinateur, il est bloqué 15 minutes pour ce compte).", "Unknown user or wrong password (after 5 failures from this computer, it is locked out of the account for 15 minutes).";
    session_expired: "Votre session a expiré ou le formulaire est périmé : veuillez recommencer.", "Your session expired or the form is stale: please try again.";
    language: "Langue", "Language";
    switch_language: "English", "Français";
    not_found_title: "Introuvable", "Not found";
    not_found_text: "Cette page ou cet enregistrement n'existe pas, ou vous n'y avez pas accès.", "This page or record does not exist, or you do not have access to it.";
    forbidden_title: "Accès refusé", "Access denied";
    forbidden_text: "Votre rôle ne permet pas cette action.", "Your role does not allow this action.";
    error_title: "Erreur", "Error";
    error_text: "Une erreur s'est produite ; rien n'a été enregistré.", "Something went wrong; nothing was saved.";
    busy_title: "Serveur occupé", "Server busy";
    busy_text: "Trop de connexions en même temps : réessayez dans quelques secondes.", "Too many sign-ins at once: try again in a few seconds.";
    back_home: "Retour au tableau de bord", "Back to the dashboard";
    // Dashboard
    key_figures: "Chiffres clés au", "Key figures as of";
    individuals: "personnes", "individuals";
    households: "ménages", "households";
    individuals_h: "Personnes", "Individuals";
    households_h: "Ménages", "Households";
    trend_title: "Évolution sur 12 mois (personnes, fin de mois)", "Trend over 12 months (individuals, month end)";
    map_title: "PDI par région", "IDPs by région";
    map_desc: "Carte des régions du Mali colorées selon le nombre de personnes déplacées internes enregistrées.", "Map of Mali's régions shaded by the number of registered internally displaced persons.";
    flows_title: "Flux du dernier trimestre", "Flows of the last quarter";
    top_pairs_title: "Principaux trajets origine → destination", "Top origin → destination pairs";
    origin: "Origine", "Origin";
    destination: "Destination", "Destination";
    kind: "Type", "Kind";
    no_data: "Aucune donnée pour cette sélection.", "No data for this selection.";
    legend: "Légende", "Legend";
    period: "Période", "Period";
    stock_start: "Effectif au début", "Stock at start";
    inflows: "Entrées", "Inflows";
    outflows: "Sorties", "Outflows";
    stock_end: "Effectif à la fin", "Stock at end";
    // Registry
    search: "Rechercher", "Search";
    search_hint: "Nom (variantes d'orthographe comprises), identifiant ou lieu", "Name (spelling variants included), id or place";
    name: "Nom", "Name";
    place: "Lieu", "Place";
    group: "Groupe de population", "Population group";
    all_groups: "Tous les groupes", "All groups";
    status: "Statut", "Status";
    external_id: "Identifiant du ménage", "Household id";
    organisation: "Organisation", "Organisation";
    registered_on: "Enregistré le", "Registered on";
    members: "Membres", "Members";
    results: "résultats", "results";
    previous: "Précédent", "Previous";
    next: "Suivant", "Next";
    head: "Chef de ménage", "Head of household";
    current_location: "Lieu actuel", "Current location";
    displaced_since: "Déplacé depuis", "Displaced since";
    back_and_forth: "Allers-retours", "Back and forth";
    displacements: "Déplacements", "Displacements";
    household: "Ménage", "Household";
    timeline: "Chronologie des mouvements", "Timeline of movements";
    history: "Historique des versions", "Version history";
    version: "Version", "Version";
    changed_by: "Par", "By";
    reason: "Motif", "Reason";
    changes: "Modifications", "Changes";
    date: "Date", "Date";
    from: "De", "From";
    to: "Vers", "To";
    cause: "Cause", "Cause";
    source: "Source", "Source";
    voided: "annulé", "voided";
    documents: "Documents", "Documents";
    documents_held: "Documents détenus", "Documents held";
    documents_missing: "Documents manquants", "Documents missing";
    specific_needs: "Besoins spécifiques", "Specific needs";
    hidden: "masqué", "hidden";
    solutions: "Décisions de solution durable", "Solutions decisions";
    // Forms
    register_title: "Enregistrer un ménage", "Register a household";
    household_section: "Ménage", "Household";
    registration_point: "Point d'enregistrement (commune)", "Registration point (commune)";
    registration_date: "Date d'enregistrement", "Registration date";
    shelter_type: "Type d'abri", "Shelter type";
    intention: "Intention", "Intention";
    choose: "— choisir —", "— choose —";
    member: "Membre", "Member";
    given_name: "Prénom", "Given name";
    family_name: "Nom de famille", "Family name";
    father_name: "Nom du père", "Father's name";
    sex: "Sexe", "Sex";
    birth_date: "Date de naissance (AAAA, AAAA-MM ou AAAA-MM-JJ)", "Birth date (YYYY, YYYY-MM or YYYY-MM-DD)";
    estimated_age: "ou âge estimé", "or estimated age";
    relationship: "Lien avec le chef", "Relationship to head";
    phone: "Téléphone", "Phone";
    add_member: "Ajouter un membre", "Add a member";
    first_displacement: "Premier déplacement", "First displacement";
    displacement_date: "Date du déplacement", "Date of displacement";
    place_hint: "P-code ou nom, ex. ML0701 ou Gao", "P-code or name, e.g. ML0701 or Gao";
    save: "Enregistrer", "Save";
    cancel: "Annuler", "Cancel";
    form_has_errors: "Le formulaire contient des erreurs ; rien n'a été enregistré :", "The form has errors; nothing was saved:";
    expected_label: "attendu :", "expected:";
    saved: "Enregistré.", "Saved.";
    record_movement: "Enregistrer un mouvement", "Record a movement";
    whole_household: "Tout le ménage", "Whole household";
    person: "Personne", "Person";
    country: "Pays (code ISO3, pour un départ ou une arrivée)", "Country (ISO3 code, for a departure or arrival)";
    correct_record: "Corriger le ménage", "Correct the household";
    reason_required: "Motif de la correction (obligatoire)", "Reason for the correction (required)";
    nothing_changed: "Aucune modification.", "Nothing changed.";
    // Import
    import_title: "Importer des ménages", "Import households";
    import_help: "Fichier CSV ou XLSX (une ligne par personne ; en-têtes français, anglais ou Kobo). L'import est entièrement accepté ou entièrement refusé, et peut être répété sans créer de doublons.", "CSV or XLSX file (one row per person; French, English or Kobo headers). An import is accepted whole or refused whole, and can be repeated without creating duplicates.";
    choose_file: "Fichier", "File";
    preview: "Vérifier", "Check";
    confirm_import: "Confirmer l'import", "Confirm the import";
    download_template: "Télécharger le modèle", "Download the template";
    import_ok_preview: "Le fichier est valide. Confirmez pour l'importer.", "The file is valid. Confirm to import it.";
    import_errors: "Erreurs : rien n'a été importé.", "Errors: nothing was imported.";
    import_done: "Import terminé.", "Import finished.";
    import_running: "Import en cours…", "Import running…";
    import_gone: "Cet import n'existe pas ou plus.", "This import does not exist, or no longer.";
    file: "Fichier", "File";
    row: "Ligne", "Row";
    column: "Colonne", "Column";
    value: "Valeur", "Value";
    created: "créés", "created";
    updated: "mis à jour", "updated";
    unchanged: "inchangés", "unchanged";
    people: "personnes", "people";
    movements: "mouvements", "movements";
    // Figures
    figures_title: "Chiffres", "Figures";
    as_of: "Au", "As of";
    level: "Niveau", "Level";
    level_1: "Région", "Région";
    level_2: "Cercle", "Cercle";
    level_3: "Commune", "Commune";
    level_4: "Site", "Site";
    show: "Afficher", "Show";
    download: "Télécharger", "Download";
    female: "Femmes", "Female";
    male: "Hommes", "Male";
    total: "Total", "Total";
    age_band: "Tranche d'âge", "Age band";
    by_age: "Par sexe et âge", "By sex and age";
    top_places: "Principaux lieux", "Top places";
    without_displacement: "ménage(s) PDI enregistré(s) sans déplacement connu : hors effectif tant qu'un déplacement n'est pas enregistré.", "registered IDP household(s) with no displacement recorded: not counted until one is.";
    stale_note: "Les chiffres sont en cours de mise à jour après les derniers changements : ceux affichés les précèdent. Rechargez la page dans un moment.", "Figures are being updated after the latest changes: those shown come from before them. Reload the page in a moment.";
    disclosure_note: "• : masqué (contrôle de la divulgation statistique). Les effectifs de moins de cette valeur ne sont pas publiés, ni un second effectif qui permettrait de les retrouver ; les totaux marqués ≥ n'en comptent que la partie publiée :", "•: hidden (statistical disclosure control). Counts below this value are not published, nor a second count that would give them away; totals marked ≥ count only what is published:";
    map_level_note: "Carte disponible aux niveaux région et cercle.", "Map available at région and cercle level.";
    // Duplicates
    nav_duplicates: "Doublons", "Duplicates";
    merged_note: "doublon fusionné : compté avec l'enregistrement antérieur", "merged duplicate: counted with the earlier record";
    duplicates_title: "Doublons possibles", "Possible duplicates";
    duplicate_warning: "Ces personnes sont peut-être déjà enregistrées. Vérifiez avant d'enregistrer :", "These people may already be registered. Check before saving:";
    looks_like: "ressemble à", "looks like";
    likelihood: "probabilité", "likelihood";
    save_anyway: "Ce ne sont pas les mêmes personnes : enregistrer quand même", "They are not the same people: save anyway";
    save_anyway_note: "Les paires seront ajoutées à la file des doublons pour vérification.", "The pairs will be added to the duplicates queue for review.";
    pending: "À examiner", "To review";
    accepted: "Fusionnés", "Merged";
    rejected: "Personnes différentes", "Different people";
    same_person: "Même personne", "Same person";
    different_people: "Personnes différentes", "Different people";
    undo: "Annuler la décision", "Undo the decision";
    run_detection: "Rechercher les doublons dans tout le registre", "Find duplicates in the whole registry";
    run_done: "Recherche terminée :", "Search finished:";
    merged_count: "fusionnées (sûres)", "merged (sure)";
    queued_count: "à examiner", "to review";
    earlier_record: "Enregistrement antérieur (conservé)", "Earlier record (kept)";
    later_record: "Enregistrement ultérieur", "Later record";
    decided_by: "Décidé par", "Decided by";
    no_pairs: "Aucune paire.", "No pairs.";
    // Administration
    admin_title: "Administration", "Administration";
    users: "Utilisateurs", "Users";
    organisations: "Organisations", "Organisations";
    role: "Rôle", "Role";
    code: "Code", "Code";
    add_user: "Ajouter un utilisateur", "Add a user";
    add_organisation: "Ajouter une organisation", "Add an organisation";
    agreements: "Accords de partage", "Sharing agreements";
    tokens: "Jetons d'API", "API tokens";
    add_token: "Créer un jeton", "Create a token";
    token_secret: "Voici le jeton, affiché une seule fois : copiez-le maintenant.", "Here is the token, shown this once: copy it now.";
    days: "Durée (jours, 1 à 366)", "Life (days, 1 to 366)";
    scope: "Portée", "Scope";
    scope_read: "lecture seule", "read only";
    scope_write: "lecture et écriture", "read and write";
    expires: "Expire le", "Expires";
    last_used: "Dernière utilisation", "Last used";
    revoke: "Révoquer", "Revoke";
    revoked: "révoqué", "revoked";
    regions: "Régions (P-codes, ex. ML07,ML10 ; vide : toutes)", "Régions (P-codes, e.g. ML07,ML10; empty: all)";
    audit: "Journal d'audit", "Audit log";
    audit_ok: "Chaîne d'audit intacte", "Audit chain intact";
    audit_broken: "Chaîne d'audit rompue", "Audit chain broken";
    none: "aucune", "none";
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

/// Translates what a validation error expected. The domain words its expectations in English,
/// in a small set of shapes; French gets the same sentence, codes and values left as they are.
pub fn expected(lang: Lang, text: &str) -> String {
    if lang == Lang::En {
        return text.to_string();
    }
    const EXACT: &[(&str, &str)] = &[
        ("a name as recorded", "un nom tel qu'il a été donné"),
        ("a full date YYYY-MM-DD", "une date complète AAAA-MM-JJ"),
        ("a date as YYYY-MM-DD", "une date AAAA-MM-JJ"),
        (domain::dates::DATE_EXPECTED, "une date AAAA-MM-JJ, AAAA-MM ou AAAA (JJ/MM/AAAA accepté aussi)"),
        ("a date from 1900 on", "une date à partir de 1900"),
        ("an age in whole years from 0 to 120", "un âge en années entières, de 0 à 120"),
        ("digits, spaces, + or -, at most 20", "des chiffres, espaces, + ou -, 20 au plus"),
        ("at most one member with relationship head", "au plus un membre ayant le lien « chef de ménage »"),
        ("another relationship: the household has a head", "un autre lien : le ménage a déjà un chef"),
        ("documents not also listed as held", "des documents qui ne sont pas aussi déclarés détenus"),
        ("a P-code of the current gazetteer", "un P-code du répertoire géographique en vigueur"),
        ("a text of 1 to 1000 characters", "un texte de 1 à 1000 caractères"),
        ("a text of 1 to 300 characters", "un texte de 1 à 300 caractères"),
        ("a text of at most 500 characters", "un texte de 500 caractères au plus"),
        ("why the record changes, 1 to 500 characters", "le motif de la modification, de 1 à 500 caractères"),
        ("the organisation's name, 1 to 200 characters", "le nom de l'organisation, de 1 à 200 caractères"),
        (
            "an organisation code (your account belongs to none)",
            "un code d'organisation (votre compte n'appartient à aucune)",
        ),
        (
            "an organisation: a registrar registers for one",
            "une organisation : un agent d'enregistrement enregistre pour l'une d'elles",
        ),
        ("another organisation than from", "une autre organisation que celle d'origine"),
        ("the code of an existing organisation", "le code d'une organisation existante"),
        (
            "the code of an existing organisation (djoliba org add)",
            "le code d'une organisation existante (djoliba org add)",
        ),
        ("the id of a member of this household", "l'identifiant d'un membre de ce ménage"),
        ("the id or external_id of a member of this household", "l'identifiant d'un membre de ce ménage"),
        (
            "an identifier not used by another member of the household",
            "un identifiant qu'aucun autre membre du ménage n'utilise",
        ),
        ("the movement is already voided", "le mouvement est déjà annulé"),
        ("none, aggregates, pseudonymised or full", "none, aggregates, pseudonymised ou full"),
        (
            "an ISO 3166-1 alpha-3 code of a country other than Mali, e.g. BFA, NER, MRT",
            "le code ISO 3166-1 alpha-3 d'un pays autre que le Mali, p. ex. BFA, NER, MRT",
        ),
        (
            "a password of at least 10 characters that is not common or easy to guess (a few unrelated words work well)",
            "un mot de passe d'au moins 10 caractères, ni courant ni facile à deviner (quelques mots sans rapport entre eux conviennent)",
        ),
        ("your current password", "votre mot de passe actuel"),
        ("a new password, not the current one", "un nouveau mot de passe, différent de l'actuel"),
        ("the same new password twice", "deux fois le même nouveau mot de passe"),
        (
            "a household number free in your organisation: this one is used by a household outside your régions",
            "un numéro de ménage libre dans votre organisation : celui-ci est utilisé par un ménage hors de vos régions",
        ),
        ("a value", "une valeur"),
    ];
    if let Some((_, fr)) = EXACT.iter().find(|(en, _)| *en == text) {
        return fr.to_string();
    }
    const PREFIXES: &[(&str, &str)] = &[
        ("one of ", "l'une des valeurs "),
        ("an identifier of 1 to ", "un identifiant de 1 à "),
        ("a name of at most ", "un nom d'au plus "),
        ("a population group code: ", "un code de groupe de population : "),
        ("a date not after today ", "une date qui n'est pas postérieure à aujourd'hui "),
        ("a date on or after ", "une date égale ou postérieure à "),
        ("a date as ", "une date "),
        ("a consistent chronology: ", "une chronologie cohérente : "),
        ("the P-code where the ", "le P-code où a mené l'événement : "),
        ("the cause of the ", "la cause de l'événement : "),
        ("the member concerned: ", "le membre concerné : "),
        ("the member's external_id: ", "l'identifiant du membre : "),
        ("a place in your régions (", "un lieu de vos régions ("),
        ("one column ", "une seule colonne "),
        ("a P-code of the COD-AB 2021-12-20 gazetteer", "un P-code du répertoire COD-AB du 2021-12-20"),
        ("an admin level", "un niveau administratif"),
        ("a level: ", "un niveau : "),
        ("a P-code", "un P-code"),
        ("a date", "une date"),
    ];
    for (en, fr) in PREFIXES {
        if let Some(rest) = text.strip_prefix(en) {
            let rest = [
                (" characters", " caractères"),
                ("; there is no unit ", " ; il n'existe pas d'unité "),
                (" under ", " dans "),
                (" is the retired 2015 code of ", " est l'ancien code 2015 de "),
                (": use ", " : utilisez "),
                (" and ", " et "),
                (" characters, without control characters", " caractères, sans caractères de contrôle"),
                (" concerns one person", " concerne une seule personne"),
                ("1 (région), 2 (cercle) or 3 (commune)", "1 (région), 2 (cercle) ou 3 (commune)"),
                ("3 (commune) or 4 (site)", "3 (commune) ou 4 (site)"),
                ("): the household would leave your sight", ") : le ménage sortirait de votre vue"),
                (": columns ", " : les colonnes "),
                (
                    " both read as it; remove or rename one",
                    " se lisent toutes deux ainsi ; supprimez ou renommez l'une d'elles",
                ),
            ]
            .iter()
            .fold(rest.to_string(), |text, (en, fr)| text.replace(en, fr));
            return format!("{fr}{rest}");
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::codes::*;

    #[test]
    fn the_new_security_messages_read_in_french() {
        for (en, fr) in [
            ("a place in your régions (ML07): the household would leave your sight", "un lieu de vos régions (ML07) : le ménage sortirait de votre vue"),
            ("your current password", "votre mot de passe actuel"),
            (
                "one column registration_date: columns C and E both read as it; remove or rename one",
                "une seule colonne registration_date : les colonnes C et E se lisent toutes deux ainsi ; supprimez ou renommez l'une d'elles",
            ),
        ] {
            assert_eq!(expected(Lang::Fr, en), fr);
        }
    }

    #[test]
    fn every_code_has_a_label_in_both_languages() {
        let mut codes: Vec<&str> = Vec::new();
        codes.extend(Sex::ALL.iter().map(|c| c.as_str()));
        codes.extend(Intention::ALL.iter().map(|c| c.as_str()));
        codes.extend(ShelterType::ALL.iter().map(|c| c.as_str()));
        codes.extend(Relationship::ALL.iter().map(|c| c.as_str()));
        codes.extend(Document::ALL.iter().map(|c| c.as_str()));
        codes.extend(SpecificNeed::ALL.iter().map(|c| c.as_str()));
        codes.extend(MovementKind::ALL.iter().map(|c| c.as_str()));
        codes.extend(Cause::ALL.iter().map(|c| c.as_str()));
        codes.extend(Status::ALL.iter().map(|c| c.as_str()));
        codes.extend(Role::ALL.iter().map(|c| c.as_str()));
        codes.extend(["solution", "registration", "IDP", "RDP", "REF", "RET", "HST"]);
        for code in codes {
            let (fr, en) = (code_label(Lang::Fr, code), code_label(Lang::En, code));
            assert_ne!(fr, code, "{code} has no French label");
            assert_ne!(en, code, "{code} has no English label");
        }
    }

    #[test]
    fn code_list_expectations_are_translated() {
        let error = Sex::parse("sex", "x").unwrap_err();
        assert_eq!(expected(Lang::Fr, &error.expected), "l'une des valeurs f, m");
        assert_eq!(expected(Lang::En, &error.expected), "one of f, m");
    }

    #[test]
    fn browser_preference_picks_the_language() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(axum::http::header::ACCEPT_LANGUAGE, value.parse().unwrap());
            Lang::from_headers(&headers)
        };
        assert_eq!(with("fr-ML,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(with("en-GB,en;q=0.9,fr;q=0.5"), Lang::En);
        assert_eq!(with("de-DE,en;q=0.5,fr;q=0.7"), Lang::Fr);
        assert_eq!(with("de-DE"), Lang::Fr);
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::Fr);
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::ACCEPT_LANGUAGE, "fr".parse().unwrap());
        headers.insert(axum::http::header::COOKIE, "djoliba_lang=en".parse().unwrap());
        assert_eq!(Lang::from_headers(&headers), Lang::En);
    }
}
