//! The registry: households, people and movements. Creation writes the row (with who and when);
//! every later change writes a `record_versions` row with the old and new value of each changed
//! field and the reason, in the same transaction. Movements are voided, never deleted. Derived
//! values (status, current location, displacement count) are recomputed from the movements in
//! the transaction that changes them.

mod registration;

pub use registration::{IfLikelyDuplicates, Registered, Registration};

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
    /// Households with a member whose name contains this text (case and accents ignored).
    pub q: Option<String>,
    pub back_and_forth: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PersonFilter {
    /// Name contains (case and accents ignored), any of given, family, father's name or other spellings.
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
}

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
fn name_keys(name: &str) -> Vec<String> {
    let standard = linkage::standardise::standardise(name);
    standard.split(' ').filter(|t| !t.is_empty()).map(linkage::standardise::key).filter(|k| k.len() >= 2).collect()
}

/// A name search: the text as typed (folded) anywhere in the recorded names, or every word's
/// spelling key among the name's keys.
fn name_condition(column: &str, query: &str) -> Option<(String, Vec<Value>)> {
    let folded = domain::text::fold(query);
    if folded.is_empty() {
        return None;
    }
    let keys = name_keys(query);
    let mut params: Vec<Value> = vec![format!("%{folded}%").into()];
    if keys.is_empty() {
        return Some((format!("{column} LIKE ?"), params));
    }
    let all_keys = keys.iter().map(|_| format!("{column} LIKE ?")).collect::<Vec<_>>().join(" AND ");
    params.extend(keys.iter().map(|k| Value::from(format!("%#{k}#%"))));
    Some((format!("({column} LIKE ? OR ({all_keys}))"), params))
}

/// Filters of a list: conditions with `?` placeholders, joined by `AND`.
struct Query {
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
    fn filters(&self) -> usize {
        self.conditions.len() - 1
    }
    fn filtered(&self, head: &str) -> Sql {
        self.conditions.iter().fold(Sql::new(head, params![]).push(" WHERE 1 = 1", params![]), |sql, c| sql.and(c))
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
        Ok(Page { items, total, limit, offset })
    }
}

/// The households condition of `actor` for `access`, on the alias `h`.
fn visible(actor: &Actor, access: Access) -> Cond {
    Visibility::of(actor).households("h", access)
}

fn parse_filter_date(field: &str, value: &str) -> Result<String, StoreError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| StoreError::invalid(field, value, Message::IsoDate))
}

