//! Import: upload, preview, confirmation and progress. The checked files and the running
//! imports live in the database (`store::import_work`), so the confirmation and the progress
//! may reach any server behind a load balancer.

use super::*;
use serde::Serialize;
use store::import_work::JobState;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Ctx,
    report: Option<ShownReport>,
    file_error: Option<String>,
    upload: Option<String>,
    file_names: String,
    /// A background import still running: (phase, done, total).
    running: Option<(String, usize, usize)>,
}

/// An import's report as the page shows it, in the language of the user who ran it: what a
/// finished background import stores for whichever server shows it.
#[derive(Serialize, Deserialize)]
struct ShownReport {
    households: usize,
    people: usize,
    movements: usize,
    summary: Option<store::import::ImportSummary>,
    errors: Vec<ShownError>,
    /// After a preview without errors: the kept files' key, for the confirmation.
    #[serde(default)]
    upload: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ShownError {
    file: String,
    row: usize,
    column: String,
    value: String,
    expected: String,
}

impl ShownReport {
    fn new(report: store::import::ImportReport, lang: Lang) -> ShownReport {
        let errors = report
            .errors
            .into_iter()
            .map(|e| ShownError {
                column: e.column_in(lang).to_string(),
                file: e.file,
                row: e.row,
                value: e.value,
                expected: e.expected.render(lang),
            })
            .collect();
        ShownReport {
            households: report.households,
            people: report.people,
            movements: report.movements,
            summary: report.summary,
            errors,
            upload: None,
        }
    }
}

impl ShownReport {
    /// What the import changes (`preview`) or changed, a line per kind of record, in words
    /// that agree with each count ("1 personne créée", "3 ménages mis à jour").
    fn changes(&self, c: &Ctx, preview: bool) -> Vec<String> {
        let Some(summary) = &self.summary else { return Vec::new() };
        let kinds = [
            (Record::Households, summary.households),
            (Record::People, summary.people),
            (Record::Movements, summary.movements),
        ];
        let mut lines = Vec::new();
        if kinds.iter().all(|(_, n)| n.created == 0 && n.updated == 0) {
            lines.push(if preview { c.t.import_nothing_will_change } else { c.t.import_nothing_changes }.to_string());
        }
        for (record, n) in kinds {
            let parts: Vec<String> =
                [(n.created, Change::Created), (n.updated, Change::Updated), (n.unchanged, Change::Unchanged)]
                    .into_iter()
                    .filter(|(count, _)| *count > 0)
                    .map(|(count, change)| format!("{} {}", c.num(count), change.word(c.lang, record, count)))
                    .collect();
            if !parts.is_empty() {
                lines.push(format!(
                    "{}{} {}",
                    record.heading(c),
                    if c.lang == Lang::Fr { " :" } else { ":" },
                    parts.join(", ")
                ));
            }
        }
        lines
    }
}

#[derive(Clone, Copy)]
enum Record {
    Households,
    People,
    Movements,
}

impl Record {
    fn heading(self, c: &Ctx) -> &'static str {
        match self {
            Record::Households => c.t.households_h,
            Record::People => c.t.people_h,
            Record::Movements => c.t.movements_h,
        }
    }
}

#[derive(Clone, Copy)]
enum Change {
    Created,
    Updated,
    Unchanged,
}

impl Change {
    /// The participle agreeing with the record's gender and the count (French: singular for
    /// 0 and 1; "personne" is feminine).
    fn word(self, lang: Lang, record: Record, count: u64) -> String {
        match lang {
            Lang::En => match self {
                Change::Created => "created",
                Change::Updated => "updated",
                Change::Unchanged => "unchanged",
            }
            .to_string(),
            Lang::Fr => {
                let stem = match self {
                    Change::Created => "créé",
                    Change::Updated => return "mis à jour".to_string(),
                    Change::Unchanged => "inchangé",
                };
                let feminine = if matches!(record, Record::People) { "e" } else { "" };
                let plural = if count >= 2 { "s" } else { "" };
                format!("{stem}{feminine}{plural}")
            }
        }
    }
}

/// How a background import ended, stored as JSON for any server to show.
#[derive(Serialize, Deserialize)]
enum Finished {
    Report(ShownReport),
    Failed(String),
}

#[derive(Deserialize)]
pub struct ProgressQuery {
    job: Option<String>,
}

/// A background import: its progress while it runs (the page refreshes itself), then its
/// report, from whichever server ran it. Another user's import, or one long gone, is simply
/// not there.
pub async fn import_progress(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<ProgressQuery>,
) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let id = q.job.unwrap_or_default();
    let mut page =
        ImportPage { c, report: None, file_error: None, upload: None, file_names: String::new(), running: None };
    let finished = |page: &mut ImportPage, outcome: &str| match serde_json::from_str(outcome) {
        Ok(Finished::Report(report)) => {
            page.upload = report.upload.clone();
            page.report = Some(report);
        }
        Ok(Finished::Failed(error)) => page.file_error = Some(error),
        Err(_) => page.file_error = Some(page.c.t.error_text.to_string()),
    };
    if let Some(job) = state.imports.get(&id, &actor.user_id) {
        page.file_names = job.file_names;
        match &job.outcome {
            None => page.running = Some((job.phase, job.done, job.total)),
            Some(outcome) => finished(&mut page, outcome),
        }
        return render(&page);
    }
    let user_id = actor.user_id.clone();
    let job = match blocking(&state, move |store| store.import_job(&id, &user_id)).await {
        Ok(job) => job,
        Err(error) => return page.c.error(error),
    };
    match job {
        None => page.file_error = Some(page.c.t.import_gone.to_string()),
        Some(job) => {
            page.file_names = job.file_names;
            match job.state {
                JobState::Running { phase, done, total } => page.running = Some((phase, done as usize, total as usize)),
                JobState::Finished(outcome) => finished(&mut page, &outcome),
                JobState::Interrupted => page.file_error = Some(page.c.t.import_interrupted.to_string()),
            }
        }
    }
    render(&page)
}

