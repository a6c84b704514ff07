//! The registry: households, people and movements. Creation writes the row (with who and when);
//! every later change writes a `record_versions` row with the old and new value of each changed
//! field and the reason, in the same transaction. Movements are voided, never deleted. Derived
//! values (status, current location, displacement count) are recomputed from the movements in
//! the transaction that changes them.

mod history;
mod households;
mod movements;
mod names;
mod people;
mod registration;
mod writes;

pub use registration::{IfLikelyDuplicates, Registered, Registration};
pub(crate) use writes::*;

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::registry::{NewHousehold, NewMovement, NewPerson};
use domain::timeline::{self, ChronologyError, Event, Summary};
use domain::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::{Row, Tx, Value};
use crate::error::StoreError;
use crate::reference::CURRENT_GAZETTEER;
use crate::visibility::{Access, Cond, Sql, Visibility};
use crate::{audit, new_id, params, Actor, Store};

/// A location as stored: P-code and gazetteer, with its name for display.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LocationRef {
    pub pcode: String,
    pub gazetteer: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Household {
    pub id: String,
    pub external_id: String,
    /// Organisation code.
    pub organisation: String,
    pub registration_point: LocationRef,
    pub registration_date: NaiveDate,
    pub population_group: String,
    pub origin: Option<LocationRef>,
    /// Where the household was when registered.
    pub registered_location: Option<LocationRef>,
    /// Where the household is now, from its movements (or its registration if none places it).
    pub current_location: Option<LocationRef>,
    pub shelter_type: Option<ShelterType>,
    pub intention: Option<Intention>,
    pub head_person_id: Option<String>,
    pub status: Status,
    pub displacement_count: i64,
    pub moves_back_and_forth: bool,
    pub displaced_since: Option<NaiveDate>,
    pub member_count: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: String,
    pub household_id: String,
    pub external_id: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub father_name: Option<String>,
    pub other_spellings: Vec<String>,
    pub sex: Option<Sex>,
    /// As known: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    pub birth_date_precision: Option<DatePrecision>,
    pub relationship: Option<Relationship>,
    pub documents_held: Vec<Document>,
    pub documents_missing: Vec<Document>,
    pub specific_needs: Vec<SpecificNeed>,
    pub phone: Option<String>,
    /// Document numbers; for roles that contact people, as phone numbers are.
    pub identifiers: Vec<Identifier>,
    pub status: Status,
    pub current_location: Option<LocationRef>,
    pub version: i64,
    /// Set when a reviewer found this record to be the same person as that one: both records
    /// stay; figures count the person once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person").field("id", &self.id).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Movement {
    pub id: String,
    pub household_id: String,
    /// Set when the event concerns one member, not the whole household.
    pub person_id: Option<String>,
    pub external_id: Option<String>,
    pub kind: MovementKind,
    pub date: String,
    pub date_precision: DatePrecision,
    pub from: Option<LocationRef>,
    pub to: Option<LocationRef>,
    pub country: Option<String>,
    pub cause: Option<Cause>,
    pub source: Option<String>,
    pub voided: bool,
    pub void_reason: Option<String>,
    pub recorded_at: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberDetail {
    #[serde(flatten)]
    pub person: Person,
    pub summary: Summary,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HouseholdDetail {
    pub household: Household,
    pub summary: Summary,
    pub members: Vec<MemberDetail>,
    /// All movements, voided ones included, in timeline order.
    pub movements: Vec<Movement>,
    /// Solutions decisions (exits from the IDP stock).
    pub solutions: Vec<crate::figures::SolutionDecision>,
}

/// One change to a record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Version {
    pub entity: String,
    pub entity_id: String,
    pub version: i64,
    pub changed_at: String,
    pub changed_by: String,
    pub reason: String,
    /// `{field: {"from": old, "to": new}}`.
    #[schema(value_type = Object)]
    pub changes: serde_json::Value,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HouseholdFilter {
    /// Organisation code.
    pub organisation: Option<String>,
    pub population_group: Option<String>,
    pub status: Option<String>,
    /// P-code: households whose current location is this unit or inside it.
    pub location: Option<String>,
    pub external_id: Option<String>,
    /// Registered on or after (YYYY-MM-DD).
    pub registered_from: Option<String>,
    /// Registered on or before (YYYY-MM-DD).
    pub registered_to: Option<String>,
    /// Households with a member found by this name search (see `PersonFilter::q`).
    pub q: Option<String>,
    pub back_and_forth: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonFilter {
    /// Name search: each word begins or ends one of the person's names (given, family, father's,
    /// other spellings; case and accents ignored) or is spelt like one (Mahamadou finds Mohamed).
    pub q: Option<String>,
    pub sex: Option<String>,
    pub status: Option<String>,
    pub location: Option<String>,
    pub household_id: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementFilter {
    pub kind: Option<String>,
    /// On or after (YYYY-MM-DD).
    pub from_date: Option<String>,
    /// On or before (YYYY-MM-DD).
    pub to_date: Option<String>,
    /// P-code: movements from or to this unit or inside it.
    pub location: Option<String>,
    pub household_id: Option<String>,
    pub include_voided: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    /// A name search found more than the first 1,000 people it lists (and `total` counts):
    /// add words (a family name) or a place to narrow it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub more: bool,
}

/// A name search lists at most this many people, the first it finds, sorted by name.
pub const SEARCH_FOUND_AT_MOST: usize = 1000;

/// Changes to a household's registration fields; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdPatch {
    pub registration_point: Option<String>,
    pub registration_date: Option<String>,
    pub population_group: Option<String>,
    pub origin: Option<String>,
    pub shelter_type: Option<String>,
    pub intention: Option<String>,
    pub head_person_id: Option<String>,
    /// Why the record changes (required).
    pub reason: String,
    /// The version the change was made against; a different current version is a conflict.
    pub expected_version: Option<i64>,
}

fn ms_to_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339()).unwrap_or_default()
}

/// Codes in one canonical order, so the same set never reads as a change.
fn join_codes<T: std::fmt::Display + Ord + Clone>(codes: &[T]) -> String {
    let mut sorted = codes.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",")
}

