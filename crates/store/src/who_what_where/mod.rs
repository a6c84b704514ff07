//! The 4W: who does what, where, when, for whom — organisation × sector × activity × place ×
//! month × population group, with people targeted and reached. Three sources side by side,
//! each row saying which: counted from Djoliba's deliveries (distinct people, as reach counts
//! them), reported by partners in accepted monthly reports, and imported from partners' 3W/5W
//! sheets. Readers under disclosure control see counted rows as the reach page shows them
//! (whole calendar quarters, small counts hidden); partners' aggregates are not personal data.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use domain::{Message, ReachedBy};
use exchange::figures::HxlTable;
use exchange::tables::{read_file, Encoding};
use exchange::who_what_where::{read_activity_rows, ActivityColumns, ActivityRow};
use exchange::InputFile;
use serde::Serialize;
use serde_json::json;

use crate::error::StoreError;
use crate::import::{ImportError, RowError};
use crate::visibility::{Access, Visibility};
use crate::{audit, new_id, params, Actor, Store};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WhoWhatWhere {
    pub from: String,
    pub to: String,
    /// 1 (région) or 2 (cercle).
    pub level: i64,
    /// Set for readers under disclosure control: counted rows cover the whole quarter, and a
    /// count under this many is hidden.
    pub disclosure_threshold: Option<u64>,
    pub rows: Vec<ActivityFigure>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityFigure {
    pub organisation: String,
    pub sector: String,
    /// The kind of assistance (counted rows), the indicator's code (reported rows) or the
    /// activity as the sheet names it (imported rows).
    pub activity: String,
    /// A région's or cercle's P-code (a région's on a cercle table when that is all a
    /// partner gave).
    pub place: String,
    /// The month (2024-05), or the whole period as `from/to` for readers under disclosure
    /// control.
    pub period: String,
    /// Population group code; empty when not given.
    pub population_group: String,
    pub targeted: Option<f64>,
    pub reached: Option<f64>,
    pub female: Option<f64>,
    pub male: Option<f64>,
    /// Reached hidden for this reader (a count under the threshold).
    pub reached_hidden: bool,
    pub source: ReachedBy,
}

/// What an import of a 3W/5W sheet did (or would do, checked only).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ActivityImportReport {
    pub rows: usize,
    pub added: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityImport {
    pub report: Option<ActivityImportReport>,
    pub errors: Vec<RowError>,
}

type ImportedKey = (String, String, String, String, String, String);

fn parse_day(field: &str, text: &str) -> Result<NaiveDate, StoreError> {
    domain::dates::calendar_day(text).ok_or_else(|| StoreError::invalid(field, text.trim(), Message::IsoDate))
}

fn month_text(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

impl Store {
    /// The 4W from `from` to `to` at `level` (1 région, 2 cercle), for `actor`.
    pub fn who_what_where(&self, actor: &Actor, from: &str, to: &str, level: i64) -> Result<WhoWhatWhere, StoreError> {
        let (from_day, to_day) = (parse_day("from", from)?, parse_day("to", to)?);
        if !(1..=2).contains(&level) {
            return Err(StoreError::invalid("level", level.to_string(), Message::OneOf { codes: "1, 2".into() }));
        }
        if to_day < from_day {
            return Err(StoreError::invalid(
                "to",
                to_day.to_string(),
                Message::DateOnOrAfter { from: from_day.to_string() },
            ));
        }
        let controlled = self.figures_need_disclosure_control(actor)?;
        let cut = |place: &str| -> String { place.chars().take((2 + 2 * level) as usize).collect() };
        let mut rows = Vec::new();
        if controlled {
            // The reach page's rows, suppressed as it suppresses them: one set of published
            // counts, so no subtraction between the two pages reveals a hidden one.
            let reach = self.reach(actor, &from_day.to_string(), &to_day.to_string(), level)?;
            for r in reach.rows {
                let hidden = r.is_hidden("people");
                let part = |field: &str, n: i64| (!r.is_hidden(field)).then_some(n as f64);
                rows.push(ActivityFigure {
                    organisation: r.organisation.clone(),
                    sector: r.sector.clone(),
                    activity: r.kind.clone(),
                    place: r.place.clone(),
                    period: format!("{from_day}/{to_day}"),
                    population_group: r.population_group.clone(),
                    targeted: None,
                    reached: (!hidden).then_some(r.people as f64),
                    female: if hidden { None } else { part("female", r.female) },
                    male: if hidden { None } else { part("male", r.male) },
                    reached_hidden: hidden,
                    source: ReachedBy::Counted,
                });
            }
        } else {
            let cond = Visibility::of(actor).households("h", Access::Read);
            let counted = self.db.read(|tx| {
                let index = self.reach.current(tx)?;
                let visible = crate::assistance::visible_households(tx, &index, &cond)?;
                Ok(index.who_what_where(from_day, to_day, level, visible.as_deref()))
            })?;
            for c in counted {
                let some = |n: i64| (n > 0).then_some(n as f64);
                rows.push(ActivityFigure {
                    organisation: c.organisation,
                    sector: c.sector,
                    activity: c.kind,
                    place: c.place,
                    period: month_text(c.month),
                    population_group: c.group,
                    targeted: some(c.targeted.people),
                    reached: Some(c.reached.people as f64),
                    female: Some(c.reached.female as f64),
                    male: Some(c.reached.male as f64),
                    reached_hidden: false,
                    source: ReachedBy::Counted,
                });
            }
        }
        let first_month = from_day.with_day(1).unwrap_or(from_day).to_string();
        let (reports, imported) = self.db.read(|tx| {
            let reports = tx.query(
                "SELECT o.code, i.sector, i.code, r.place, r.month, r.value, r.female, r.male, i.across_places \
                 FROM activity_reports r JOIN indicators i ON i.id = r.indicator_id \
                 JOIN organisations o ON o.id = r.organisation_id \
                 WHERE r.status = 'accepted' AND r.month >= $1 AND r.month <= $2",
                params![first_month.as_str(), to_day.to_string()],
            )?;
            let imported = tx.query(
                "SELECT organisation, sector, activity, place, month, population_group, targeted, reached, female, male \
                 FROM activity_rows WHERE month >= $1 AND month <= $2",
                params![first_month.as_str(), to_day.to_string()],
            )?;
            Ok((reports, imported))
        })?;
        // Partners' reports at the level: months stay apart, places under one combine as the
        // indicator says.
        type Values = (domain::Aggregation, Vec<[Option<f64>; 3]>);
        let mut reported: BTreeMap<(String, String, String, String, String), Values> = BTreeMap::new();
        for r in &reports {
            let rule = domain::Aggregation::parse("across_places", r.str(8)).unwrap_or(domain::Aggregation::Sum);
            let month = r.str(4).get(..7).unwrap_or("").to_string();
            let key = (r.text(0), r.text(1), r.text(2), cut(r.str(3)), month);
            reported.entry(key).or_insert((rule, Vec::new())).1.push([Some(r.real(5)), r.opt_real(6), r.opt_real(7)]);
        }
        for ((organisation, sector, activity, place, period), (rule, values)) in reported {
            let combined = |i: usize, rule: domain::Aggregation| -> Option<f64> {
                let parts: Vec<(NaiveDate, f64)> =
                    values.iter().filter_map(|v| v[i]).map(|v| (NaiveDate::default(), v)).collect();
                if parts.len() < values.len() {
                    return None;
                }
                domain::plans::combine(rule, &parts)
            };
            let rule = if rule == domain::Aggregation::Latest { domain::Aggregation::Sum } else { rule };
            // Women and men add up across places only when the value itself is a sum.
            let split = |i: usize| if rule == domain::Aggregation::Sum { combined(i, rule) } else { None };
            rows.push(ActivityFigure {
                organisation,
                sector,
                activity,
                place,
                period,
                population_group: String::new(),
                targeted: None,
                reached: combined(0, rule),
                female: split(1),
                male: split(2),
                reached_hidden: false,
                source: ReachedBy::Reported,
            });
        }
        let mut sheets: BTreeMap<ImportedKey, [Option<f64>; 4]> = BTreeMap::new();
        for r in &imported {
            let month = r.str(4).get(..7).unwrap_or("").to_string();
            let key = (r.text(0), r.text(1), r.text(2), cut(r.str(3)), month, r.text(5));
            let sums = sheets.entry(key).or_insert([None; 4]);
            for (slot, i) in sums.iter_mut().zip(6..10) {
                if let Some(v) = r.opt_real(i) {
                    *slot = Some(slot.unwrap_or(0.0) + v);
                }
            }
        }
        for ((organisation, sector, activity, place, period, population_group), [targeted, reached, female, male]) in
            sheets
        {
            rows.push(ActivityFigure {
                organisation,
                sector,
                activity,
                place,
                period,
                population_group,
                targeted,
                reached,
                female,
                male,
                reached_hidden: false,
                source: ReachedBy::Imported,
            });
        }
        rows.sort_by(|a, b| {
            let key = |r: &ActivityFigure| {
                (r.organisation.clone(), r.sector.clone(), r.activity.clone(), r.place.clone(), r.period.clone())
            };
            key(a).cmp(&key(b)).then(a.population_group.cmp(&b.population_group)).then(a.source.cmp(&b.source))
        });
        Ok(WhoWhatWhere {
            from: from_day.to_string(),
            to: to_day.to_string(),
            level,
            disclosure_threshold: controlled.then(|| self.disclosure_threshold()),
            rows,
        })
    }

    /// Imports a 3W/5W sheet in HXL (CSV or XLSX): every row checked (sector of the code
    /// list, région or cercle, month, population group, counts) and nothing written unless all
    /// are good; a row sets its organisation × sector × activity × place × month × group, so
    /// the same sheet again changes nothing.
    pub fn import_activity_file(
        &self,
        actor: &Actor,
        file: InputFile,
        dry_run: bool,
    ) -> Result<ActivityImport, ImportError> {
        crate::plans::require_plan_writer(actor).map_err(ImportError::Store)?;
        let tables = read_file(&file.name, &file.bytes, Encoding::Auto).map_err(ImportError::File)?;
        let Some(table) = tables.into_iter().find(exchange::series::has_tag_row) else {
            let expected = Message::HxlTagRow;
            let error = RowError { file: file.name, row: 1, column: String::new(), value: String::new(), expected };
            return Ok(ActivityImport { report: None, errors: vec![error] });
        };
        let (mut rows, columns) = match read_activity_rows(&table) {
            Ok(read) => read,
            Err(errors) => return Ok(ActivityImport { report: None, errors }),
        };
        let errors = self.check_activity_rows(&table.source, &columns, &mut rows);
        if !errors.is_empty() {
            return Ok(ActivityImport { report: None, errors });
        }
        let (source, now) = (table.source.clone(), self.now_ms());
        self.db
            .write(|tx| {
                let mut report = ActivityImportReport { rows: rows.len(), dry_run, ..Default::default() };
                for row in &rows {
                    let month = row.month.to_string();
                    let key = params![
                        row.organisation.as_str(),
                        row.sector.as_str(),
                        row.activity.as_str(),
                        row.place.as_str(),
                        month.as_str(),
                        row.group.as_str()
                    ];
                    let before = tx.query_opt(
                        "SELECT targeted, reached, female, male FROM activity_rows WHERE organisation = $1 \
                         AND sector = $2 AND activity = $3 AND place = $4 AND month = $5 AND population_group = $6",
                        key,
                    )?;
                    let values = [row.targeted, row.reached, row.female, row.male];
                    match before {
                        Some(b) if (0..4).all(|i| b.opt_real(i) == values[i]) => {
                            report.unchanged += 1;
                            continue;
                        }
                        Some(_) => report.changed += 1,
                        None => report.added += 1,
                    }
                    if dry_run {
                        continue;
                    }
                    tx.execute(
                        "DELETE FROM activity_rows WHERE organisation = $1 AND sector = $2 AND activity = $3 \
                         AND place = $4 AND month = $5 AND population_group = $6",
                        key,
                    )?;
                    tx.execute(
                        "INSERT INTO activity_rows (id, organisation, sector, activity, place, month, population_group, \
                         targeted, reached, female, male, source, updated_at, updated_by) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                        params![
                            new_id(),
                            row.organisation.as_str(),
                            row.sector.as_str(),
                            row.activity.as_str(),
                            row.place.as_str(),
                            month.as_str(),
                            row.group.as_str(),
                            row.targeted,
                            row.reached,
                            row.female,
                            row.male,
                            format!("{source}, row {}", row.row),
                            now,
                            actor.username.as_str()
                        ],
                    )?;
                }
                if !dry_run && report.added + report.changed > 0 {
                    let detail = json!({"file": source, "added": report.added, "changed": report.changed});
                    audit::record(tx, actor, now, "import_4w", "activity_rows", &source, detail)?;
                }
                Ok(ActivityImport { report: Some(report), errors: Vec::new() })
            })
            .map_err(ImportError::Store)
    }

    /// Sectors to codes, places, groups and repeated keys, every bad cell named.
    fn check_activity_rows(&self, source: &str, columns: &ActivityColumns, rows: &mut [ActivityRow]) -> Vec<RowError> {
        let error = |row: usize, column: &str, value: &str, expected: Message| RowError {
            file: source.to_string(),
            row,
            column: column.into(),
            value: value.into(),
            expected,
        };
        let sector_codes = self.gazetteer.sectors.iter().map(|s| s.code.as_str()).collect::<Vec<_>>().join(", ");
        let (mut errors, mut seen) = (Vec::new(), std::collections::HashMap::<ImportedKey, usize>::new());
        for row in rows.iter_mut() {
            match self.gazetteer.sector_named(&row.sector) {
                Some(s) => row.sector = s.code.clone(),
                None => errors.push(error(
                    row.row,
                    &columns.sector,
                    &row.sector,
                    Message::SectorOfList { codes: sector_codes.clone() },
                )),
            }
            if !matches!(self.gazetteer.get(&row.place).map(|l| l.admin_level), Some(1 | 2)) {
                errors.push(error(row.row, &row.place_column, &row.place, Message::TargetPlace));
            }
            let group = population_group_code(&row.group);
            if !group.is_empty() && !self.gazetteer.is_population_group(&group) {
                let codes = self
                    .gazetteer
                    .population_groups
                    .iter()
                    .filter(|g| g.kind == "population_group")
                    .map(|g| g.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                errors.push(error(row.row, &columns.group, &row.group, Message::OneOf { codes }));
            }
            row.group = group;
            let key = (
                row.organisation.clone(),
                row.sector.clone(),
                row.activity.clone(),
                row.place.clone(),
                row.month.to_string(),
                row.group.clone(),
            );
            if let Some(first) = seen.insert(key, row.row) {
                errors.push(error(
                    row.row,
                    &columns.organisation,
                    &row.organisation,
                    Message::ActivityRowOnce { row: first },
                ));
            }
        }
        errors
    }
}

/// A population group as partners write it: its code, or the French or English words for
/// the common ones ("PDI", "réfugiés", "host community").
fn population_group_code(text: &str) -> String {
    let folded = domain::text::fold(text);
    let code = match folded.as_str() {
        "pdi" | "deplaces" | "deplaces internes" | "personnes deplacees internes" | "idps" => "IDP",
        "refugies" | "refugees" => "REF",
        "retournes" | "pdi retournees" | "returnees" | "returned idps" => "RDP",
        "rapatries" | "refugies rapatries" | "returned refugees" => "RET",
        "communaute hote" | "communaute d accueil" | "hote" | "host community" | "host" => "HST",
        _ => return text.trim().to_uppercase(),
    };
    code.to_string()
}

impl WhoWhatWhere {
    /// The 4W in HXL 3W tags, as OCHA and HDX take them; the columns the import reads come
    /// first, so the table goes back in as it came out.
    pub fn hxl_table(&self, gazetteer: &domain::places::Gazetteer) -> HxlTable {
        let columns = [
            ("organisation", "#org+acronym"),
            ("sector_code", "#sector+cluster+code"),
            ("activity", "#activity+name"),
            ("admin1_pcode", "#adm1+code"),
            ("admin1_name", "#adm1+name"),
            ("admin2_pcode", "#adm2+code"),
            ("admin2_name", "#adm2+name"),
            ("month", "#date+month"),
            ("population_group", "#beneficiary+code"),
            ("targeted", "#targeted+ind"),
            ("reached", "#reached+ind"),
            ("reached_female", "#reached+ind+f"),
            ("reached_male", "#reached+ind+m"),
            ("source", "#meta+source"),
        ];
        let number = |n: Option<f64>| n.map(|n| n.to_string()).unwrap_or_default();
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let unit = |level: i64| gazetteer.ancestor_at(&r.place, level);
                let code = |level: i64| unit(level).map(|l| l.pcode.clone()).unwrap_or_default();
                let name = |level: i64| unit(level).map(|l| l.name.clone()).unwrap_or_default();
                vec![
                    r.organisation.clone(),
                    r.sector.clone(),
                    r.activity.clone(),
                    code(1),
                    name(1),
                    code(2),
                    name(2),
                    r.period.clone(),
                    r.population_group.clone(),
                    number(r.targeted),
                    number(r.reached),
                    number(r.female),
                    number(r.male),
                    r.source.as_str().to_string(),
                ]
            })
            .collect();
        HxlTable {
            name: "who_what_where",
            headers: columns.iter().map(|c| c.0.to_string()).collect(),
            tags: columns.iter().map(|c| c.1.to_string()).collect(),
            rows,
        }
    }

    /// Organisations present per place: the "who is where".
    pub fn presence(&self) -> BTreeMap<String, Vec<String>> {
        let mut by_place: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in &self.rows {
            let orgs = by_place.entry(r.place.clone()).or_default();
            if !orgs.contains(&r.organisation) {
                orgs.push(r.organisation.clone());
            }
        }
        for orgs in by_place.values_mut() {
            orgs.sort();
        }
        by_place
    }
}
