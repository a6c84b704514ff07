//! Partners' monthly activity reports: an organisation reports an indicator's value at a place
//! for a month once it is over; whoever keeps the plan accepts it (then it is locked) or sends
//! it back with a comment, and the partner submits it again. Accepted reports are what the
//! plan's progress counts as reported, beside what Djoliba counts itself.

use chrono::NaiveDate;
use domain::plans::ReportInput;
use domain::{Message, ReportStatus};
use serde::Serialize;
use serde_json::json;

use super::{plan_in, require_plan_writer};
use crate::db::{Row, Tx};
use crate::error::StoreError;
use crate::{audit, new_id, params, Actor, Store};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub id: String,
    pub indicator: String,
    /// The reporting organisation's code.
    pub organisation: String,
    pub place: String,
    /// `YYYY-MM`.
    pub month: String,
    pub value: f64,
    pub female: Option<f64>,
    pub male: Option<f64>,
    pub status: ReportStatus,
    /// Why it was sent back.
    pub comment: Option<String>,
    pub submitted_by: String,
    pub reviewed_by: Option<String>,
}

const COLUMNS: &str = "r.id, i.code, o.code, r.place, r.month, r.value, r.female, r.male, r.status, r.comment, \
     r.submitted_by, r.reviewed_by";

fn report_from_row(r: &Row) -> Result<Report, StoreError> {
    Ok(Report {
        id: r.text(0),
        indicator: r.text(1),
        organisation: r.text(2),
        place: r.text(3),
        month: r.str(4).get(..7).unwrap_or_default().to_string(),
        value: r.real(5),
        female: r.opt_real(6),
        male: r.opt_real(7),
        status: ReportStatus::parse("status", r.str(8))
            .map_err(|_| StoreError::Database(format!("report status {:?} unknown", r.str(8))))?,
        comment: r.opt_text(9),
        submitted_by: r.text(10),
        reviewed_by: r.opt_text(11),
    })
}

fn report_in(tx: &mut Tx<'_>, id: &str) -> Result<(Report, String), StoreError> {
    let r = tx
        .query_opt(
            &format!(
                "SELECT {COLUMNS}, i.plan_id FROM activity_reports r JOIN indicators i ON i.id = r.indicator_id \
                 JOIN organisations o ON o.id = r.organisation_id WHERE r.id = $1"
            ),
            params![id],
        )?
        .ok_or(StoreError::NotFound("report"))?;
    Ok((report_from_row(&r)?, r.text(12)))
}

/// An accepted report, as progress counts it.
pub(super) struct Accepted {
    pub indicator: String,
    pub organisation: String,
    pub place: String,
    pub month: NaiveDate,
    pub value: f64,
}

/// Accepted reports of a plan, for its progress.
pub(super) fn accepted(tx: &mut Tx<'_>, plan_id: &str) -> Result<Vec<Accepted>, StoreError> {
    Ok(tx
        .query(
            "SELECT i.code, r.organisation_id, r.place, r.month, r.value FROM activity_reports r \
             JOIN indicators i ON i.id = r.indicator_id WHERE i.plan_id = $1 AND r.status = 'accepted'",
            params![plan_id],
        )?
        .iter()
        .filter_map(|r| {
            let month = NaiveDate::parse_from_str(r.str(3), "%Y-%m-%d").ok()?;
            Some(Accepted { indicator: r.text(0), organisation: r.text(1), place: r.text(2), month, value: r.real(4) })
        })
        .collect())
}

