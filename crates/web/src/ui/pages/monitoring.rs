//! Post-distribution monitoring: drawing a sample on the round's page, the sample's page
//! where each household's answer is recorded, and the round's follow-ups.

use domain::assistance::{monitoring_sample_size, MonitoringInput, Quantity};
use store::assistance::{FollowUp, MonitoringSample};

use super::assistance::{amount, cycle_page, form_with, refused_again, CycleView};
use super::*;

/// A sample as the round's page lists it.
pub(super) struct SampleLine {
    pub id: String,
    pub drawn_on: String,
    pub method: String,
    pub drawn: String,
    pub asked: String,
    pub received: String,
    pub reported_less: String,
}

fn share(c: &Ctx, share: Option<f64>) -> String {
    share.map_or_else(|| "—".into(), |s| percent(c, s))
}

pub(super) fn sample_line(c: &Ctx, s: &MonitoringSample) -> SampleLine {
    SampleLine {
        id: s.id.clone(),
        drawn_on: s.drawn_on.clone(),
        method: c.label(s.method.as_str()),
        drawn: format!("{} {} {} {}", c.num(s.summary.drawn), c.t.of_population, c.num(s.population), c.t.who_received),
        asked: c.num(s.summary.asked),
        received: share(c, s.summary.share_received),
        reported_less: c.num(s.summary.reported_less),
    }
}

/// Someone to go back to, as the round's page lists them.
pub(super) struct FollowUpLine {
    pub household: String,
    pub reason: String,
    pub date: String,
    pub remaining: String,
    pub sample_id: String,
}

pub(super) fn follow_up_line(c: &Ctx, f: &FollowUp, unit: &str) -> FollowUpLine {
    FollowUpLine {
        household: f.household.clone(),
        reason: c.label(f.reason.as_str()),
        date: f.date.clone(),
        remaining: if f.remaining > 0.0 { amount(c, f.remaining, unit) } else { String::new() },
        sample_id: f.sample_id.clone().unwrap_or_default(),
    }
}

/// What the round's page shows of monitoring, for those who deliver it once distribution began.
pub(super) struct MonitoringView {
    pub samples: Vec<SampleLine>,
    pub follow_ups: Vec<FollowUpLine>,
    /// Follow-ups left out of the table (beyond `LONG_TABLE`).
    pub more_follow_ups: String,
    pub methods: Vec<(String, String)>,
    /// The size a random sample takes when left blank, out of those who received.
    pub default_size: String,
}

pub(super) async fn monitoring_view(
    state: &AppState,
    c: &Ctx,
    actor: &store::Actor,
    cycle_id: &str,
    reached: i64,
    unit: &str,
) -> Result<MonitoringView, StoreError> {
    let (who, id) = (actor.clone(), cycle_id.to_string());
    let (samples, follow_ups) =
        blocking(state, move |store| Ok((store.monitoring_samples(&who, &id)?, store.follow_ups(&who, &id)?))).await?;
    Ok(MonitoringView {
        samples: samples.iter().map(|s| sample_line(c, s)).collect(),
        follow_ups: follow_ups.iter().take(super::LONG_TABLE).map(|f| follow_up_line(c, f, unit)).collect(),
        more_follow_ups: match follow_ups.len() > super::LONG_TABLE {
            true => c.num(follow_ups.len() - super::LONG_TABLE),
            false => String::new(),
        },
        methods: options(c, SampleMethod::ALL, SampleMethod::as_str),
        default_size: c.num(monitoring_sample_size(reached.max(0) as usize, 0.05) as u64),
    })
}

/// Draws a sample from the round's page: to the sample's page, or back with the error.
pub async fn draw_sample(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    // Who may draw is asked first: a stranger's typing mistakes are not theirs to hear about.
    let (who, cycle) = (actor.clone(), id.clone());
    if let Err(error) = blocking(&state, move |store| store.require_round_writer(&who, &cycle)).await {
        return c.error(error);
    }
    let method = SampleMethod::parse("method", form.opt("method").as_deref().unwrap_or("random"));
    // A word where the size goes is said at its field, never taken for "blank".
    let size = match form.opt("size").map(|t| t.replace([' ', '\u{a0}', '\u{202f}'], "")) {
        None => Ok(None),
        Some(text) => text.parse::<usize>().map(Some).map_err(|_| FieldError::new("size", text, Message::WholeCount)),
    };
    let drawn = match (method, size) {
        (Ok(method), Ok(size)) => {
            let (who, cycle) = (actor.clone(), id.clone());
            blocking(&state, move |store| store.draw_monitoring_sample(&who, &cycle, method, size)).await
        }
        (method, size) => {
            Err(StoreError::Invalid(FieldErrors([method.err(), size.err()].into_iter().flatten().collect())))
        }
    };
    match drawn {
        Ok(sample) => Redirect::to(&format!("/assistance/samples/{}", sample.id)).into_response(),
        Err(error) => back_with(&state, c, actor, id, form, error).await,
    }
}

