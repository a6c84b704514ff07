//! The registry in the import format, as rows of text, for `exchange` to write as files:
//! what the actor may change, with the same need to know as API answers.

pub use exchange::export::RegistryTables;

use exchange::columns::TableKind;

use crate::db::Row;
use crate::registry::HouseholdFilter;
use crate::visibility::Access;
use crate::{params, Actor, Store, StoreError};

fn display_date(r: &Row, date: &str, precision: &str) -> Result<String, StoreError> {
    Ok(match (r.opt_text_of(date)?, r.opt_text_of(precision)?) {
        (Some(iso), Some(precision)) => {
            domain::FuzzyDate::from_stored(&iso, &precision).map(|d| d.display()).unwrap_or_default()
        }
        _ => String::new(),
    })
}

fn codes(text: &str) -> String {
    text.replace(',', " ")
}

/// One row in the documented column order of `kind`, each cell by its column's name.
fn cells(kind: TableKind, mut cell: impl FnMut(&str) -> Result<String, StoreError>) -> Result<Vec<String>, StoreError> {
    kind.columns().iter().map(|c| cell(c.name)).collect()
}

fn household_cells(r: &Row) -> Result<Vec<String>, StoreError> {
    cells(TableKind::Households, |column| Ok(r.opt_text_of(column)?.unwrap_or_default()))
}

/// A person's row, with the same need to know as API answers.
fn person_cells(actor: &Actor, r: &Row) -> Result<Vec<String>, StoreError> {
    let corrupt = || StoreError::Database("a person's stored lists do not read as JSON".into());
    cells(TableKind::People, |column| {
        Ok(match column {
            "other_spellings" => {
                let spellings: Vec<String> = serde_json::from_str(&r.text_of(column)?).map_err(|_| corrupt())?;
                spellings.join("|")
            }
            "birth_date" => display_date(r, "birth_date", "birth_date_precision")?,
            "estimated_age" => String::new(),
            "documents_held" | "documents_missing" => codes(&r.text_of(column)?),
            "specific_needs" => {
                let text = r.text_of(column)?;
                let visible: Vec<&str> = text
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .filter(|c| {
                        actor.role.sees_protection_needs()
                            || domain::SpecificNeed::parse("", c).is_ok_and(|n| !n.is_protection_sensitive())
                    })
                    .collect();
                visible.join(" ")
            }
            "phone" if !actor.role.sees_phone() => String::new(),
            "identifiers" if !actor.role.sees_identifiers() => String::new(),
            "identifiers" => {
                let ids: Vec<domain::Identifier> = serde_json::from_str(&r.text_of(column)?).map_err(|_| corrupt())?;
                ids.iter().map(domain::Identifier::as_text).collect::<Vec<_>>().join("|")
            }
            other => r.opt_text_of(other)?.unwrap_or_default(),
        })
    })
}

fn movement_cells(r: &Row) -> Result<Vec<String>, StoreError> {
    cells(TableKind::Movements, |column| match column {
        "date" => display_date(r, "date", "date_precision"),
        other => Ok(r.opt_text_of(other)?.unwrap_or_default()),
    })
}

/// Reads what the actor may see, in the import format.
pub fn registry_tables(store: &Store, actor: &Actor) -> Result<RegistryTables, StoreError> {
    registry_tables_filtered(store, actor, &HouseholdFilter::default())
}

/// The households `filter` finds (as the registry list does: by organisation, group, status,
/// place, number, registration dates, a member's name), with their people and movements, in
/// the import format. Only what the actor may change: an export is personal data.
pub fn registry_tables_filtered(
    store: &Store,
    actor: &Actor,
    filter: &HouseholdFilter,
) -> Result<RegistryTables, StoreError> {
    let (mut q, search) = store.household_query(actor, filter, Access::Change)?;
    let now = store.now_ms();
    // An export is a read of everyone's records: audited before it is handed over.
    let tables = store.db.read_lagging(|tx| {
        if let Some(search) = &search {
            let joins = "JOIN households h ON h.id = p.household_id JOIN organisations o ON o.id = h.organisation_id";
            q.keep_first_found(tx, search, "DISTINCT h.id", joins)?;
        }
        let households = tx
            .select(
                &q.filtered("SELECT h.external_id AS household_id, o.code AS organisation, h.registration_point, h.registration_date, h.population_group, h.origin, h.registered_location AS current_location, h.shelter_type, h.intention FROM households h JOIN organisations o ON o.id = h.organisation_id")
                    .push(" ORDER BY o.code, h.external_id", params![]),
            )?
            .iter()
            .map(household_cells)
            .collect::<Result<_, _>>()?;
        let people = tx
            .select(
                &q.filtered("SELECT h.external_id AS household_id, p.external_id AS person_id, p.given_name, p.family_name, p.father_name, p.other_spellings, p.sex, p.birth_date, p.birth_date_precision, p.relationship, p.documents_held, p.documents_missing, p.specific_needs, p.phone, p.identifiers FROM people p JOIN households h ON h.id = p.household_id JOIN organisations o ON o.id = h.organisation_id")
                    .push(" AND p.removed_at IS NULL ORDER BY h.external_id, p.created_at, p.id", params![]),
            )?
            .iter()
            .map(|r| person_cells(actor, r))
            .collect::<Result<_, _>>()?;
        let movements = tx
            .select(
                &q.filtered("SELECT h.external_id AS household_id, p.external_id AS person_id, m.external_id AS movement_id, m.kind, m.date, m.date_precision, m.from_location AS \"from\", m.to_location AS \"to\", m.country, m.cause, m.source FROM movements m JOIN households h ON h.id = m.household_id JOIN organisations o ON o.id = h.organisation_id LEFT JOIN people p ON p.id = m.person_id")
                    .push(" AND m.voided_at IS NULL ORDER BY h.external_id, m.date, m.seq", params![]),
            )?
            .iter()
            .map(movement_cells)
            .collect::<Result<_, _>>()?;
        Ok(RegistryTables { households, people, movements })
    })?;
    store.audit_read(actor, now, "export", "registry", "", serde_json::json!({"filters": q.filters()}))?;
    Ok(tables)
}