impl Store {
    /// A partner's report for a month that is over, at a région or cercle: new, or replacing
    /// its own submitted or sent-back report; an accepted one is locked.
    pub fn submit_report(&self, actor: &Actor, plan: &str, input: &ReportInput) -> Result<Report, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let today = self.today();
        self.db.write(|tx| {
            let plan = plan_in(tx, plan)?;
            let day = |t: &str| NaiveDate::parse_from_str(t, "%Y-%m-%d").unwrap_or_default();
            let new = input.parse((day(&plan.start_date), day(&plan.end_date)), today)?;
            let Some(indicator) = plan.indicators.iter().find(|i| i.code == new.indicator) else {
                let codes = plan.indicators.iter().map(|i| i.code.as_str()).collect::<Vec<_>>().join(", ");
                return Err(StoreError::invalid("indicator", new.indicator.as_str(), Message::IndicatorOfPlan { codes }));
            };
            if !matches!(self.gazetteer.get(&new.place).map(|l| l.admin_level), Some(1 | 2)) {
                return Err(StoreError::invalid("place", new.place.as_str(), Message::TargetPlace));
            }
            let organisation = self.registering_organisation(tx, actor, input.organisation.as_deref())?;
            let month = new.month.to_string();
            let existing = tx.query_opt(
                "SELECT id, status FROM activity_reports WHERE indicator_id = $1 AND organisation_id = $2 \
                 AND place = $3 AND month = $4",
                params![indicator.id.as_str(), organisation.as_str(), new.place.as_str(), month.as_str()],
            )?;
            let id = match existing {
                Some(r) if r.str(1) == ReportStatus::Accepted.as_str() => {
                    return Err(StoreError::Conflict(Message::ReportLocked))
                }
                Some(r) => {
                    tx.execute(
                        "UPDATE activity_reports SET value = $1, female = $2, male = $3, status = 'submitted', \
                         submitted_at = $4, submitted_by = $5 WHERE id = $6",
                        params![new.value, new.female, new.male, now, actor.username.as_str(), r.str(0)],
                    )?;
                    r.text(0)
                }
                None => {
                    let id = new_id();
                    tx.execute(
                        "INSERT INTO activity_reports (id, indicator_id, organisation_id, place, month, value, female, \
                         male, status, submitted_at, submitted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'submitted', $9, $10)",
                        params![
                            id.as_str(),
                            indicator.id.as_str(),
                            organisation.as_str(),
                            new.place.as_str(),
                            month.as_str(),
                            new.value,
                            new.female,
                            new.male,
                            now,
                            actor.username.as_str()
                        ],
                    )?;
                    id
                }
            };
            audit::record(tx, actor, now, "submit", "activity_report", &id, json!({
                "plan": plan.code, "indicator": new.indicator, "place": new.place, "month": month
            }))?;
            Ok(report_in(tx, &id)?.0)
        })
    }

    /// Accepts a submitted report (locking it) or sends it back with what to correct.
    pub fn review_report(
        &self,
        actor: &Actor,
        id: &str,
        decision: &str,
        comment: Option<&str>,
    ) -> Result<Report, StoreError> {
        require_plan_writer(actor)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let (report, _) = report_in(tx, id)?;
            let to = match decision.trim() {
                "accept" => ReportStatus::Accepted,
                "send_back" => ReportStatus::SentBack,
                other => return Err(StoreError::invalid("decision", other, Message::ReportDecision)),
            };
            match report.status {
                ReportStatus::Accepted => return Err(StoreError::Conflict(Message::ReportLocked)),
                // What was sent back waits for the partner's correction.
                ReportStatus::SentBack => return Err(StoreError::Conflict(Message::ReportSentBack)),
                ReportStatus::Submitted => {}
            }
            let comment = comment.map(str::trim).filter(|c| !c.is_empty());
            if to == ReportStatus::SentBack && comment.is_none_or(|c| c.chars().count() < 3 || c.chars().count() > 1000)
            {
                return Err(StoreError::invalid("comment", comment.unwrap_or_default(), Message::SendBackComment));
            }
            tx.execute(
                "UPDATE activity_reports SET status = $1, comment = COALESCE($2, comment), reviewed_at = $3, \
                 reviewed_by = $4 WHERE id = $5",
                params![to.as_str(), comment, now, actor.username.as_str(), id],
            )?;
            audit::record(tx, actor, now, "review", "activity_report", id, json!({"decision": to}))?;
            Ok(report_in(tx, id)?.0)
        })
    }

    /// A plan's reports, the latest month first: for readers of records (partners' reports
    /// can hold small counts; viewers read the plan's progress).
    pub fn plan_reports(&self, actor: &Actor, plan: &str) -> Result<Vec<Report>, StoreError> {
        if !actor.role.sees_records() {
            return Err(StoreError::Forbidden("partners' reports are read by those who keep or make them"));
        }
        self.db.read(|tx| {
            let plan = plan_in(tx, plan)?;
            tx.query(
                &format!(
                    "SELECT {COLUMNS} FROM activity_reports r JOIN indicators i ON i.id = r.indicator_id \
                     JOIN organisations o ON o.id = r.organisation_id WHERE i.plan_id = $1 \
                     ORDER BY r.month DESC, i.code, o.code, r.place"
                ),
                params![plan.id.as_str()],
            )?
            .iter()
            .map(report_from_row)
            .collect()
        })
    }
}