fn split_codes<T>(text: &str, parse: fn(&str, &str) -> Result<T, FieldError>) -> Vec<T> {
    text.split(',').filter(|s| !s.is_empty()).filter_map(|s| parse("", s).ok()).collect()
}

fn page_bounds(limit: Option<i64>, offset: Option<i64>) -> (i64, i64) {
    (limit.unwrap_or(50).clamp(1, 500), offset.unwrap_or(0).max(0))
}

/// A person's searchable name: every recorded spelling, folded, then the consonant key of
/// each name as `#key#` (so Mahamadou finds Mohamed, Maiga finds Maïga; see `linkage`).
fn person_name_key(p: &NewPerson) -> String {
    let mut parts = vec![p.given_name.as_str(), p.family_name.as_str()];
    if let Some(f) = &p.father_name {
        parts.push(f);
    }
    parts.extend(p.other_spellings.iter().map(String::as_str));
    searchable_name(&parts)
}

pub(crate) fn searchable_name(parts: &[&str]) -> String {
    let mut text = domain::text::fold(&parts.join(" | "));
    let mut keys: Vec<String> = parts.iter().flat_map(|part| name_keys(part)).collect();
    keys.dedup();
    for key in keys {
        text.push_str(&format!(" #{key}#"));
    }
    text
}

/// The consonant keys of a name's tokens, particles and transliteration folded.
pub(crate) fn name_keys(name: &str) -> Vec<String> {
    let standard = linkage::standardise::standardise(name);
    standard.split(' ').filter(|t| !t.is_empty()).map(linkage::standardise::key).filter(|k| k.len() >= 2).collect()
}

pub(crate) use names::name_condition;

/// Filters of a list: conditions with `?` placeholders, joined by `AND`.
pub(crate) struct Query {
    conditions: Vec<Cond>,
}

impl Query {
    fn new(visible: Cond) -> Self {
        Query { conditions: vec![visible] }
    }
    fn and(&mut self, condition: &str, values: Vec<Value>) {
        self.conditions.push(Cond::new(condition, values));
    }
    /// How many filters the user gave (the visibility rule is not one).
    pub(crate) fn filters(&self) -> usize {
        self.conditions.len() - 1
    }
    pub(crate) fn filtered(&self, head: &str) -> Sql {
        self.conditions.iter().fold(Sql::new(head, params![]).push(" WHERE 1 = 1", params![]), |sql, c| sql.and(c))
    }

