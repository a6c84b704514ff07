//! Bulk import of households, members and movements: one transaction for the whole file, so
//! it lands whole or not at all; idempotent by external id, so repeating it changes nothing.

use std::collections::HashMap;

use domain::registry::{NewHousehold, NewMovement};
use domain::Message;
use serde::Serialize;

use exchange::import::{assemble, read_files};
pub use exchange::import::{ImportItem, ImportOptions, InputFile, RowError, RowRef};
use exchange::tables::FileError;

use crate::db::{Backend, Tx, Value};
use crate::error::StoreError;
use crate::registry::{
    apply_changes, insert_movement, insert_person, new_household_rows, person_changes, refresh_derived,
    write_new_households, NewHouseholdRows, PERSON_FIELDS,
};
use crate::visibility::{Access, Cond, Sql, Visibility};
use crate::{new_id, params, Actor, Store};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportSummary {
    pub households: Counts,
    pub people: Counts,
    pub movements: Counts,
}

#[derive(Debug)]
pub enum ImportFailure {
    /// Bad rows: nothing was written.
    Rows(Vec<RowError>),
    Store(StoreError),
}

impl From<StoreError> for ImportFailure {
    fn from(e: StoreError) -> Self {
        ImportFailure::Store(e)
    }
}

/// Maps a store error about item `item` onto the row and column it came from.
fn locate(item: &ImportItem, error: StoreError) -> ImportFailure {
    let household_col = |field: &str| match field {
        "external_id" => "household_id".to_string(),
        other => other.to_string(),
    };
    match error {
        StoreError::Invalid(fields) => ImportFailure::Rows(
            fields
                .0
                .into_iter()
                .map(|f| {
                    let (row, column) =
                        row_of(item, &f.field).unwrap_or((item.household_row.clone(), household_col(&f.field)));
                    RowError { file: row.file, row: row.row, column, value: f.value, expected: *f.expected }
                })
                .collect(),
        ),
        StoreError::Chronology(e) => {
            let (row, _) =
                row_of(item, &format!("{}.date", e.event)).unwrap_or((item.household_row.clone(), String::new()));
            let (kind, problem) = (e.kind.as_str().to_string(), e.problem.clone());
            let expected = match (&e.conflicting_event, e.conflicting_kind, e.conflicting_date) {
                (Some(c), Some(other), Some(date)) => {
                    let (other, date) = (other.as_str().to_string(), date.to_string());
                    match row_of(item, &format!("{c}.date")) {
                        Some((r, _)) => {
                            Message::ChronologyInFile { kind, problem, other, date, row: r.row, file: r.file }
                        }
                        None => Message::ChronologyWithRecorded { kind, problem, other, date, event: c.clone() },
                    }
                }
                _ => Message::ChronologyAlone { kind, problem },
            };
            ImportFailure::Rows(vec![RowError {
                file: row.file,
                row: row.row,
                column: "date".into(),
                value: e.date.to_string(),
                expected,
            }])
        }
        StoreError::Conflict(message) => ImportFailure::Rows(vec![RowError {
            file: item.household_row.file.clone(),
            row: item.household_row.row,
            column: "household_id".into(),
            value: item.household.external_id.clone(),
            expected: message,
        }]),
        other => ImportFailure::Store(other),
    }
}

/// `members[2].birth_date` → (the row of member 2, `birth_date`).
fn row_of(item: &ImportItem, field: &str) -> Option<(RowRef, String)> {
    let (list, rest) = field.split_once('[')?;
    let (index, column) = rest.split_once("].")?;
    let index: usize = index.parse().ok()?;
    let rows = match list {
        "members" => &item.member_rows,
        "movements" => &item.movement_rows,
        _ => return None,
    };
    let column = match (list, column) {
        ("members", "external_id") => "person_id",
        ("movements", "external_id") => "movement_id",
        ("movements", "person") => "person_id",
        // `identifiers[1].number`: one cell holds the whole list.
        (_, c) => c.split('[').next().unwrap_or(c),
    };
    Some((rows.get(index)?.clone(), column.to_string()))
}

