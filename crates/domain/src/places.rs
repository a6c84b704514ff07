//! Built-in reference data: the Mali gazetteer (COD-AB 2021-12-20, current, and 2015-04-08,
//! retired) with the 2015→2021 crosswalk, location aliases, population groups and sectors.
//! The files are compiled into the binary (see `data/reference/SOURCES.md` for sources and
//! licences); the store mirrors them into database tables so SQL can join on them.

use std::collections::HashMap;

use serde::Serialize;

use crate::registry::References;
use crate::text::{edit_distance, fold};
use crate::Message;

pub const CURRENT_GAZETTEER: &str = "cod-ab-mli-2021-12-20";
pub const GAZETTEER_2015: &str = "cod-ab-mli-2015-04-08";
pub const ATTRIBUTION: &str = "Administrative boundaries: OCHA / COD Sub-Working Group Mali; primary source DNCT Mali (COD-AB cod-ab-mli, 2021-12-20), CC BY-IGO 3.0";

const ADMIN_2021: &str = include_str!("../../../data/reference/mali-admin.csv");
const ADMIN_2015: &str = include_str!("../../../data/reference/mali-admin-cod2015.csv");
const CROSSWALK: &str = include_str!("../../../data/reference/mali-pcode-crosswalk-2015-2021.csv");
const ALIASES: &str = include_str!("../../../data/reference/location-aliases.csv");
const POPULATION_GROUPS: &str = include_str!("../../../data/reference/population-groups.csv");
const SECTORS: &str = include_str!("../../../data/reference/humanitarian-sectors.csv");
const SECTOR_SYNONYMS: &str = include_str!("../../../data/reference/humanitarian-sector-synonyms.csv");
const REGIONS_2023: &str = include_str!("../../../data/reference/mali-regions-2023.csv");

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Location {
    pub pcode: String,
    pub name: String,
    pub name_ref: String,
    pub admin_level: i64,
    pub parent_pcode: Option<String>,
    pub gazetteer: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CrosswalkLink {
    pub pcode_2021: String,
    pub name_2021: String,
    pub share_of_2015_area: f64,
    pub share_of_2021_area: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Alias {
    pub pcode: String,
    pub alias: String,
    pub origin: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PopulationGroup {
    pub code: String,
    pub kind: String,
    pub description: String,
    pub hxl_hashtag: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sector {
    pub code: String,
    pub name: String,
    pub group_type: String,
    pub parent_code: Option<String>,
}

/// A location found by name, with how it matched.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LocationMatch {
    #[serde(flatten)]
    pub location: Location,
    /// `name`, `alias`, `prefix`, `contains` or `spelling` (a close spelling).
    pub matched_by: &'static str,
    /// The alias that matched, when `matched_by` is `alias`.
    pub alias: Option<String>,
}

impl LocationMatch {
    /// Whether the unit's name or an alias is `folded` (a text as `text::fold` folds it), not a
    /// name that only begins with it or is spelt close to it.
    pub fn is_named(&self, folded: &str) -> bool {
        fold(&self.location.name) == folded || self.matched_by == "alias"
    }
}

/// A P-code found under a folded name, with the alias that gave it (if not its own name).
type NameEntry = (String, Option<String>);

/// The gazetteers in memory: 765 + 761 units, looked up on every registration.
pub struct Gazetteer {
    current: HashMap<String, Location>,
    retired: HashMap<String, Location>,
    successors: HashMap<String, Vec<CrosswalkLink>>,
    aliases: Vec<Alias>,
    /// folded name → P-codes of the current gazetteer with that name, ref name or alias.
    by_name: HashMap<String, Vec<NameEntry>>,
    pub population_groups: Vec<PopulationGroup>,
    pub sectors: Vec<Sector>,
    /// Folded labels partners use for sectors (HDX HAPI's map) → sector code.
    sector_synonyms: HashMap<String, String>,
    /// Displacement sites registered in the database (level 4, under their commune).
    sites: std::sync::RwLock<HashMap<String, Location>>,
    /// Régions of the 2023 reform whose 2021 cercles are sourced (`mali-regions-2023.csv`).
    regions_2023: Vec<Region2023>,
}

/// A région of the 2023 reform as the 2021 cercles it is made of: a composite place, matched
/// in published tables and compared with the registry's counts of its cercles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Region2023 {
    pub name: String,
    /// `ML23-` and the name: never a P-code, so never mistaken for a 2021 unit.
    pub code: String,
    /// COD-AB 2021 cercle P-codes.
    pub cercles: Vec<String>,
    pub source: String,
}

/// Prefix of the codes of [`Region2023`].
pub const REGION_2023_PREFIX: &str = "ML23-";

fn records(csv_text: &str) -> impl Iterator<Item = HashMap<String, String>> + '_ {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers: Vec<String> = reader.headers().map(|h| h.iter().map(str::to_string).collect()).unwrap_or_default();
    reader
        .into_records()
        .filter_map(Result::ok)
        .map(move |record| headers.iter().cloned().zip(record.iter().map(str::to_string)).collect::<HashMap<_, _>>())
}

fn field(record: &HashMap<String, String>, name: &str) -> String {
    record.get(name).cloned().unwrap_or_default()
}

fn non_empty(value: String) -> Option<String> {
    Some(value).filter(|v| !v.is_empty())
}

impl Gazetteer {
    /// The sector a label names: its code, its name or a synonym partners use ("WASH",
    /// "Eau, hygiène et assainissement", "Emergency Shelter and NFI"), case and accents folded.
    pub fn sector_named(&self, label: &str) -> Option<&Sector> {
        let folded = crate::text::fold(label);
        if folded.is_empty() {
            return None;
        }
        let code = self.sector_synonyms.get(&folded).map(String::as_str);
        // Djoliba's own French and English labels too: what its pages show, users write back.
        let labelled = |s: &Sector| {
            [crate::Lang::Fr, crate::Lang::En]
                .iter()
                .any(|lang| crate::text::fold(&crate::messages::code_label(*lang, &s.code)) == folded)
        };
        self.sectors.iter().find(|s| {
            crate::text::fold(&s.code) == folded
                || crate::text::fold(&s.name) == folded
                || code == Some(s.code.as_str())
                || labelled(s)
        })
    }

    /// Whether `code` is a population group of the code list (IDP, REF…).
    pub fn is_population_group(&self, code: &str) -> bool {
        code != "ALL" && self.population_groups.iter().any(|g| g.kind == "population_group" && g.code == code)
    }

    /// Parses the built-in files. They are part of the binary and checked by tests.
    pub fn built_in() -> Gazetteer {
        let mut current = HashMap::new();
        for r in records(ADMIN_2021) {
            let pcode = field(&r, "pcode");
            current.insert(
                pcode.clone(),
                Location {
                    pcode,
                    name: field(&r, "name"),
                    name_ref: field(&r, "name_ref"),
                    admin_level: field(&r, "admin_level").parse().unwrap_or(0),
                    parent_pcode: non_empty(field(&r, "parent_pcode")),
                    gazetteer: CURRENT_GAZETTEER,
                },
            );
        }
        let mut retired = HashMap::new();
        for r in records(ADMIN_2015) {
            let pcode = field(&r, "pcode");
            let name = field(&r, "name");
            retired.insert(
                pcode.clone(),
                Location {
                    pcode,
                    name_ref: name.clone(),
                    name,
                    admin_level: field(&r, "admin_level").parse().unwrap_or(0),
                    parent_pcode: non_empty(field(&r, "parent_pcode")),
                    gazetteer: GAZETTEER_2015,
                },
            );
        }
        let mut successors: HashMap<String, Vec<CrosswalkLink>> = HashMap::new();
        for r in records(CROSSWALK) {
            successors.entry(field(&r, "pcode_2015")).or_default().push(CrosswalkLink {
                pcode_2021: field(&r, "pcode_2021"),
                name_2021: field(&r, "name_2021"),
                share_of_2015_area: field(&r, "share_of_2015_area").parse().unwrap_or(0.0),
                share_of_2021_area: field(&r, "share_of_2021_area").parse().unwrap_or(0.0),
            });
        }
        for links in successors.values_mut() {
            links.sort_by(|a, b| b.share_of_2015_area.total_cmp(&a.share_of_2015_area));
        }
        let mut aliases: Vec<Alias> = records(ALIASES)
            .map(|r| Alias { pcode: field(&r, "pcode"), alias: field(&r, "alias"), origin: field(&r, "note") })
            .collect();
        // Names of 2015 that map one-to-one onto a 2021 unit and are spelt differently
        // (Koulikouro, Baroueli…) stay findable: older lists use them.
        for (old_code, links) in &successors {
            let (Some(old), Some(link)) = (retired.get(old_code), links.first()) else { continue };
            let Some(new) = current.get(&link.pcode_2021) else { continue };
            if link.share_of_2015_area >= 0.9 && link.share_of_2021_area >= 0.9 && fold(&old.name) != fold(&new.name) {
                aliases.push(Alias {
                    pcode: new.pcode.clone(),
                    alias: old.name.clone(),
                    origin: "COD-AB 2015 name".into(),
                });
            }
        }
        aliases.sort_by(|a, b| (&a.pcode, &a.alias).cmp(&(&b.pcode, &b.alias)));
        aliases.dedup_by(|a, b| a.pcode == b.pcode && fold(&a.alias) == fold(&b.alias));

        let mut by_name: HashMap<String, Vec<NameEntry>> = HashMap::new();
        for loc in current.values() {
            by_name.entry(fold(&loc.name)).or_default().push((loc.pcode.clone(), None));
            if fold(&loc.name_ref) != fold(&loc.name) {
                by_name.entry(fold(&loc.name_ref)).or_default().push((loc.pcode.clone(), None));
            }
        }
        for alias in &aliases {
            let entry = by_name.entry(fold(&alias.alias)).or_default();
            if !entry.iter().any(|(p, _)| *p == alias.pcode) {
                entry.push((alias.pcode.clone(), Some(alias.alias.clone())));
            }
        }
        let population_groups = records(POPULATION_GROUPS)
            .map(|r| PopulationGroup {
                code: field(&r, "code"),
                kind: field(&r, "kind"),
                description: field(&r, "description"),
                hxl_hashtag: non_empty(field(&r, "hxl_hashtag")),
            })
            .collect();
        let sectors = records(SECTORS)
            .map(|r| Sector {
                code: field(&r, "code"),
                name: field(&r, "name"),
                group_type: field(&r, "group_type"),
                parent_code: non_empty(field(&r, "parent_code")),
            })
            .collect();
        Gazetteer {
            current,
            retired,
            successors,
            aliases,
            by_name,
            population_groups,
            sector_synonyms: records(SECTOR_SYNONYMS)
                .map(|r| (crate::text::fold(&field(&r, "synonym_normalised")), field(&r, "sector_code")))
                .collect(),
            sectors,
            sites: Default::default(),
            regions_2023: regions_2023(),
        }
    }

    /// A région of the 2023 reform with a sourced composition, by its code (`ML23-…`).
    pub fn region_2023(&self, code: &str) -> Option<&Region2023> {
        self.regions_2023.iter().find(|r| r.code == code)
    }

    /// A région of the 2023 reform with a sourced composition, by name (accents folded).
    pub fn region_2023_named(&self, name: &str) -> Option<&Region2023> {
        let folded = fold(name);
        self.regions_2023.iter().find(|r| fold(&r.name) == folded || (folded == "nioro du sahel" && r.name == "Nioro"))
    }

    /// Whether `name` is a région only the 2023 reform has (not a 2021 région's name): a table
    /// that writes one is in the 2023 division, where the régions that kept their names are
    /// smaller than in 2021.
    pub fn names_a_new_region_2023(&self, name: &str) -> bool {
        REGIONS_OF_2023.iter().any(|r| fold(r) == fold(name))
            && self.search(name, None, Some(1), 1).iter().all(|m| m.matched_by != "name")
    }

    pub fn get(&self, pcode: &str) -> Option<&Location> {
        self.current.get(pcode)
    }

    pub fn len(&self) -> usize {
        self.current.len()
    }

    /// Makes a site known (at start, from the database, and when one is created).
    pub fn add_site(&self, site: Location) {
        self.sites.write().unwrap_or_else(|p| p.into_inner()).insert(site.pcode.clone(), site);
    }

    /// A displacement site by code.
    pub fn site(&self, code: &str) -> Option<Location> {
        self.sites.read().unwrap_or_else(|p| p.into_inner()).get(code).cloned()
    }

    /// Every site, by code.
    pub fn sites(&self) -> Vec<Location> {
        let mut sites: Vec<Location> = self.sites.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        sites.sort_by(|a, b| a.pcode.cmp(&b.pcode));
        sites
    }

    /// A unit's or a site's name.
    pub fn name_of(&self, code: &str) -> Option<String> {
        self.current.get(code).map(|l| l.name.clone()).or_else(|| self.site(code).map(|s| s.name))
    }

    pub fn is_empty(&self) -> bool {
        self.current.is_empty()
    }

    pub fn retired(&self, pcode: &str) -> Option<&Location> {
        self.retired.get(pcode)
    }

    /// The 2021 units that a 2015 code's territory went to, largest share first.
    pub fn successors(&self, pcode_2015: &str) -> &[CrosswalkLink] {
        self.successors.get(pcode_2015).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn aliases(&self) -> &[Alias] {
        &self.aliases
    }

    /// The unit of `level` that contains `pcode` (P-codes nest by prefix: ML0701 is in ML07).
    pub fn ancestor_at(&self, pcode: &str, level: i64) -> Option<&Location> {
        // A site is inside its commune.
        let pcode = if self.current.contains_key(pcode) { pcode } else { pcode.get(..8).unwrap_or(pcode) };
        let mut loc = self.current.get(pcode)?;
        while loc.admin_level > level {
            loc = self.current.get(loc.parent_pcode.as_deref()?)?;
        }
        Some(loc).filter(|l| l.admin_level == level)
    }

    /// "Ségou (ML04)" for messages.
    pub fn label(&self, pcode: &str) -> String {
        match self.name_of(pcode) {
            Some(name) => format!("{name} ({pcode})"),
            None => pcode.to_string(),
        }
    }

    /// Finds locations by name: case and accents folded, aliases included, optionally only
    /// under `parent` and at `level`. Exact names first, then prefixes, substrings and close
    /// spellings.
    pub fn search(&self, query: &str, parent: Option<&str>, level: Option<i64>, limit: usize) -> Vec<LocationMatch> {
        let q = fold(query);
        let in_scope = |loc: &Location| {
            parent.is_none_or(|p| loc.pcode.starts_with(p) && loc.pcode != p)
                && level.is_none_or(|l| loc.admin_level == l)
        };
        let mut found: Vec<(u32, LocationMatch)> = Vec::new();
        let mut push = |rank: u32, loc: &Location, matched_by: &'static str, alias: Option<String>| {
            if in_scope(loc) && !found.iter().any(|(_, m)| m.location.pcode == loc.pcode) {
                found.push((rank, LocationMatch { location: loc.clone(), matched_by, alias }));
            }
        };
        if q.is_empty() {
            let mut all: Vec<&Location> = self.current.values().filter(|l| in_scope(l)).collect();
            all.sort_by(|a, b| a.pcode.cmp(&b.pcode));
            return all
                .into_iter()
                .take(limit)
                .map(|l| LocationMatch { location: l.clone(), matched_by: "name", alias: None })
                .collect();
        }
        if let Some(codes) = self.by_name.get(&q) {
            for (pcode, alias) in codes {
                if let Some(loc) = self.current.get(pcode) {
                    let by = if alias.is_some() { "alias" } else { "name" };
                    push(0, loc, by, alias.clone());
                }
            }
        }
        let mut names: Vec<(&String, &Vec<NameEntry>)> = self.by_name.iter().collect();
        names.sort_by(|a, b| a.0.cmp(b.0));
        for (name, codes) in &names {
            let rank = if name.starts_with(&q) {
                1
            } else if name.contains(&q) {
                2
            } else if q.len() >= 4 && edit_distance(name, &q) <= 2 {
                3
            } else {
                continue;
            };
            let by = ["name", "prefix", "contains", "spelling"][rank as usize];
            for (pcode, alias) in codes.iter() {
                if let Some(loc) = self.current.get(pcode) {
                    push(rank, loc, by, alias.clone());
                }
            }
        }
        found.sort_by(|a, b| {
            (a.0, a.1.location.admin_level, &a.1.location.name).cmp(&(
                b.0,
                b.1.location.admin_level,
                &b.1.location.name,
            ))
        });
        found.into_iter().take(limit).map(|(_, m)| m).collect()
    }

    /// Why a code is not accepted, with the successor of a retired code or the valid
    /// children of its parent.
    fn explain_unknown(&self, pcode: &str) -> Message {
        if let Some(old) = self.retired.get(pcode) {
            let links = self.successors(pcode);
            if let Some(best) = links.first() {
                return Message::PcodeRetired {
                    code: pcode.to_string(),
                    old_name: old.name.clone(),
                    successor: best.pcode_2021.clone(),
                    successor_name: best.name_2021.clone(),
                    others: links.len() - 1,
                };
            }
        }
        if !pcode.is_ascii() {
            return Message::PcodeUnknown;
        }
        let parent_len = match pcode.len() {
            8 => 6,
            6 => 4,
            4 => 2,
            _ => return Message::PcodeUnknown,
        };
        match self.current.get(&pcode[..parent_len]) {
            Some(parent) => Message::PcodeNotUnder { code: pcode.to_string(), parent: self.label(&parent.pcode) },
            None => Message::PcodeUnknown,
        }
    }

    /// The built-in files, to know when the database's copy needs seeding again.
    pub fn built_in_files() -> [&'static str; 7] {
        [ADMIN_2021, ADMIN_2015, CROSSWALK, ALIASES, POPULATION_GROUPS, SECTORS, REGIONS_2023]
    }

    /// Every unit of both gazetteers.
    pub fn units(&self) -> impl Iterator<Item = &Location> {
        self.current.values().chain(self.retired.values())
    }

    /// Every 2015 code with the 2021 units its territory went to.
    pub fn crosswalk(&self) -> impl Iterator<Item = (&String, &Vec<CrosswalkLink>)> {
        self.successors.iter()
    }
}

impl Gazetteer {
    /// The population groups' codes, in the reference list's order.
    pub fn population_group_codes(&self) -> Vec<String> {
        self.population_groups
            .iter()
            .filter(|g| g.kind == "population_group" && g.code != "all")
            .map(|g| g.code.clone())
            .collect()
    }

    /// A place by P-code or by name, as clerks type it in forms and files. Of several places
    /// of one name, the most precise level is meant (a registration happens in a commune);
    /// several at that level are a question for the user, never a guess; a name found nowhere
    /// comes back with its closest spellings.
    pub fn place_of(&self, text: &str) -> Result<String, Message> {
        let upper = text.trim().to_ascii_uppercase();
        if self.get(&upper).is_some() || self.site(&upper).is_some() {
            return Ok(upper);
        }
        // A code: `check_location` explains retired and unknown codes with their successors.
        if upper.len() >= 4 && upper.starts_with("ML") && upper[2..].bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(upper);
        }
        let found = self.search(text, None, None, 50);
        let folded = fold(text);
        let named: Vec<&LocationMatch> = found.iter().filter(|m| m.is_named(&folded)).collect();
        let label = |pcode: &str| {
            // The unit above, to tell two of one name apart (not the country, above a région).
            let parent = self
                .get(pcode)
                .and_then(|l| l.parent_pcode.as_deref())
                .filter(|p| self.get(p).is_some_and(|l| l.admin_level >= 1))
                .and_then(|p| self.name_of(p));
            match (self.name_of(pcode), parent) {
                (Some(name), Some(parent)) => format!("{name} ({pcode}, {parent})"),
                _ => self.label(pcode),
            }
        };
        if let Some(deepest) = named.iter().map(|m| m.location.admin_level).max() {
            let mut at: Vec<&str> =
                named.iter().filter(|m| m.location.admin_level == deepest).map(|m| m.location.pcode.as_str()).collect();
            at.sort_unstable();
            at.dedup();
            return match at.as_slice() {
                [one] => Ok(one.to_string()),
                several => Err(Message::PlaceAmbiguous {
                    name: text.trim().to_string(),
                    options: several.iter().map(|p| label(p)).collect::<Vec<_>>().join(", "),
                }),
            };
        }
        let near: Vec<String> = found.iter().take(3).map(|m| label(&m.location.pcode)).collect();
        Err(Message::PlaceNameUnknown { name: text.trim().to_string(), suggestions: near.join(", ") })
    }
}

