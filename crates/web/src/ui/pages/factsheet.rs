//! The factsheet as a printable page, with its PDF: the same figures and words as the PDF
//! (`factsheet::Document`), the map and trend drawn as on the dashboard.

use super::*;

#[derive(Deserialize, Default)]
pub struct FactsheetQuery {
    as_of: Option<String>,
    organisation: Option<String>,
    public: Option<String>,
}

impl FactsheetQuery {
    fn public(&self) -> bool {
        self.public.as_deref().is_some_and(|p| !p.is_empty() && p != "0" && p != "false")
    }

    /// The same choice as a query string, for the PDF link.
    fn query(&self, as_of: &str) -> String {
        let mut pairs = vec![("as_of", as_of.to_string())];
        if let Some(org) = self.organisation.as_deref().filter(|o| !o.is_empty()) {
            pairs.push(("organisation", org.to_string()));
        }
        if self.public() {
            pairs.push(("public", "1".to_string()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "factsheet.html")]
struct FactsheetPage {
    c: Ctx,
    doc: ::factsheet::Document,
    map_svg: String,
    trend_svg: String,
    as_of: String,
    organisation: String,
    public: bool,
    organisations: Vec<(String, String)>,
    pdf_query: String,
}

async fn load(
    state: &AppState,
    actor: store::Actor,
    q: &FactsheetQuery,
    as_of: &str,
) -> Result<(domain::factsheet::Factsheet, Vec<(String, String)>), StoreError> {
    let (date, organisation, public) = (as_of.to_string(), q.organisation.clone(), q.public());
    blocking(state, move |store| {
        let sheet = store.factsheet(&actor, &date, organisation.as_deref(), public)?;
        let organisations = store.list_organisations()?.into_iter().map(|o| (o.code, o.name)).collect();
        Ok((sheet, organisations))
    })
    .await
}

pub async fn factsheet_page(
    State(state): State<AppState>,
    page: SignedIn,
    Query(q): Query<FactsheetQuery>,
) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let as_of = q.as_of.clone().filter(|d| !d.trim().is_empty()).unwrap_or_else(|| state.store.today().to_string());
    let (sheet, organisations) = match load(&state, actor, &q, &as_of).await {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let pictures = crate::factsheet::pictures(&sheet, c.lang);
    let doc = ::factsheet::document(&sheet, c.lang, &pictures);
    render(&FactsheetPage {
        doc,
        map_svg: pictures.map_svg.unwrap_or_default(),
        trend_svg: pictures.trend_svg.unwrap_or_default(),
        pdf_query: q.query(&as_of),
        as_of,
        organisation: q.organisation.clone().unwrap_or_default(),
        public: q.public(),
        organisations,
        c,
    })
}

pub async fn factsheet_pdf(State(state): State<AppState>, page: SignedIn, Query(q): Query<FactsheetQuery>) -> Response {
    let SignedIn { ctx: c, actor } = page;
    let as_of = q.as_of.clone().filter(|d| !d.trim().is_empty()).unwrap_or_else(|| state.store.today().to_string());
    let sheet = match load(&state, actor, &q, &as_of).await {
        Ok((sheet, _)) => sheet,
        Err(error) => return c.error(error),
    };
    let lang = c.lang;
    let typeset = blocking(&state, move |_| crate::factsheet::pdf(&sheet, lang).map_err(StoreError::Database)).await;
    match typeset {
        Ok(bytes) => crate::files::file_response(
            bytes,
            "application/pdf",
            &format!("djoliba-factsheet-{as_of}-{}.pdf", lang.code()),
        ),
        Err(error) => c.error(error),
    }
}
