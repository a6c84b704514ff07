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
/// Declared parents first: new records of a batch are written in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    Organisation,
    /// An account other than an administrator (each installation keeps its own).
    User,
    /// What one organisation shares with another (`sharing_agreements`).
    Agreement,
    ImplementingPartner,
    /// The offices of the operational presence.
    Office,
    Site,
    Household,
    Person,
    Movement,
    /// A solutions decision (an exit from the IDP stock), voided rather than deleted.
    Solution,
    /// A reviewed pair of the duplicates queue (pending pairs stay where they were found).
    DuplicatePair,
    /// Assistance: a programme, its rounds, what each household is entitled to in a round
    /// (with the people it covers), and what was delivered.
    Programme,
    Cycle,
    Entitlement,
    Delivery,
    /// A sample of a round's households drawn for post-distribution monitoring, and each
    /// household's answers.
    MonitoringSample,
    MonitoringAnswer,
    /// Response plans, their indicators and targets, and partners' monthly reports on them.
    ResponsePlan,
    Indicator,
    IndicatorTarget,
    ActivityReport,
    /// The 4W and the money: projects, funding flows (with their sectors), requirements,
    /// organisations' budgets and the 4W's rows.
    Project,
    FundingFlow,
    FundingRequirement,
    Budget,
    ActivityRow,
    /// External figures: a series and each version imported (with its figures).
    Series,
    SeriesVersion,
    /// A row of a node's audit log (never changed once written).
    AuditEntry,
}

/// Rows of another table that travel as one field of their record: a list of values (one
/// column) or of lists (several), in `order`.
pub(crate) struct Children {
    pub table: &'static str,
    pub parent: &'static str,
    pub field: &'static str,
    pub columns: &'static [&'static str],
    pub order: &'static str,
}

impl Children {
    /// The columns of a row of the children's table: the parent's identifier first.
    pub(crate) fn row_columns(&self) -> Vec<&'static str> {
        std::iter::once(self.parent).chain(self.columns.iter().copied()).collect()
    }
}

/// The field that says a record was deleted where it was made (a revoked agreement, a row a
/// new file replaced); a later change may bring it back.
pub(crate) const REMOVED: &str = "_removed";

impl Entity {
    /// Every kind, in the order of their numbers on the wire (append only).
    pub const ALL: [Entity; 29] = [
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
        Entity::User,
        Entity::Agreement,
        Entity::ImplementingPartner,
        Entity::Office,
        Entity::Site,
        Entity::DuplicatePair,
        Entity::ResponsePlan,
        Entity::Indicator,
        Entity::IndicatorTarget,
        Entity::ActivityReport,
        Entity::Project,
        Entity::FundingFlow,
        Entity::FundingRequirement,
        Entity::Budget,
        Entity::ActivityRow,
        Entity::Series,
        Entity::SeriesVersion,
        Entity::MonitoringSample,
        Entity::MonitoringAnswer,
    ];

    /// The records merged (what every node that has exchanged everything holds alike), parents
    /// first (the order they are declared in).
    pub fn registry() -> Vec<Entity> {
        let mut merged: Vec<Entity> = Entity::ALL.into_iter().filter(|e| *e != Entity::AuditEntry).collect();
        merged.sort();
        merged
    }

    /// Records compared whole with what was shipped whenever a transaction writes their table
    /// (few, or written by whole files): a row gone is shipped as removed.
    pub(crate) const COMPARED_WHOLE: [Entity; 18] = [
        Entity::Organisation,
        Entity::User,
        Entity::Agreement,
        Entity::ImplementingPartner,
        Entity::Office,
        Entity::Site,
        Entity::MonitoringSample,
        Entity::MonitoringAnswer,
        Entity::ResponsePlan,
        Entity::Indicator,
        Entity::IndicatorTarget,
        Entity::ActivityReport,
        Entity::Project,
        Entity::FundingFlow,
        Entity::FundingRequirement,
        Entity::Budget,
        Entity::ActivityRow,
        Entity::Series,
    ];

