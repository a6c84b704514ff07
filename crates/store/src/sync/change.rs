//! A change as it travels: its identity (node, epoch, sequence), the record it changes, each
//! field's new value and the changes it was made on. Merging never reads a clock: `at` is
//! shown, never compared.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::db::Value;
use crate::error::StoreError;

/// Where a change was made and its place in that node's feed. Ordered by node, epoch and
/// sequence: the order that picks the provisional value of a disputed field on every node.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChangeId {
    pub node: String,
    pub epoch: i64,
    pub seq: i64,
}

impl ChangeId {
    /// The origin this change continues: a node in one epoch.
    pub fn origin(&self) -> Origin {
        Origin { node: self.node.clone(), epoch: self.epoch }
    }
}

impl fmt::Display for ChangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.node, self.epoch, self.seq)
    }
}

impl fmt::Debug for ChangeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for ChangeId {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || StoreError::Database(format!("not a change identifier: {s}"));
        let mut parts = s.rsplitn(3, ':');
        let seq = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let epoch = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let node = parts.next().filter(|n| !n.is_empty()).ok_or_else(bad)?.to_string();
        Ok(ChangeId { node, epoch, seq })
    }
}

/// A node in one epoch: its changes are numbered 1, 2, 3… without gaps.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    pub node: String,
    pub epoch: i64,
}

/// What a node holds: for each origin, the highest sequence number it recorded (it holds
/// every earlier one too).
pub type Vector = BTreeMap<String, i64>;

/// The key of an origin in a [`Vector`].
pub fn origin_key(node: &str, epoch: i64) -> String {
    format!("{node}:{epoch}")
}

/// The kinds of record that sync carries, each a table whose rows are merged field by field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Organisation,
    Household,
    Person,
    Movement,
    /// A solutions decision (an exit from the IDP stock), voided rather than deleted.
    Solution,
    /// Assistance: a programme, its rounds, what each household is entitled to in a round
    /// (with the people it covers), and what was delivered.
    Programme,
    Cycle,
    Entitlement,
    Delivery,
    /// A row of a node's audit log (never changed once written).
    AuditEntry,
}

impl Entity {
    /// Every kind, in the order of their numbers on the wire (append only).
    pub const ALL: [Entity; 10] = [
        Entity::Organisation,
        Entity::Household,
        Entity::Person,
        Entity::Movement,
        Entity::AuditEntry,
        Entity::Solution,
        Entity::Programme,
        Entity::Cycle,
        Entity::Entitlement,
        Entity::Delivery,
    ];

    /// The records merged (what every node that has exchanged everything holds alike).
    pub const REGISTRY: [Entity; 9] = [
        Entity::Organisation,
        Entity::Household,
        Entity::Person,
        Entity::Movement,
        Entity::Solution,
        Entity::Programme,
        Entity::Cycle,
        Entity::Entitlement,
        Entity::Delivery,
    ];

