//! French and English for the web pages. Every message exists in both languages because the
//! catalogue is one macro invocation: a message without its translation does not compile.
//! Messages about input and actions (`domain::Message`) and code labels (`code_label`) come
//! from the domain's catalogue, which has the same rule.

use axum::http::HeaderMap;

pub use domain::messages::{code_label, Lang};

pub const LANG_COOKIE: &str = "djoliba_lang";

/// The language cookie wins; then the browser's preference (the first of French or English
/// in `Accept-Language` order of quality); French otherwise, the operation's language.
pub fn lang_from_headers(headers: &HeaderMap) -> Lang {
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

/// The words of the interface in `lang`.
pub fn words(lang: Lang) -> &'static Messages {
    match lang {
        Lang::Fr => &FR,
        Lang::En => &EN,
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
    invalid_title: "Saisie à corriger", "Input to correct";
    conflict_title: "Conflit", "Conflict";
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
    yes: "oui", "yes";
    no: "non", "no";
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
    estimated_age_field: "Âge estimé", "Estimated age";
    relationship: "Lien avec le chef", "Relationship to head";
    phone: "Téléphone", "Phone";
    identifier_kind: "Pièce (type)", "Document (kind)";
    identifier_number: "Numéro de la pièce", "Document number";
    identifiers: "Numéros de pièces", "Document numbers";
    add_member: "Ajouter un membre", "Add a member";
    first_displacement: "Premier déplacement", "First displacement";
    displacement_date: "Date du déplacement", "Date of displacement";
    place_hint: "P-code ou nom, ex. ML0701 ou Gao", "P-code or name, e.g. ML0701 or Gao";
    date_hint: "AAAA-MM-JJ", "YYYY-MM-DD";
    save: "Enregistrer", "Save";
    change: "Modifier", "Change";
    change_indicator: "Modifier l'indicateur", "Change the indicator";
    indicator_rules_note: "L'unité et la façon d'additionner les valeurs ne changent plus une fois qu'un partenaire a rapporté l'indicateur : créez-en alors un nouveau.", "The unit and how values add up no longer change once a partner has reported the indicator: add a new one instead.";
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
    quarter_short: "T", "Q";
    place_not_recorded: "Lieu non renseigné", "Place not recorded";
    previous_quarter: "Trimestre précédent", "Previous quarter";
    next_quarter: "Trimestre suivant", "Next quarter";
    level_3: "Commune", "Commune";
    level_4: "Site", "Site";
    show: "Afficher", "Show";
    from_date: "Du", "From";
    to_date: "Au", "To";
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
    reach_disclosure_note: "• : masqué (contrôle de la divulgation statistique) : un effectif de moins de personnes ou de ménages que ce seuil n'est pas publié, ni ceux qui permettraient de le retrouver par soustraction ; seuil :", "•: hidden (statistical disclosure control): a count of fewer people or households than this threshold is not published, nor those that would give it away by subtraction; threshold:";
    map_level_note: "Carte disponible aux niveaux région et cercle.", "Map available at région and cercle level.";
    // Duplicates
    nav_duplicates: "Doublons", "Duplicates";
    nav_assistance: "Assistance", "Assistance";
    assistance_title: "Assistance", "Assistance";
    programmes: "Programmes", "Programmes";
    no_programmes: "Aucun programme pour l'instant.", "No programme yet.";
    new_programme: "Nouveau programme", "New programme";
    programme: "Programme", "Programme";
    code: "Code", "Code";
    sector: "Secteur", "Sector";
    assistance_kind: "Type d'assistance", "Kind of assistance";
    target_unit: "Assiste", "Assists";
    start_date: "Début", "Start";
    end_date: "Fin", "End";
    places_field: "Lieux (codes P séparés par des virgules)", "Places (P-codes, separated by commas)";
    donor: "Bailleur", "Donor";
    project: "Projet", "Project";
    eligibility: "Critères d'éligibilité", "Eligibility";
    entitlement: "Droit par distribution", "Entitlement per round";
    amount: "Montant ou quantité", "Amount or quantity";
    unit: "Unité", "Unit";
    per: "Par", "Per";
    cap_per_household: "Plafond de personnes par ménage", "Most people counted per household";
    create: "Créer", "Create";
    rounds: "Distributions", "Distribution rounds";
    no_rounds: "Aucune distribution pour l'instant.", "No round yet.";
    new_round: "Nouvelle distribution", "New round";
    planned: "Prévus", "Planned";
    reached_col: "Atteints", "Reached";
    entitled: "Droit", "Entitled";
    delivered_col: "Remis", "Delivered";
    move_to: "Passer au stade", "Move to";
    plan_title: "Planifier à partir du registre", "Plan from the registry";
    plan_hint: "Les ménages de l'organisation du programme, dans votre périmètre, qui remplissent toutes les conditions données ; une personne déjà assistée de la même façon sur la période n'est pas prévue deux fois.", "Households of the programme's organisation, within your scope, meeting every condition given; a person already assisted the same way over the period is not planned twice.";
    min_members: "Membres au moins", "At least this many members";
    min_age: "Âge minimum (ans)", "Minimum age (years)";
    max_age: "Âge maximum (ans)", "Maximum age (years)";
    displaced_from: "Déplacés depuis le", "Displaced since";
    household_list: "Ou une liste de numéros de ménage (un par ligne)", "Or a list of household numbers (one per line)";
    plan: "Planifier", "Plan";
    plan_result: "Planification :", "Planning:";
    planned_now: "droit(s) ajouté(s)", "entitlement(s) added";
    already_planned: "déjà prévu(s)", "already planned";
    overridden_count: "prévu(s) malgré un autre droit, avec motif", "planned despite another entitlement, with a reason";
    conflicts_title: "Ménages non prévus : déjà assistés", "Households not planned: already assisted";
    members_already: "Membres concernés", "Members concerned";
    existing_entitlement: "Droit existant", "Existing entitlement";
    override_reason: "Motif pour prévoir quand même", "Reason to plan it anyway";
    plan_with_reasons: "Prévoir ceux qui ont un motif", "Plan those with a reason";
    distribution_title: "Jour de distribution", "Distribution day";
    find_household: "Numéro de ménage ou nom", "Household number or name";
    find: "Chercher", "Find";
    nobody_found: "Aucun ménage prévu ne correspond.", "No planned household matches.";
    remaining: "Reste", "Remaining";
    modality: "Modalité", "Modality";
    outcome: "Résultat", "Outcome";
    reference: "Référence (reçu, transaction)", "Reference (receipt, transaction)";
    mark_delivered: "Marquer remis", "Mark delivered";
    delivery_saved: "Remise enregistrée.", "Delivery recorded.";
    reach_title: "Personnes atteintes", "People reached";
    reach_note: "Chaque personne comptée une fois, quel que soit le nombre de programmes qui l'ont assistée.", "Each person counted once, whatever the number of programmes that assisted them.";
    people_reached: "personne(s)", "people";
    households_reached: "ménage(s)", "household(s)";
    deliveries: "remise(s)", "deliveries";
    women: "Femmes", "Women";
    men: "Hommes", "Men";
    quantity: "Quantité", "Quantity";
    no_reach: "Aucune remise sur la période.", "No delivery over the period.";
    round_counts_hidden: "Les effectifs des distributions ne sont pas montrés aux lecteurs d'agrégats.", "Round counts are not shown to aggregate readers.";
    distribution_list: "Liste de distribution", "Distribution list";
    lines: "ligne(s)", "line(s)";
    head_or_member: "Chef de ménage (ou membre)", "Head of household (or member)";
    signature: "Signature ou empreinte", "Signature or thumbprint";
    list_foot: "Liste de Djoliba : chaque ligne est un droit ; la quantité remise, la date et la signature se notent à la main, puis la liste Excel complétée s'importe sur la page du tour.", "A Djoliba list: each line is an entitlement; quantity, date and signature are written by hand, then the completed Excel list is imported on the round's page.";
    lists_title: "Listes", "Lists";
    list_xlsx: "Liste de distribution (Excel)", "Distribution list (Excel)";
    list_print: "Liste à imprimer", "List to print";
    payments_csv: "Fichier de paiement argent mobile (CSV)", "Mobile-money payment file (CSV)";
    returned_list: "Liste complétée", "Completed list";
    check_only: "Vérifier seulement", "Check only";
    import_list: "Importer la liste", "Import the list";
    returns_refused: "Rien n'a été enregistré : corrigez ces lignes, puis importez à nouveau la liste entière.", "Nothing was recorded: correct these rows, then import the whole list again.";
    returns_checked: "Vérifiée, rien enregistré :", "Checked, nothing recorded:";
    returns_done: "Liste importée :", "List imported:";
    deliveries_recorded: "remise(s) enregistrée(s)", "delivery(ies) recorded";
    already_recorded: "déjà enregistrée(s)", "already recorded";
    left_blank: "ligne(s) vide(s)", "blank line(s)";
    monitoring_title: "Suivi post-distribution", "Post-distribution monitoring";
    monitoring_hint: "Un échantillon des ménages qui ont reçu, à appeler ou visiter : ont-ils reçu, combien, avec quels problèmes ? À interroger dans l'ordre du tirage.", "A sample of the households who received, to call or visit: did they receive it, how much, with what issues? Ask them in the order of the draw.";
    sample_method: "Tirage", "Draw";
    sample_size: "Taille (aléatoire)", "Size (random)";
    sample_size_hint: "vide : assez pour ±5 points à 95 %", "blank: enough for ±5 points at 95%";
    draw_sample: "Tirer un échantillon", "Draw a sample";
    samples: "Échantillons", "Samples";
    drawn_on: "Tiré le", "Drawn on";
    drawn: "Tirés", "Drawn";
    asked: "Interrogés", "Asked";
    received_share: "Disent avoir reçu", "Say they received";
    reported_less: "Déclarent moins", "Report less";
    no_samples: "Aucun échantillon tiré.", "No sample drawn.";
    sample_title: "Échantillon de suivi", "Monitoring sample";
    position: "N°", "No.";
    answer: "Réponse", "Answer";
    amount_reported: "Montant déclaré", "Amount reported";
    issue: "Problème", "Issue";
    asked_on: "Interrogé le", "Asked on";
    save_answer: "Enregistrer", "Save";
    answer_saved: "Réponse enregistrée.", "Answer recorded.";
    not_asked: "pas encore interrogé", "not asked yet";
    of_population: "sur", "of";
    who_received: "ayant reçu", "who received";
    follow_ups_title: "À suivre", "Follow-ups";
    more_conflicts: "autres ménages déjà assistés ne sont pas montrés ici : pour en prévoir malgré tout, planifiez-les par une liste avec un motif (API).", "more households already assisted are not shown here: to plan some anyway, plan them from a list with a reason (API).";
    more_follow_ups: "autres ménages à suivre ne sont pas montrés ici ; la liste entière :", "more households to follow up are not shown here; the whole list:";
    nav_plans: "Plans", "Plans";
    plans_title: "Plans de réponse", "Response plans";
    plans_intro: "Un plan (plan de réponse humanitaire, appel d'une agence) a des secteurs et des indicateurs ; ses cibles et personnes dans le besoin, par lieu et période, se comparent à ce que Djoliba compte : les personnes atteintes par les remises (chacune une fois) et les personnes déplacées du registre.", "A plan (humanitarian response plan, an agency's appeal) has sectors and indicators; its targets and people in need, by place and period, are set beside what Djoliba counts: people reached by deliveries (each once) and the displaced people in the registry.";
    no_plans: "Aucun plan pour l'instant.", "No plan yet.";
    new_plan: "Nouveau plan", "New plan";
    disaggregations_h: "Ventilations", "Disaggregations";
    import_sheet: "Importer la feuille", "Import the sheet";
    reports_title: "Rapports mensuels des partenaires", "Partners' monthly reports";
    reports_hint: "Une organisation qui n'enregistre pas ses bénéficiaires ici déclare chaque mois, une fois le mois terminé, la valeur d'un indicateur à une région ou un cercle ; le coordinateur l'accepte (elle est alors verrouillée) ou la renvoie avec un commentaire. Seuls les rapports acceptés comptent comme « déclarés ».", "An organisation that does not register its beneficiaries here reports each month, once the month is over, an indicator's value at a région or cercle; the coordinator accepts it (it is then locked) or sends it back with a comment. Only accepted reports count as “reported”.";
    no_reports: "Aucun rapport pour l'instant.", "No report yet.";
    new_report: "Déclarer un mois", "Report a month";
    month: "Mois (AAAA-MM)", "Month (YYYY-MM)";
    report_value: "Valeur", "Value";
    women_count: "dont femmes", "of whom women";
    men_count: "dont hommes", "of whom men";
    submit_report: "Soumettre", "Submit";
    accept: "Accepter", "Accept";
    send_back: "Renvoyer", "Send back";
    review_comment: "Commentaire (pour renvoyer)", "Comment (to send back)";
    reported_h: "Déclarés (partenaires)", "Reported (partners)";
    report_submitted: "Rapport soumis : le coordinateur l'acceptera ou le renverra.", "Report submitted: the coordinator will accept or send it back.";
    plan_sectors: "Secteurs (codes, séparés par des virgules)", "Sectors (codes, comma-separated)";
    indicators_title: "Indicateurs", "Indicators";
    no_indicators: "Aucun indicateur pour l'instant.", "No indicator yet.";
    new_indicator: "Nouvel indicateur", "New indicator";
    indicator: "Indicateur", "Indicator";
    name_fr: "Nom en français", "Name in French";
    name_en: "Nom en anglais", "Name in English";
    across_periods: "Cumul sur les périodes", "Across periods";
    across_places: "Cumul sur les lieux", "Across places";
    disaggregations_field: "Ventilations (sexe, age, population_group)", "Disaggregations (sex, age, population_group)";
    counted_kinds: "Types d'assistance comptés (codes, séparés par des virgules)", "Kinds of assistance counted (codes, comma-separated)";
    counted_from: "Compté à partir des remises", "Counted from deliveries";
    reported_by_partners: "déclaré par les partenaires", "reported by partners";
    progress_title: "Cibles et atteints", "Targets and reached";
    progress_note: "Atteints : personnes (ou ménages) distinctes ayant reçu une remise des types d'assistance de l'indicateur sur la période, au lieu de la cible ; la ligne « Ensemble » compte partout, chacune une fois. Déplacés : le stock du registre au lieu à la fin de la période.", "Reached: distinct people (or households) who received a delivery of the indicator's kinds of assistance over the period, at the target's place; the “Whole plan” row counts everywhere, each once. Displaced: the registry's stock at the place at the period's end.";
    progress_disclosure: "Pour votre rôle, les atteints ne sont publiés que pour l'ensemble du plan, et masqués (•) sous", "For your role, reached is published for the whole plan only, and hidden (•) below";
    whole_plan: "Ensemble du plan", "Whole plan";
    nav_4w: "4W", "4W";
    nav_funding: "Financement", "Funding";
    nav_series: "Séries publiées", "Published series";
    series_title: "Séries publiées et registre", "Published series and the registry";
    series_note: "Chiffres publiés par d'autres (DTM, Commission des mouvements de populations, HCR, IDMC), gardés avec leur source, leur méthode et leur date, à côté du stock du registre. Une année ou un mois désigne son dernier jour.", "Figures published by others (DTM, the population movement commission, UNHCR, IDMC), kept with their source, method and date, beside the registry's stock. A year or a month means its last day.";
    comparison_title: "Comparaison", "Comparison";
    concern_title: "Population concernée, Mali", "Population of concern, Mali";
    published_figures: "Chiffres publiés", "Published figures";
    map_idp_registry: "PDI du stock IRIS dont le dernier mouvement n'est pas un retour (déplacées, à nouveau déplacées, en visite pendulaire)", "IDPs in the IRIS stock whose last movement is not a return (displaced, displaced again, on a pendular visit)";
    map_idp_published: "PDI (DTM, Commission des mouvements de populations, IDMC, HCR), PDI retournées exclues", "IDPs (DTM, the population movement commission, IDMC, UNHCR), returned IDPs excluded";
    map_rdp_registry: "PDI revenues sans décision de solution : encore dans le stock IRIS", "IDPs who returned, without a solutions decision yet: still in the IRIS stock";
    map_rdp_published: "PDI retournées (DTM, HCR)", "IDP returnees (DTM, UNHCR)";
    map_ref_registry: "Ménages enregistrés comme réfugiés, jusqu'au départ ou au décès", "Households registered as refugees, until departure or death";
    map_ref_published: "Réfugiés (HCR)", "Refugees (UNHCR)";
    map_asy_registry: "Ménages enregistrés comme demandeurs d'asile", "Households registered as asylum seekers";
    map_asy_published: "Demandeurs d'asile (HCR)", "Asylum seekers (UNHCR)";
    map_ret_registry: "Ménages enregistrés comme réfugiés rapatriés", "Households registered as returned refugees";
    map_ret_published: "Rapatriés : réfugiés revenus au pays (HCR)", "Returnees: refugees back in the country (UNHCR)";
    map_ooc_registry: "Ménages enregistrés comme autres personnes relevant du mandat", "Households registered as others of concern";
    map_ooc_published: "Autres personnes relevant du mandat (HCR)", "Others of concern (UNHCR)";
    concern_mapping: "Catégories du registre (IRIS) et catégories publiées", "The registry's categories (IRIS) and the published ones";
    comparison_note: "Par série, la dernière collecte (round) à cette date ou avant. Comme les séries publiées, les PDI comptent à part les PDI retournées (groupe « PDI retournées »), qui restent dans le stock IRIS jusqu'à une décision de solution. « Non couvert » : le registre n'a personne de ce groupe à cet endroit, ce qui n'est pas une couverture de 0.", "Per series, its latest round on or before the date. As published series do, IDPs exclude returned IDPs (group “Returned IDPs”), who stay in the IRIS stock until a solutions decision. “Not covered”: the registry has nobody of the group there, which is not a coverage of 0.";
    no_comparison: "Ni le registre ni aucune série n'a de chiffre pour ce groupe à cette date.", "Neither the registry nor any series has a figure for this group at this date.";
    level_country: "Mali", "Mali";
    registered_h: "Registre", "Registry";
    figure_date: "Date du chiffre", "Date of the figure";
    coverage: "Couverture", "Coverage";
    stale_figure: "plus d'un an avant la date", "over a year before the date";
    not_covered: "non couvert", "not covered";
    coarser_left_out: "chiffre(s) donné(s) pour des lieux plus larges que ce niveau, laissé(s) hors de ce tableau", "figure(s) given for places coarser than this level, left out of this table";
    round_short: "round", "round";
    series_list: "Séries importées", "Imported series";
    no_series: "Aucune série importée.", "No series imported.";
    method: "Méthode", "Method";
    figures_count: "Chiffres", "Figures";
    rows_unmatched: "ligne(s) aux lieux non reconnus", "row(s) with unmatched places";
    people_in_them: "personnes", "people";
    import_series: "Importer une série (CSV ou XLSX avec hashtags HXL)", "Import a series (CSV or XLSX with HXL hashtags)";
    series_refused: "Rien n'a été enregistré : corrigez ces cellules (ou cochez « laisser de côté les lieux non reconnus », qui seront comptés).", "Nothing was stored: correct these cells (or tick “leave out unmatched places”, which are then counted).";
    series_date: "Date des chiffres, si le fichier n'a pas de colonne #date (2023, 2024-03, 31/03/2024)", "Date of the figures, when the file has no #date column (2023, 2024-03, 31/03/2024)";
    published_on: "Publiée le", "Published on";
    skip_unmatched: "Laisser de côté les lieux non reconnus (ils sont comptés)", "Leave out unmatched places (they are counted)";
    replace_series: "Remplacer la série de ce nom (nouvelle version, l'ancienne est gardée)", "Replace the series of this name (a new version; the previous one is kept)";
    accept_unknown_tags: "Laisser de côté les colonnes aux hashtags inconnus", "Leave out columns with unknown hashtags";
    series_import_hint: "Colonnes trouvées par leurs hashtags : #country ou #adm1/#adm2/#adm3 (+code ou +name ; les régions de 2023 dont la composition est sourcée sont reconnues), #date, #round, #affected+idps+ind, +hh, +f, +m. Le même fichier deux fois est refusé.", "Columns found by their hashtags: #country or #adm1/#adm2/#adm3 (+code or +name; 2023 régions with a sourced composition are recognised), #date, #round, #affected+idps+ind, +hh, +f, +m. The same file twice is refused.";
    series_stored: "Série enregistrée :", "Series stored:";
    column_left_out: "Colonne laissée de côté (hashtag hors du vocabulaire HXL) :", "Column left out (hashtag outside the HXL vocabulary):";
    versions: "Versions", "Versions";
    columns_left_out: "Colonnes laissées de côté", "Columns left out";
    current_version: "en vigueur", "current";
    place_as_given: "Lieu tel qu'écrit", "Place as written";
    date_as_given: "Date telle qu'écrite", "Date as written";
    counted_on: "Compté au", "Counted on";
    remove_series: "Retirer cette série", "Remove this series";
    remove_series_hint: "Elle ne compte plus dans aucune comparaison ; ses versions restent pour l'audit, et un nouvel import sous ce nom la rétablit.", "It no longer counts in any comparison; its versions stay for the audit, and a new import under its name brings it back.";
    date_placeholder: "AAAA-MM-JJ", "YYYY-MM-DD";

    who_what_where_title: "Qui fait quoi, où (4W)", "Who does what where (4W)";
    who_what_where_note: "Organisation × secteur × activité × lieu × mois × groupe de population. « Compté dans Djoliba » : personnes distinctes atteintes par les remises (ciblés : personnes des distributions qui commencent ce mois, au lieu de leur ménage) ; « Rapport mensuel accepté » et « Feuille 3W/5W importée » : ce que les partenaires déclarent. Chaque ligne dit d'où vient son chiffre ; on ne les additionne pas.", "Organisation × sector × activity × place × month × population group. “Counted in Djoliba”: distinct people reached by deliveries (targeted: people of the rounds starting that month, at their household's place); “Accepted monthly report” and “Imported 3W/5W sheet”: what partners report. Each row says where its figure comes from; they are not added up.";
    who_disclosure_note: "Pour votre rôle, les lignes comptées dans Djoliba couvrent le trimestre entier, comme la page Assistance, et les petits nombres sont masqués (•) sous", "For your role, rows counted in Djoliba cover the whole quarter, as the Assistance page does, and small counts are hidden (•) below";
    no_activities: "Rien sur cette période.", "Nothing over this period.";
    activity: "Activité", "Activity";
    figure_source: "Source du chiffre", "Source of the figure";
    presence_title: "Qui est où", "Who is where";
    presence_map_desc: "Nombre d'organisations présentes par lieu sur la période", "Number of organisations present per place over the period";
    organisations_count: "Organisations", "Organisations";
    import_4w: "Importer une feuille 3W/5W (HXL)", "Import a 3W/5W sheet (HXL)";
    sheet_file: "Feuille (CSV ou XLSX)", "Sheet (CSV or XLSX)";
    who_import_hint: "Étiquettes HXL : #org, #sector, #activity, #adm1+code ou #adm2+code, #date (le mois), #beneficiary (groupe, facultatif), #targeted, #reached+ind avec +f et +m. Tout ou rien ; la même feuille une seconde fois ne change rien. L'export CSV ci-dessus se réimporte tel quel.", "HXL hashtags: #org, #sector, #activity, #adm1+code or #adm2+code, #date (the month), #beneficiary (group, optional), #targeted, #reached+ind with +f and +m. All or nothing; the same sheet a second time changes nothing. The CSV export above imports back as it is.";
    funding_title: "Financement", "Funding";
    funding_note: "Reçu : engagements et versements (un versement qui honore un engagement enregistré en fait partie) ; les annonces ne comptent pas tant qu'elles ne sont pas engagées. Montants en dollars américains au taux enregistré avec chaque flux.", "Received: commitments and payments (a payment of a recorded commitment is part of it); pledges do not count until committed. Amounts in US dollars at the rate recorded with each flow.";
    year: "Année", "Year";
    all_years: "Toutes les années", "All years";
    funding_by_plan: "Demandé, reçu et % financé par plan et par secteur", "Requested, received and % funded by plan and sector";
    no_funding: "Aucun besoin ni flux de financement pour l'instant : importez une feuille FTS.", "No requirement or funding flow yet: import an FTS sheet.";
    requested: "Demandé", "Requested";
    received: "Reçu", "Received";
    funding_gap: "Manque", "Gap";
    paid_so_far: "Versé :", "Paid:";
    pledges: "annonces :", "pledges:";
    percent_funded: "% financé", "% funded";
    overlap_note: "* Des fonds affectés à plusieurs secteurs sans parts sont comptés en entier sous chacun (comme FTS) : les lignes des secteurs dépassent alors le total du plan.", "* Money tagged to several sectors without shares is counted in full under each (as FTS does): sector rows then add up to more than the plan.";
    outside_plans: "Fonds hors de tout plan :", "Money outside any plan:";
    not_specified: "Non spécifié", "Not specified";
    cost_title: "Coût par personne atteinte", "Cost per person reached";
    cost_note: "Fonds engagés ou versés au secteur dans la région, divisés par les personnes distinctes que les remises du secteur y ont atteintes dans l'année. Un flux affecté à plusieurs secteurs ou régions est partagé à parts égales (ou selon ses parts) : l'argent ne se dépense qu'une fois. L'argent qui ne nomme aucune région est montré à part, jamais caché.", "Money committed or paid to the sector in the région, divided by the distinct people the sector's deliveries reached there in the year. A flow tagged to several sectors or régions is split evenly (or by its shares): money is spent once. Money that names no région is shown apart, never hidden.";
    cost_disclosure: "Pour votre rôle, les personnes atteintes et le coût par personne sont masqués (•) sous", "For your role, people reached and the cost per person are hidden (•) below";
    no_cost: "Aucun fonds attribué à une région.", "No money attributed to a région.";
    region: "Région", "Région";
    attributed_money: "Fonds attribués", "Money attributed";
    people_reached_h: "Personnes atteintes", "People reached";
    cost_per_person: "Coût par personne", "Cost per person";
    sector_money: "Fonds du secteur", "Sector's money";
    unattributed_money: "Sans région", "Without a région";
    unattributed_share: "Part sans région", "Share without a région";
    budget_chart_title: "Budget et dépenses par année", "Budget and expenditure by year";
    budget_chart_desc: "Budget et dépenses de chaque organisation par année, tous piliers et secteurs", "Each organisation's budget and expenditure by year, all pillars and sectors";
    budget: "Budget", "Budget";
    expenditure: "Dépenses", "Expenditure";
    budget_line: "Pilier ou secteur", "Pillar or sector";
    no_budgets: "Aucun budget importé.", "No budget imported.";
    projects_title: "Projets", "Projects";
    no_projects: "Aucun projet importé.", "No project imported.";
    plan_noun: "Plan", "Plan";
    planned_beneficiaries: "Bénéficiaires prévus", "Planned beneficiaries";
    programmes_h: "Programmes", "Programmes";
    import_funding: "Importer une feuille de financement (HXL)", "Import a funding sheet (HXL)";
    funding_import_hint: "Flux au format FTS/HDX (#org+name+funder, #status+text, #value+funding+total+usd ou #value+funding+total avec +currency et #financial+fx, #activity+appeal+id+external, #sector+cluster+name+list, facultatifs : #sector+cluster+pct+list, #adm1+code+list, #activity+id+parent), besoins (#value+funding+required+usd), budgets (#value+budget+usd, #value+expenditure+usd, #sector+pillar) ou projets (#activity+project+code). Tout ou rien ; la même feuille une seconde fois ne change rien.", "Flows as FTS/HDX publish them (#org+name+funder, #status+text, #value+funding+total+usd or #value+funding+total with +currency and #financial+fx, #activity+appeal+id+external, #sector+cluster+name+list, optional: #sector+cluster+pct+list, #adm1+code+list, #activity+id+parent), requirements (#value+funding+required+usd), budgets (#value+budget+usd, #value+expenditure+usd, #sector+pillar) or projects (#activity+project+code). All or nothing; the same sheet a second time changes nothing.";
    sheet_kind: "Feuille lue comme", "Sheet read as";
    labels_not_specified: "Secteurs hors de la liste, comptés comme « non spécifié » :", "Sectors outside the code list, counted as “not specified”:";
    lines_without_amount: "ligne(s) sans montant demandé laissée(s) de côté (lignes de financement seul de FTS)", "line(s) without an amount required left out (FTS funding-only lines)";
    in_need: "Dans le besoin", "In need";
    targeted: "Ciblés", "Targeted";
    reached_h: "Atteints", "Reached";
    share_of_target: "% de la cible", "% of target";
    displaced_registry: "Déplacés (registre)", "Displaced (registry)";
    registry_above_need: "Le registre compte plus de personnes déplacées que de personnes dans le besoin", "The registry counts more displaced people than people in need";
    no_targets: "Aucune cible pour l'instant : importez une feuille HXL.", "No target yet: import an HXL sheet.";
    import_targets: "Importer des cibles (HXL)", "Import targets (HXL)";
    enter_target: "Ou saisir une cible", "Or enter one target";
    save_target: "Enregistrer la cible", "Save the target";
    target_saved: "Cible enregistrée.", "Target saved.";
    targets_hint: "CSV ou XLSX avec les étiquettes HXL #indicator+code, #adm1+code ou #adm2+code, #date+start, #date+end, #targeted et/ou #inneed ; tout ou rien, et la même feuille une seconde fois ne change rien.", "CSV or XLSX with the HXL hashtags #indicator+code, #adm1+code or #adm2+code, #date+start, #date+end, #targeted and/or #inneed; all or nothing, and the same sheet a second time changes nothing.";
    targets_refused: "Rien n'a été importé : corrigez ces cellules et importez la feuille entière à nouveau.", "Nothing was imported: correct these cells and import the whole sheet again.";
    targets_checked: "Vérifié, rien d'importé :", "Checked, nothing imported:";
    targets_done: "Importé :", "Imported:";
    targets_added: "ajoutée(s)", "added";
    targets_changed: "modifiée(s)", "changed";
    targets_unchanged: "inchangée(s)", "unchanged";
    follow_ups_hint: "Ménages encore dus après un passage manqué, et ceux dont la réponse au suivi signale un problème.", "Households still owed after a missed visit, and those whose monitoring answer reports a problem.";
    no_follow_ups: "Personne à suivre.", "Nobody to follow up.";
    why: "Motif", "Why";
    merged_note: "doublon fusionné : compté avec l'enregistrement antérieur", "merged duplicate: counted with the earlier record";
    duplicates_title: "Doublons possibles", "Possible duplicates";
    duplicate_warning: "Ces personnes sont peut-être déjà enregistrées. Vérifiez avant d'enregistrer :", "These people may already be registered. Check before saving:";
    looks_like: "ressemble à", "looks like";
    likelihood: "probabilité", "likelihood";
    save_anyway: "Ce ne sont pas les mêmes personnes : enregistrer quand même", "They are not the same people: save anyway";
    save_anyway_note: "Les paires probables seront ajoutées à la file des doublons pour vérification.", "The likely pairs will be added to the duplicates queue for review.";
    likely_band: "probable", "likely";
    possible_band: "possible", "possible";
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
    differs: "diffère", "differs";
    their_household: "Son ménage", "Their household";
    decisions_used: "décisions d'examen prises en compte par le modèle", "review decisions taken into account by the model";
    check_learnt: "Décisions d'examen apprises par la vérification avant enregistrement :", "Review decisions learnt by the check before saving:";
    check_relearning: "elle apprend les plus récentes (quelques secondes).", "it is learning the latest (a few seconds).";
    merge_reason_hint: "Motif (obligatoire pour fusionner : p. ex. même numéro NINA, mêmes parents)", "Reason (required to merge: e.g. the same national number, the same parents)";
    decided_by: "Décidé par", "Decided by";
    no_pairs: "Aucune paire.", "No pairs.";
    // Administration
    admin_title: "Administration", "Administration";
    users: "Utilisateurs", "Users";
    organisations: "Organisations", "Organisations";
    role: "Rôle", "Role";
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_list_expectations_are_translated() {
        let error = domain::Sex::parse("sex", "x").unwrap_err();
        assert_eq!(error.expected.render(Lang::Fr), "l'une des valeurs f, m");
        assert_eq!(error.expected.render(Lang::En), "one of f, m");
    }

    #[test]
    fn browser_preference_picks_the_language() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(axum::http::header::ACCEPT_LANGUAGE, value.parse().unwrap());
            lang_from_headers(&headers)
        };
        assert_eq!(with("fr-ML,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(with("en-GB,en;q=0.9,fr;q=0.5"), Lang::En);
        assert_eq!(with("de-DE,en;q=0.5,fr;q=0.7"), Lang::Fr);
        assert_eq!(with("de-DE"), Lang::Fr);
        assert_eq!(lang_from_headers(&HeaderMap::new()), Lang::Fr);
        let mut headers = HeaderMap::new();
        headers.insert(axum::http::header::ACCEPT_LANGUAGE, "fr".parse().unwrap());
        headers.insert(axum::http::header::COOKIE, "djoliba_lang=en".parse().unwrap());
        assert_eq!(lang_from_headers(&headers), Lang::En);
    }
}