fn same_movement(existing: &[(Option<String>, Vec<Value>)], m: &NewMovement, person: Option<&str>) -> bool {
    let key = movement_key(m, person);
    existing.iter().any(|(ext, k)| match (&m.external_id, ext) {
        (Some(a), Some(b)) => a == b,
        _ => *k == key,
    })
}

fn movement_key(m: &NewMovement, person: Option<&str>) -> Vec<Value> {
    vec![
        m.kind.as_str().into(),
        m.date.iso().into(),
        m.date.precision.as_str().into(),
        person.into(),
        m.from.clone().into(),
        m.to.clone().into(),
    ]
}

impl Store {
    /// Imports households with their members and movements in one transaction. A household
    /// already registered by the organisation (same external id) is compared field by field:
    /// unchanged fields change nothing, changed ones are updated with a version naming the file.
    /// Members match by their external id; movements by theirs, or by kind, date, person and
    /// places. Nothing is deleted.
    pub fn import(
        &self,
        actor: &Actor,
        items: &[ImportItem],
        file_name: &str,
        file_sha256: &str,
        progress: &mut dyn FnMut(usize),
    ) -> Result<ImportSummary, ImportFailure> {
        self.import_or_rehearse(actor, items, (file_name, file_sha256), progress, true)
    }

    /// Imports (`commit`), or does everything an import would and rolls it back: a preview
    /// that finds every error the import would and says what it would change.
    fn import_or_rehearse(
        &self,
        actor: &Actor,
        items: &[ImportItem],
        file: (&str, &str),
        progress: &mut dyn FnMut(usize),
        commit: bool,
    ) -> Result<ImportSummary, ImportFailure> {
        actor.require_write()?;
        // New households are written in batches (a statement, or on PostgreSQL a COPY, per
        // table). A batch that fails on a constraint aborts it all: the file is then imported
        // again one household at a time, which names the row at fault.
        match self.import_in(actor, items, file, progress, IMPORT_BATCH, commit) {
            Err(ImportFailure::Store(error)) => {
                tracing::info!(%error, "a batch of the import failed: importing household by household");
                self.import_in(actor, items, file, progress, 1, commit)
            }
            other => other,
        }
    }