pub async fn import_form(page: SignedIn) -> Response {
    let c = page.ctx;
    if !c.can_write() {
        return c.error(StoreError::Forbidden("registry changes"));
    }
    render(&ImportPage { c, report: None, file_error: None, upload: None, file_names: String::new(), running: None })
}

/// Step one uploads and checks (a dry run: the whole import, rolled back) and keeps the files
/// for this user; step two (`upload` set) imports the kept files. Nothing is written until the
/// user confirms. Both run as background jobs; a preview done within 3 s is shown at once.
pub async fn import(State(state): State<AppState>, page: SignedIn, mut multipart: Multipart) -> Response {
    let form = match read_upload(&page.ctx, &mut multipart).await {
        Ok(form) => form,
        Err(broken) => return *broken,
    };
    let (csrf, upload, mut files) = (form.fields.get("csrf").cloned(), form.fields.get("upload").cloned(), form.files);
    if let Some(refused) = page.csrf_refusal(csrf.as_deref()) {
        return refused;
    }
    let SignedIn { ctx: c, actor } = page;
    let confirming = upload.is_some();
    if let Some(id) = upload {
        let user_id = actor.user_id.clone();
        match blocking(&state, move |store| store.take_upload(&id, &user_id)).await {
            Ok(Some(kept)) => files = kept,
            Ok(None) => {
                return (StatusCode::GONE, message_page(&c, c.t.error_title, c.t.session_expired)).into_response()
            }
            Err(error) => return c.error(error),
        }
    }
    if files.is_empty() {
        let mut page =
            ImportPage { c, report: None, file_error: None, upload: None, file_names: String::new(), running: None };
        page.file_error = Some(format!("{} — {}", page.c.t.choose_file, page.c.say(&domain::Message::Value)));
        return (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response();
    }
    let file_names = files.iter().map(|f| f.name.clone()).collect::<Vec<_>>().join(", ");
    // A preview keeps the files first: the confirmation imports exactly what was checked.
    let kept = if confirming {
        None
    } else {
        let copies =
            files.iter().map(|f| exchange::InputFile { name: f.name.clone(), bytes: f.bytes.clone() }).collect();
        let user_id = actor.user_id.clone();
        match blocking(&state, move |store| store.keep_upload(&user_id, copies)).await {
            Ok(key) => Some(key),
            Err(error) => return c.error(error),
        }
    };
    // Checking and writing both run in the background (a preview does the whole import and
    // rolls it back), and the progress page follows them from any server.
    let (user_id, names) = (actor.user_id.clone(), file_names.clone());
    let job = match blocking(&state, move |store| store.start_import_job(&user_id, &names)).await {
        Ok(job) => job,
        Err(error) => return c.error(error),
    };
    state.imports.start(&job, &actor.user_id, file_names.clone());
    let (jobs, id, store) = (state.imports.clone(), job.clone(), state.store.clone());
    let options = exchange::ImportOptions { encoding: exchange::Encoding::Auto, dry_run: !confirming };
    let (lang, error_text) = (c.lang, c.t.error_text);
    let running = tokio::task::spawn_blocking(move || {
        let mut progress = |phase: &str, done: usize, total: usize| jobs.progress(&store, &id, phase, done, total);
        let outcome = match store.import_files(&actor, files, options, &mut progress) {
            Ok(report) => {
                let clean = report.errors.is_empty();
                let mut shown = ShownReport::new(report, lang);
                shown.upload = kept.clone().filter(|_| clean);
                Finished::Report(shown)
            }
            Err(store::import::ImportError::File(e)) => Finished::Failed(e.render(lang)),
            Err(store::import::ImportError::Store(e)) => {
                tracing::error!(error = %e, "import failed");
                Finished::Failed(error_text.to_string())
            }
        };
        let keep = matches!(&outcome, Finished::Report(r) if r.upload.is_some());
        if let (Some(key), false) = (&kept, keep) {
            // Files that cannot be confirmed are not kept (they hold personal data).
            if let Err(error) = store.take_upload(key, &actor.user_id) {
                tracing::warn!(%error, "checked files could not be forgotten");
            }
        }
        match serde_json::to_string(&outcome) {
            Ok(json) => jobs.finish(&store, &id, json),
            Err(error) => tracing::error!(%error, "the outcome of an import could not be written as JSON"),
        }
        outcome
    });
    let progress = Redirect::to(&format!("/import/progress?job={job}")).into_response();
    if confirming {
        return progress;
    }
    // A preview of a small file is shown at once; a long one is followed on the progress page.
    let Ok(Ok(outcome)) = tokio::time::timeout(std::time::Duration::from_secs(3), running).await else {
        return progress;
    };
    let mut page = ImportPage { c, report: None, file_error: None, upload: None, file_names, running: None };
    let status = match outcome {
        Finished::Report(report) => {
            let failed = !report.errors.is_empty();
            page.upload = report.upload.clone();
            page.report = Some(report);
            if failed {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            }
        }
        Finished::Failed(error) => {
            page.file_error = Some(error);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    (status, render(&page)).into_response()
}
