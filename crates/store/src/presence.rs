//! Presence: the offices of each organisation in the operation (kind, place, national and
//! international staff) and its implementing partners. Kept by information-management
//! officers and administrators (as response plans are), read by everyone; every change audited.

use domain::codes::OfficeKind;
use domain::Message;
use serde::{Deserialize, Serialize};

use crate::params;
use crate::{new_id, Actor, Store, StoreError};

/// An office as given by a form, the API or the command line.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct OfficeInput {
    /// The organisation's code.
    pub organisation: String,
    /// country_office, sub_office, field_office or field_unit (French names accepted).
    pub kind: String,
    /// Its name, unique within the organisation ("Gao", "Sous-bureau de Mopti").
    pub name: String,
    /// The P-code of its région, cercle or commune.
    pub place: String,
    pub national_staff: i64,
    pub international_staff: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Office {
    pub id: String,
    pub organisation: String,
    pub kind: OfficeKind,
    pub name: String,
    pub place: String,
    pub place_name: String,
    pub national_staff: i64,
    pub international_staff: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Partnership {
    /// The organisation's code.
    pub organisation: String,
    /// Its implementing partner's code.
    pub partner: String,
}

/// Offices and partners of the operation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Presence {
    pub offices: Vec<Office>,
    pub partners: Vec<Partnership>,
}

const MAX_STAFF: i64 = 100_000;

impl Store {
    /// Records an office, or changes the one of that name of the organisation.
    pub fn set_office(&self, actor: &Actor, input: &OfficeInput) -> Result<Office, StoreError> {
        crate::plans::require_plan_writer(actor)?;
        let mut errors = Vec::new();
        let kind = OfficeKind::parse("kind", &input.kind).map_err(|e| errors.push(e)).ok();
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            errors.push(domain::FieldError::new("name", name, Message::TextLength { max: 120 }));
        }
        let place = input.place.trim().to_ascii_uppercase();
        if let Err(message) = domain::registry::References::check_location(self.gazetteer.as_ref(), &place) {
            errors.push(domain::FieldError::new("place", input.place.trim(), message));
        }
        for (field, n) in [("national_staff", input.national_staff), ("international_staff", input.international_staff)]
        {
            if !(0..=MAX_STAFF).contains(&n) {
                errors.push(domain::FieldError::new(field, n.to_string(), Message::StaffCount { max: MAX_STAFF }));
            }
        }
        let organisation = self.organisation(input.organisation.trim())?;
        if organisation.is_none() {
            errors.push(domain::FieldError::new(
                "organisation",
                input.organisation.trim(),
                Message::ExistingOrganisation,
            ));
        }
        let (Some(kind), Some(organisation), true) = (kind, organisation, errors.is_empty()) else {
            return Err(StoreError::Invalid(domain::FieldErrors(errors)));
        };
        let now = self.now_ms();
        let id = self.db.write(|tx| {
            let existing = tx.query_opt(
                "SELECT id FROM offices WHERE organisation_id = $1 AND name = $2",
                params![&organisation.id, name],
            )?;
            let id = match existing {
                Some(row) => {
                    let id = row.text(0);
                    tx.execute(
                        "UPDATE offices SET kind = $2, pcode = $3, national_staff = $4, international_staff = $5, updated_at = $6, updated_by = $7 WHERE id = $1",
                        params![&id, kind.as_str(), &place, input.national_staff, input.international_staff, now, &actor.user_id],
                    )?;
                    id
                }
                None => {
                    let id = new_id();
                    tx.execute(
                        "INSERT INTO offices (id, organisation_id, kind, name, pcode, national_staff, international_staff, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        params![&id, &organisation.id, kind.as_str(), name, &place, input.national_staff, input.international_staff, now, &actor.user_id],
                    )?;
                    id
                }
            };
            let detail = serde_json::json!({"organisation": organisation.code, "name": name, "kind": kind.as_str(), "place": place, "national_staff": input.national_staff, "international_staff": input.international_staff});
            crate::audit::record(tx, actor, now, "set_office", "office", &id, detail)?;
            Ok(id)
        })?;
        self.presence()?.offices.into_iter().find(|o| o.id == id).ok_or(StoreError::NotFound("office"))
    }

    /// Removes an office (by id).
    pub fn remove_office(&self, actor: &Actor, id: &str) -> Result<(), StoreError> {
        crate::plans::require_plan_writer(actor)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let Some(row) = tx.query_opt("SELECT name FROM offices WHERE id = $1", params![id.trim()])? else {
                return Err(StoreError::NotFound("office"));
            };
            tx.execute("DELETE FROM offices WHERE id = $1", params![id.trim()])?;
            crate::audit::record(
                tx,
                actor,
                now,
                "remove_office",
                "office",
                id.trim(),
                serde_json::json!({"name": row.text(0)}),
            )
        })
    }

    /// Records (or, with `remove`, ends) that `partner` implements for `organisation`.
    pub fn set_partner(
        &self,
        actor: &Actor,
        organisation: &str,
        partner: &str,
        remove: bool,
    ) -> Result<(), StoreError> {
        crate::plans::require_plan_writer(actor)?;
        let find = |field: &str, code: &str| -> Result<crate::auth::Organisation, StoreError> {
            self.organisation(code.trim())?
                .ok_or_else(|| StoreError::invalid(field, code.trim(), Message::ExistingOrganisation))
        };
        let (org, partner) = (find("organisation", organisation)?, find("partner", partner)?);
        if org.id == partner.id {
            return Err(StoreError::invalid("partner", partner.code, Message::AnotherOrganisation));
        }
        let now = self.now_ms();
        self.db.write(|tx| {
            tx.execute(
                "DELETE FROM implementing_partners WHERE organisation_id = $1 AND partner_id = $2",
                params![&org.id, &partner.id],
            )?;
            if !remove {
                tx.execute(
                    "INSERT INTO implementing_partners (organisation_id, partner_id, recorded_at, recorded_by) VALUES ($1, $2, $3, $4)",
                    params![&org.id, &partner.id, now, &actor.user_id],
                )?;
            }
            let action = if remove { "remove_partner" } else { "set_partner" };
            let detail = serde_json::json!({"organisation": org.code, "partner": partner.code});
            crate::audit::record(tx, actor, now, action, "organisation", &org.id, detail)
        })
    }

    /// Every office and partnership, by organisation.
    pub fn presence(&self) -> Result<Presence, StoreError> {
        self.db.read(|tx| {
            let offices = tx
                .query(
                    "SELECT f.id, o.code, f.kind, f.name, f.pcode, f.national_staff, f.international_staff FROM offices f JOIN organisations o ON o.id = f.organisation_id ORDER BY o.code, f.kind, f.name",
                    params![],
                )?
                .into_iter()
                .filter_map(|r| {
                    let place = r.text(4);
                    Some(Office {
                        id: r.text(0),
                        organisation: r.text(1),
                        kind: OfficeKind::parse("kind", &r.text(2)).ok()?,
                        name: r.text(3),
                        place_name: self.gazetteer.name_of(&place).unwrap_or_default(),
                        place,
                        national_staff: r.int(5),
                        international_staff: r.int(6),
                    })
                })
                .collect();
            let partners = tx
                .query(
                    "SELECT o.code, p.code FROM implementing_partners i JOIN organisations o ON o.id = i.organisation_id JOIN organisations p ON p.id = i.partner_id ORDER BY o.code, p.code",
                    params![],
                )?
                .into_iter()
                .map(|r| Partnership { organisation: r.text(0), partner: r.text(1) })
                .collect();
            Ok(Presence { offices, partners })
        })
    }
}