    fn import_in<'i>(
        &self,
        actor: &Actor,
        items: &'i [ImportItem],
        (file_name, file_sha256): (&str, &str),
        progress: &mut dyn FnMut(usize),
        batch: usize,
        commit: bool,
    ) -> Result<ImportSummary, ImportFailure> {
        let now = self.now_ms();
        let today = self.today();
        let reason = format!("import of {file_name}");
        // A bad row aborts the transaction; the failure, located in the file, is kept here.
        let mut located: Option<ImportFailure> = None;
        let mut abort = |item: &ImportItem, error: StoreError| match locate(item, error) {
            ImportFailure::Store(e) => e,
            rows => {
                located = Some(rows);
                StoreError::Conflict(Message::ImportAborted)
            }
        };
        let body = |tx: &mut Tx<'_>| {
            if tx.backend() == Backend::Postgres {
                // The tables grow from the first batch to the last: a plan made for the
                // lookups while they were small (scans) must not serve them large.
                tx.execute_batch("SET LOCAL plan_cache_mode = force_custom_plan")?;
            }
            let mut summary = ImportSummary::default();
            let mut organisations: HashMap<Option<String>, String> = HashMap::new();
            // Each batch's registering organisations, and its households already registered.
            let mut look_up = |tx: &mut Tx<'_>, chunk: &'i [ImportItem]| -> Result<Batch<'i>, StoreError> {
                let mut orgs = Vec::with_capacity(chunk.len());
                for item in chunk {
                    let h = &item.household;
                    orgs.push((|| -> Result<String, StoreError> {
                        crate::registry::check_in_regions(
                            actor,
                            h.current_location.as_deref().unwrap_or(&h.registration_point),
                        )?;
                        if let Some(id) = organisations.get(&h.organisation) {
                            return Ok(id.clone());
                        }
                        let id = self.registering_organisation(tx, actor, h.organisation.as_deref())?;
                        organisations.insert(h.organisation.clone(), id.clone());
                        Ok(id)
                    })());
                }
                let Some(orgs) = orgs.iter().map(|o| o.as_ref().ok().cloned()).collect::<Option<Vec<String>>>() else {
                    return Ok(Batch { chunk, orgs: Err(orgs), registered: Vec::new() });
                };
                let registered = registered(tx, chunk, &orgs)?;
                Ok(Batch { chunk, orgs: Ok(orgs), registered })
            };
            // New households' rows (ids, replayed timelines, name keys: no database) are made on
            // a second thread while the batch before is written. Households are unique in a
            // file, so a batch's lookup is not changed by the writes of the one before.
            std::thread::scope(|scope| {
                let (to_prepare, work) = std::sync::mpsc::sync_channel::<Vec<(&ImportItem, String)>>(2);
                let (prepared_tx, prepared) =
                    std::sync::mpsc::sync_channel::<Vec<Result<NewHouseholdRows, StoreError>>>(2);
                scope.spawn(move || {
                    for households in work {
                        let rows = households
                            .into_iter()
                            .map(|(item, org)| new_household_rows(actor, &org, &item.household, now, today))
                            .collect();
                        if prepared_tx.send(rows).is_err() {
                            break;
                        }
                    }
                });
                let prepare = |batch: &Batch<'i>| {
                    let Ok(orgs) = &batch.orgs else { return };
                    let new: Vec<(&ImportItem, String)> = batch
                        .chunk
                        .iter()
                        .zip(orgs)
                        .zip(&batch.registered)
                        .filter(|(_, registered)| registered.is_none())
                        .map(|((item, org), _)| (item, org.clone()))
                        .collect();
                    // The worker ends only when this sender is dropped.
                    let _ = to_prepare.send(new);
                };
                let chunks: Vec<&[ImportItem]> = items.chunks(batch).collect();
                let mut next = match chunks.first() {
                    Some(chunk) => Some(look_up(tx, chunk)?),
                    None => None,
                };
                if let Some(batch) = &next {
                    prepare(batch);
                }
                for number in 0..chunks.len() {
                    if (number * batch) % 1000 < batch {
                        progress(number * batch);
                    }
                    let Some(current) = next.take() else { break };
                    if let Err(orgs) = current.orgs {
                        let (item, error) = current
                            .chunk
                            .iter()
                            .zip(orgs)
                            .find_map(|(item, org)| org.err().map(|e| (item, e)))
                            .ok_or_else(|| StoreError::Database("an organisation lookup failed".into()))?;
                        return Err(abort(item, error));
                    }
                    if let Some(chunk) = chunks.get(number + 1) {
                        let batch = look_up(tx, chunk)?;
                        prepare(&batch);
                        next = Some(batch);
                    }
                    let mut rows = prepared
                        .recv()
                        .map_err(|_| StoreError::Database("the import's preparing thread stopped".into()))?
                        .into_iter();
                    let (mut new_rows, mut new_items) = (Vec::new(), Vec::new());
                    for (item, registered) in current.chunk.iter().zip(&current.registered) {
                        let h = &item.household;
                        let outcome = (|| -> Result<(), StoreError> {
                            match registered {
                                None => {
                                    let made = rows.next().ok_or_else(|| {
                                        StoreError::Database("the import's prepared rows ran short".into())
                                    })??;
                                    new_rows.push(made);
                                    new_items.push(item);
                                    summary.households.created += 1;
                                    summary.people.created += h.members.len() as u64;
                                    summary.movements.created += h.movements.len() as u64;
                                }
                                Some(id) => {
                                    // Writes see what reads see: a household the user may not
                                    // change (another office's région) is never updated by a
                                    // file naming it.
                                    let changeable =
                                        Sql::new("SELECT h.id FROM households h WHERE h.id = ?", params![id])
                                            .and(&Visibility::of(actor).households("h", Access::Change));
                                    if !actor.regions.is_empty() && tx.select_opt(&changeable)?.is_none() {
                                        return Err(StoreError::invalid(
                                            "external_id",
                                            h.external_id.clone(),
                                            Message::HouseholdNumberFree,
                                        ));
                                    }
                                    merge_household(tx, actor, id, h, now, &reason, &mut summary)?;
                                    refresh_derived(tx, id, today)?;
                                    crate::registry::keep_in_sight(tx, actor, id)?;
                                }
                            }
                            Ok(())
                        })();
                        outcome.map_err(|e| abort(item, e))?;
                    }
                    if !new_rows.is_empty() {
                        let ids: Vec<String> = new_rows.iter().map(|r| r.id.clone()).collect();
                        crate::versions::new_households_recorded(
                            tx,
                            &ids.iter().map(String::as_str).collect::<Vec<_>>(),
                        )?;
                        write_new_households(tx, new_rows)?;
                        if let Some((index, error)) = crate::registry::keep_all_in_sight(tx, actor, &ids)? {
                            return Err(abort(new_items[index], error));
                        }
                    }
                }
                Ok(())
            })?;
            crate::versions::bump(tx, crate::versions::Capability::Registry)?;
            crate::audit::record(
                tx,
                actor,
                now,
                "import",
                "registry",
                file_sha256,
                serde_json::json!({"file": file_name, "summary": &summary}),
            )?;
            let summary_json = serde_json::to_string(&summary).unwrap_or_default();
            tx.execute(
                "INSERT INTO import_batches (id, file_name, file_sha256, imported_at, imported_by, summary) VALUES ($1, $2, $3, $4, $5, $6)",
                params![new_id(), file_name, file_sha256, now, &actor.user_id, summary_json],
            )?;
            Ok(summary)
        };
        let result = if commit { self.db.write(body) } else { self.db.rehearse(body) };
        match (result, located) {
            (_, Some(failure)) => Err(failure),
            (Ok(summary), None) => Ok(summary),
            (Err(e), None) => Err(ImportFailure::Store(e)),
        }
    }
}

