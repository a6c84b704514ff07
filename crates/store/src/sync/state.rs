//! Each synced record's merged state: per field, its current values ("heads"). A field has one
//! head unless two edits were made without either seeing the other; it then has both, shows
//! the one of the greatest change id (the same on every node) and is disputed until a person
//! picks a value, which is an edit replacing every head.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::change::{ChangeId, Entity, FieldValue};
use crate::db::{Tx, Value};
use crate::error::StoreError;
use crate::{params, Cond, Sql};

/// One current value of a field and the change that wrote it. Stored without the change when
/// it is the record's creation (most heads are): see [`EntityState::to_json`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Head {
    #[serde(rename = "c", default, skip_serializing_if = "String::is_empty")]
    pub change: String,
    #[serde(rename = "v")]
    pub value: FieldValue,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct EntityState {
    /// The change that created the record.
    #[serde(skip)]
    pub created_by: String,
    #[serde(flatten)]
    pub fields: BTreeMap<String, Vec<Head>>,
}

impl EntityState {
    /// The value a field shows: its only head, or of a disputed field the head of the greatest
    /// change id. A field never written is null.
    pub fn shown(&self, field: &str) -> FieldValue {
        shown(self.fields.get(field).map(Vec::as_slice).unwrap_or_default())
    }

    /// The state of a record just created by `change` with these fields.
    pub fn created(change: &ChangeId, fields: &BTreeMap<String, FieldValue>) -> EntityState {
        let id = change.to_string();
        let fields = fields
            .iter()
            .map(|(field, value)| (field.clone(), vec![Head { change: id.clone(), value: value.clone() }]))
            .collect();
        EntityState { created_by: id, fields }
    }

    /// The value a field shows, borrowed (see [`EntityState::shown`]).
    pub fn shown_ref(&self, field: &str) -> Option<&FieldValue> {
        let heads = self.fields.get(field)?;
        match heads.as_slice() {
            [one] => Some(&one.value),
            _ => heads.iter().max_by(|a, b| order(&a.change).cmp(&order(&b.change))).map(|h| &h.value),
        }
    }

    /// The state as stored: heads written by the record's creation leave out its id.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct HeadRef<'a> {
            #[serde(rename = "c", skip_serializing_if = "str::is_empty")]
            change: &'a str,
            #[serde(rename = "v")]
            value: &'a FieldValue,
        }
        struct Heads<'a>(&'a [Head], &'a str);
        impl Serialize for Heads<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for head in self.0 {
                    let change = if head.change == self.1 { "" } else { head.change.as_str() };
                    seq.serialize_element(&HeadRef { change, value: &head.value })?;
                }
                seq.end()
            }
        }
        struct Fields<'a>(&'a EntityState);
        impl Serialize for Fields<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(self.0.fields.len()))?;
                for (field, heads) in &self.0.fields {
                    map.serialize_entry(field, &Heads(heads, &self.0.created_by))?;
                }
                map.end()
            }
        }
        serde_json::to_string(&Fields(self)).unwrap_or_default()
    }

    /// The state stored by [`EntityState::to_json`], created by `created_by`.
    pub fn from_json(json: &str, created_by: String) -> Result<EntityState, serde_json::Error> {
        let mut state: EntityState = serde_json::from_str(json)?;
        for head in state.fields.values_mut().flatten().filter(|h| h.change.is_empty()) {
            head.change.clone_from(&created_by);
        }
        state.created_by = created_by;
        Ok(state)
    }

    /// The heads of a field, as change ids (what an edit of it replaces).
    pub fn head_ids(&self, field: &str) -> Vec<ChangeId> {
        self.fields.get(field).into_iter().flatten().filter_map(|h| h.change.parse().ok()).collect()
    }

    /// Records that `change` set `field` to `value`, replacing the heads it saw (`seen`).
    /// Heads it did not see stay: the field is then disputed.
    pub fn set(&mut self, field: &str, change: &ChangeId, seen: &[ChangeId], value: FieldValue) {
        let heads = self.fields.entry(field.to_string()).or_default();
        let seen: Vec<String> = seen.iter().map(ToString::to_string).collect();
        heads.retain(|h| !seen.contains(&h.change));
        let id = change.to_string();
        if !heads.iter().any(|h| h.change == id) {
            heads.push(Head { change: id, value });
            heads.sort_by_key(|h| order(&h.change));
        }
    }

    /// Whether the field holds two different values (two edits that set the same value
    /// without seeing each other agree: both stay heads, nothing is to decide).
    pub fn disputed(&self, field: &str) -> bool {
        self.fields.get(field).is_some_and(|heads| heads.iter().any(|h| h.value != heads[0].value))
    }
}

fn order(change: &str) -> Option<ChangeId> {
    change.parse().ok()
}

/// The value shown for these heads (see [`EntityState::shown`]).
pub(crate) fn shown(heads: &[Head]) -> FieldValue {
    heads.iter().max_by(|a, b| order(&a.change).cmp(&order(&b.change))).map_or(FieldValue::Null, |h| h.value.clone())
}