    /// Columns naming the record each one belongs to: its creation waits for theirs.
    pub(crate) fn parents(self) -> &'static [(&'static str, Entity)] {
        match self {
            Entity::Organisation | Entity::AuditEntry => &[],
            Entity::Household => &[("organisation_id", Entity::Organisation)],
            Entity::Person => &[("household_id", Entity::Household)],
            Entity::Movement | Entity::Solution => {
                &[("household_id", Entity::Household), ("person_id", Entity::Person)]
            }
            Entity::Programme => &[("organisation_id", Entity::Organisation)],
            Entity::Cycle => &[("programme_id", Entity::Programme)],
            Entity::Entitlement => &[("cycle_id", Entity::Cycle), ("household_id", Entity::Household)],
            Entity::Delivery => &[("entitlement_id", Entity::Entitlement)],
        }
    }

    /// Assistance records: applying them changes what reach counts.
    pub(crate) fn assistance(self) -> bool {
        matches!(self, Entity::Programme | Entity::Cycle | Entity::Entitlement | Entity::Delivery)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Organisation => "organisation",
            Entity::Household => "household",
            Entity::Person => "person",
            Entity::Movement => "movement",
            Entity::Solution => "solution",
            Entity::Programme => "programme",
            Entity::Cycle => "cycle",
            Entity::Entitlement => "entitlement",
            Entity::Delivery => "delivery",
            Entity::AuditEntry => "audit_entry",
        }
    }

    pub fn parse(s: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub(crate) fn table(self) -> &'static str {
        match self {
            Entity::Organisation => "organisations",
            Entity::Household => "households",
            Entity::Person => "people",
            Entity::Movement => "movements",
            Entity::Solution => "solutions",
            Entity::Programme => "programmes",
            Entity::Cycle => "cycles",
            Entity::Entitlement => "entitlements",
            Entity::Delivery => "deliveries",
            Entity::AuditEntry => "sync_audit",
        }
    }

    /// Columns each node derives or keeps for itself: never shipped, recomputed on arrival
    /// (status and places from the movements, versions and the last local writer).
    pub(crate) fn local_columns(self) -> &'static [&'static str] {
        match self {
            Entity::Organisation
            | Entity::Movement
            | Entity::Solution
            | Entity::Programme
            | Entity::Entitlement
            | Entity::AuditEntry => &["id"],
            // Who touched a round last and when: each node's own (its status is what merges).
            Entity::Cycle => &["id", "updated_at", "updated_by"],
            // A delivery is read with its household (the scope it is sent in).
            Entity::Delivery => &["id", "household_id"],
            Entity::Household => &[
                "id",
                "status",
                "current_location",
                "current_location_gazetteer",
                "displacement_count",
                "back_and_forth",
                "displaced_since",
                "version",
                "updated_at",
                "updated_by",
            ],
            // The searchable name is derived from the names: merged names give it again.
            Entity::Person => &[
                "id",
                "status",
                "current_location",
                "current_location_gazetteer",
                "name_folded",
                "version",
                "updated_at",
                "updated_by",
            ],
        }
    }

    /// Whether the table keeps a version, its last writer and a history (`record_versions`).
    pub(crate) fn versioned(self) -> bool {
        matches!(self, Entity::Household | Entity::Person)
    }
}

/// A field's value as shipped.
pub type FieldValue = serde_json::Value;

/// One change: a record created (every field it was given) or edited (the fields that changed).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub id: ChangeId,
    pub entity: Entity,
    pub entity_id: String,
    #[serde(flatten)]
    pub body: ChangeBody,
}

/// What a change says, stored as JSON beside its identity.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeBody {
    /// Sent in place of a change the receiving node may not see (another organisation's or
    /// région's household): only its identity, so the origin's numbering has no gap there.
    #[serde(rename = "w", default, skip_serializing_if = "std::ops::Not::not")]
    pub withheld: bool,
    /// The household the record belongs to (a node's scope is checked on it).
    #[serde(rename = "h", default, skip_serializing_if = "Option::is_none")]
    pub household: Option<String>,
    /// Whether the change creates the record.
    #[serde(rename = "n", default, skip_serializing_if = "std::ops::Not::not")]
    pub creates: bool,
    /// Each changed field's new value.
    #[serde(rename = "f")]
    pub fields: BTreeMap<String, FieldValue>,
    /// For each changed field, the changes whose values the author saw and replaced; under
    /// `""`, the changes that created the records this one belongs to.
    #[serde(rename = "d", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deps: BTreeMap<String, Vec<ChangeId>>,
    /// The user who made it (an id of the node where it was made).
    #[serde(rename = "a")]
    pub author: String,
    /// When, by that node's clock (shown only).
    #[serde(rename = "t")]
    pub at: i64,
    #[serde(rename = "r", default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Field values may be names: a change's `Debug` shows which fields, never their values.