/// The bounds of the P-codes inside a unit: ML07 and every code under it (sites included) lie
/// in [`ML07`, `ML07Z`). A range, unlike `LIKE 'ML07%'`,
/// uses the index on both databases.
fn location_range(store: &Store, field: &str, value: &str) -> Result<(String, String), StoreError> {
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
    (SELECT COUNT(*) FROM people p WHERE p.household_id = h.id) AS member_count, h.version, h.created_at, h.updated_at";

const PERSON_COLUMNS: &str = "p.id, p.household_id, p.external_id, p.given_name, p.family_name, p.father_name,
    p.other_spellings, p.sex, p.birth_date, p.birth_date_precision, p.relationship, p.documents_held,
    p.documents_missing, p.specific_needs, p.phone, p.status, p.current_location, p.current_location_gazetteer, p.version,
    p.duplicate_of, h.organisation_id";

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
                tx.execute(
                    "UPDATE people SET name_folded = $1 WHERE id = $2",
                    params![searchable_name(&parts), r.text(0)],
                )?;
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

    /// The organisation a registration belongs to: the registrar's own; an admin may name one.
    pub(crate) fn registering_organisation(
        &self,
        tx: &mut Tx<'_>,
        actor: &Actor,
        requested: Option<&str>,
    ) -> Result<String, StoreError> {
        let find = |tx: &mut Tx<'_>, code: &str| -> Result<Option<String>, StoreError> {
            Ok(tx
                .query_opt("SELECT id FROM organisations WHERE code = $1", params![code.trim().to_ascii_uppercase()])?
                .map(|r| r.text(0)))
        };
        match (requested, &actor.organisation_id) {
            (Some(code), Some(own)) if actor.role != Role::Admin => {
                let id = find(tx, code)?;
                if id.as_deref() != Some(own.as_str()) {
                    return Err(StoreError::invalid("organisation", code, Message::OwnOrganisation));
                }
                Ok(own.clone())
            }
            (Some(code), _) => {
                find(tx, code)?.ok_or_else(|| StoreError::invalid("organisation", code, Message::ExistingOrganisation))
            }
            (None, Some(own)) => Ok(own.clone()),
            (None, None) => Err(StoreError::invalid("organisation", "", Message::OrganisationNeeded)),
        }
    }

    /// Registers a household with its members and movements, all or nothing, without a
    /// duplicate check (the use case `register` checks first).
    pub fn register_household(&self, actor: &Actor, household: &NewHousehold) -> Result<HouseholdDetail, StoreError> {
        actor.require_write()?;
        let (now, today) = (self.now_ms(), self.today());
        let (id, _) = self.db.write(|tx| self.insert_registration(tx, actor, household, now, today))?;
        self.household_detail(actor, &id)
    }

    /// The writes of one registration in the caller's transaction: the household, its members
    /// and movements, the version bump and the audit row. Returns the household's id and its
    /// members' ids in the order given.
    pub(crate) fn insert_registration(
        &self,
        tx: &mut Tx<'_>,
        actor: &Actor,
        household: &NewHousehold,
        now: i64,
        today: NaiveDate,
    ) -> Result<(String, Vec<String>), StoreError> {
        check_in_regions(actor, household.current_location.as_deref().unwrap_or(&household.registration_point))?;
        let org = self.registering_organisation(tx, actor, household.organisation.as_deref())?;
        if tx
            .query_opt(
                "SELECT id FROM households WHERE organisation_id = $1 AND external_id = $2",
                params![&org, &household.external_id],
            )?
            .is_some()
        {
            return Err(StoreError::Conflict(Message::ExternalIdTaken { id: household.external_id.clone() }));
        }
        let (id, members) = insert_household(tx, actor, &org, household, now, today)?;
        keep_in_sight(tx, actor, &id)?;
        crate::versions::bump(tx, crate::versions::Capability::Registry)?;
        let detail = json!({"external_id": household.external_id, "members": household.members.len(), "movements": household.movements.len()});
        audit::record(tx, actor, now, "register", "household", &id, detail)?;
        Ok((id, members))
    }

    /// A household with its members: a read of personal data, so it is audited.
    pub fn household_detail(&self, actor: &Actor, id: &str) -> Result<HouseholdDetail, StoreError> {
        let today = self.today();
        let now = self.now_ms();
        let mut detail = self.db.read(|tx| {
            let row = tx.select_opt(&Sql::new(&format!("SELECT {HOUSEHOLD_COLUMNS} FROM households h JOIN organisations o ON o.id = h.organisation_id WHERE h.id = ?"), params![id]).and(&visible(actor, Access::Read)))?
                .ok_or(StoreError::NotFound("household"))?;
            let mut household = self.household_from_row(&row)?;
            let shared_only = self.pseudonymised_only(tx, actor, id)?;
            if shared_only {
                household.external_id = "—".into();
            }
            let people = tx
                .query(&format!("SELECT {PERSON_COLUMNS} FROM people p JOIN households h ON h.id = p.household_id WHERE p.household_id = $1 ORDER BY p.created_at, p.id"), params![id])?
                .iter()
                .map(|r| {
                    let mut person = self.person_from_row(r)?;
                    redact(actor, &mut person);
                    if shared_only {
                        pseudonymise(&mut person);
                    }
                    Ok(person)
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let movement_rows = tx.query(&format!("SELECT {MOVEMENT_COLUMNS} FROM movements m WHERE m.household_id = $1 ORDER BY m.date, m.seq"), params![id])?;
            let movements = movement_rows.iter().map(|r| self.movement_from_row(r)).collect::<Result<Vec<_>, _>>()?;
            let (household_events, person_events) = events_of(&movement_rows);
            let initial = household.registered_location.as_ref().map(|l| l.pcode.clone());
            let summary = timeline::replay(&household_events, initial.clone(), today)?;
            let members = people
                .into_iter()
                .map(|person| {
                    let own = person_events.get(&person.id).cloned().unwrap_or_default();
                    let summary = timeline::replay_person(&household_events, &own, initial.clone(), today)?;
                    Ok(MemberDetail { person, summary })
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            Ok(HouseholdDetail { household, summary, members, movements, solutions: Vec::new() })
        })?;
        detail.solutions = self.solutions(actor, id)?;
        self.audit_read(actor, now, "read", "household", id, json!({}))?;
        Ok(detail)
    }

    pub fn list_households(&self, actor: &Actor, filter: &HouseholdFilter) -> Result<Page<Household>, StoreError> {
        let (limit, offset) = page_bounds(filter.limit, filter.offset);
        // A search by name or by the household's own number never reaches pseudonymised
        // records: it would tell who, or which case, is in them.
        let by_identity =
            [&filter.q, &filter.external_id].iter().any(|v| v.as_deref().is_some_and(|v| !v.trim().is_empty()));
        let mut q = Query::new(visible(actor, if by_identity { Access::Change } else { Access::Read }));
        if let Some(v) = filter.organisation.as_deref().filter(|v| !v.is_empty()) {
            q.and("o.code = ?", vec![v.trim().to_ascii_uppercase().into()]);
        }
        if let Some(v) = filter.population_group.as_deref().filter(|v| !v.is_empty()) {
            q.and("h.population_group = ?", vec![v.trim().to_ascii_uppercase().into()]);
        }
        if let Some(v) = filter.status.as_deref().filter(|v| !v.is_empty()) {
            q.and(
                "h.status = ?",
                vec![Status::parse("status", v)
                    .map_err(|e| StoreError::Invalid(FieldErrors(vec![e])))?
                    .as_str()
                    .into()],
            );
        }
        if let Some(v) = filter.location.as_deref().filter(|v| !v.is_empty()) {
            let (low, high) = location_range(self, "location", v)?;
            q.and("h.current_location >= ? AND h.current_location < ?", vec![low.into(), high.into()]);
        }
        if let Some(v) = filter.external_id.as_deref().filter(|v| !v.is_empty()) {
            q.and("h.external_id = ?", vec![v.trim().into()]);
        }
        if let Some(v) = filter.registered_from.as_deref().filter(|v| !v.is_empty()) {
            q.and("h.registration_date >= ?", vec![parse_filter_date("registered_from", v)?.into()]);
        }
        if let Some(v) = filter.registered_to.as_deref().filter(|v| !v.is_empty()) {
            q.and("h.registration_date <= ?", vec![parse_filter_date("registered_to", v)?.into()]);
        }
        if let Some((condition, params)) = filter.q.as_deref().and_then(|v| name_condition("p.name_folded", v)) {
            q.and(&format!("EXISTS (SELECT 1 FROM people p WHERE p.household_id = h.id AND {condition})"), params);
        }
        if let Some(v) = filter.back_and_forth {
            q.and("h.back_and_forth = ?", vec![v.into()]);
        }
        let from = "FROM households h JOIN organisations o ON o.id = h.organisation_id";
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let order = Cond::new("h.registration_date DESC, h.id DESC", vec![]);
            let mut page =
                q.page(tx, (HOUSEHOLD_COLUMNS, from, &order), (limit, offset), |r| self.household_from_row(r))?;
            let shared = self.pseudonymised_codes(tx, actor)?;
            for household in page.items.iter_mut().filter(|h| shared.contains(&h.organisation)) {
                household.external_id = "—".into();
            }
            Ok(page)
        })?;
        self.audit_read(actor, now, "list", "household", "", json!({"filters": q.filters()}))?;
        Ok(read)
    }

    pub fn list_people(&self, actor: &Actor, filter: &PersonFilter) -> Result<Page<Person>, StoreError> {
        let (limit, offset) = page_bounds(filter.limit, filter.offset);
        // A name search never reaches pseudonymised records: it would tell who is in them.
        let by_name = filter.q.as_deref().is_some_and(|v| !v.trim().is_empty());
        let mut q = Query::new(visible(actor, if by_name { Access::Change } else { Access::Read }));
        if let Some((condition, params)) = filter.q.as_deref().and_then(|v| name_condition("p.name_folded", v)) {
            q.and(&condition, params);
        }
        if let Some(v) = filter.sex.as_deref().filter(|v| !v.is_empty()) {
            q.and(
                "p.sex = ?",
                vec![Sex::parse("sex", v).map_err(|e| StoreError::Invalid(FieldErrors(vec![e])))?.as_str().into()],
            );
        }
        if let Some(v) = filter.status.as_deref().filter(|v| !v.is_empty()) {
            q.and(
                "p.status = ?",
                vec![Status::parse("status", v)
                    .map_err(|e| StoreError::Invalid(FieldErrors(vec![e])))?
                    .as_str()
                    .into()],
            );
        }
        if let Some(v) = filter.location.as_deref().filter(|v| !v.is_empty()) {
            let (low, high) = location_range(self, "location", v)?;
            q.and("p.current_location >= ? AND p.current_location < ?", vec![low.into(), high.into()]);
        }
        if let Some(v) = filter.household_id.as_deref().filter(|v| !v.is_empty()) {
            q.and("p.household_id = ?", vec![v.into()]);
        }
        let from = "FROM people p JOIN households h ON h.id = p.household_id";
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let shared = self.pseudonymised_ids(tx, actor)?;
            let order = people_order(actor);
            q.page(tx, (PERSON_COLUMNS, from, &order), (limit, offset), |r| {
                let mut person = self.person_from_row(r)?;
                redact(actor, &mut person);
                if shared.contains(r.str(20)) {
                    pseudonymise(&mut person);
                }
                Ok(person)
            })
        })?;
        // The search text may be a name: only the number of filters is logged.
        self.audit_read(actor, now, "list", "person", "", json!({"filters": q.filters()}))?;
        Ok(read)
    }

    pub fn person(&self, actor: &Actor, id: &str) -> Result<Person, StoreError> {
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let row = tx.select_opt(&Sql::new(&format!("SELECT {PERSON_COLUMNS} FROM people p JOIN households h ON h.id = p.household_id WHERE p.id = ?"), params![id]).and(&visible(actor, Access::Read)))?
                .ok_or(StoreError::NotFound("person"))?;
            let mut person = self.person_from_row(&row)?;
            redact(actor, &mut person);
            if self.pseudonymised_ids(tx, actor)?.contains(row.str(20)) {
                pseudonymise(&mut person);
            }
            Ok(person)
        })?;
        self.audit_read(actor, now, "read", "person", id, json!({}))?;
        Ok(read)
    }

    pub fn list_movements(&self, actor: &Actor, filter: &MovementFilter) -> Result<Page<Movement>, StoreError> {
        let (limit, offset) = page_bounds(filter.limit, filter.offset);
        let mut q = Query::new(visible(actor, Access::Read));
        if let Some(v) = filter.kind.as_deref().filter(|v| !v.is_empty()) {
            q.and(
                "m.kind = ?",
                vec![MovementKind::parse("kind", v)
                    .map_err(|e| StoreError::Invalid(FieldErrors(vec![e])))?
                    .as_str()
                    .into()],
            );
        }
        if let Some(v) = filter.from_date.as_deref().filter(|v| !v.is_empty()) {
            q.and("m.date >= ?", vec![parse_filter_date("from_date", v)?.into()]);
        }
        if let Some(v) = filter.to_date.as_deref().filter(|v| !v.is_empty()) {
            q.and("m.date <= ?", vec![parse_filter_date("to_date", v)?.into()]);
        }
        if let Some(v) = filter.location.as_deref().filter(|v| !v.is_empty()) {
            let (low, high) = location_range(self, "location", v)?;
            q.and(
                "((m.from_location >= ? AND m.from_location < ?) OR (m.to_location >= ? AND m.to_location < ?))",
                vec![low.clone().into(), high.clone().into(), low.into(), high.into()],
            );
        }
        if let Some(v) = filter.household_id.as_deref().filter(|v| !v.is_empty()) {
            q.and("m.household_id = ?", vec![v.into()]);
        }
        if filter.include_voided != Some(true) {
            q.and("m.voided_at IS NULL", vec![]);
        }
        let from = "FROM movements m JOIN households h ON h.id = m.household_id";
        let order = Cond::new("m.date DESC, m.id DESC", vec![]);
        let now = self.now_ms();
        let read = self
            .db
            .read(|tx| q.page(tx, (MOVEMENT_COLUMNS, from, &order), (limit, offset), |r| self.movement_from_row(r)))?;
        self.audit_read(actor, now, "list", "movement", "", json!({"filters": q.filters()}))?;
        Ok(read)
    }

    /// Changes a household's registration fields, keeping the old values in its history.
    pub fn update_household(
        &self,
        actor: &Actor,
        id: &str,
        patch: &HouseholdPatch,
    ) -> Result<HouseholdDetail, StoreError> {
        actor.require_write()?;
        let reason = require_reason(&patch.reason)?;
        let now = self.now_ms();
        let today = self.today();
        let mut errors = FieldErrors::default();
        let refs: &dyn domain::registry::References = self.gazetteer.as_ref();
        let check_loc = |field: &str, v: &str, errors: &mut FieldErrors| -> Option<String> {
            let code = v.trim().to_ascii_uppercase();
            match refs.check_location(&code) {
                Ok(()) => Some(code),
                Err(expected) => {
                    errors.push(FieldError::new(field, v.trim(), expected));
                    None
                }
            }
        };
        let mut changes: Vec<(&str, Value)> = Vec::new();
        if let Some(v) = &patch.registration_point {
            if let Some(code) = check_loc("registration_point", v, &mut errors) {
                changes.push(("registration_point", code.into()));
            }
        }
        if let Some(v) = &patch.origin {
            if v.trim().is_empty() {
                changes.push(("origin", Value::Null));
            } else if let Some(code) = check_loc("origin", v, &mut errors) {
                changes.push(("origin", code.into()));
            }
        }
        if let Some(v) = &patch.registration_date {
            match FuzzyDate::parse("registration_date", v, today) {
                Ok(d) if d.precision == DatePrecision::Day => changes.push(("registration_date", d.iso().into())),
                Ok(_) => errors.push(FieldError::new("registration_date", v.trim(), Message::FullDate)),
                Err(e) => errors.push(e),
            }
        }
        if let Some(v) = &patch.population_group {
            let code = v.trim().to_ascii_uppercase();
            if refs.has_population_group(&code) {
                changes.push(("population_group", code.into()));
            } else {
                errors.push(FieldError::new(
                    "population_group",
                    v.trim(),
                    Message::PopulationGroup { codes: refs.population_groups() },
                ));
            }
        }
        if let Some(v) = &patch.shelter_type {
            match v.trim() {
                "" => changes.push(("shelter_type", Value::Null)),
                t => {
                    if let Some(s) = errors.take(ShelterType::parse("shelter_type", t)) {
                        changes.push(("shelter_type", s.as_str().into()))
                    }
                }
            }
        }
        if let Some(v) = &patch.intention {
            match v.trim() {
                "" => changes.push(("intention", Value::Null)),
                t => {
                    if let Some(s) = errors.take(Intention::parse("intention", t)) {
                        changes.push(("intention", s.as_str().into()))
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        self.db.write(|tx| {
            let row = tx.select_opt(&Sql::new("SELECT h.version, h.registration_point, h.origin, h.registration_date, h.population_group, h.shelter_type, h.intention, h.head_person_id FROM households h WHERE h.id = ?", params![id]).and(&visible(actor, Access::Change)))?
                .ok_or(StoreError::NotFound("household"))?;
            let version = row.int(0);
            if let Some(expected) = patch.expected_version {
                if expected != version {
                    return Err(StoreError::Conflict(Message::StaleVersion { current: version, expected }));
                }
            }
            let old: HashMap<&str, Value> = ["registration_point", "origin", "registration_date", "population_group", "shelter_type", "intention", "head_person_id"]
                .into_iter()
                .zip(row.values.iter().skip(1).cloned())
                .collect();
            if let Some(head) = &patch.head_person_id {
                if tx.query_opt("SELECT id FROM people WHERE id = $1 AND household_id = $2", params![head, id])?.is_none() {
                    return Err(StoreError::invalid("head_person_id", head.clone(), Message::MemberId));
                }
                changes.push(("head_person_id", head.into()));
            }
            if apply_changes(tx, "households", "household", id, version, &changes, &old, actor, now, &reason)? {
                keep_in_sight(tx, actor, id)?;
                audit::record(tx, actor, now, "update", "household", id, json!({"version": version + 1}))?;
            }
            Ok(())
        })?;
        self.household_detail(actor, id)
    }

    /// Adds a member to a registered household.
    pub fn add_member(&self, actor: &Actor, household_id: &str, person: &NewPerson) -> Result<Person, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let today = self.today();
        let id = self.db.write(|tx| {
            lock_household(tx, actor, household_id)?;
            if let Some(ext) = &person.external_id {
                if tx
                    .query_opt(
                        "SELECT id FROM people WHERE household_id = $1 AND external_id = $2",
                        params![household_id, ext],
                    )?
                    .is_some()
                {
                    return Err(StoreError::invalid("external_id", ext.clone(), Message::UniqueMemberId));
                }
            }
            if person.relationship == Some(Relationship::Head)
                && tx
                    .query_opt(
                        "SELECT id FROM people WHERE household_id = $1 AND relationship = 'head'",
                        params![household_id],
                    )?
                    .is_some()
            {
                return Err(StoreError::invalid("relationship", "head", Message::AnotherRelationship));
            }
            let id = new_id();
            // Derived for real by refresh_derived below, once the person is in.
            insert_person(tx, actor, &id, household_id, person, &Summary::not_displaced(None), now)?;
            if person.relationship == Some(Relationship::Head) {
                tx.execute("UPDATE households SET head_person_id = $1 WHERE id = $2", params![&id, household_id])?;
            }
            refresh_derived(tx, household_id, today)?;
            audit::record(tx, actor, now, "add_member", "household", household_id, json!({"person_id": id}))?;
            Ok(id)
        })?;
        self.person(actor, &id)
    }

    /// Replaces a person's recorded fields, keeping the old values in the history.
    pub fn update_person(
        &self,
        actor: &Actor,
        person_id: &str,
        person: &NewPerson,
        reason: &str,
    ) -> Result<Person, StoreError> {
        actor.require_write()?;
        let reason = require_reason(reason)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let row = tx.select_opt(&Sql::new("SELECT p.version, p.household_id, p.external_id, p.given_name, p.family_name, p.father_name, p.other_spellings, p.sex, p.birth_date, p.birth_date_precision, p.relationship, p.documents_held, p.documents_missing, p.specific_needs, p.phone, p.name_folded FROM people p JOIN households h ON h.id = p.household_id WHERE p.id = ?", params![person_id]).and(&visible(actor, Access::Change)))?
                .ok_or(StoreError::NotFound("person"))?;
            let version = row.int(0);
            let old: HashMap<&str, Value> = PERSON_FIELDS.into_iter().zip(row.values.iter().skip(2).cloned()).collect();
            // Columns: version, household_id, then PERSON_FIELDS (specific_needs at 13, phone at 14).
            let person = keep_hidden_fields(actor, person, &row.text(13), row.opt_text(14));
            if apply_changes(tx, "people", "person", person_id, version, &person_changes(&person), &old, actor, now, &reason)? {
                audit::record(tx, actor, now, "update", "person", person_id, json!({"version": version + 1}))?;
            }
            Ok(())
        })?;
        self.person(actor, person_id)
    }

    /// Records a movement for a household or, with `person_id`, for one member. Refused with the
    /// conflicting event named when it makes the chronology inconsistent.
    pub fn record_movement(
        &self,
        actor: &Actor,
        household_id: &str,
        person_id: Option<&str>,
        movement: &NewMovement,
    ) -> Result<Movement, StoreError> {
        actor.require_write()?;
        let now = self.now_ms();
        let today = self.today();
        let id = self.db.write(|tx| {
            lock_household(tx, actor, household_id)?;
            let person_id = match person_id.or(movement.person.as_deref()) {
                Some(p) => Some(
                    tx.query_opt(
                        "SELECT id FROM people WHERE household_id = $1 AND (id = $2 OR external_id = $2)",
                        params![household_id, p],
                    )?
                    .map(|r| r.text(0))
                    .ok_or_else(|| StoreError::invalid("person", p, Message::MemberIdOrExternalId))?,
                ),
                None => None,
            };
            if movement.kind.is_person_only() && person_id.is_none() {
                return Err(StoreError::invalid(
                    "person",
                    "",
                    Message::MemberConcerned { kind: movement.kind.as_str().into() },
                ));
            }
            if let Some(ext) = &movement.external_id {
                if tx
                    .query_opt(
                        "SELECT id FROM movements WHERE household_id = $1 AND external_id = $2",
                        params![household_id, ext],
                    )?
                    .is_some()
                {
                    return Err(StoreError::Conflict(Message::MovementIdTaken { id: ext.clone() }));
                }
            }
            let id = new_id();
            let seq = tx.query_int(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM movements WHERE household_id = $1",
                params![household_id],
            )?;
            insert_movement(tx, actor, &id, household_id, person_id.as_deref(), movement, seq, now)?;
            refresh_derived(tx, household_id, today)?;
            keep_in_sight(tx, actor, household_id)?;
            audit::record(
                tx,
                actor,
                now,
                "record_movement",
                "household",
                household_id,
                json!({"movement_id": id, "kind": movement.kind}),
            )?;
            Ok(id)
        })?;
        self.movement(actor, &id)
    }

    pub fn movement(&self, actor: &Actor, id: &str) -> Result<Movement, StoreError> {
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let row = tx.select_opt(&Sql::new(&format!("SELECT {MOVEMENT_COLUMNS} FROM movements m JOIN households h ON h.id = m.household_id WHERE m.id = ?"), params![id]).and(&visible(actor, Access::Read)))?
                .ok_or(StoreError::NotFound("movement"))?;
            self.movement_from_row(&row)
        })?;
        self.audit_read(actor, now, "read", "movement", id, json!({}))?;
        Ok(read)
    }

    /// Voids a movement recorded in error. It stays in the history with the reason.
    pub fn void_movement(&self, actor: &Actor, id: &str, reason: &str) -> Result<Movement, StoreError> {
        actor.require_write()?;
        let reason = require_reason(reason)?;
        let now = self.now_ms();
        let today = self.today();
        self.db.write(|tx| {
            let row = tx.select_opt(&Sql::new("SELECT m.household_id, m.voided_at FROM movements m JOIN households h ON h.id = m.household_id WHERE m.id = ?", params![id]).and(&visible(actor, Access::Change)))?
                .ok_or(StoreError::NotFound("movement"))?;
            if row.opt_int(1).is_some() {
                return Err(StoreError::Conflict(Message::AlreadyVoided));
            }
            let household_id = row.text(0);
            lock_household(tx, actor, &household_id)?;
            tx.execute("UPDATE movements SET voided_at = $1, voided_by = $2, void_reason = $3 WHERE id = $4", params![now, &actor.user_id, &reason, id])?;
            let version = tx.query_int("SELECT COUNT(*) FROM record_versions WHERE entity = 'movement' AND entity_id = $1", params![id])? + 2;
            write_version(tx, "movement", id, version, now, &actor.user_id, &reason, &json!({"voided": {"from": false, "to": true}}))?;
            refresh_derived(tx, &household_id, today)?;
            keep_in_sight(tx, actor, &household_id)?;
            audit::record(tx, actor, now, "void", "movement", id, json!({}))
        })?;
        self.movement(actor, id)
    }

    /// The change history of a household, a person or a movement, oldest first.
    /// Old values of a record are personal data too: reading them is audited.
    pub fn history(&self, actor: &Actor, entity: &str, id: &str) -> Result<Vec<Version>, StoreError> {
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let visible = match entity {
                "household" => tx.select_opt(
                    &Sql::new("SELECT h.id FROM households h WHERE h.id = ?", params![id])
                        .and(&visible(actor, Access::Change)),
                )?,
                "person" => tx.select_opt(
                    &Sql::new(
                        "SELECT p.id FROM people p JOIN households h ON h.id = p.household_id WHERE p.id = ?",
                        params![id],
                    )
                    .and(&visible(actor, Access::Change)),
                )?,
                _ => None,
            };
            if visible.is_none() {
                return Err(StoreError::NotFound(if entity == "person" { "person" } else { "household" }));
            }
            let mut versions = versions_of(tx, entity, id)?;
            versions.retain_mut(|v| redact_version(actor, v));
            Ok(versions)
        })?;
        self.audit_read(actor, now, "read_history", entity, id, json!({}))?;
        Ok(read)
    }

    /// The versions of a household and of its members, newest first, in one read (audited
    /// once). A household read only through a pseudonymised agreement has none to show: the
    /// changes would hold the names.
    pub fn household_history(&self, actor: &Actor, id: &str) -> Result<Vec<Version>, StoreError> {
        let now = self.now_ms();
        let read = self.db.read(|tx| {
            let visible = Sql::new("SELECT h.id FROM households h WHERE h.id = ?", params![id])
                .and(&visible(actor, Access::Change));
            if tx.select_opt(&visible)?.is_none() {
                return Ok(None);
            }
            let mut versions = versions_of(tx, "household", id)?;
            for member in tx.query("SELECT p.id FROM people p WHERE p.household_id = $1", params![id])? {
                versions.extend(versions_of(tx, "person", member.str(0))?);
            }
            versions.retain_mut(|v| redact_version(actor, v));
            versions.sort_by(|a, b| b.changed_at.cmp(&a.changed_at));
            Ok(Some(versions))
        })?;
        let Some(versions) = read else { return Ok(Vec::new()) };
        self.audit_read(actor, now, "read_history", "household", id, json!({}))?;
        Ok(versions)
    }
}

