//! Displacement sites: camps, collective centres and informal sites inside a commune, counted
//! apart in figures (level 4). A site's code nests under its commune's P-code.

use domain::Message;
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::reference::Location;
use crate::{audit, params, Actor, Store};

/// What kind of site.
pub const KINDS: [&str; 4] = ["site", "camp", "collective_centre", "informal_site"];

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Site {
    /// The commune's P-code, "S" and a number: ML070101S001.
    pub code: String,
    pub name: String,
    /// P-code of the commune the site is in.
    pub commune: String,
    /// site, camp, collective_centre or informal_site.
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewSite {
    pub name: String,
    pub commune: String,
    #[serde(default)]
    pub kind: Option<String>,
}

fn as_location(site: &Site) -> Location {
    Location {
        pcode: site.code.clone(),
        name: site.name.clone(),
        name_ref: site.name.clone(),
        admin_level: 4,
        parent_pcode: Some(site.commune.clone()),
        gazetteer: crate::reference::CURRENT_GAZETTEER,
    }
}

impl Store {
    /// Makes the database's sites known to the gazetteer (at start).
    pub(crate) fn load_sites(&self) -> Result<(), StoreError> {
        for site in self.list_sites()? {
            self.gazetteer.add_site(as_location(&site));
        }
        Ok(())
    }

    pub fn list_sites(&self) -> Result<Vec<Site>, StoreError> {
        self.db.read(|tx| {
            Ok(tx
                .query("SELECT code, name, commune, kind FROM sites ORDER BY code", params![])?
                .iter()
                .map(|r| Site { code: r.text(0), name: r.text(1), commune: r.text(2), kind: r.text(3) })
                .collect())
        })
    }

    /// Registers a site in a commune; its code is the next free one there.
    pub fn create_site(&self, actor: &Actor, input: &NewSite) -> Result<Site, StoreError> {
        actor.require_write()?;
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::invalid("name", name, Message::SiteName));
        }
        let commune = input.commune.trim().to_ascii_uppercase();
        if self.gazetteer.get(&commune).is_none_or(|l| l.admin_level != 3) {
            return Err(StoreError::invalid("commune", commune, Message::CommuneCode));
        }
        let kind = input.kind.clone().unwrap_or_else(|| "site".into());
        if !KINDS.contains(&kind.as_str()) {
            return Err(StoreError::invalid("kind", kind, Message::OneOf { codes: KINDS.join(", ") }));
        }
        let now = self.now_ms();
        let site = self.db.write(|tx| {
            let taken = tx.query_int("SELECT COUNT(*) FROM sites WHERE commune = $1", params![commune.as_str()])?;
            let code = format!("{commune}S{:03}", taken + 1);
            tx.execute(
                "INSERT INTO sites (code, name, commune, kind, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
                params![code.as_str(), name, commune.as_str(), kind.as_str(), now, actor.username.as_str()],
            )?;
            audit::record(tx, actor, now, "create", "site", &code, serde_json::json!({"commune": commune}))?;
            Ok(Site { code, name: name.to_string(), commune: commune.clone(), kind: kind.clone() })
        })?;
        self.gazetteer.add_site(as_location(&site));
        Ok(site)
    }
}