impl References for Gazetteer {
    fn place_of(&self, text: &str) -> Result<String, Message> {
        Gazetteer::place_of(self, text)
    }

    fn check_location(&self, pcode: &str) -> Result<(), Message> {
        if self.current.contains_key(pcode) || self.site(pcode).is_some() {
            Ok(())
        } else {
            Err(self.explain_unknown(pcode))
        }
    }

    fn has_population_group(&self, code: &str) -> bool {
        code != "ALL" && self.population_groups.iter().any(|g| g.kind == "population_group" && g.code == code)
    }

    fn population_groups(&self) -> String {
        let codes: Vec<&str> = self
            .population_groups
            .iter()
            .filter(|g| g.kind == "population_group" && g.code != "all")
            .map(|g| g.code.as_str())
            .collect();
        codes.join(", ")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_codes_in_any_script_are_explained_without_panicking() {
        let g = Gazetteer::built_in();
        for code in ["ÉÉÉÉ", "ML07é", "日本語", "ML0\u{301}7", ""] {
            assert!(g.check_location(code).unwrap_err().to_string().starts_with("a P-code"), "{code}");
        }
    }

    use super::*;

    #[test]
    fn sectors_are_found_by_code_name_synonym_and_the_labels_djoliba_shows() {
        let g = Gazetteer::built_in();
        let code = |label: &str| g.sector_named(label).map(|s| s.code.as_str());
        assert_eq!(code("shl"), Some("SHL"));
        assert_eq!(code("Emergency Shelter and NFI"), Some("SHL"));
        assert_eq!(code("Abris d\u{2019}urgence et articles non alimentaires"), Some("SHL"));
        assert_eq!(code("Sécurité alimentaire"), Some("FSC"));
        assert_eq!(code("WASH"), Some("WSH"));
        assert_eq!(code("Multi-sector"), None);
    }

    #[test]
    fn loads_both_gazetteers_and_crosswalk() {
        let g = Gazetteer::built_in();
        assert_eq!(g.len(), 765);
        assert_eq!(g.retired.len(), 761);
        assert_eq!(g.get("ML04").unwrap().name, "Ségou");
        assert_eq!(g.successors("ML0101").first().unwrap().pcode_2021, "ML0103");
        assert!(g.population_groups().contains("IDP"));
        assert_eq!(g.sectors.len(), 15);
    }

    #[test]
    fn finds_names_without_accents_and_through_aliases() {
        let g = Gazetteer::built_in();
        let segou = g.search("segou", None, Some(1), 5);
        assert_eq!(segou[0].location.pcode, "ML04");
        let koul = g.search("Koulikouro", None, Some(1), 5);
        assert_eq!((koul[0].location.pcode.as_str(), koul[0].matched_by), ("ML02", "alias"));
        let menaka = g.search("Ménaka", None, Some(1), 5);
        assert_eq!(menaka[0].location.pcode, "ML10");
        let timbuktu = g.search("timbuktu", None, None, 5);
        assert_eq!(timbuktu[0].location.pcode, "ML06");
    }

    #[test]
    fn search_is_scoped_by_parent() {
        let g = Gazetteer::built_in();
        let everywhere = g.search("Baye", None, Some(3), 10);
        assert!(everywhere.len() >= 2, "Baye is a commune name used more than once");
        let first_parent = everywhere[0].location.parent_pcode.clone().unwrap();
        let scoped = g.search("Baye", Some(&first_parent), Some(3), 10);
        assert!(scoped.iter().all(|m| m.location.pcode.starts_with(&first_parent)));
        assert!(scoped.len() < everywhere.len());
    }

    #[test]
    fn retired_code_suggests_its_successor() {
        let g = Gazetteer::built_in();
        let err = g.check_location("ML0101").map(|_| ()).err();
        // ML0101 exists in 2021 too (another cercle), so it is valid; ML0705 only in 2015.
        assert!(err.is_none());
        let only_2015 = g.retired.keys().find(|k| !g.current.contains_key(*k)).unwrap().clone();
        let message = g.check_location(&only_2015).unwrap_err();
        assert!(message.to_string().contains("retired 2015 code"), "{message}");
        let message = g.check_location("ML0799").unwrap_err();
        assert!(message.to_string().contains("under Gao (ML07)"), "{message}");
    }
}

/// Régions created by the law of 13 March 2023 that COD-AB 2021 does not have as régions.
/// Their codes are not published here and are never guessed; a name among them is reported.
pub const REGIONS_OF_2023: &[&str] = &[
    "Taoudénit",
    "Nioro du Sahel",
    "Nioro",
    "Kita",
    "Dioïla",
    "Nara",
    "Bougouni",
    "Koutiala",
    "San",
    "Douentza",
    "Bandiagara",
];

/// 2021 régions the 2023 reform made smaller, with the régions carved out of each: in a table
/// of 2023 régions their names mean the smaller extent.
const SPLIT_BY_2023: &[(&str, &[&str])] = &[
    ("Kayes", &["Nioro", "Kita"]),
    ("Koulikoro", &["Dioïla", "Nara"]),
    ("Sikasso", &["Bougouni", "Koutiala"]),
    ("Ségou", &["San"]),
    ("Mopti", &["Bandiagara", "Douentza"]),
];

fn regions_2023() -> Vec<Region2023> {
    let mut regions: Vec<Region2023> = Vec::new();
    for r in records(REGIONS_2023) {
        let code = field(&r, "code");
        let cercle = field(&r, "cercle_pcode_2021");
        match regions.iter_mut().find(|region| region.code == code) {
            Some(region) => region.cercles.push(cercle),
            None => regions.push(Region2023 {
                name: field(&r, "region_2023"),
                code,
                cercles: vec![cercle],
                source: field(&r, "source"),
            }),
        }
    }
    regions
}

/// How a place given by others (codes or names) was found in the gazetteer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PlaceMatch {
    pub pcode: String,
    pub admin_level: i64,
    /// `code`, `crosswalk` (a 2015 code mapped one-to-one), `name`, `alias`.
    pub matched_by: String,
}