impl fmt::Debug for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Change")
            .field("id", &self.id)
            .field("entity", &self.entity)
            .field("entity_id", &self.entity_id)
            .field("fields", &self.body.fields.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Fields a record's creation implies: they equal the change's time, author or household, so
/// they are left out of the change and put back on arrival.
const IMPLIED: [(&str, Implied); 5] = [
    ("created_at", Implied::At),
    ("recorded_at", Implied::At),
    ("created_by", Implied::Author),
    ("recorded_by", Implied::Author),
    ("household_id", Implied::Household),
];

#[derive(Clone, Copy)]
enum Implied {
    At,
    Author,
    Household,
}

impl ChangeBody {
    fn implied(&self, what: Implied) -> FieldValue {
        match what {
            Implied::At => self.at.into(),
            Implied::Author => self.author.clone().into(),
            Implied::Household => self.household.clone().map_or(FieldValue::Null, FieldValue::from),
        }
    }

    /// Leaves out of a creation the fields it implies (see [`IMPLIED`]).
    pub(crate) fn leave_out_implied(&mut self) {
        if !self.creates {
            return;
        }
        for (field, what) in IMPLIED {
            if self.fields.get(field).is_some_and(|v| *v == self.implied(what)) {
                self.fields.remove(field);
            }
        }
    }

    /// Puts back into a creation of `entity` the fields it implies.
    pub(crate) fn put_back_implied(&mut self, entity: Entity) {
        if !self.creates {
            return;
        }
        let columns: &[&str] = match entity {
            Entity::Organisation => &["created_at", "created_by"],
            Entity::Household => &["created_at", "created_by"],
            Entity::Person => &["created_at", "created_by", "household_id"],
            Entity::Movement | Entity::Solution => &["recorded_at", "recorded_by", "household_id"],
            Entity::Entitlement => &["created_at", "created_by", "household_id"],
            Entity::Programme | Entity::Cycle | Entity::Delivery => &["created_at", "created_by"],
            Entity::AuditEntry => &[],
        };
        for (field, what) in IMPLIED {
            if columns.contains(&field) && !self.fields.contains_key(field) {
                let value = self.implied(what);
                self.fields.insert(field.to_string(), value);
            }
        }
    }
}

impl Change {
    /// The body as stored.
    pub(crate) fn body_json(&self) -> String {
        serde_json::to_string(&self.body).unwrap_or_default()
    }

    /// The content hash that tells a replay (same content) from a clash (same id, other
    /// content).
    pub(crate) fn hash(&self) -> String {
        let mut hasher = Sha256::new();
        for part in [self.id.to_string().as_str(), self.entity.as_str(), &self.entity_id, &self.body_json()] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        hex::encode(&hasher.finalize()[..16])
    }

    /// Every change this one needs applied first.
    pub(crate) fn dependencies(&self) -> impl Iterator<Item = &ChangeId> {
        self.body.deps.values().flatten()
    }
}

/// A database value as shipped.
pub(crate) fn to_field(v: &Value) -> FieldValue {
    match v {
        Value::Null => FieldValue::Null,
        Value::Int(i) => (*i).into(),
        Value::Real(r) => serde_json::Number::from_f64(*r).map_or(FieldValue::Null, FieldValue::Number),
        Value::Text(t) => t.clone().into(),
        Value::Bytes(_) => FieldValue::Null,
    }
}

/// A shipped value as a database value.
pub(crate) fn to_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Null => Value::Null,
        FieldValue::Bool(b) => Value::from(*b),
        FieldValue::Number(n) => n.as_i64().map_or_else(|| Value::Real(n.as_f64().unwrap_or(0.0)), Value::Int),
        FieldValue::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_ids_read_back_and_order_by_node_epoch_then_sequence() {
        let id = ChangeId { node: "0190-ab".into(), epoch: 2, seq: 17 };
        assert_eq!(id.to_string().parse::<ChangeId>().unwrap(), id);
        assert!("x:1".parse::<ChangeId>().is_err());
        assert!(":1:2".parse::<ChangeId>().is_err());
        let later = ChangeId { node: "0190-ab".into(), epoch: 2, seq: 18 };
        let other_epoch = ChangeId { node: "0190-ab".into(), epoch: 3, seq: 1 };
        assert!(id < later && later < other_epoch);
    }

    #[test]
    fn a_changes_debug_names_fields_not_values() {
        let change = Change {
            id: ChangeId { node: "n".into(), epoch: 1, seq: 1 },
            entity: Entity::Person,
            entity_id: "p".into(),
            body: ChangeBody {
                household: None,
                creates: true,
                fields: BTreeMap::from([("given_name".to_string(), FieldValue::from("Fatoumata"))]),
                deps: BTreeMap::new(),
                author: "u".into(),
                ..ChangeBody::default()
            },
        };
        let shown = format!("{change:?}");
        assert!(shown.contains("given_name") && !shown.contains("Fatoumata"), "{shown}");
    }
}