/// A record's versions: its creation, then every recorded change.
fn versions_of(tx: &mut Tx<'_>, entity: &str, id: &str) -> Result<Vec<Version>, StoreError> {
    let created = match entity {
        "household" => tx.query_opt("SELECT h.created_at, u.username FROM households h LEFT JOIN users u ON u.id = h.created_by WHERE h.id = $1", params![id])?,
        _ => tx.query_opt("SELECT p.created_at, u.username FROM people p LEFT JOIN users u ON u.id = p.created_by WHERE p.id = $1", params![id])?,
    };
    let mut versions: Vec<Version> = created
        .into_iter()
        .map(|r| Version {
            entity: entity.into(),
            entity_id: id.into(),
            version: 1,
            changed_at: ms_to_rfc3339(r.int(0)),
            changed_by: r.opt_text(1).unwrap_or_else(|| "system".into()),
            reason: "created".into(),
            changes: json!({}),
        })
        .collect();
    let rows = tx.query(
        "SELECT v.version, v.changed_at, COALESCE(u.username, v.changed_by), v.reason, v.changes FROM record_versions v LEFT JOIN users u ON u.id = v.changed_by WHERE v.entity = $1 AND v.entity_id = $2 ORDER BY v.version",
        params![entity, id],
    )?;
    versions.extend(rows.into_iter().map(|r| Version {
        entity: entity.into(),
        entity_id: id.into(),
        version: r.int(0),
        changed_at: ms_to_rfc3339(r.int(1)),
        changed_by: r.text(2),
        reason: r.text(3),
        changes: serde_json::from_str(&r.text(4)).unwrap_or(json!({})),
    }));
    Ok(versions)
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
pub(crate) fn keep_hidden_fields(
    actor: &Actor,
    submitted: &NewPerson,
    recorded_needs: &str,
    recorded_phone: Option<String>,
) -> NewPerson {
    let mut person = submitted.clone();
    if !actor.role.sees_protection_needs() {
        person.specific_needs.retain(|n| !n.is_protection_sensitive());
        let hidden =
            split_codes(recorded_needs, SpecificNeed::parse).into_iter().filter(|n| n.is_protection_sensitive());
        person.specific_needs.extend(hidden);
    }
    if !actor.role.sees_phone() {
        person.phone = recorded_phone;
    }
    person
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

/// Refuses a household placed outside the user's régions: they would not see it again.
pub(crate) fn check_in_regions(actor: &Actor, place: &str) -> Result<(), StoreError> {
    if Visibility::of(actor).place_in_regions(place) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "registration_point",
            place,
            Message::PlaceInRegions { regions: actor.regions.join(", ") },
        ))
    }
}

