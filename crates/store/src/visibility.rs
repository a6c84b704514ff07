//! Who sees which records: the one access rule of the store, built once per call from the actor
//! (role, organisation, régions) and rendered as parameterised SQL conditions. Identifiers
//! never go into SQL text: they travel as parameters, so no query can be steered by them.
//!
//! One rule per entity kind. Households carry the rule; their people, movements and solutions
//! decisions are reached through their household, so they ask the households rule with the
//! alias of the joined household row.

use domain::Role;

use crate::db::Value;
use crate::Actor;

/// What the actor wants to do with the records the condition selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Change them, or search them by name: own organisation's records and those shared in full.
    Change,
    /// Read them: `Change`, plus records shared pseudonymised (shown without identifiers).
    Read,
    /// Count them in figures: `Read`, plus records shared as aggregates; for viewers, who read
    /// no record, the whole registry (always published with disclosure control).
    Aggregate,
}

/// A condition with `?` placeholders and the values they stand for.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    sql: String,
    params: Vec<Value>,
}

impl Cond {
    pub fn new(sql: impl Into<String>, params: Vec<Value>) -> Cond {
        let sql = sql.into();
        debug_assert_eq!(sql.matches('?').count(), params.len(), "placeholders and values differ");
        Cond { sql, params }
    }
    pub fn always() -> Cond {
        Cond::new("1 = 1", Vec::new())
    }
    /// Whether the condition selects every row (nothing to filter).
    pub fn is_always(&self) -> bool {
        self.sql == "1 = 1" && self.params.is_empty()
    }
    pub fn never() -> Cond {
        Cond::new("1 = 0", Vec::new())
    }
    /// An ORDER BY list that puts the rows this condition selects last, ordered by `tiebreak`
    /// alone, and the others by `columns`: the hidden rows' columns never decide an order.
    pub fn order_hiding(&self, columns: &[&str], tiebreak: &str) -> Cond {
        let mut sql = format!("CASE WHEN ({}) THEN 1 ELSE 0 END", self.sql);
        let mut params = self.params.clone();
        for column in columns {
            sql.push_str(&format!(", CASE WHEN ({}) THEN NULL ELSE {column} END", self.sql));
            params.extend(self.params.iter().cloned());
        }
        sql.push_str(&format!(", {tiebreak}"));
        Cond { sql, params }
    }

    /// `column` is one of `values`.
    pub fn one_of(column: &str, values: &[String]) -> Cond {
        if values.is_empty() {
            return Cond::never();
        }
        let marks = vec!["?"; values.len()].join(", ");
        Cond::new(format!("{column} IN ({marks})"), values.iter().map(Value::from).collect())
    }

    pub fn and(self, other: Cond) -> Cond {
        let mut params = self.params;
        params.extend(other.params);
        Cond { sql: format!("({}) AND ({})", self.sql, other.sql), params }
    }
    fn or(self, other: Cond) -> Cond {
        let mut params = self.params;
        params.extend(other.params);
        Cond { sql: format!("(({}) OR ({}))", self.sql, other.sql), params }
    }
}

/// A statement assembled from fragments with `?` placeholders, numbered `$1, $2…` as they
/// are added, so conditions compose without anyone counting parameters.
#[derive(Debug, Clone, Default)]
pub struct Sql {
    text: String,
    params: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str, values: &[Value]) -> Sql {
        Sql::default().push(text, values)
    }

    /// Appends `text`; each `?` in it takes the next of `values`.
    pub fn push(mut self, text: &str, values: &[Value]) -> Sql {
        let mut values = values.iter().cloned();
        for (i, part) in text.split('?').enumerate() {
            if i > 0 {
                let value = values.next();
                debug_assert!(value.is_some(), "fewer values than placeholders");
                self.params.push(value.unwrap_or(Value::Null));
                self.text.push_str(&format!("${}", self.params.len()));
            }
            self.text.push_str(part);
        }
        debug_assert!(values.next().is_none(), "more values than placeholders");
        self
    }

    /// Appends ` AND (condition)`.
    pub fn and(self, cond: &Cond) -> Sql {
        self.push(" AND (", &[]).push(&cond.sql, &cond.params).push(")", &[])
    }

    /// Appends a condition without a leading `AND`.
    pub fn cond(self, cond: &Cond) -> Sql {
        self.push("(", &[]).push(&cond.sql, &cond.params).push(")", &[])
    }

    /// Appends a fragment as it is (an ORDER BY list, say), without parentheses.
    pub fn cond_text(self, cond: &Cond) -> Sql {
        self.push(&cond.sql, &cond.params)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn params(&self) -> &[Value] {
        &self.params
    }
}