    /// For a name search (`names::name_search_from`): keeps to the first people found (their
    /// `id`, e.g. `p.id` or `DISTINCT h.id`, through `joins` to the filters' tables), at most
    /// [`SEARCH_FOUND_AT_MOST`]; says whether more were (or, when the query gave as many rows as
    /// it was allowed, may be) there.
    pub(crate) fn keep_first_found(
        &mut self,
        tx: &mut Tx<'_>,
        search: &names::NameSearch,
        id: &str,
        joins: &str,
    ) -> Result<bool, StoreError> {
        // A person (or household) may come once per way it matches: ask for enough rows.
        let per_hit = if id.starts_with("DISTINCT ") { 1 } else { search.rows_per_person };
        let rows = (SEARCH_FOUND_AT_MOST + 1) * per_hit;
        let first = self
            .filtered(&format!("SELECT {id} FROM {} {joins}", search.from))
            .and(&search.matched(tx)?)
            .push(" LIMIT ?", params![rows as i64]);
        let found = tx.select(&first)?;
        let mut seen = std::collections::HashSet::new();
        let mut ids: Vec<String> = found.iter().map(|r| r.text(0)).filter(|id| seen.insert(id.clone())).collect();
        let more = ids.len() > SEARCH_FOUND_AT_MOST || (per_hit > 1 && found.len() == rows);
        ids.truncate(SEARCH_FOUND_AT_MOST);
        let column = id.trim_start_matches("DISTINCT ");
        self.conditions.push(Cond::one_of(column, &ids));
        Ok(more)
    }

    /// One page of `SELECT {columns} {from} WHERE … ORDER BY {order}`, with the total count.
    fn page<T>(
        &self,
        tx: &mut Tx<'_>,
        (columns, from, order): (&str, &str, &Cond),
        (limit, offset): (i64, i64),
        item: impl Fn(&Row) -> Result<T, StoreError>,
    ) -> Result<Page<T>, StoreError> {
        let count = self.filtered(&format!("SELECT COUNT(*) {from}"));
        let total = tx.query_int(count.text(), count.params())?;
        let sql = self
            .filtered(&format!("SELECT {columns} {from}"))
            .push(" ORDER BY ", params![])
            .cond_text(order)
            .push(" LIMIT ? OFFSET ?", params![limit, offset]);
        let items = tx.select(&sql)?.iter().map(item).collect::<Result<_, _>>()?;
        Ok(Page { items, total, limit, offset, more: false })
    }
}

/// The households condition of `actor` for `access`, on the alias `h`.
fn visible(actor: &Actor, access: Access) -> Cond {
    Visibility::of(actor).households("h", access)
}

fn parse_filter_date(field: &str, value: &str) -> Result<String, StoreError> {
    domain::dates::calendar_day(value)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .ok_or_else(|| StoreError::invalid(field, value.trim(), Message::IsoDate))
}

/// The bounds of the P-codes inside a unit: ML07 and every code under it (sites included) lie
/// in [`ML07`, `ML07Z`). A range, unlike `LIKE 'ML07%'`,
/// uses the index on both databases.
pub(crate) fn location_range(store: &Store, field: &str, value: &str) -> Result<(String, String), StoreError> {
    let code = value.trim().to_ascii_uppercase();
    if store.gazetteer.get(&code).is_none() && store.gazetteer.site(&code).is_none() {
        return Err(StoreError::invalid(field, value, Message::Pcode));
    }
    // Codes continue in digits, or "S" and digits for sites: all sort below "Z".
    Ok((code.clone(), format!("{code}Z")))
}

const HOUSEHOLD_COLUMNS: &str =
    "h.id, h.external_id, o.code AS organisation_code, h.registration_point, h.registration_point_gazetteer,
    h.registration_date, h.population_group, h.origin, h.origin_gazetteer, h.registered_location,
    h.registered_location_gazetteer, h.current_location, h.current_location_gazetteer, h.shelter_type,
    h.intention, h.head_person_id, h.status, h.displacement_count, h.back_and_forth, h.displaced_since,
    (SELECT COUNT(*) FROM people p WHERE p.household_id = h.id AND p.removed_at IS NULL) AS member_count, h.version, h.created_at, h.updated_at";

const PERSON_COLUMNS: &str = "p.id, p.household_id, p.external_id, p.given_name, p.family_name, p.father_name,
    p.other_spellings, p.sex, p.birth_date, p.birth_date_precision, p.relationship, p.documents_held,
    p.documents_missing, p.specific_needs, p.phone, p.status, p.current_location, p.current_location_gazetteer, p.version,
    p.duplicate_of, h.organisation_id, p.identifiers";

