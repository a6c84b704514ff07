//! The registry in the import format, as rows of text, for `exchange` to write as files:
//! what the actor may change, with the same need to know as API answers.

pub use exchange::export::RegistryTables;

use crate::visibility::{Access, Sql, Visibility};
use crate::{params, Actor, Store, StoreError};

fn display_date(iso: &str, precision: &str) -> String {
    domain::FuzzyDate::from_stored(iso, precision).map(|d| d.display()).unwrap_or_default()
}

fn codes(text: &str) -> String {
    text.replace(',', " ")
}

/// Reads what the actor may see, in the import format.
pub fn registry_tables(store: &Store, actor: &Actor) -> Result<RegistryTables, StoreError> {
    let scope = Visibility::of(actor).households("h", Access::Change);
    let now = store.now_ms();
    // An export is a read of everyone's records: audited before it is handed over.
    let tables = store.db.read(|tx| {
        let households = tx
            .select(
                &Sql::new("SELECT h.external_id, o.code, h.registration_point, h.registration_date, h.population_group, h.origin, h.registered_location, h.shelter_type, h.intention FROM households h JOIN organisations o ON o.id = h.organisation_id WHERE ", params![]).cond(&scope).push(" ORDER BY o.code, h.external_id", params![]),
            )?
            .into_iter()
            .map(|r| (0..9).map(|i| r.text(i)).collect())
            .collect();
        let people = tx
            .select(
                &Sql::new("SELECT h.external_id, p.external_id, p.given_name, p.family_name, p.father_name, p.other_spellings, p.sex, p.birth_date, p.birth_date_precision, p.relationship, p.documents_held, p.documents_missing, p.specific_needs, p.phone FROM people p JOIN households h ON h.id = p.household_id WHERE ", params![]).cond(&scope).push(" ORDER BY h.external_id, p.created_at, p.id", params![]),
            )?
            .into_iter()
            .map(|r| {
                let spellings: Vec<String> = serde_json::from_str(&r.text(5)).unwrap_or_default();
                // The same need to know as in API answers.
                let needs: Vec<String> = r
                    .text(12)
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .filter(|c| {
                        actor.role.sees_protection_needs()
                            || domain::SpecificNeed::parse("", c).is_ok_and(|n| !n.is_protection_sensitive())
                    })
                    .map(str::to_string)
                    .collect();
                let phone = if actor.role.sees_phone() { r.text(13) } else { String::new() };
                vec![
                    r.text(0), r.text(1), r.text(2), r.text(3), r.text(4), spellings.join("|"), r.text(6),
                    display_date(&r.text(7), &r.text(8)), String::new(), r.text(9), codes(&r.text(10)),
                    codes(&r.text(11)), needs.join(" "), phone,
                ]
            })
            .collect();
        let movements = tx
            .select(
                &Sql::new("SELECT h.external_id, p.external_id, m.external_id, m.kind, m.date, m.date_precision, m.from_location, m.to_location, m.country, m.cause, m.source FROM movements m JOIN households h ON h.id = m.household_id LEFT JOIN people p ON p.id = m.person_id WHERE m.voided_at IS NULL AND ", params![]).cond(&scope).push(" ORDER BY h.external_id, m.date, m.seq", params![]),
            )?
            .into_iter()
            .map(|r| {
                vec![
                    r.text(0), r.text(1), r.text(2), r.text(3), display_date(&r.text(4), &r.text(5)),
                    r.text(6), r.text(7), r.text(8), r.text(9), r.text(10),
                ]
            })
            .collect();
        Ok(RegistryTables { households, people, movements })
    })?;
    store.audit_read(actor, now, "export", "registry", "", serde_json::json!({}))?;
    Ok(tables)
}