async fn back_with(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    id: String,
    form: FormState,
    error: StoreError,
) -> Response {
    let form = match form_with(form, &c, error) {
        Ok(form) => form,
        Err(page) => return *page,
    };
    refused_again(cycle_page(state, c, actor, id, CycleView { form, ..CycleView::default() }).await)
}

struct AnswerRow {
    position: i64,
    household_id: String,
    household: String,
    person_id: String,
    name: String,
    phone: String,
    delivered: String,
    answer: String,
    amount_reported: String,
    issue: String,
    asked_on: String,
    /// The row the form with errors came from: shown with what was typed.
    refused: bool,
}

#[derive(Template)]
#[template(path = "sample.html")]
struct SamplePage {
    c: Ctx,
    sample: SampleLine,
    cycle_id: String,
    cycle: String,
    unit: String,
    counts: Vec<(String, String)>,
    delivered_reported: String,
    rows: Vec<AnswerRow>,
    answers: Vec<(String, String)>,
    saved: bool,
    form: FormState,
}

async fn sample_page(
    state: &AppState,
    c: Ctx,
    actor: store::Actor,
    id: String,
    saved: bool,
    form: FormState,
) -> Response {
    let who = actor.clone();
    let loaded = blocking(state, move |store| {
        let (sample, rows) = store.monitoring_sample(&who, &id)?;
        let cycle = store.cycle(&who, &sample.cycle_id)?;
        let programme = store.programme(&cycle.programme_id)?;
        Ok((sample, rows, cycle, programme))
    })
    .await;
    let (sample, rows, cycle, programme) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return c.error(error),
    };
    let unit = programme.unit.as_str();
    let s = sample.summary;
    let counts = [
        ("received", s.received),
        ("received_with_issues", s.received_with_issues),
        ("not_received", s.not_received),
        ("not_reached", s.not_reached),
    ]
    .into_iter()
    .map(|(code, n)| (c.label(code), c.num(n)))
    .collect();
    let refused_household = if form.errors.is_empty() && form.general.is_none() { "" } else { form.v("household") };
    let rows = rows
        .iter()
        .map(|r| {
            let refused = r.household_id == refused_household;
            let typed = |field: &str, saved: String| if refused { form.v(field).to_string() } else { saved };
            AnswerRow {
                position: r.position,
                household_id: r.household_id.clone(),
                household: r.household.clone(),
                person_id: r.person_id.clone().unwrap_or_default(),
                name: r.name.clone(),
                phone: r.phone.clone().unwrap_or_default(),
                delivered: amount(&c, r.delivered, unit),
                answer: typed("answer", r.answer.map(|a| a.as_str().to_string()).unwrap_or_default()),
                amount_reported: typed(
                    "amount_reported",
                    r.amount_reported
                        .map(|a| if a.fract() == 0.0 { format!("{a:.0}") } else { a.to_string() })
                        .unwrap_or_default(),
                ),
                issue: typed("issue", r.issue.clone().unwrap_or_default()),
                asked_on: typed("date", r.asked_on.clone().unwrap_or_default()),
                refused,
            }
        })
        .collect();
    render(&SamplePage {
        sample: sample_line(&c, &sample),
        cycle_id: cycle.id.clone(),
        cycle: format!("{} — {}", programme.code, cycle.name),
        unit: unit.to_string(),
        counts,
        delivered_reported: format!(
            "{} / {}",
            amount(&c, s.delivered_quantity, unit),
            amount(&c, s.reported_quantity, unit)
        ),
        rows,
        answers: options(&c, MonitoringAnswer::ALL, MonitoringAnswer::as_str),
        saved,
        form,
        c,
    })
}

#[derive(Deserialize)]
pub struct SampleQuery {
    saved: Option<String>,
}

pub async fn sample(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Query(q): Query<SampleQuery>,
) -> Response {
    sample_page(&state, page.ctx, page.actor, id, q.saved.is_some(), FormState::default()).await
}

pub async fn record_answer(
    State(state): State<AppState>,
    page: SignedIn,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (form, c, actor) = match checked_form(page, pairs) {
        Ok(checked) => checked,
        Err(refused) => return *refused,
    };
    let input = MonitoringInput {
        household: form.v("household").into(),
        person: form.opt("person"),
        answer: form.v("answer").into(),
        amount_reported: Quantity::Text(form.v("amount_reported").into()),
        issue: form.opt("issue"),
        date: form.v("date").into(),
    };
    let (who, sample) = (actor.clone(), id.clone());
    match blocking(&state, move |store| store.record_monitoring_answer(&who, &sample, &input)).await {
        Ok(row) => Redirect::to(&format!("/assistance/samples/{id}?saved=1#row-{}", row.position)).into_response(),
        Err(error) => {
            let form = match form_with(form, &c, error) {
                Ok(form) => form,
                Err(page) => return *page,
            };
            refused_again(sample_page(&state, c, actor, id, false, form).await)
        }
    }
}