    /// The columns that identify a record. One column is its identifier as is; several are
    /// written as a JSON list (see [`Entity::key_of`]).
    pub(crate) fn key(self) -> &'static [&'static str] {
        match self {
            Entity::Agreement => &["from_org", "to_org"],
            Entity::ImplementingPartner => &["organisation_id", "partner_id"],
            Entity::Site | Entity::Project => &["code"],
            Entity::IndicatorTarget => &["indicator_id", "place", "start_date", "end_date"],
            Entity::FundingRequirement => &["plan_id", "sector", "place", "year"],
            Entity::Budget => &["organisation", "year", "dimension", "code"],
            Entity::MonitoringAnswer => &["sample_id", "entitlement_id"],
            _ => &["id"],
        }
    }

    /// Whether the identifier is a fact of the record (a code, a pair of organisations) that
    /// two offices may create each on its own, rather than a new random identifier.
    pub(crate) fn natural_key(self) -> bool {
        self == Entity::Organisation || self.key() != ["id"]
    }

    /// A record's identifier as shipped, from its row.
    pub(crate) fn key_of(self, row: &crate::db::Row) -> Result<String, StoreError> {
        match self.key() {
            [one] => row.text_of(one),
            several => {
                let values: Result<Vec<FieldValue>, StoreError> =
                    several.iter().map(|c| row.get(c).map(to_field)).collect();
                Ok(FieldValue::Array(values?).to_string())
            }
        }
    }

    /// The key columns' values of a shipped identifier.
    pub(crate) fn key_values(self, entity_id: &str) -> Vec<Value> {
        match self.key() {
            [_] => vec![Value::from(entity_id)],
            several => {
                let values: Vec<FieldValue> = serde_json::from_str(entity_id).unwrap_or_default();
                let mut values: Vec<Value> = values.iter().map(to_value).collect();
                values.resize(several.len(), Value::Null);
                values
            }
        }
    }

    /// `a = $n AND b = $n+1 …` over the key columns, the first parameter numbered `first`.
    pub(crate) fn key_condition(self, first: usize) -> String {
        self.key().iter().enumerate().map(|(i, c)| format!("{c} = ${}", first + i)).collect::<Vec<_>>().join(" AND ")
    }

    /// The query reading every record of the kind, aliased `r`, with the household of those
    /// that belong to one through another record.
    pub(crate) fn read_all(self) -> String {
        let order = self.key().iter().map(|c| format!("r.{c}")).collect::<Vec<_>>().join(", ");
        match self {
            Entity::MonitoringAnswer => format!(
                "SELECT r.*, e.household_id FROM monitoring_answers r JOIN entitlements e ON e.id = r.entitlement_id ORDER BY {order}"
            ),
            _ => format!("SELECT * FROM {} r ORDER BY {order}", self.table()),
        }
    }

    /// Columns naming the record each one belongs to: its creation waits for theirs.
    pub(crate) fn parents(self) -> &'static [(&'static str, Entity)] {
        match self {
            Entity::Organisation
            | Entity::AuditEntry
            | Entity::Site
            | Entity::ResponsePlan
            | Entity::Project
            | Entity::Budget
            | Entity::ActivityRow
            | Entity::Series => &[],
            Entity::Household | Entity::User | Entity::Office => &[("organisation_id", Entity::Organisation)],
            Entity::Agreement => &[("from_org", Entity::Organisation), ("to_org", Entity::Organisation)],
            Entity::ImplementingPartner => {
                &[("organisation_id", Entity::Organisation), ("partner_id", Entity::Organisation)]
            }
            Entity::Person => &[("household_id", Entity::Household)],
            Entity::Movement | Entity::Solution => {
                &[("household_id", Entity::Household), ("person_id", Entity::Person)]
            }
            Entity::DuplicatePair => &[("person_a", Entity::Person), ("person_b", Entity::Person)],
            Entity::Programme => &[("organisation_id", Entity::Organisation)],
            Entity::Cycle => &[("programme_id", Entity::Programme)],
            Entity::Entitlement => &[("cycle_id", Entity::Cycle), ("household_id", Entity::Household)],
            Entity::Delivery => &[("entitlement_id", Entity::Entitlement)],
            Entity::MonitoringSample => &[("cycle_id", Entity::Cycle)],
            Entity::MonitoringAnswer => {
                &[("sample_id", Entity::MonitoringSample), ("entitlement_id", Entity::Entitlement)]
            }
            Entity::Indicator | Entity::FundingRequirement => &[("plan_id", Entity::ResponsePlan)],
            Entity::IndicatorTarget => &[("indicator_id", Entity::Indicator)],
            Entity::ActivityReport => &[("indicator_id", Entity::Indicator), ("organisation_id", Entity::Organisation)],
            Entity::FundingFlow => &[("plan_id", Entity::ResponsePlan)],
            Entity::SeriesVersion => &[("series_id", Entity::Series)],
        }
    }

    /// Rows of another table that travel inside this record.
    pub(crate) fn children(self) -> Option<Children> {
        match self {
            Entity::Entitlement => Some(Children {
                table: "entitlement_people",
                parent: "entitlement_id",
                field: "people",
                columns: &["person_id"],
                order: "person_id",
            }),
            Entity::FundingFlow => Some(Children {
                table: "funding_flow_sectors",
                parent: "flow_id",
                field: "sectors",
                columns: &["position", "sector", "label", "share"],
                order: "position",
            }),
            Entity::SeriesVersion => Some(Children {
                table: "external_series_figures",
                parent: "version_id",
                field: "figures",
                columns: &[
                    "row_number",
                    "reference_date",
                    "date_precision",
                    "date_as_given",
                    "round",
                    "pcode",
                    "gazetteer",
                    "admin_level",
                    "matched_by",
                    "place_as_given",
                    "individuals",
                    "households",
                    "females",
                    "males",
                ],
                order: "row_number",
            }),
            _ => None,
        }
    }

    /// The column naming the organisation whose record it is, for records that are an
    /// organisation's rather than a household's: a node receives and changes those of its
    /// organisations.
    pub(crate) fn organisation_column(self) -> Option<&'static str> {
        match self {
            Entity::User | Entity::ActivityReport | Entity::Office | Entity::Programme => Some("organisation_id"),
            Entity::Agreement => Some("from_org"),
            _ => None,
        }
    }

    /// Records the country office keeps for everyone (plans, the 4W, money, external figures,
    /// sites): every node receives them; only a node enrolled for everything changes them.
    pub(crate) fn office_wide(self) -> bool {
        matches!(
            self,
            Entity::ImplementingPartner
                | Entity::Site
                | Entity::ResponsePlan
                | Entity::Indicator
                | Entity::IndicatorTarget
                | Entity::Project
                | Entity::FundingFlow
                | Entity::FundingRequirement
                | Entity::Budget
                | Entity::ActivityRow
                | Entity::Series
                | Entity::SeriesVersion
        )
    }

    /// Assistance records: applying them changes what reach counts.
    pub(crate) fn assistance(self) -> bool {
        matches!(self, Entity::Programme | Entity::Cycle | Entity::Entitlement | Entity::Delivery)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Organisation => "organisation",
            Entity::User => "user",
            Entity::Agreement => "agreement",
            Entity::ImplementingPartner => "implementing_partner",
            Entity::Office => "office",
            Entity::Site => "site",
            Entity::Household => "household",
            Entity::Person => "person",
            Entity::Movement => "movement",
            Entity::Solution => "solution",
            Entity::DuplicatePair => "duplicate_pair",
            Entity::Programme => "programme",
            Entity::Cycle => "cycle",
            Entity::Entitlement => "entitlement",
            Entity::Delivery => "delivery",
            Entity::MonitoringSample => "monitoring_sample",
            Entity::MonitoringAnswer => "monitoring_answer",
            Entity::ResponsePlan => "response_plan",
            Entity::Indicator => "indicator",
            Entity::IndicatorTarget => "indicator_target",
            Entity::ActivityReport => "activity_report",
            Entity::Project => "project",
            Entity::FundingFlow => "funding_flow",
            Entity::FundingRequirement => "funding_requirement",
            Entity::Budget => "budget",
            Entity::ActivityRow => "activity_row",
            Entity::Series => "series",
            Entity::SeriesVersion => "series_version",
            Entity::AuditEntry => "audit_entry",
        }
    }

    pub fn parse(s: &str) -> Option<Entity> {
        Entity::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub(crate) fn table(self) -> &'static str {
        match self {
            Entity::Organisation => "organisations",
            Entity::User => "users",
            Entity::Agreement => "sharing_agreements",
            Entity::ImplementingPartner => "implementing_partners",
            Entity::Office => "offices",
            Entity::Site => "sites",
            Entity::Household => "households",
            Entity::Person => "people",
            Entity::Movement => "movements",
            Entity::Solution => "solutions",
            Entity::DuplicatePair => "duplicate_pairs",
            Entity::Programme => "programmes",
            Entity::Cycle => "cycles",
            Entity::Entitlement => "entitlements",
            Entity::Delivery => "deliveries",
            Entity::MonitoringSample => "monitoring_samples",
            Entity::MonitoringAnswer => "monitoring_answers",
            Entity::ResponsePlan => "response_plans",
            Entity::Indicator => "indicators",
            Entity::IndicatorTarget => "indicator_targets",
            Entity::ActivityReport => "activity_reports",
            Entity::Project => "projects",
            Entity::FundingFlow => "funding_flows",
            Entity::FundingRequirement => "funding_requirements",
            Entity::Budget => "budgets",
            Entity::ActivityRow => "activity_rows",
            Entity::Series => "external_series",
            Entity::SeriesVersion => "external_series_versions",
            Entity::AuditEntry => "sync_audit",
        }
    }

    /// Columns each node derives or keeps for itself: never shipped, recomputed on arrival
    /// (status and places from the movements, versions and the last local writer). The key
    /// columns travel as the record's identifier.
    pub(crate) fn local_columns(self) -> &'static [&'static str] {
        match self {
            // Who touched a round last and when: each node's own (its status is what merges).
            Entity::Cycle => &["id", "updated_at", "updated_by"],
            // A delivery and an answer are read with their household (the scope they are sent
            // in).
            Entity::Delivery => &["id", "household_id"],
            Entity::MonitoringAnswer => &["sample_id", "entitlement_id", "household_id"],
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
            other => other.key(),
        }
    }

    /// Whether the table keeps a version, its last writer and a history (`record_versions`).
    pub(crate) fn versioned(self) -> bool {
        matches!(self, Entity::Household | Entity::Person)
    }
}

