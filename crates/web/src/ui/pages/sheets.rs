//! HXL sheets uploaded from a page (a 3W/5W, a funding sheet): the form's checks, the import
//! all or nothing, and what the page says about it.

use exchange::import::RowError;
use store::import::ImportError;

use super::*;

/// What an import said: its counts, or the cells to correct.
#[derive(Default)]
pub(super) struct SheetView {
    pub counts: Option<SheetCounts>,
    pub errors: Vec<RowError>,
    pub file_error: Option<String>,
    /// More for the person to know (labels counted as "not specified"…).
    pub notes: Vec<String>,
}

pub(super) struct SheetCounts {
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub dry_run: bool,
}

/// Reads an upload form (CSRF, "check only", one file), checks the person may keep plans,
/// and runs `import`; `view` says what came of it. Returns who asked and the outcome, or a
/// page that ends the request (403, a broken form).
pub(super) async fn upload_sheet<T: Send + 'static>(
    state: &AppState,
    page: SignedIn,
    multipart: &mut Multipart,
    import: impl FnOnce(&Store, &store::Actor, exchange::InputFile, bool) -> Result<T, ImportError> + Send + 'static,
    view: impl FnOnce(&Ctx, T) -> SheetView,
) -> Result<(Ctx, store::Actor, SheetView), Response> {
    let upload = read_upload(&page.ctx, multipart).await.map_err(|broken| *broken)?;
    let (csrf, dry_run) = (upload.fields.get("csrf").cloned(), upload.fields.contains_key("dry_run"));
    if let Some(refused) = page.csrf_refusal(csrf.as_deref()) {
        return Err(refused);
    }
    let SignedIn { ctx: c, actor } = page;
    if let Err(error) = store::plans::require_plan_writer(&actor) {
        return Err(c.error(error));
    }
    let Some(file) = upload.files.into_iter().next() else {
        let file_error = Some(format!("{} — {}", c.t.choose_file, c.say(&Message::Value)));
        return Ok((c, actor, SheetView { file_error, ..SheetView::default() }));
    };
    let (who, lang) = (actor.clone(), c.lang);
    let outcome = blocking(state, move |store| match import(store, &who, file, dry_run) {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(ImportError::Store(e)) => Err(e),
        Err(ImportError::File(e)) => Ok(Err(e.render(lang))),
    })
    .await;
    match outcome {
        Err(error) => Err(c.error(error)),
        Ok(Ok(outcome)) => {
            let sheet = view(&c, outcome);
            Ok((c, actor, sheet))
        }
        Ok(Err(file_error)) => Ok((c, actor, SheetView { file_error: Some(file_error), ..SheetView::default() })),
    }
}

impl SheetView {
    pub fn failed(&self) -> bool {
        self.file_error.is_some() || !self.errors.is_empty()
    }
}