/// A place as written in someone else's table: the country (a code or a name), then codes
/// and names per admin level (1 to 3).
#[derive(Debug, Clone, Default)]
pub struct PlaceRef {
    pub country: Option<String>,
    pub codes: [Option<String>; 3],
    pub names: [Option<String>; 3],
    /// The table names régions of the 2023 reform: régions that kept their 2021 names are
    /// smaller there (Sikasso less Bougouni and Koutiala).
    pub reform_2023: bool,
}

/// Mali as tables write it: the COD's and ISO's two letters, ISO's three, or its name.
fn is_mali(text: &str) -> bool {
    matches!(fold(text).as_str(), "ml" | "mli" | "mali" | "mali le" | "republique du mali" | "republic of mali")
}

impl Gazetteer {
    /// Finds a place from codes (preferred) or names scoped by their parents. Returns what
    /// could not be matched and why; never picks one of several candidates.
    pub fn match_place(&self, place: &PlaceRef) -> Result<PlaceMatch, Message> {
        let country = place.country.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if let Some(country) = country.filter(|c| !is_mali(c)) {
            return Err(Message::PlaceNotMali { country: country.to_string() });
        }
        let below = place.codes.iter().chain(&place.names).flatten().any(|v| !v.trim().is_empty());
        if country.is_some() && !below {
            return Ok(PlaceMatch { pcode: "ML".into(), admin_level: 0, matched_by: "code".into() });
        }
        // The most detailed code given wins.
        for level in (1..=3).rev() {
            let Some(code) =
                place.codes[level - 1].as_deref().map(|c| c.trim().to_ascii_uppercase()).filter(|c| !c.is_empty())
            else {
                continue;
            };
            if let Some(region) = self.region_2023(&code).filter(|_| level == 1) {
                return Ok(PlaceMatch { pcode: region.code.clone(), admin_level: 1, matched_by: "region_2023".into() });
            }
            if let Some(loc) = self.get(&code) {
                if loc.admin_level != level as i64 {
                    return Err(Message::PlaceLevelMismatch {
                        code,
                        name: loc.name.clone(),
                        found: loc.admin_level,
                        given: level as i64,
                    });
                }
                return Ok(PlaceMatch { pcode: code, admin_level: level as i64, matched_by: "code".into() });
            }
            let links = self.successors(&code);
            return match links.first() {
                Some(link) if link.share_of_2015_area >= 0.9 && link.share_of_2021_area >= 0.9 && links.len() == 1 => {
                    Ok(PlaceMatch {
                        pcode: link.pcode_2021.clone(),
                        admin_level: level as i64,
                        matched_by: "crosswalk".into(),
                    })
                }
                // A retired code split in 2021: the message names its largest successor.
                Some(_) | None => Err(self.explain_unknown(&code)),
            };
        }
        // Names, from the région down, each scoped by the one above.
        let mut parent: Option<String> = None;
        let mut found: Option<PlaceMatch> = None;
        // A région of the 2023 reform given above the cercle: its cercles, when sourced.
        let mut within: Option<&Region2023> = None;
        let mut region_2023_given = false;
        let lower_given = place.names[1..].iter().flatten().any(|n| !n.trim().is_empty());
        for level in 1..=3usize {
            let Some(name) = place.names[level - 1].as_deref().map(str::trim).filter(|n| !n.is_empty()) else {
                continue;
            };
            let made_smaller = SPLIT_BY_2023.iter().find(|(mother, _)| fold(mother) == fold(name));
            if level == 1 && (self.names_a_new_region_2023(name) || (place.reform_2023 && made_smaller.is_some())) {
                // A région of the 2023 reform (or one it made smaller): COD-AB 2021 has no unit
                // for it, only the cercles it is made of, when a source gives them.
                region_2023_given = true;
                match self.region_2023_named(name) {
                    Some(region) if !lower_given => {
                        return Ok(PlaceMatch {
                            pcode: region.code.clone(),
                            admin_level: 1,
                            matched_by: "region_2023".into(),
                        })
                    }
                    Some(region) => within = Some(region),
                    None if lower_given => {}
                    None => {
                        let smaller = made_smaller.map(|(_, carved)| carved.join(", ")).unwrap_or_default();
                        return Err(Message::Region2023Unsourced { name: name.to_string(), smaller });
                    }
                }
                continue;
            }
            // A 2021 cercle whose name is also a région of the 2023 reform (Bandiagara, San,
            // Douentza…): a table of 2023 régions tagged #adm2 would match it silently, so the
            // cercle is taken only with a région above it or its P-code.
            if level == 2
                && parent.is_none()
                && !region_2023_given
                && REGIONS_OF_2023.iter().any(|r| fold(r) == fold(name))
            {
                let cercles: Vec<String> = self
                    .search(name, None, Some(2), 5)
                    .into_iter()
                    .filter(|m| m.matched_by == "name")
                    .map(|m| self.label(&m.location.pcode))
                    .collect();
                return Err(Message::CercleOrRegion2023 {
                    name: name.to_string(),
                    cercles: cercles.join(", "),
                    composite: self.region_2023_named(name).is_some(),
                });
            }
            let exact: Vec<LocationMatch> = self
                .search(name, parent.as_deref(), Some(level as i64), 20)
                .into_iter()
                .filter(|m| m.matched_by == "name" || m.matched_by == "alias")
                .filter(|m| level != 2 || within.is_none_or(|r| r.cercles.contains(&m.location.pcode)))
                .collect();
            match exact.as_slice() {
                [one] => {
                    parent = Some(one.location.pcode.clone());
                    found = Some(PlaceMatch {
                        pcode: one.location.pcode.clone(),
                        admin_level: level as i64,
                        matched_by: one.matched_by.into(),
                    });
                }
                [] => {
                    let near: Vec<String> = self
                        .search(name, parent.as_deref(), Some(level as i64), 3)
                        .into_iter()
                        .map(|m| format!("{} ({})", m.location.name, m.location.pcode))
                        .collect();
                    return Err(Message::TableUnitUnknown {
                        name: name.to_string(),
                        level: level as i64,
                        within: parent.as_deref().map(|p| self.label(p)).unwrap_or_default(),
                        closest: near.join(", "),
                    });
                }
                several => {
                    let options: Vec<String> = several.iter().map(|m| self.label(&m.location.pcode)).collect();
                    return Err(Message::PlaceNameAmbiguous {
                        name: name.to_string(),
                        level: level as i64,
                        count: several.len(),
                        options: options.join(", "),
                    });
                }
            }
        }
        found.ok_or(Message::PlaceMissing)
    }
}
