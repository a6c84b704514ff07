//! Published series (DTM, the government's commission, UNHCR, IDMC) beside the registry: the
//! comparison for a date, level and group; the list of series; one series with its versions
//! and figures; the import for the roles that write, and removal.

use store::series::{Comparison, Series, SeriesDetail, SeriesImport, SeriesMeta, SeriesOptions};

use super::*;

#[derive(Deserialize, Default)]
pub struct ComparisonQuery {
    as_of: Option<String>,
    level: Option<u8>,
    group: Option<String>,
}

/// One series' figure in a row of the comparison.
struct FigureCell {
    figure: String,
    date: String,
    stale: bool,
    coverage: String,
}

/// One group of the population of concern, for Mali as a whole.
struct ConcernLine {
    group: String,
    registered: String,
    /// "412 000 — IDMC (2023)" per series with a figure.
    published: Vec<String>,
}

struct ComparisonLine {
    place: String,
    registered: String,
    figures: Vec<FigureCell>,
}

/// What an import said.
#[derive(Default)]
struct ImportOutcome {
    stored: Option<String>,
    errors: Vec<exchange::import::RowError>,
    unmatched: Vec<exchange::import::RowError>,
    notes: Vec<String>,
    file_error: Option<String>,
}

#[derive(Template)]
#[template(path = "series.html")]
struct SeriesPage {
    c: Ctx,
    as_of: String,
    level: u8,
    group: String,
    groups: Vec<(String, String)>,
    series_names: Vec<String>,
    lines: Vec<ComparisonLine>,
    coarser: String,
    error: Option<String>,
    series: Vec<Series>,
    /// Each series' first and last dates in the reader's convention ("31/12/2023 → …").
    periods: Vec<String>,
    /// The date of the figures in the reader's convention.
    as_of_shown: String,
    concern: Vec<ConcernLine>,
    /// (group, the registry's category, the published one).
    mapping: Vec<(String, String, String)>,
    outcome: ImportOutcome,
    /// What the import form had, to show it again after a refusal.
    typed: HashMap<String, String>,
}

impl SeriesPage {
    fn typed(&self, name: &str) -> &str {
        self.typed.get(name).map(String::as_str).unwrap_or_default()
    }
}

fn comparison_lines(c: &Ctx, comparison: &Comparison) -> (Vec<String>, Vec<ComparisonLine>) {
    let names =
        comparison.rows.first().map(|r| r.series.iter().map(|s| s.series.clone()).collect()).unwrap_or_default();
    let lines = comparison
        .rows
        .iter()
        .map(|row| ComparisonLine {
            place: if row.place_name.is_empty() {
                row.place.clone()
            } else {
                format!("{} ({})", row.place_name, row.place)
            },
            registered: match (row.registered_hidden, row.registered) {
                (true, _) => "•".to_string(),
                (false, Some(n)) => c.num(n),
                (false, None) => c.t.not_covered.to_string(),
            },
            figures: row
                .series
                .iter()
                .map(|s| FigureCell {
                    figure: s.individuals.map(|n| c.num(n)).unwrap_or_else(|| "—".into()),
                    date: match (&s.date_as_given, &s.round) {
                        (Some(date), Some(round)) => format!("{date} · {} {round}", c.t.round_short),
                        (Some(date), None) => date.clone(),
                        _ => String::new(),
                    },
                    stale: s.stale,
                    coverage: s.coverage.map(|v| percent(c, v)).unwrap_or_else(|| "—".into()),
                })
                .collect(),
        })
        .collect();
    (names, lines)
}