/// A batch of an import's households, looked up: each one's registering organisation (or,
/// when one fails, every lookup's outcome) and those already registered.
struct Batch<'i> {
    chunk: &'i [ImportItem],
    orgs: Result<Vec<String>, Vec<Result<String, StoreError>>>,
    /// Per household, its id when already registered.
    registered: Vec<Option<String>>,
}

/// Households written per batch by an import.
const IMPORT_BATCH: usize = 1000;

/// For each of `items`, its household's id if its organisation (`orgs`, one per item) has
/// registered it already: one query per organisation.
fn registered(tx: &mut Tx<'_>, items: &[ImportItem], orgs: &[String]) -> Result<Vec<Option<String>>, StoreError> {
    let mut by_org: HashMap<&str, Vec<String>> = HashMap::new();
    for (item, org) in items.iter().zip(orgs) {
        by_org.entry(org).or_default().push(item.household.external_id.clone());
    }
    let mut found: HashMap<(&str, String), String> = HashMap::new();
    for (org, asked) in by_org {
        let sql = Sql::new("SELECT external_id, id FROM households WHERE organisation_id = ? AND ", params![org])
            .cond(&Cond::one_of("external_id", &asked));
        for row in tx.select(&sql)? {
            found.insert((org, row.text(0)), row.text(1));
        }
    }
    Ok(items
        .iter()
        .zip(orgs)
        .map(|(item, org)| found.get(&(org.as_str(), item.household.external_id.clone())).cloned())
        .collect())
}