const MOVEMENT_COLUMNS: &str = "m.id, m.household_id, m.person_id, m.external_id, m.kind, m.date, m.date_precision,
    m.from_location, m.from_gazetteer, m.to_location, m.to_gazetteer, m.country, m.cause, m.source,
    m.voided_at, m.void_reason, m.recorded_at, m.seq";

fn corrupt(what: &str) -> StoreError {
    StoreError::Database(format!("unreadable {what} in the database"))
}

impl Store {
    /// Ids of the organisations whose records the actor reads pseudonymised only.
    fn pseudonymised_ids(
        &self,
        tx: &mut Tx<'_>,
        actor: &Actor,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let Some(org) =
            actor.organisation_id.as_deref().filter(|_| Visibility::of(actor).pseudonymised_only("h").is_some())
        else {
            return Ok(Default::default());
        };
        Ok(tx
            .query(
                "SELECT from_org FROM sharing_agreements WHERE to_org = $1 AND level = 'pseudonymised'",
                params![org],
            )?
            .iter()
            .map(|r| r.text(0))
            .collect())
    }

    /// The same organisations by code (households carry their organisation's code).
    fn pseudonymised_codes(
        &self,
        tx: &mut Tx<'_>,
        actor: &Actor,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let ids = self.pseudonymised_ids(tx, actor)?;
        let mut codes = std::collections::HashSet::new();
        for id in ids {
            if let Some(row) = tx.query_opt("SELECT code FROM organisations WHERE id = $1", params![id.as_str()])? {
                codes.insert(row.text(0));
            }
        }
        Ok(codes)
    }

    /// Whether the actor reads this household only through a pseudonymised agreement.
    fn pseudonymised_only(&self, tx: &mut Tx<'_>, actor: &Actor, household_id: &str) -> Result<bool, StoreError> {
        let ids = self.pseudonymised_ids(tx, actor)?;
        if ids.is_empty() {
            return Ok(false);
        }
        let org = tx.query_opt("SELECT organisation_id FROM households WHERE id = $1", params![household_id])?;
        Ok(org.is_some_and(|r| ids.contains(r.str(0))))
    }

    /// Adds spelling keys to the searchable names of people recorded before they existed
    /// (once; later records get them when written).
    pub(crate) fn backfill_name_keys(&self) -> Result<usize, StoreError> {
        // Done once per database: a scan of every person at each start would be wasted.
        let done = self.db.read(|tx| tx.query_opt("SELECT value FROM meta WHERE key = 'name_keys'", params![]))?;
        if done.is_some() {
            return Ok(0);
        }
        let rows = self.db.read(|tx| {
            tx.query(
                "SELECT id, given_name, family_name, father_name, other_spellings FROM people WHERE name_folded NOT LIKE '%#%'",
                params![],
            )
        })?;
        self.db.write(|tx| {
            // Another process opening the same database may have done it meanwhile.
            if tx.query_opt("SELECT value FROM meta WHERE key = 'name_keys'", params![])?.is_some() {
                return Ok(0);
            }
            tx.execute("INSERT INTO meta (key, value) VALUES ('name_keys', '1')", params![])?;
            for r in &rows {
                let (given, family, father) = (r.text(1), r.text(2), r.opt_text(3).unwrap_or_default());
                let others: Vec<String> = serde_json::from_str(&r.text(4)).unwrap_or_default();
                let mut parts = vec![given.as_str(), family.as_str()];
                if !father.is_empty() {
                    parts.push(&father);
                }
                parts.extend(others.iter().map(String::as_str));
                let name = searchable_name(&parts);
                tx.execute("UPDATE people SET name_folded = $1 WHERE id = $2", params![&name, r.text(0)])?;
            }
            Ok(rows.len())
        })
    }

    fn location_ref(&self, pcode: Option<String>, gazetteer: Option<String>) -> Option<LocationRef> {
        let pcode = pcode?;
        let gazetteer = gazetteer.unwrap_or_else(|| CURRENT_GAZETTEER.to_string());
        let name = if gazetteer == CURRENT_GAZETTEER {
            self.gazetteer.name_of(&pcode)
        } else {
            self.gazetteer.retired(&pcode).map(|l| l.name.clone())
        };
        Some(LocationRef { name: name.unwrap_or_default(), pcode, gazetteer })
    }