/// The states of these records (missing ones are not synced yet).
pub(crate) fn load(
    tx: &mut Tx<'_>,
    entity: Entity,
    ids: &[String],
) -> Result<HashMap<String, EntityState>, StoreError> {
    let mut states = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = Sql::new(
            "SELECT entity_id, created_by_change, state FROM sync_entities WHERE entity = ? AND ",
            params![entity.as_str()],
        )
        .cond(&Cond::one_of("entity_id", chunk));
        for row in tx.select(&sql)? {
            let state = EntityState::from_json(row.str(2), row.text(1))
                .map_err(|e| StoreError::Database(format!("sync state of a {}: {e}", entity.as_str())))?;
            states.insert(row.text(0), state);
        }
    }
    Ok(states)
}

/// The states of every record of a kind.
pub(crate) fn load_all(tx: &mut Tx<'_>, entity: Entity) -> Result<HashMap<String, EntityState>, StoreError> {
    let mut states = HashMap::new();
    let rows = tx.query(
        "SELECT entity_id, created_by_change, state FROM sync_entities WHERE entity = $1",
        params![entity.as_str()],
    )?;
    for row in rows {
        let state = EntityState::from_json(row.str(2), row.text(1))
            .map_err(|e| StoreError::Database(format!("sync state of a {}: {e}", entity.as_str())))?;
        states.insert(row.text(0), state);
    }
    Ok(states)
}

/// Writes these records' states.
pub(crate) fn save(tx: &mut Tx<'_>, entity: Entity, states: &[(&str, &EntityState)]) -> Result<(), StoreError> {
    for (id, state) in states {
        let json = state.to_json();
        tx.execute(
            "INSERT INTO sync_entities (entity, entity_id, created_by_change, state) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (entity, entity_id) DO UPDATE SET state = excluded.state",
            &[Value::from(entity.as_str()), Value::from(*id), Value::from(&state.created_by), Value::from(json)],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(node: &str, seq: i64) -> ChangeId {
        ChangeId { node: node.into(), epoch: 1, seq }
    }

    #[test]
    fn an_edit_on_what_it_saw_replaces_it_and_two_unseen_edits_are_both_kept() {
        let mut state = EntityState::default();
        state.set("phone", &id("a", 1), &[], "1".into());
        state.set("phone", &id("a", 2), &[id("a", 1)], "2".into());
        assert_eq!(state.shown("phone"), FieldValue::from("2"));
        assert!(!state.disputed("phone"));
        // b and c both edit on a:2 without seeing each other.
        let mut on_b = state.clone();
        on_b.set("phone", &id("b", 1), &[id("a", 2)], "3".into());
        on_b.set("phone", &id("c", 1), &[id("a", 2)], "4".into());
        let mut on_c = state.clone();
        on_c.set("phone", &id("c", 1), &[id("a", 2)], "4".into());
        on_c.set("phone", &id("b", 1), &[id("a", 2)], "3".into());
        assert!(on_b.disputed("phone") && on_c.disputed("phone"));
        assert_eq!(on_b, on_c, "the order of arrival changes nothing");
        assert_eq!(on_b.shown("phone"), FieldValue::from("4"), "the greatest change id shows");
        // Resolving replaces both; applying it twice changes nothing.
        on_b.set("phone", &id("b", 2), &[id("b", 1), id("c", 1)], "3".into());
        let once = on_b.clone();
        on_b.set("phone", &id("b", 2), &[id("b", 1), id("c", 1)], "3".into());
        assert_eq!(on_b, once);
        assert!(!on_b.disputed("phone"));
        assert_eq!(on_b.shown("phone"), FieldValue::from("3"));
        // Two edits to the same value agree: nothing to decide, and the next edit replaces both.
        on_b.set("phone", &id("a", 3), &[id("b", 2)], "5".into());
        on_b.set("phone", &id("c", 2), &[id("b", 2)], "5".into());
        assert!(!on_b.disputed("phone"));
        on_b.set("phone", &id("a", 4), &on_b.head_ids("phone"), "6".into());
        assert_eq!(on_b.fields["phone"].len(), 1);
    }

    #[test]
    fn a_state_stored_without_its_creations_id_reads_back_the_same() {
        let fields = BTreeMap::from([("phone".to_string(), "1".into()), ("sex".to_string(), "f".into())]);
        let mut state = EntityState::created(&id("a", 7), &fields);
        state.set("phone", &id("b", 1), &[], "2".into());
        let json = state.to_json();
        assert_eq!(json.matches("a:1:7").count(), 0, "{json}");
        assert_eq!(json.matches("b:1:1").count(), 1, "{json}");
        assert_eq!(EntityState::from_json(&json, "a:1:7".into()).unwrap(), state);
        assert!(state.disputed("phone"));
    }
}