/// Applies field changes to one row of `table` (`households` or `people`): compares each new
/// value with the old one, and when any differs updates the row, bumps its version and writes a
/// `record_versions` row with every changed field's old and new value. Returns whether anything
/// changed.
#[allow(clippy::too_many_arguments)]
pub(crate) fn apply_changes(
    tx: &mut Tx<'_>,
    table: &str,
    entity: &str,
    id: &str,
    version: i64,
    changes: &[(&str, Value)],
    old: &HashMap<&str, Value>,
    actor: &Actor,
    now: i64,
    reason: &str,
) -> Result<bool, StoreError> {
    let mut diff = serde_json::Map::new();
    let mut sets = Vec::new();
    let mut params: Vec<Value> = Vec::new();
    for (field, new) in changes {
        let before = old.get(field).cloned().unwrap_or(Value::Null);
        if before != *new {
            diff.insert(field.to_string(), json!({"from": value_json(&before), "to": value_json(new)}));
            params.push(new.clone());
            sets.push(format!("{field} = ${}", params.len()));
        }
    }
    if diff.is_empty() {
        return Ok(false);
    }
    params.extend([Value::Int(version + 1), Value::Int(now), actor.user_id.clone().into(), id.into()]);
    let n = params.len();
    tx.execute(
        &format!(
            "UPDATE {table} SET {}, version = ${}, updated_at = ${}, updated_by = ${} WHERE id = ${n}",
            sets.join(", "),
            n - 3,
            n - 2,
            n - 1
        ),
        &params,
    )?;
    write_version(tx, entity, id, version + 1, now, &actor.user_id, reason, &serde_json::Value::Object(diff))?;
    crate::versions::bump(tx, crate::versions::Capability::Registry)?;
    Ok(true)
}

