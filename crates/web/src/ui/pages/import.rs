//! Import: upload, preview, confirmation and progress.

use super::*;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    c: Ctx,
    report: Option<store::import::ImportReport>,
    file_error: Option<String>,
    upload: Option<String>,
    file_names: String,
    /// A background import still running: (phase, done, total).
    running: Option<(String, usize, usize)>,
}

#[derive(Deserialize)]
pub struct ProgressQuery {
    job: Option<String>,
}

/// A background import: its progress while it runs (the page refreshes itself), then its
/// report. Another user's import, or one long gone, is simply not there.
pub async fn import_progress(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<ProgressQuery>,
) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let job = q.job.as_deref().and_then(|id| state.imports.get(id, &actor.user_id));
    let mut page =
        ImportPage { c, report: None, file_error: None, upload: None, file_names: String::new(), running: None };
    match job {
        None => page.file_error = Some(page.c.t.import_gone.to_string()),
        Some(job) => {
            page.file_names = job.file_names;
            match job.outcome {
                None => page.running = Some((job.phase, job.done, job.total)),
                Some(Ok(report)) => page.report = Some(report),
                Some(Err(error)) => page.file_error = Some(error),
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
    if let Some(id) = &upload {
        match state.uploads.take(id, &actor.user_id) {
            Some(kept) => files = kept,
            None => return (StatusCode::GONE, message_page(&c, c.t.error_title, c.t.session_expired)).into_response(),
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
        let job = state.imports.start(&actor.user_id, file_names);
        let (jobs, id, store) = (state.imports.clone(), job.clone(), state.store.clone());
        let options = exchange::ImportOptions { encoding: exchange::Encoding::Auto, dry_run: false };
        let lang = c.lang;
        tokio::task::spawn_blocking(move || {
            let mut progress = |phase: &str, done: usize, total: usize| jobs.progress(&id, phase, done, total);
            let outcome = match store.import_files(&actor, files, options, &mut progress) {
                Ok(report) => Ok(report),
                Err(store::import::ImportError::File(e)) => Err(e.render(lang)),
                Err(store::import::ImportError::Store(e)) => {
                    tracing::error!(error = %e, "import failed");
                    Err(c.t.error_text.to_string())
                }
            };
            jobs.finish(&id, outcome);
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
                page.upload = Some(state.uploads.keep(&actor.user_id, files));
            }
            page.report = Some(report);
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