    fn household_from_row(&self, r: &Row) -> Result<Household, StoreError> {
        let place = |column: &str| -> Result<Option<LocationRef>, StoreError> {
            Ok(self.location_ref(r.opt_text_of(column)?, r.opt_text_of(&format!("{column}_gazetteer"))?))
        };
        let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| corrupt("household"));
        Ok(Household {
            id: r.text_of("id")?,
            external_id: r.text_of("external_id")?,
            organisation: r.text_of("organisation_code")?,
            registration_point: place("registration_point")?.ok_or_else(|| corrupt("household"))?,
            registration_date: date(&r.text_of("registration_date")?)?,
            population_group: r.text_of("population_group")?,
            origin: place("origin")?,
            registered_location: place("registered_location")?,
            current_location: place("current_location")?,
            shelter_type: r.opt_text_of("shelter_type")?.and_then(|v| ShelterType::parse("", &v).ok()),
            intention: r.opt_text_of("intention")?.and_then(|v| Intention::parse("", &v).ok()),
            head_person_id: r.opt_text_of("head_person_id")?,
            status: Status::parse("", &r.text_of("status")?).map_err(|_| corrupt("household"))?,
            displacement_count: r.int_of("displacement_count")?,
            moves_back_and_forth: r.int_of("back_and_forth")? != 0,
            displaced_since: r.opt_text_of("displaced_since")?.map(|d| date(&d)).transpose()?,
            member_count: r.int_of("member_count")?,
            version: r.int_of("version")?,
            created_at: ms_to_rfc3339(r.int_of("created_at")?),
            updated_at: ms_to_rfc3339(r.int_of("updated_at")?),
        })
    }

    fn person_from_row(&self, r: &Row) -> Result<Person, StoreError> {
        let precision = r.opt_text_of("birth_date_precision")?.and_then(|p| DatePrecision::parse("", &p).ok());
        let birth_date = match (r.opt_text_of("birth_date")?, precision) {
            (Some(d), Some(p)) => FuzzyDate::from_stored(&d, p.as_str()).map(|f| f.display()),
            _ => None,
        };
        Ok(Person {
            id: r.text_of("id")?,
            household_id: r.text_of("household_id")?,
            external_id: r.opt_text_of("external_id")?,
            given_name: r.text_of("given_name")?,
            family_name: r.text_of("family_name")?,
            father_name: r.opt_text_of("father_name")?,
            other_spellings: serde_json::from_str(&r.text_of("other_spellings")?).map_err(|_| corrupt("person"))?,
            sex: r.opt_text_of("sex")?.and_then(|v| Sex::parse("", &v).ok()),
            birth_date,
            birth_date_precision: precision,
            relationship: r.opt_text_of("relationship")?.and_then(|v| Relationship::parse("", &v).ok()),
            documents_held: split_codes(&r.text_of("documents_held")?, Document::parse),
            documents_missing: split_codes(&r.text_of("documents_missing")?, Document::parse),
            specific_needs: split_codes(&r.text_of("specific_needs")?, SpecificNeed::parse),
            phone: r.opt_text_of("phone")?,
            identifiers: serde_json::from_str(&r.text_of("identifiers")?).map_err(|_| corrupt("person"))?,
            status: Status::parse("", &r.text_of("status")?).map_err(|_| corrupt("person"))?,
            current_location: self
                .location_ref(r.opt_text_of("current_location")?, r.opt_text_of("current_location_gazetteer")?),
            version: r.int_of("version")?,
            duplicate_of: r.opt_text_of("duplicate_of")?,
        })
    }

    fn movement_from_row(&self, r: &Row) -> Result<Movement, StoreError> {
        let precision = r.text_of("date_precision")?;
        Ok(Movement {
            id: r.text_of("id")?,
            household_id: r.text_of("household_id")?,
            person_id: r.opt_text_of("person_id")?,
            external_id: r.opt_text_of("external_id")?,
            kind: MovementKind::parse("", &r.text_of("kind")?).map_err(|_| corrupt("movement"))?,
            date: FuzzyDate::from_stored(&r.text_of("date")?, &precision)
                .map(|d| d.display())
                .ok_or_else(|| corrupt("movement"))?,
            date_precision: DatePrecision::parse("", &precision).map_err(|_| corrupt("movement"))?,
            from: self.location_ref(r.opt_text_of("from_location")?, r.opt_text_of("from_gazetteer")?),
            to: self.location_ref(r.opt_text_of("to_location")?, r.opt_text_of("to_gazetteer")?),
            country: r.opt_text_of("country")?,
            cause: r.opt_text_of("cause")?.and_then(|v| Cause::parse("", &v).ok()),
            source: r.opt_text_of("source")?,
            voided: r.opt_int_of("voided_at")?.is_some(),
            void_reason: r.opt_text_of("void_reason")?,
            recorded_at: ms_to_rfc3339(r.int_of("recorded_at")?),
        })
    }
}