/// The recorded fields of a person, in the order of `PERSON_FIELDS`.
pub(crate) const PERSON_FIELDS: [&str; 14] = [
    "external_id",
    "given_name",
    "family_name",
    "father_name",
    "other_spellings",
    "sex",
    "birth_date",
    "birth_date_precision",
    "relationship",
    "documents_held",
    "documents_missing",
    "specific_needs",
    "phone",
    "name_folded",
];

pub(crate) fn person_changes(p: &NewPerson) -> Vec<(&'static str, Value)> {
    let mut values = person_values(p);
    values.push(person_name_key(p).into());
    PERSON_FIELDS.into_iter().zip(values).collect()
}

fn require_reason(reason: &str) -> Result<String, StoreError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Err(StoreError::invalid("reason", "", Message::Reason));
    }
    Ok(reason.to_string())
}

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(i) => json!(i),
        Value::Real(r) => json!(r),
        Value::Text(t) => json!(t),
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn write_version(
    tx: &mut Tx<'_>,
    entity: &str,
    id: &str,
    version: i64,
    now: i64,
    by: &str,
    reason: &str,
    changes: &serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO record_versions (id, entity, entity_id, version, changed_at, changed_by, reason, changes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        params![new_id(), entity, id, version, now, by, reason, changes.to_string()],
    )?;
    Ok(())
}