/// The access policy of one actor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Visibility {
    role: Role,
    organisation: Option<String>,
    regions: Vec<String>,
}

impl Visibility {
    pub fn of(actor: &Actor) -> Visibility {
        let mut regions = actor.regions.clone();
        regions.sort();
        Visibility { role: actor.role, organisation: actor.organisation_id.clone(), regions }
    }

    /// The households (table alias `h`, or whichever is given) the actor may reach for `access`.
    pub fn households(&self, alias: &str, access: Access) -> Cond {
        if access == Access::Aggregate && !self.role.sees_records() {
            return Cond::always();
        }
        if self.role == Role::Admin {
            return Cond::always();
        }
        let Some(org) = self.organisation.clone().filter(|_| self.role.sees_records()) else {
            return Cond::never();
        };
        let own = Cond::new(
            format!(
                "{alias}.organisation_id = ? OR {alias}.organisation_id IN \
                 (SELECT from_org FROM sharing_agreements WHERE to_org = ? AND level = 'full')"
            ),
            vec![org.clone().into(), org.clone().into()],
        );
        let levels = match access {
            Access::Change => None,
            Access::Read => Some("level = 'pseudonymised'"),
            Access::Aggregate => Some("level IN ('aggregates', 'pseudonymised')"),
        };
        let reached = match levels {
            None => own,
            Some(levels) => own.or(Cond::new(
                format!("{alias}.organisation_id IN (SELECT from_org FROM sharing_agreements WHERE to_org = ? AND {levels})"),
                vec![org.into()],
            )),
        };
        match self.regions_condition(alias) {
            Some(regions) => reached.and(regions),
            None => reached,
        }
    }

    /// The households the actor reads only through a pseudonymised agreement: shown without
    /// identifiers, never ordered, filtered or counted by what is hidden. `None` when there are
    /// none for this actor.
    pub fn pseudonymised_only(&self, alias: &str) -> Option<Cond> {
        if self.role == Role::Admin || !self.role.sees_records() {
            return None;
        }
        let org = self.organisation.clone()?;
        Some(Cond::new(
            format!(
                "{alias}.organisation_id IN \
                 (SELECT from_org FROM sharing_agreements WHERE to_org = ? AND level = 'pseudonymised')"
            ),
            vec![org.into()],
        ))
    }

    /// A field office's limit: the household is (or, without a known location, was registered)
    /// in one of the user's régions. `None` when the user sees every région.
    fn regions_condition(&self, alias: &str) -> Option<Cond> {
        if self.regions.is_empty() {
            return None;
        }
        let marks = vec!["?"; self.regions.len()].join(", ");
        Some(Cond::new(
            format!("substr(COALESCE({alias}.current_location, {alias}.registration_point), 1, 4) IN ({marks})"),
            self.regions.iter().map(Value::from).collect(),
        ))
    }

    /// Whether a place (P-code or site code) lies in the actor's régions.
    pub fn place_in_regions(&self, place: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|r| place.starts_with(r.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, org: Option<&str>, regions: &[&str]) -> Actor {
        Actor {
            user_id: "u".into(),
            username: "u".into(),
            role,
            organisation_id: org.map(str::to_string),
            read_only: false,
            regions: regions.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn identifiers_travel_as_parameters() {
        let hostile = "x' OR '1'='1";
        let v = Visibility::of(&actor(Role::Registrar, Some(hostile), &["ML07' --"]));
        for access in [Access::Change, Access::Read, Access::Aggregate] {
            let sql = Sql::new("SELECT 1 FROM households h WHERE h.id = ?", &[Value::from("id")])
                .and(&v.households("h", access));
            assert!(!sql.text().contains(hostile) && !sql.text().contains("ML07"), "{}", sql.text());
            assert_eq!(sql.text().matches('$').count(), sql.params().len());
        }
    }

    #[test]
    fn roles_reach_what_they_should() {
        let admin = Visibility::of(&actor(Role::Admin, None, &[]));
        assert_eq!(admin.households("h", Access::Change), Cond::always());
        let viewer = Visibility::of(&actor(Role::Viewer, Some("o"), &[]));
        assert_eq!(viewer.households("h", Access::Read), Cond::never());
        assert_eq!(viewer.households("h", Access::Aggregate), Cond::always());
        let orphan = Visibility::of(&actor(Role::Registrar, None, &[]));
        assert_eq!(orphan.households("h", Access::Read), Cond::never());
    }

    #[test]
    fn numbering_follows_the_fragments() {
        let sql = Sql::new("a = ?", &[Value::from(1)]).and(&Cond::new("b = ? OR c = ?", vec![2.into(), 3.into()]));
        assert_eq!(sql.text(), "a = $1 AND (b = $2 OR c = $3)");
    }
}