/// Field-level need to know: protection-related specific needs and phone numbers are removed
/// from what roles without that need receive (API answers and exports alike).
pub fn redact(actor: &Actor, person: &mut Person) {
    if !actor.role.sees_protection_needs() {
        person.specific_needs.retain(|n| !n.is_protection_sensitive());
    }
    if !actor.role.sees_phone() {
        person.phone = None;
    }
    if !actor.role.sees_identifiers() {
        person.identifiers.clear();
    }
}

/// A version shows what the record shows: a phone or a protection-related need the actor may
/// not see is removed from its old and new values. Returns whether anything visible is left.
fn redact_version(actor: &Actor, version: &mut Version) -> bool {
    let Some(changes) = version.changes.as_object_mut() else { return true };
    if changes.is_empty() {
        return true; // the creation
    }
    if version.entity == "person" {
        if !actor.role.sees_phone() {
            changes.remove("phone");
        }
        if !actor.role.sees_identifiers() {
            changes.remove("identifiers");
        }
        if !actor.role.sees_protection_needs() {
            let visible = |v: &serde_json::Value| -> serde_json::Value {
                let codes = split_codes(v.as_str().unwrap_or(""), SpecificNeed::parse);
                json!(join_codes(&codes.into_iter().filter(|n| !n.is_protection_sensitive()).collect::<Vec<_>>()))
            };
            if let Some(change) = changes.get("specific_needs").cloned() {
                let (from, to) = (visible(&change["from"]), visible(&change["to"]));
                if from == to {
                    changes.remove("specific_needs");
                } else {
                    changes.insert("specific_needs".into(), json!({"from": from, "to": to}));
                }
            }
        }
    }
    !changes.is_empty()
}

/// What a user who may not see some fields sends back lacks them: the recorded values stay.
/// `recorded` is the person's row, read with `PERSON_FIELDS`.
pub(crate) fn keep_hidden_fields(
    actor: &Actor,
    submitted: &NewPerson,
    recorded: &Row,
) -> Result<NewPerson, StoreError> {
    let mut person = submitted.clone();
    if !actor.role.sees_protection_needs() {
        person.specific_needs.retain(|n| !n.is_protection_sensitive());
        let hidden = split_codes(&recorded.text_of("specific_needs")?, SpecificNeed::parse)
            .into_iter()
            .filter(|n| n.is_protection_sensitive());
        person.specific_needs.extend(hidden);
    }
    if !actor.role.sees_phone() {
        person.phone = recorded.opt_text_of("phone")?;
    }
    if !actor.role.sees_identifiers() {
        person.identifiers = serde_json::from_str(&recorded.text_of("identifiers")?).map_err(|_| corrupt("person"))?;
    }
    Ok(person)
}

/// A person as an organisation sharing pseudonymised records shows them: no names, father's
/// name, other spellings, identifier or phone; the birth year only; no protection-related need.
pub fn pseudonymise(person: &mut Person) {
    let digest = Sha256::digest(format!("djoliba-pseudonym\0{}", person.id).as_bytes());
    let tag: String = digest.iter().take(4).map(|b| format!("{b:02X}")).collect();
    person.given_name = "Personne".into();
    person.family_name = tag;
    person.father_name = None;
    person.other_spellings.clear();
    person.external_id = None;
    person.phone = None;
    person.identifiers.clear();
    person.birth_date = person.birth_date.as_ref().map(|d| d.chars().take(4).collect());
    person.birth_date_precision = person.birth_date.as_ref().map(|_| DatePrecision::Year);
    person.specific_needs.retain(|n| !n.is_protection_sensitive());
}

/// People in name order, except those read through a pseudonymised agreement: they come after,
/// in identifier order, so where a person sorts never depends on a name the reader cannot see.
fn people_order(actor: &Actor) -> Cond {
    match Visibility::of(actor).pseudonymised_only("h") {
        None => Cond::new("p.family_name, p.given_name, p.id", vec![]),
        Some(hidden) => hidden.order_hiding(&["p.family_name", "p.given_name"], "p.id"),
    }
}