/// A change a région-limited user makes must leave the household where they still see it:
/// otherwise it is refused, before anything commits (the caller's transaction rolls back).
pub(crate) fn keep_in_sight(tx: &mut Tx<'_>, actor: &Actor, id: &str) -> Result<(), StoreError> {
    if actor.regions.is_empty() {
        return Ok(()); // without régions, an organisation's households stay in its sight
    }
    let in_sight = Sql::new("SELECT h.current_location FROM households h WHERE h.id = ?", params![id])
        .and(&visible(actor, Access::Change));
    if tx.select_opt(&in_sight)?.is_some() {
        return Ok(());
    }
    let place = tx
        .query_opt("SELECT COALESCE(current_location, registration_point) FROM households WHERE id = $1", params![id])?
        .map(|r| r.text(0))
        .unwrap_or_default();
    Err(StoreError::invalid("current_location", place, Message::StaysInRegions { regions: actor.regions.join(", ") }))
}

/// Takes the household's row lock (PostgreSQL) so concurrent movements are checked in turn;
/// SQLite's write transaction is already exclusive.
fn lock_household(tx: &mut Tx<'_>, actor: &Actor, id: &str) -> Result<(), StoreError> {
    let n = tx.run(
        &Sql::new("UPDATE households SET version = version WHERE id = ?", params![id])
            .and(&Visibility::of(actor).households("households", Access::Change)),
    )?;
    if n == 0 {
        return Err(StoreError::NotFound("household"));
    }
    Ok(())
}

