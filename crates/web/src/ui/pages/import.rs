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
                file: e.file,
                row: e.row,
                column: e.column,
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
                    record.heading(c.lang),
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
    fn heading(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Record::Households, Lang::Fr) => "Ménages",
            (Record::People, Lang::Fr) => "Personnes",
            (Record::Movements, Lang::Fr) => "Mouvements",
            (Record::Households, Lang::En) => "Households",
            (Record::People, Lang::En) => "People",
            (Record::Movements, Lang::En) => "Movements",
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
        Ok(Finished::Report(report)) => page.report = Some(report),
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

/// Step one uploads and checks (a dry run) and keeps the files for this user; step two
/// (`upload` set) imports the kept files. Nothing is written until the user confirms.
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
            Ok(Some(kept)) => {
                files = kept.into_iter().map(|f| exchange::InputFile { name: f.name, bytes: f.bytes }).collect()
            }
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
    if confirming {
        // Writing can take a while: it runs in the background and the page follows it.
        let (user_id, names) = (actor.user_id.clone(), file_names.clone());
        let job = match blocking(&state, move |store| store.start_import_job(&user_id, &names)).await {
            Ok(job) => job,
            Err(error) => return c.error(error),
        };
        state.imports.start(&job, &actor.user_id, file_names);
        let (jobs, id, store) = (state.imports.clone(), job.clone(), state.store.clone());
        let options = exchange::ImportOptions { encoding: exchange::Encoding::Auto, dry_run: false };
        let lang = c.lang;
        tokio::task::spawn_blocking(move || {
            let mut progress = |phase: &str, done: usize, total: usize| jobs.progress(&store, &id, phase, done, total);
            let outcome = match store.import_files(&actor, files, options, &mut progress) {
                Ok(report) => Finished::Report(ShownReport::new(report, lang)),
                Err(store::import::ImportError::File(e)) => Finished::Failed(e.render(lang)),
                Err(store::import::ImportError::Store(e)) => {
                    tracing::error!(error = %e, "import failed");
                    Finished::Failed(c.t.error_text.to_string())
                }
            };
            match serde_json::to_string(&outcome) {
                Ok(outcome) => jobs.finish(&store, &id, outcome),
                Err(error) => tracing::error!(%error, "the outcome of an import could not be written as JSON"),
            }
        });
        return Redirect::to(&format!("/import/progress?job={job}")).into_response();
    }
    let copies: Vec<exchange::InputFile> =
        files.iter().map(|f| exchange::InputFile { name: f.name.clone(), bytes: f.bytes.clone() }).collect();
    let options = exchange::ImportOptions { encoding: exchange::Encoding::Auto, dry_run: !confirming };
    let (who, lang) = (actor.clone(), c.lang);
    let outcome = blocking(&state, move |store| match store.import_files(&who, copies, options, &mut |_, _, _| {}) {
        Ok(report) => Ok(Ok(report)),
        Err(store::import::ImportError::Store(e)) => Err(e),
        Err(store::import::ImportError::File(e)) => Ok(Err(e.render(lang))),
    })
    .await;
    let mut page = ImportPage { c, report: None, file_error: None, upload: None, file_names, running: None };
    match outcome {
        Ok(Ok(report)) => {
            let failed = !report.errors.is_empty();
            if !failed && !confirming {
                let kept =
                    files.into_iter().map(|f| store::import_work::KeptFile { name: f.name, bytes: f.bytes }).collect();
                let user_id = actor.user_id.clone();
                match blocking(&state, move |store| store.keep_upload(&user_id, kept)).await {
                    Ok(id) => page.upload = Some(id),
                    Err(error) => return page.c.error(error),
                }
            }
            page.report = Some(ShownReport::new(report, page.c.lang));
            let status = if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            (status, render(&page)).into_response()
        }
        Ok(Err(file_error)) => {
            page.file_error = Some(file_error);
            (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
        }
        Err(error) => page.c.error(error),
    }
}