/// Brings an already registered household in line with an imported one.
fn merge_household(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: &str,
    h: &NewHousehold,
    now: i64,
    reason: &str,
    summary: &mut ImportSummary,
) -> Result<(), StoreError> {
    let row = tx
        .query_opt(
            "SELECT version, registration_point, registration_date, population_group, origin, registered_location, shelter_type, intention FROM households WHERE id = $1",
            params![id],
        )?
        .ok_or(StoreError::NotFound("household"))?;
    let fields = [
        "registration_point",
        "registration_date",
        "population_group",
        "origin",
        "registered_location",
        "shelter_type",
        "intention",
    ];
    let old: HashMap<&str, Value> = fields.into_iter().zip(row.values.iter().skip(1).cloned()).collect();
    let changes: Vec<(&str, Value)> = fields
        .into_iter()
        .zip([
            Value::from(&h.registration_point),
            h.registration_date.format("%Y-%m-%d").to_string().into(),
            Value::from(&h.population_group),
            h.origin.clone().into(),
            h.current_location.clone().into(),
            h.shelter_type.map(|s| s.as_str()).into(),
            h.intention.map(|i| i.as_str()).into(),
        ])
        .collect();
    if apply_changes(tx, "households", "household", id, row.int(0), &changes, &old, actor, now, reason)? {
        summary.households.updated += 1;
    } else {
        summary.households.unchanged += 1;
    }
    // New members' derived state is set by refresh_derived after the merge.
    let today_summary = domain::timeline::Summary::not_displaced(None);
    let mut person_ids: HashMap<String, String> = HashMap::new();
    let select_person = format!(
        "SELECT id, version, {} FROM people WHERE household_id = $1 AND external_id = $2",
        PERSON_FIELDS.join(", ")
    );
    for (i, p) in h.members.iter().enumerate() {
        let Some(ext) = &p.external_id else {
            return Err(StoreError::invalid(&format!("members[{i}].external_id"), "", Message::PersonIdForReimport));
        };
        match tx.query_opt(&select_person, params![id, ext])? {
            None => {
                let pid = new_id();
                insert_person(tx, actor, &pid, id, p, &today_summary, now)?;
                crate::versions::households_changed(tx, &[id])?;
                if p.relationship == Some(domain::Relationship::Head) {
                    tx.execute(
                        "UPDATE households SET head_person_id = $1 WHERE id = $2 AND head_person_id IS NULL",
                        params![&pid, id],
                    )?;
                }
                person_ids.insert(ext.clone(), pid);
                summary.people.created += 1;
            }
            Some(r) => {
                let pid = r.text_of("id")?;
                let old: HashMap<&str, Value> =
                    PERSON_FIELDS.into_iter().map(|f| Ok((f, r.get(f)?.clone()))).collect::<Result<_, StoreError>>()?;
                let p = crate::registry::keep_hidden_fields(actor, p, &r)?;
                let version = r.int_of("version")?;
                if apply_changes(tx, "people", "person", &pid, version, &person_changes(&p), &old, actor, now, reason)?
                {
                    summary.people.updated += 1;
                } else {
                    summary.people.unchanged += 1;
                }
                person_ids.insert(ext.clone(), pid);
            }
        }
    }
    let recorded: Vec<(Option<String>, Vec<Value>)> = tx
        .query(
            "SELECT external_id, kind, date, date_precision, person_id, from_location, to_location FROM movements WHERE household_id = $1 AND voided_at IS NULL",
            params![id],
        )?
        .into_iter()
        .map(|r| (r.opt_text(0), r.values[1..].to_vec()))
        .collect();
    let mut seq = tx.query_int("SELECT COALESCE(MAX(seq), 0) FROM movements WHERE household_id = $1", params![id])?;
    for (i, m) in h.movements.iter().enumerate() {
        let person = match &m.person {
            Some(ext) => match person_ids.get(ext) {
                Some(pid) => Some(pid.clone()),
                None => Some(
                    tx.query_opt(
                        "SELECT id FROM people WHERE household_id = $1 AND external_id = $2",
                        params![id, ext],
                    )?
                    .map(|r| r.text(0))
                    .ok_or_else(|| {
                        StoreError::invalid(&format!("movements[{i}].person"), ext.clone(), Message::MemberPersonId)
                    })?,
                ),
            },
            None => None,
        };
        if same_movement(&recorded, m, person.as_deref()) {
            summary.movements.unchanged += 1;
            continue;
        }
        seq += 1;
        let mid = new_id();
        insert_movement(tx, actor, &mid, id, person.as_deref(), m, seq, now)?;
        summary.movements.created += 1;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// True when nothing was written: a dry run, or errors.
    pub dry_run: bool,
    pub households: usize,
    pub people: usize,
    pub movements: usize,
    pub summary: Option<ImportSummary>,
    /// Every bad cell. When not empty, nothing was written.
    pub errors: Vec<RowError>,
    /// Columns the files had that Djoliba does not read (Kobo metadata, notes…).
    pub ignored_columns: Vec<String>,
}

/// Why an import could not even be checked.
#[derive(Debug)]
pub enum ImportError {
    /// A file that cannot be read as a table.
    File(FileError),
    Store(StoreError),
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportError::File(e) => write!(f, "{e}"),
            ImportError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// Reads, checks and imports files: all or nothing. `progress` is told the phase and, while
/// writing, how many of how many households are done.
impl Store {
    pub fn import_files(
        &self,
        actor: &Actor,
        files: Vec<InputFile>,
        options: ImportOptions,
        progress: &mut dyn FnMut(&str, usize, usize),
    ) -> Result<ImportReport, ImportError> {
        actor.require_write().map_err(ImportError::Store)?;
        progress("reading", 0, 0);
        let started = std::time::Instant::now();
        let (tables, names, sha) = read_files(files, options.encoding).map_err(ImportError::File)?;
        progress("checking", 0, 0);
        let read_ms = started.elapsed().as_millis();
        let (items, ignored_columns) = match assemble(&tables, self.gazetteer.as_ref(), self.today()) {
            Ok(found) => found,
            Err(errors) => {
                return Ok(ImportReport {
                    dry_run: true,
                    households: 0,
                    people: 0,
                    movements: 0,
                    summary: None,
                    errors,
                    ignored_columns: Vec::new(),
                })
            }
        };
        drop(tables);
        let check_ms = started.elapsed().as_millis() - read_ms;
        let households = items.len();
        let people = items.iter().map(|i| i.household.members.len()).sum();
        let movements = items.iter().map(|i| i.household.movements.len()).sum();
        let mut report = ImportReport {
            dry_run: options.dry_run,
            households,
            people,
            movements,
            summary: None,
            errors: Vec::new(),
            ignored_columns,
        };
        // A dry run does all the import does, then rolls it back: it finds every error the
        // import would (a chronology against recorded movements, a household out of the
        // user's régions) and says what would change.
        let phase = if options.dry_run { "checking" } else { "writing" };
        progress(phase, 0, households);
        let file = (names.join(", "), sha);
        let mut told = |done| progress(phase, done, households);
        let outcome = self.import_or_rehearse(actor, &items, (&file.0, &file.1), &mut told, !options.dry_run);
        let write_ms = started.elapsed().as_millis() - read_ms - check_ms;
        tracing::debug!(households, read_ms, check_ms, write_ms, "import phases");
        match outcome {
            Ok(summary) => report.summary = Some(summary),
            Err(ImportFailure::Rows(errors)) => {
                report.dry_run = true;
                report.errors = errors;
            }
            Err(ImportFailure::Store(e)) => return Err(ImportError::Store(e)),
        }
        Ok(report)
    }
}