pub(crate) fn person_values(p: &NewPerson) -> Vec<Value> {
    vec![
        p.external_id.clone().into(),
        p.given_name.clone().into(),
        p.family_name.clone().into(),
        p.father_name.clone().into(),
        serde_json::to_string(&p.other_spellings).unwrap_or_else(|_| "[]".into()).into(),
        p.sex.map(|s| s.as_str()).into(),
        p.birth_date.map(|d| d.iso()).into(),
        p.birth_date.map(|d| d.precision.as_str()).into(),
        p.relationship.map(|r| r.as_str()).into(),
        join_codes(&p.documents_held).into(),
        join_codes(&p.documents_missing).into(),
        join_codes(&p.specific_needs).into(),
        p.phone.clone().into(),
    ]
}

const PERSON_INSERT_COLUMNS: &[&str] = &[
    "id",
    "household_id",
    "external_id",
    "given_name",
    "family_name",
    "father_name",
    "other_spellings",
    "sex",
    "birth_date",
    "birth_date_precision",
    "relationship",
    "documents_held",
    "documents_missing",
    "specific_needs",
    "phone",
    "name_folded",
    "status",
    "current_location",
    "current_location_gazetteer",
    "version",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
];

/// A new person's row, with the state derived for them.
fn person_row(actor: &Actor, id: &str, household_id: &str, p: &NewPerson, derived: &Summary, now: i64) -> Vec<Value> {
    let mut values = vec![Value::from(id), household_id.into()];
    values.extend(person_values(p));
    values.extend([
        person_name_key(p).into(),
        derived.status.as_str().into(),
        derived.current_location.clone().into(),
        derived.current_location.as_ref().map(|_| CURRENT_GAZETTEER).into(),
        Value::Int(1),
        Value::Int(now),
        actor.user_id.clone().into(),
        Value::Int(now),
        actor.user_id.clone().into(),
    ]);
    values
}

/// Inserts a person with the state derived for them.
pub(crate) fn insert_person(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: &str,
    household_id: &str,
    p: &NewPerson,
    derived: &Summary,
    now: i64,
) -> Result<(), StoreError> {
    tx.insert_rows("people", PERSON_INSERT_COLUMNS, vec![person_row(actor, id, household_id, p, derived, now)])
}

const MOVEMENT_INSERT_COLUMNS: &[&str] = &[
    "id",
    "household_id",
    "person_id",
    "external_id",
    "kind",
    "date",
    "date_precision",
    "from_location",
    "from_gazetteer",
    "to_location",
    "to_gazetteer",
    "country",
    "cause",
    "source",
    "seq",
    "recorded_at",
    "recorded_by",
];