/// Fields never disputed: every node shows the latest change's value. Who wrote a record and
/// when (two offices writing the same record each put their own), and a password's hash (two
/// new passwords are not a choice to show anyone).
pub(crate) const NEVER_DISPUTED: [&str; 15] = [
    "password_hash",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
    "recorded_at",
    "recorded_by",
    "submitted_at",
    "submitted_by",
    "imported_at",
    "imported_by",
    "found_at",
    "found_by",
    "source",
    "probability",
];

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
            Entity::Person => &["created_at", "created_by", "household_id"],
            Entity::Movement | Entity::Solution => &["recorded_at", "recorded_by", "household_id"],
            Entity::Entitlement => &["created_at", "created_by", "household_id"],
            Entity::ImplementingPartner => &["recorded_at", "recorded_by"],
            Entity::User => &["created_at"],
            Entity::Organisation
            | Entity::Household
            | Entity::Programme
            | Entity::Cycle
            | Entity::Delivery
            | Entity::Agreement
            | Entity::Site
            | Entity::ResponsePlan
            | Entity::MonitoringSample
            | Entity::Indicator => &["created_at", "created_by"],
            Entity::AuditEntry
            | Entity::Office
            | Entity::DuplicatePair
            | Entity::IndicatorTarget
            | Entity::ActivityReport
            | Entity::Project
            | Entity::FundingFlow
            | Entity::FundingRequirement
            | Entity::Budget
            | Entity::ActivityRow
            | Entity::Series
            | Entity::MonitoringAnswer
            | Entity::SeriesVersion => &[],
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
        self.encoded().1
    }

    /// The body as stored and the content hash, the body serialised once.
    pub(crate) fn encoded(&self) -> (String, String) {
        let body = self.body_json();
        let mut hasher = Sha256::new();
        for part in [self.id.to_string().as_str(), self.entity.as_str(), &self.entity_id, &body] {
            hasher.update(part.as_bytes());
            hasher.update([0u8]);
        }
        let hash = hex::encode(&hasher.finalize()[..16]);
        (body, hash)
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
    fn every_kind_has_one_wire_number_and_comes_after_its_parents() {
        let mut all = Entity::ALL.to_vec();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), Entity::ALL.len());
        for entity in Entity::registry() {
            for (_, parent) in entity.parents() {
                assert!(*parent < entity, "{entity:?} is written before its parent {parent:?}");
            }
            assert!(Entity::parse(entity.as_str()) == Some(entity));
        }
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