async fn series_page(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    q: ComparisonQuery,
    outcome: ImportOutcome,
    typed: HashMap<String, String>,
) -> Response {
    let as_of = q.as_of.filter(|d| !d.trim().is_empty()).unwrap_or_else(|| state.store.today().to_string());
    let level = q.level.unwrap_or(1).min(2);
    let group = q.group.filter(|g| !g.trim().is_empty()).unwrap_or_else(|| "IDP".into());
    let (date, grp) = (as_of.clone(), group.clone());
    let loaded = blocking(state, move |store| {
        let concern = store.population_of_concern(&actor, &date, 0).ok();
        Ok((store.compare(&actor, &date, level, &grp), store.list_series()?, concern))
    })
    .await;
    let (comparison, series, concern) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let periods = series
        .iter()
        .map(|s| {
            let (first, last) = (s.first_date.clone().unwrap_or_default(), s.last_date.clone().unwrap_or_default());
            format!("{} → {}", c.day_text(&first), c.day_text(&last))
        })
        .collect();
    let as_of_shown = domain::dates::calendar_day(&as_of).map(|d| c.day(d)).unwrap_or_default();
    let mut page = SeriesPage {
        periods,
        as_of_shown,
        groups: population_groups(&state.store, &c),
        as_of,
        level,
        group,
        series_names: Vec::new(),
        lines: Vec::new(),
        coarser: String::new(),
        error: None,
        series,
        concern: Vec::new(),
        mapping: Vec::new(),
        outcome,
        typed,
        c,
    };
    if let Some(concern) = concern {
        let c = &page.c;
        page.concern = concern
            .groups
            .iter()
            .map(|g| {
                let row = g.rows.first();
                ConcernLine {
                    group: c.label(&g.population_group),
                    registered: match row.map(|r| (r.registered_hidden, r.registered)) {
                        Some((true, _)) => "•".to_string(),
                        Some((false, Some(n))) => c.num(n),
                        _ => c.t.not_covered.to_string(),
                    },
                    published: row
                        .map(|r| {
                            r.series
                                .iter()
                                .filter_map(|f| {
                                    let n = f.individuals?;
                                    let date = f.date_as_given.clone().unwrap_or_default();
                                    Some(format!("{} — {} ({date})", c.num(n), f.source))
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            })
            .collect();
        page.mapping = concern
            .mapping
            .iter()
            .filter_map(|m| {
                let (registry, published) = match m.population_group.as_str() {
                    "IDP" => (c.t.map_idp_registry, c.t.map_idp_published),
                    "RDP" => (c.t.map_rdp_registry, c.t.map_rdp_published),
                    "REF" => (c.t.map_ref_registry, c.t.map_ref_published),
                    "ASY" => (c.t.map_asy_registry, c.t.map_asy_published),
                    "RET" => (c.t.map_ret_registry, c.t.map_ret_published),
                    "OOC" => (c.t.map_ooc_registry, c.t.map_ooc_published),
                    _ => return None,
                };
                Some((c.label(&m.population_group), registry.to_string(), published.to_string()))
            })
            .collect();
    }
    match comparison {
        Ok(comparison) => {
            (page.series_names, page.lines) = comparison_lines(&page.c, &comparison);
            if comparison.coarser_rows_left_out > 0 {
                page.coarser = format!(
                    "{} {} ({})",
                    comparison.coarser_rows_left_out,
                    page.c.agree(comparison.coarser_rows_left_out, page.c.t.coarser_left_out),
                    comparison.series_with_coarser_rows.join(", ")
                );
            }
        }
        Err(StoreError::Invalid(errors)) => {
            let lines: Vec<String> = errors.0.iter().map(|e| page.c.say(&e.expected)).collect();
            page.error = Some(lines.join(" ; "));
        }
        Err(error) => return page.c.error(error),
    }
    let failed =
        page.outcome.file_error.is_some() || !page.outcome.errors.is_empty() || !page.outcome.unmatched.is_empty();
    let response = render(&page);
    if failed {
        super::assistance::refused_again(response)
    } else {
        response
    }
}

pub async fn series(State(state): State<AppState>, page: SignedIn, Query(q): Query<ComparisonQuery>) -> Response {
    series_page(&state, page.ctx, page.actor, q, ImportOutcome::default(), HashMap::new()).await
}

/// A series file imported all or nothing, with the form's options.
pub async fn import_series(State(state): State<AppState>, page: SignedIn, mut multipart: Multipart) -> Response {
    let upload = match read_upload(&page.ctx, &mut multipart).await {
        Ok(upload) => upload,
        Err(broken) => return *broken,
    };
    if let Some(refused) = page.csrf_refusal(upload.fields.get("csrf").map(String::as_str)) {
        return refused;
    }
    let SignedIn { ctx: c, actor } = page;
    if let Err(error) = store::plans::require_plan_writer(&actor) {
        return c.error(error);
    }
    let field = |name: &str| upload.fields.get(name).map(|v| v.trim().to_string()).unwrap_or_default();
    let typed: HashMap<String, String> = ["name", "source", "method", "group", "date", "published_on"]
        .iter()
        .map(|name| (name.to_string(), field(name)))
        .collect();
    let meta = SeriesMeta {
        name: field("name"),
        source: field("source"),
        method: field("method"),
        population_group: Some(field("group")).filter(|g| !g.is_empty()),
        published_on: Some(field("published_on")).filter(|d| !d.is_empty()),
    };
    let options = SeriesOptions {
        date: Some(field("date")).filter(|d| !d.is_empty()),
        skip_unmatched: upload.fields.contains_key("skip_unmatched"),
        replace: upload.fields.contains_key("replace"),
        accept_unknown_tags: upload.fields.contains_key("accept_unknown_tags"),
    };
    let Some(file) = upload.files.into_iter().next() else {
        let outcome = ImportOutcome {
            file_error: Some(format!("{} — {}", c.t.choose_file, c.say(&Message::Value))),
            ..Default::default()
        };
        return series_page(&state, c, actor, ComparisonQuery::default(), outcome, typed).await;
    };
    let (who, lang) = (actor.clone(), c.lang);
    let imported = blocking(&state, move |store| match store.import_series_file(&who, &meta, file, &options) {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(store::import::ImportError::Store(e)) => Err(e),
        Err(store::import::ImportError::File(e)) => Ok(Err(e.render(lang))),
    })
    .await;
    let outcome = match imported {
        Ok(Ok(SeriesImport { report, errors })) => {
            let mut outcome = ImportOutcome { errors, ..Default::default() };
            if let Some(report) = report {
                if report.people_skipped > 0 || !report.unmatched.is_empty() {
                    outcome.notes.push(format!(
                        "{} {} · {} {}",
                        c.num(report.unmatched.len()),
                        c.agree(report.unmatched.len(), c.t.rows_unmatched),
                        c.num(report.people_skipped.max(0)),
                        c.noun(report.people_skipped.max(0), c.t.person_one, c.t.people_in_them)
                    ));
                }
                for column in &report.columns_left_out {
                    outcome.notes.push(format!("{} {column}", c.t.column_left_out));
                }
                match (&report.series_id, report.version) {
                    (Some(_), version) => {
                        outcome.stored = Some(format!(
                            "{} « {} » · {} {}",
                            c.t.series_stored,
                            typed.get("name").map(String::as_str).unwrap_or_default(),
                            c.t.version,
                            version.unwrap_or(1)
                        ))
                    }
                    (None, _) => outcome.unmatched = report.unmatched,
                }
            }
            outcome
        }
        Ok(Err(file_error)) => ImportOutcome { file_error: Some(file_error), ..Default::default() },
        Err(StoreError::Conflict(message)) => ImportOutcome { file_error: Some(c.say(&message)), ..Default::default() },
        Err(StoreError::Invalid(errors)) => {
            let label = |field: &str| match field {
                "name" => c.t.name.to_string(),
                "source" => c.t.source.to_string(),
                "method" => c.t.method.to_string(),
                "date" => c.t.series_date.to_string(),
                other => field_label(&c, other),
            };
            let lines: Vec<String> =
                errors.0.iter().map(|e| format!("{} : {}", label(&e.field), c.say(&e.expected))).collect();
            ImportOutcome { file_error: Some(lines.join(" ; ")), ..Default::default() }
        }
        Err(error) => return c.error(error),
    };
    let typed = if outcome.stored.is_some() { HashMap::new() } else { typed };
    series_page(&state, c, actor, ComparisonQuery::default(), outcome, typed).await
}

#[derive(Template)]
#[template(path = "series_detail.html")]
struct SeriesDetailPage {
    c: Ctx,
    detail: SeriesDetail,
    /// Each figure's place as matched, named, and the day it is counted on, in the reader's
    /// convention.
    places: Vec<(String, String)>,
}

pub async fn series_detail(State(state): State<AppState>, page: SignedIn, Path(id): Path<String>) -> Response {
    let SignedIn { ctx: c, .. } = page;
    let detail = match blocking(&state, move |store| store.series_detail(&id)).await {
        Ok(detail) => detail,
        Err(error) => return c.error(error),
    };
    let gazetteer = &state.store.gazetteer;
    let places = detail
        .figures
        .iter()
        .map(|f| {
            let place = match gazetteer.region_2023(&f.pcode) {
                Some(region) => {
                    let cercles: Vec<String> = region.cercles.iter().map(|p| gazetteer.label(p)).collect();
                    format!("{} (2023) = {}", region.name, cercles.join(", "))
                }
                None if f.pcode == "ML" => "Mali (ML)".to_string(),
                None => gazetteer.label(&f.pcode),
            };
            let counted_on = c.day_text(&f.reference_date);
            (place, counted_on)
        })
        .collect();
    render(&SeriesDetailPage { c, detail, places })
}

/// Removes a series from every comparison (its versions stay, for the audit).
pub async fn remove_series(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(form): Form<super::session::CsrfForm>,
) -> Response {
    change_and_return(&state, page, form.csrf.as_deref(), "/series", move |store, actor| {
        store.remove_series(actor, &id)
    })
    .await
}