#[allow(clippy::too_many_arguments)]
fn movement_row(
    actor: &Actor,
    id: &str,
    household_id: &str,
    person_id: Option<&str>,
    m: &NewMovement,
    seq: i64,
    now: i64,
) -> Vec<Value> {
    let gaz = |loc: &Option<String>| Value::from(loc.as_ref().map(|_| CURRENT_GAZETTEER));
    vec![
        id.into(),
        household_id.into(),
        person_id.into(),
        m.external_id.clone().into(),
        m.kind.as_str().into(),
        m.date.iso().into(),
        m.date.precision.as_str().into(),
        m.from.clone().into(),
        gaz(&m.from),
        m.to.clone().into(),
        gaz(&m.to),
        m.country.clone().into(),
        m.cause.map(|c| c.as_str()).into(),
        m.source.clone().into(),
        Value::Int(seq),
        Value::Int(now),
        actor.user_id.clone().into(),
    ]
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_movement(
    tx: &mut Tx<'_>,
    actor: &Actor,
    id: &str,
    household_id: &str,
    person_id: Option<&str>,
    m: &NewMovement,
    seq: i64,
    now: i64,
) -> Result<(), StoreError> {
    tx.insert_rows(
        "movements",
        MOVEMENT_INSERT_COLUMNS,
        vec![movement_row(actor, id, household_id, person_id, m, seq, now)],
    )
}

/// Household and per-person events of a household's movement rows (columns as in
/// `MOVEMENT_COLUMNS`), voided ones left out.
fn events_of(rows: &[Row]) -> (Vec<Event>, HashMap<String, Vec<Event>>) {
    let mut household = Vec::new();
    let mut people: HashMap<String, Vec<Event>> = HashMap::new();
    for r in rows {
        if r.opt_int(14).is_some() {
            continue;
        }
        let (Ok(kind), Ok(date)) =
            (MovementKind::parse("", &r.text(4)), NaiveDate::parse_from_str(&r.text(5), "%Y-%m-%d"))
        else {
            continue;
        };
        let event = Event {
            id: r.text(0),
            kind,
            date,
            from: r.opt_text(7),
            to: r.opt_text(9),
            seq: r.int(17),
            own: r.opt_text(2).is_some(),
        };
        match r.opt_text(2) {
            Some(person) => people.entry(person).or_default().push(event),
            None => household.push(event),
        }
    }
    (household, people)
}

/// Replays the household's movements and stores what they imply: status, current location,
/// displacement count, back-and-forth, for the household and each member.
pub(crate) fn refresh_derived(tx: &mut Tx<'_>, household_id: &str, today: NaiveDate) -> Result<(), StoreError> {
    let registered = tx
        .query_opt("SELECT registered_location FROM households WHERE id = $1", params![household_id])?
        .and_then(|r| r.opt_text(0));
    let rows = tx.query(
        &format!("SELECT {MOVEMENT_COLUMNS} FROM movements m WHERE m.household_id = $1"),
        params![household_id],
    )?;
    let (household_events, person_events) = events_of(&rows);
    let summary = timeline::replay(&household_events, registered.clone(), today)?;
    tx.execute(
        "UPDATE households SET status = $1, current_location = $2, current_location_gazetteer = $3, displacement_count = $4, back_and_forth = $5, displaced_since = $6 WHERE id = $7",
        params![
            summary.status.as_str(),
            summary.current_location.clone(),
            summary.current_location.as_ref().map(|_| CURRENT_GAZETTEER),
            summary.displacements as i64,
            summary.moves_back_and_forth,
            summary.displaced_since.map(|d| d.format("%Y-%m-%d").to_string()),
            household_id
        ],
    )?;
    crate::versions::bump(tx, crate::versions::Capability::Registry)?;
    let people = tx.query("SELECT id FROM people WHERE household_id = $1", params![household_id])?;
    for person in people {
        let pid = person.text(0);
        let own = person_events.get(&pid).cloned().unwrap_or_default();
        let s = timeline::replay_person(&household_events, &own, registered.clone(), today)?;
        tx.execute(
            "UPDATE people SET status = $1, current_location = $2, current_location_gazetteer = $3 WHERE id = $4",
            params![
                s.status.as_str(),
                s.current_location.clone(),
                s.current_location.as_ref().map(|_| CURRENT_GAZETTEER),
                &pid
            ],
        )?;
    }
    Ok(())
}

/// Inserts a new household with members and movements, its derived state computed in memory
/// (no read-back), so registration and bulk import share one fast path. A chronology error
/// names new events by their place in the input (`movements[2]`).
pub(crate) fn insert_household(
    tx: &mut Tx<'_>,
    actor: &Actor,
    org_id: &str,
    h: &NewHousehold,
    now: i64,
    today: NaiveDate,
) -> Result<(String, Vec<String>), StoreError> {
    let id = new_id();
    let person_ids: Vec<String> = h.members.iter().map(|_| new_id()).collect();
    let movement_ids: Vec<String> = h.movements.iter().map(|_| new_id()).collect();
    let mut by_external: HashMap<&str, &str> = HashMap::new();
    for (p, pid) in h.members.iter().zip(&person_ids) {
        if let Some(ext) = &p.external_id {
            by_external.insert(ext.as_str(), pid.as_str());
        }
    }
    let mut household_events = Vec::new();
    let mut person_events: HashMap<&str, Vec<Event>> = HashMap::new();
    let mut movement_people = Vec::with_capacity(h.movements.len());
    for (i, (m, mid)) in h.movements.iter().zip(&movement_ids).enumerate() {
        let event = Event {
            id: mid.clone(),
            kind: m.kind,
            date: m.date.date,
            from: m.from.clone(),
            to: m.to.clone(),
            seq: i as i64 + 1,
            own: m.person.is_some(),
        };
        match &m.person {
            Some(ext) => {
                let pid = *by_external.get(ext.as_str()).ok_or_else(|| {
                    StoreError::invalid(&format!("movements[{i}].person"), ext.clone(), Message::MemberExternalId)
                })?;
                person_events.entry(pid).or_default().push(event);
                movement_people.push(Some(pid));
            }
            None => {
                household_events.push(event);
                movement_people.push(None);
            }
        }
    }
    let labels: HashMap<&str, String> =
        movement_ids.iter().enumerate().map(|(i, mid)| (mid.as_str(), format!("movements[{i}]"))).collect();
    let relabel = |mut e: ChronologyError| {
        if let Some(l) = labels.get(e.event.as_str()) {
            e.event = l.clone();
        }
        if let Some(l) = e.conflicting_event.as_deref().and_then(|c| labels.get(c)) {
            e.conflicting_event = Some(l.clone());
        }
        StoreError::Chronology(e)
    };
    let summary = timeline::replay(&household_events, h.current_location.clone(), today).map_err(relabel)?;
    let gaz = |loc: &Option<String>| loc.as_ref().map(|_| CURRENT_GAZETTEER);
    let head = h
        .members
        .iter()
        .zip(&person_ids)
        .find(|(p, _)| p.relationship == Some(Relationship::Head))
        .map(|(_, pid)| pid.clone());
    tx.execute(
        "INSERT INTO households (id, organisation_id, external_id, registration_point, registration_point_gazetteer, registration_date, population_group, origin, origin_gazetteer, registered_location, registered_location_gazetteer, current_location, current_location_gazetteer, shelter_type, intention, head_person_id, status, displacement_count, back_and_forth, displaced_since, version, created_at, created_by, updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 1, $21, $22, $21, $22)",
        params![
            &id, org_id, &h.external_id, &h.registration_point, CURRENT_GAZETTEER, h.registration_date.format("%Y-%m-%d").to_string(),
            &h.population_group, h.origin.clone(), gaz(&h.origin), h.current_location.clone(), gaz(&h.current_location),
            summary.current_location.clone(), gaz(&summary.current_location),
            h.shelter_type.map(|s| s.as_str()), h.intention.map(|i| i.as_str()), head,
            summary.status.as_str(), summary.displacements as i64, summary.moves_back_and_forth,
            summary.displaced_since.map(|d| d.format("%Y-%m-%d").to_string()), now, &actor.user_id
        ],
    )?;
    // Members and movements go in one statement each.
    let mut people = Vec::with_capacity(h.members.len());
    for (p, pid) in h.members.iter().zip(&person_ids) {
        let own = person_events.get(pid.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let s = timeline::replay_person(&household_events, own, h.current_location.clone(), today).map_err(relabel)?;
        people.push(person_row(actor, pid, &id, p, &s, now));
    }
    tx.insert_rows("people", PERSON_INSERT_COLUMNS, people)?;
    let movements = h
        .movements
        .iter()
        .zip(&movement_ids)
        .enumerate()
        .map(|(i, (m, mid))| movement_row(actor, mid, &id, movement_people[i], m, i as i64 + 1, now))
        .collect();
    tx.insert_rows("movements", MOVEMENT_INSERT_COLUMNS, movements)?;
    Ok((id, person_ids))
}
