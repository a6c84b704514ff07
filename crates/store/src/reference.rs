//! The reference data of `domain::places` mirrored into database tables, so SQL can join on
//! them; seeded again whenever the built-in files change.

pub use domain::places::*;

use domain::text::fold;

use crate::db::Tx;
use crate::error::StoreError;
use crate::params;

/// Seeds the reference tables; called after migrations when the built-in data changed.
pub fn write_tables(gazetteer: &Gazetteer, tx: &mut Tx<'_>) -> Result<(), StoreError> {
    for table in ["location_aliases", "pcode_crosswalk", "locations", "gazetteers", "sectors"] {
        tx.execute(&format!("DELETE FROM {table}"), params![])?;
    }
    tx.execute(
        "INSERT INTO gazetteers (id, name, valid_on, is_current, attribution) VALUES ($1, $2, $3, 1, $4), ($5, $6, $7, 0, $8)",
        params![
            CURRENT_GAZETTEER, "OCHA COD-AB Mali", "2021-12-20", ATTRIBUTION,
            GAZETTEER_2015, "OCHA COD-AB Mali (retired)", "2015-04-08",
            "Administrative boundaries: OCHA / DNCT Mali / ITOS (COD-AB 2015-04-08), CC BY-IGO 3.0"
        ],
    )?;
    let insert_location = "INSERT INTO locations (gazetteer, pcode, name, name_ref, name_folded, admin_level, parent_pcode) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    for loc in gazetteer.units() {
        tx.execute(
            insert_location,
            params![
                loc.gazetteer,
                &loc.pcode,
                &loc.name,
                &loc.name_ref,
                fold(&loc.name),
                loc.admin_level,
                loc.parent_pcode.clone()
            ],
        )?;
    }
    for alias in gazetteer.aliases() {
        tx.execute(
            "INSERT INTO location_aliases (gazetteer, pcode, alias, alias_folded, origin) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            params![CURRENT_GAZETTEER, &alias.pcode, &alias.alias, fold(&alias.alias), &alias.origin],
        )?;
    }
    for (old, links) in gazetteer.crosswalk() {
        let level = gazetteer.retired(old).map(|l| l.admin_level).unwrap_or(0);
        for link in links {
            tx.execute(
                "INSERT INTO pcode_crosswalk (from_gazetteer, from_pcode, to_gazetteer, to_pcode, admin_level, share_of_from, share_of_to) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                params![GAZETTEER_2015, old, CURRENT_GAZETTEER, &link.pcode_2021, level, link.share_of_2015_area, link.share_of_2021_area],
            )?;
        }
    }
    // Statuses (affected, in need…) share the file but are not groups; "all" is a total.
    for group in gazetteer.population_groups.iter().filter(|g| g.kind == "population_group" && g.code != "all") {
        tx.execute(
            "INSERT INTO population_groups (code, kind, description, hxl_hashtag) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, description = excluded.description, hxl_hashtag = excluded.hxl_hashtag",
            params![&group.code, &group.kind, &group.description, group.hxl_hashtag.clone()],
        )?;
    }
    for sector in &gazetteer.sectors {
        tx.execute(
            "INSERT INTO sectors (code, name, group_type, parent_code) VALUES ($1, $2, $3, $4)",
            params![&sector.code, &sector.name, &sector.group_type, sector.parent_code.clone()],
        )?;
    }
    Ok(())
}

/// A fingerprint of the built-in files, to know when the tables need seeding again.
pub fn fingerprint() -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for text in Gazetteer::built_in_files() {
        hasher.update(text.as_bytes());
    }
    hex::encode(&hasher.finalize()[..12])
}
