//! External series: aggregate figures published by others, imported with their source, method
//! and date, each kept apart; and their comparison with the registry's own figures.

use std::collections::BTreeMap;

use domain::Message;
use serde::{Deserialize, Serialize};

pub use domain::figures::{Comparison, ComparisonRow, SeriesFigure};
use exchange::series::{has_tag_row, read_series, SeriesReading, SeriesRow};
use exchange::tables::{read_file, Encoding};
use exchange::InputFile;
use sha2::{Digest, Sha256};

use crate::error::StoreError;
use crate::import::{ImportError, RowError};
use crate::reference::{PlaceRef, CURRENT_GAZETTEER};
use crate::{new_id, params, Actor, Store};

/// What the publisher says about a series.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesMeta {
    /// A unique name, e.g. "DTM Mali round 14".
    pub name: String,
    /// Who published it, e.g. "IOM DTM", "CMP", "UNHCR", "IDMC".
    pub source: String,
    /// How it was produced, e.g. "key informant baseline assessment".
    pub method: String,
    /// Population group counted (default IDP).
    pub population_group: Option<String>,
    /// Publication date, YYYY-MM-DD.
    pub published_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesReport {
    /// Set when the series was stored.
    pub series_id: Option<String>,
    pub rows: usize,
    pub matched_by_code: usize,
    pub matched_by_crosswalk: usize,
    pub matched_by_name: usize,
    pub matched_by_alias: usize,
    /// Rows whose place could not be matched, with the reason. Stored series leave them out
    /// only when asked to (`skip_unmatched`), and count them.
    pub unmatched: Vec<RowError>,
    /// Individuals in the unmatched rows: what leaving them out takes from the series.
    pub people_skipped: i64,
    /// Columns left out because their tags are outside the HXL vocabulary (when accepted).
    pub columns_left_out: Vec<String>,
    /// The version stored: 1 for a new series, more when it replaced one.
    pub version: Option<i64>,
}

/// How to import a series file.
#[derive(Debug, Clone, Default)]
pub struct SeriesOptions {
    /// The date of every figure when the file has no date column (`2023`, `2024-03`, a day).
    pub date: Option<String>,
    /// Store the matched rows even if some places could not be matched (counted).
    pub skip_unmatched: bool,
    /// The series exists: its figures become a new version, the previous one kept.
    pub replace: bool,
    /// Leave out the columns whose tags are outside the HXL vocabulary instead of refusing.
    pub accept_unknown_tags: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Series {
    pub id: String,
    pub name: String,
    pub source: String,
    pub method: String,
    pub population_group: String,
    pub published_on: Option<String>,
    pub file_name: String,
    pub rows: i64,
    pub rows_skipped: i64,
    pub people_skipped: i64,
    pub first_date: Option<String>,
    pub last_date: Option<String>,
    /// The current version's number.
    pub version: i64,
    /// When the current version was imported (ms since the epoch).
    pub imported_at: i64,
}

/// One import of a series.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesVersion {
    pub number: i64,
    pub file_name: String,
    pub file_sha256: String,
    pub rows_skipped: i64,
    pub people_skipped: i64,
    pub columns_left_out: Vec<String>,
    pub imported_at: i64,
    pub current: bool,
}

/// One figure of a series as stored: its place matched, its date as given and as counted.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredFigure {
    pub row: i64,
    pub pcode: String,
    pub admin_level: i64,
    pub place_as_given: String,
    pub matched_by: String,
    pub reference_date: String,
    pub date_as_given: String,
    pub date_precision: String,
    pub round: Option<String>,
    pub individuals: Option<i64>,
    pub households: Option<i64>,
    pub females: Option<i64>,
    pub males: Option<i64>,
}

/// A series with its versions and the current version's figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesDetail {
    #[serde(flatten)]
    pub series: Series,
    pub versions: Vec<SeriesVersion>,
    pub figures: Vec<StoredFigure>,
}

impl Store {
    /// Matches every row's place and, when all match (or `skip_unmatched`), stores the series
    /// in one transaction. A series name is used once: importing under it again is a new
    /// version, only when asked (`replace`). The very same file twice is refused, whatever
    /// the name.
    #[allow(clippy::too_many_arguments)]
    pub fn import_series(
        &self,
        actor: &Actor,
        meta: &SeriesMeta,
        file_name: &str,
        file_sha256: &str,
        rows: &[SeriesRow],
        columns_left_out: &[String],
        options: &SeriesOptions,
    ) -> Result<SeriesReport, StoreError> {
        crate::plans::require_plan_writer(actor)?;
        let name = meta.name.trim();
        for (field, value) in [("name", name), ("source", meta.source.trim()), ("method", meta.method.trim())] {
            if value.is_empty() || value.len() > 300 {
                return Err(StoreError::invalid(field, value, Message::TextLength { max: 300 }));
            }
        }
        let group = meta.population_group.as_deref().unwrap_or("IDP").trim().to_ascii_uppercase();
        use domain::registry::References;
        if !self.gazetteer.has_population_group(&group) {
            return Err(StoreError::invalid(
                "population_group",
                group,
                Message::PopulationGroup { codes: self.gazetteer.population_groups() },
            ));
        }
        let mut report = SeriesReport {
            series_id: None,
            rows: rows.len(),
            matched_by_code: 0,
            matched_by_crosswalk: 0,
            matched_by_name: 0,
            matched_by_alias: 0,
            unmatched: Vec::new(),
            people_skipped: 0,
            columns_left_out: columns_left_out.to_vec(),
            version: None,
        };
        let mut matched = Vec::with_capacity(rows.len());
        // A table that names a région only the 2023 reform has is in the 2023 division
        // throughout: there, Sikasso is the smaller 2023 région.
        let reform_2023 = rows
            .iter()
            .any(|r| r.place.names[0].as_deref().is_some_and(|name| self.gazetteer.names_a_new_region_2023(name)));
        for row in rows {
            let place = domain::places::PlaceRef { reform_2023, ..row.place.clone() };
            match self.gazetteer.match_place(&place) {
                Ok(m) => {
                    match m.matched_by.as_str() {
                        "code" => report.matched_by_code += 1,
                        "crosswalk" => report.matched_by_crosswalk += 1,
                        "alias" => report.matched_by_alias += 1,
                        _ => report.matched_by_name += 1,
                    }
                    matched.push((row, m));
                }
                Err(why) => {
                    report.people_skipped += row.individuals.unwrap_or(0);
                    report.unmatched.push(RowError {
                        file: file_name.into(),
                        row: row.row,
                        column: "place".into(),
                        value: place_text(&row.place),
                        expected: why,
                    })
                }
            }
        }
        if !report.unmatched.is_empty() && !options.skip_unmatched {
            return Ok(report);
        }
        let version_id = new_id();
        let now = self.now_ms();
        let (series_id, number) = self.db.write(|tx| {
            let same_file = tx.query_opt(
                "SELECT s.name FROM external_series_versions v JOIN external_series s ON s.current_version = v.id WHERE v.file_sha256 = $1",
                params![file_sha256],
            )?;
            if let Some(row) = same_file {
                return Err(StoreError::Conflict(Message::SeriesFileImported { name: row.text(0) }));
            }
            let existing = tx.query_opt(
                "SELECT s.id, s.current_version, (SELECT MAX(number) FROM external_series_versions v WHERE v.series_id = s.id) FROM external_series s WHERE s.name = $1",
                params![name],
            )?;
            let (series_id, number) = match existing {
                // A removed series' name comes back as its next version; a current one only
                // when replacing.
                Some(row) if row.opt_text(1).is_none() || options.replace => {
                    let series_id = row.text(0);
                    tx.execute(
                        "UPDATE external_series SET source = $2, method = $3, population_group = $4, published_on = $5, current_version = $6, removed_at = NULL, removed_by = NULL WHERE id = $1",
                        params![&series_id, meta.source.trim(), meta.method.trim(), &group, meta.published_on.clone(), &version_id],
                    )?;
                    (series_id, row.int(2) + 1)
                }
                Some(_) => return Err(StoreError::Conflict(Message::SeriesNameTaken { name: name.to_string() })),
                None => {
                    let series_id = new_id();
                    tx.execute(
                        "INSERT INTO external_series (id, name, source, method, population_group, published_on, file_name, file_sha256, rows_skipped, imported_at, imported_by, current_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                        params![&series_id, name, meta.source.trim(), meta.method.trim(), &group, meta.published_on.clone(), file_name, file_sha256, report.unmatched.len() as i64, now, &actor.user_id, &version_id],
                    )?;
                    (series_id, 1)
                }
            };
            tx.execute(
                "INSERT INTO external_series_versions (id, series_id, number, file_name, file_sha256, rows_skipped, people_skipped, columns_left_out, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                params![&version_id, &series_id, number, file_name, file_sha256, report.unmatched.len() as i64, report.people_skipped, columns_left_out.join("\n"), now, &actor.user_id],
            )?;
            let action = if number == 1 { "import_series" } else { "replace_series" };
            crate::audit::record(tx, actor, now, action, "series", &series_id, serde_json::json!({"name": name, "version": number, "rows": matched.len(), "rows_skipped": report.unmatched.len()}))?;
            for (row, m) in &matched {
                tx.execute(
                    "INSERT INTO external_series_figures (version_id, row_number, reference_date, date_precision, date_as_given, round, pcode, gazetteer, admin_level, matched_by, place_as_given, individuals, households, females, males) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                    params![&version_id, row.row as i64, row.reference_date.to_string(), row.date_precision.as_str(), &row.date_as_given, row.round.clone(), &m.pcode, CURRENT_GAZETTEER, m.admin_level, &m.matched_by, place_text(&row.place), row.individuals, row.households, row.females, row.males],
                )?;
            }
            Ok((series_id, number))
        })?;
        report.series_id = Some(series_id);
        report.version = Some(number);
        Ok(report)
    }

    /// Removes a series (by id or name) from every comparison; its versions stay, for the
    /// audit, and importing under its name again brings it back as its next version.
    pub fn remove_series(&self, actor: &Actor, id_or_name: &str) -> Result<(), StoreError> {
        crate::plans::require_plan_writer(actor)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let found = tx.query_opt(
                "SELECT id, name FROM external_series WHERE (id = $1 OR name = $1) AND current_version IS NOT NULL",
                params![id_or_name.trim()],
            )?;
            let Some(row) = found else { return Err(StoreError::NotFound("series")) };
            tx.execute(
                "UPDATE external_series SET current_version = NULL, removed_at = $2, removed_by = $3 WHERE id = $1",
                params![row.text(0), now, &actor.user_id],
            )?;
            crate::audit::record(
                tx,
                actor,
                now,
                "remove_series",
                "series",
                &row.text(0),
                serde_json::json!({"name": row.text(1)}),
            )
        })
    }

    /// A series (by id or name) with its versions and its current figures.
    pub fn series_detail(&self, id_or_name: &str) -> Result<SeriesDetail, StoreError> {
        let key = id_or_name.trim().to_string();
        let series = self.list_series()?.into_iter().find(|s| s.id == key || s.name == key);
        let Some(series) = series else { return Err(StoreError::NotFound("series")) };
        self.db.read(|tx| {
            let versions = tx
                .query(
                    "SELECT v.number, v.file_name, v.file_sha256, v.rows_skipped, v.people_skipped, v.columns_left_out, v.imported_at, CASE WHEN v.id = s.current_version THEN 1 ELSE 0 END
                     FROM external_series_versions v JOIN external_series s ON s.id = v.series_id WHERE s.id = $1 ORDER BY v.number DESC",
                    params![&series.id],
                )?
                .into_iter()
                .map(|r| SeriesVersion {
                    number: r.int(0),
                    file_name: r.text(1),
                    file_sha256: r.text(2),
                    rows_skipped: r.int(3),
                    people_skipped: r.int(4),
                    columns_left_out: r.text(5).lines().map(str::to_string).collect(),
                    imported_at: r.int(6),
                    current: r.int(7) == 1,
                })
                .collect();
            let figures = tx
                .query(
                    "SELECT f.row_number, f.pcode, f.admin_level, f.place_as_given, f.matched_by, f.reference_date, f.date_as_given, f.date_precision, f.round, f.individuals, f.households, f.females, f.males
                     FROM external_series_figures f JOIN external_series s ON s.current_version = f.version_id WHERE s.id = $1 ORDER BY f.row_number",
                    params![&series.id],
                )?
                .into_iter()
                .map(|r| StoredFigure {
                    row: r.int(0),
                    pcode: r.text(1),
                    admin_level: r.int(2),
                    place_as_given: r.text(3),
                    matched_by: r.text(4),
                    reference_date: r.text(5),
                    date_as_given: r.text(6),
                    date_precision: r.text(7),
                    round: r.opt_text(8),
                    individuals: r.opt_int(9),
                    households: r.opt_int(10),
                    females: r.opt_int(11),
                    males: r.opt_int(12),
                })
                .collect();
            Ok(SeriesDetail { series, versions, figures })
        })
    }

    /// The series that count (removed ones left out), each with its current version.
    pub fn list_series(&self) -> Result<Vec<Series>, StoreError> {
        self.db.read(|tx| {
            let rows = tx.query(
                "SELECT s.id, s.name, s.source, s.method, s.population_group, s.published_on, v.file_name, v.rows_skipped, v.people_skipped, v.number, v.imported_at,
                        (SELECT COUNT(*) FROM external_series_figures f WHERE f.version_id = v.id),
                        (SELECT MIN(reference_date) FROM external_series_figures f WHERE f.version_id = v.id),
                        (SELECT MAX(reference_date) FROM external_series_figures f WHERE f.version_id = v.id)
                 FROM external_series s JOIN external_series_versions v ON v.id = s.current_version ORDER BY s.name",
                params![],
            )?;
            Ok(rows
                .into_iter()
                .map(|r| Series {
                    id: r.text(0),
                    name: r.text(1),
                    source: r.text(2),
                    method: r.text(3),
                    population_group: r.text(4),
                    published_on: r.opt_text(5),
                    file_name: r.text(6),
                    rows_skipped: r.int(7),
                    people_skipped: r.int(8),
                    version: r.int(9),
                    imported_at: r.int(10),
                    rows: r.int(11),
                    first_date: r.opt_text(12),
                    last_date: r.opt_text(13),
                })
                .collect())
        })
    }

    /// The registry's stock of `group` at `as_of` next to each series' latest round on or
    /// before that date, per place at admin `level` (0: Mali as a whole).
    pub fn compare(&self, actor: &Actor, as_of: &str, level: u8, group: &str) -> Result<Comparison, StoreError> {
        let group = group.trim().to_ascii_uppercase();
        let as_of_day = domain::dates::calendar_day(as_of)
            .ok_or_else(|| StoreError::invalid("as_of", as_of.trim(), Message::IsoDate))?;
        let as_of_text = as_of_day.to_string();
        let figures = self.db.read(|tx| {
            tx.query(
                "SELECT s.name, s.source, f.pcode, f.admin_level, f.reference_date, f.individuals, f.round, f.date_as_given, s.method
                 FROM external_series_figures f JOIN external_series s ON s.current_version = f.version_id
                 WHERE s.population_group = $1 AND f.reference_date <= $2 ORDER BY s.name, f.reference_date",
                params![&group, &as_of_text],
            )
        })?;
        // Régions of the 2023 reform in the series: at level 1 the registry's counts of their
        // 2021 cercles are added up for them, beside the 2021 régions.
        let mut composites: Vec<&domain::places::Region2023> =
            figures.iter().filter_map(|r| self.gazetteer.region_2023(&r.text(2))).collect();
        composites.sort_by(|a, b| a.code.cmp(&b.code));
        composites.dedup_by(|a, b| a.code == b.code);
        let with_composites = level == 1 && !composites.is_empty();
        let counted_at = if with_composites { 2 } else { level.max(1) };
        let to_places = |place: &str| -> Vec<String> {
            let mut places = vec![domain::figures::place_at_level(Some(place), level)];
            if with_composites {
                let cercle = domain::figures::place_at_level(Some(place), 2);
                places.extend(composites.iter().filter(|r| r.cercles.contains(&cercle)).map(|r| r.code.clone()));
            }
            places
        };
        // National figures add up the régions. Like for like: published series count returned
        // IDPs apart, so IDP compares those not returned and RDP those returned, not yet out of
        // the stock by a solutions decision (IRIS).
        let snapshot = self.figures_snapshot(actor)?;
        let totals = snapshot.place_totals(&as_of_text, counted_at, Some(&group), true)?;
        let mut registered: BTreeMap<String, u64> = BTreeMap::new();
        for (place, n) in &totals {
            for place in to_places(place) {
                *registered.entry(place).or_default() += n;
            }
        }
        // Disclosure control, as the figures pages publish place totals: a place of fewer
        // people than the threshold is hidden. A 2023 région is a sum of cercles carved out of
        // a 2021 région whose total is published: it is shown only when every cercle of that
        // 2021 région is publishable, else the région minus it and the shown cercles would give
        // a hidden cercle back.
        let small = |n: u64| snapshot.disclosure_threshold.is_some_and(|k| n > 0 && n < k);
        let mut hidden: std::collections::BTreeSet<String> =
            registered.iter().filter(|(_, n)| small(**n)).map(|(place, _)| place.clone()).collect();
        // The level above is published too (Mali as a whole): a single hidden place takes the
        // smallest shown one with it, as `suppress_stock` does within a place.
        let is_unit = |place: &String| self.gazetteer.region_2023(place).is_none();
        if hidden.iter().filter(|place| is_unit(place)).count() == 1 {
            let partner = registered
                .iter()
                .filter(|(place, n)| is_unit(place) && **n > 0 && !hidden.contains(*place))
                .min_by_key(|(_, n)| **n)
                .map(|(place, _)| place.clone());
            hidden.extend(partner);
        }
        if with_composites {
            let regions_with_small_cercles: std::collections::BTreeSet<String> = totals
                .iter()
                .filter(|(_, n)| small(**n))
                .map(|(place, _)| domain::figures::place_at_level(Some(place), 1))
                .collect();
            for region in &composites {
                let mother_hides = region.cercles.iter().any(|cercle| {
                    regions_with_small_cercles.contains(&domain::figures::place_at_level(Some(cercle), 1))
                });
                if mother_hides {
                    hidden.insert(region.code.clone());
                }
            }
        }
        let present: std::collections::BTreeSet<String> = self
            .registry_presence(actor, &group, counted_at, &as_of_text)?
            .iter()
            .flat_map(|place| to_places(place))
            .collect();
        // One round per series: the latest date on or before the comparison's, and with it
        // every row of its round (a round's rows may carry the days they were collected), or of
        // that date when the series has no rounds. Rows of one place add up (sites of a
        // commune), then places add up to the level.
        let mut latest_round: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
        for r in &figures {
            latest_round.insert(r.text(0), (r.text(4), r.opt_text(6)));
        }
        let mut series_names: Vec<(String, String, String)> = Vec::new();
        let mut coarser: BTreeMap<String, u64> = BTreeMap::new();
        let mut external: BTreeMap<(String, String), Latest> = BTreeMap::new();
        for r in &figures {
            let (series, date, round) = (r.text(0), r.text(4), r.opt_text(6));
            let Some((last_date, last_round)) = latest_round.get(&series) else { continue };
            let in_round = match last_round {
                Some(last_round) => round.as_ref() == Some(last_round),
                None => &date == last_date,
            };
            if !in_round {
                continue;
            }
            if series_names.last().is_none_or(|(name, _, _)| name != &series) {
                series_names.push((series.clone(), r.text(1), r.text(8)));
            }
            if r.int(3) < level as i64 {
                *coarser.entry(series).or_default() += 1;
                continue;
            }
            let pcode = r.text(2);
            let place = match self.gazetteer.region_2023(&pcode) {
                Some(region) if level == 1 => region.code.clone(),
                _ => domain::figures::place_at_level(Some(&pcode), level),
            };
            let value = r.opt_int(5);
            match external.get_mut(&(series.clone(), place.clone())) {
                Some(sum) => {
                    sum.value = sum.value.zip(value).map(|(a, b)| a + b);
                    if date > sum.date {
                        (sum.date, sum.date_as_given) = (date, r.text(7));
                    }
                }
                None => {
                    let latest = Latest { date, date_as_given: r.text(7), round, value };
                    external.insert((series, place), latest);
                }
            }
        }
        let mut places: Vec<String> = registered.keys().cloned().collect();
        places.extend(external.keys().map(|(_, p)| p.clone()));
        places.sort();
        places.dedup();
        let rows = places
            .into_iter()
            .map(|place| {
                let covered = present.contains(&place) || registered.contains_key(&place);
                let registered_hidden = hidden.contains(&place);
                let reg = (covered && !registered_hidden).then(|| registered.get(&place).copied().unwrap_or(0));
                let series = series_names
                    .iter()
                    .map(|(name, source, method)| {
                        let found = external.get(&(name.clone(), place.clone()));
                        let individuals = found.and_then(|f| f.value);
                        let age_days = found
                            .and_then(|f| chrono::NaiveDate::parse_from_str(&f.date, "%Y-%m-%d").ok())
                            .map(|d| (as_of_day - d).num_days());
                        SeriesFigure {
                            series: name.clone(),
                            source: source.clone(),
                            method: method.clone(),
                            reference_date: found.map(|f| f.date.clone()),
                            date_as_given: found.map(|f| f.date_as_given.clone()),
                            round: found.and_then(|f| f.round.clone()),
                            age_days,
                            stale: age_days.is_some_and(|d| d > domain::figures::STALE_AFTER_DAYS),
                            individuals,
                            coverage: reg
                                .zip(individuals.filter(|v| *v > 0))
                                .map(|(r, v)| (r as f64 / v as f64 * 1000.0).round() / 1000.0),
                        }
                    })
                    .collect();
                ComparisonRow {
                    place_name: match self.gazetteer.region_2023(&place) {
                        Some(region) => format!("{} (2023)", region.name),
                        None => self.gazetteer.get(&place).map(|l| l.name.clone()).unwrap_or_default(),
                    },
                    place,
                    registered: reg,
                    registered_hidden,
                    series,
                }
            })
            .collect();
        Ok(Comparison {
            as_of: as_of_day,
            level,
            population_group: group,
            rows,
            coarser_rows_left_out: coarser.values().sum(),
            series_with_coarser_rows: coarser.into_keys().collect(),
        })
    }

    /// Every group of concern at `as_of`, national (level 0) or by place: the registry's count
    /// (IDPs apart from returned IDPs, as published) beside each series' latest figure.
    pub fn population_of_concern(
        &self,
        actor: &Actor,
        as_of: &str,
        level: u8,
    ) -> Result<domain::figures::PopulationOfConcern, StoreError> {
        if level > 3 {
            return Err(StoreError::invalid("level", level.to_string(), Message::FiguresLevel));
        }
        let mapping = domain::figures::concern_mapping();
        let mut groups = Vec::new();
        for line in &mapping {
            let comparison = self.compare(actor, as_of, level, &line.population_group)?;
            if !comparison.rows.is_empty() {
                groups.push(comparison);
            }
        }
        let as_of = domain::dates::calendar_day(as_of)
            .ok_or_else(|| StoreError::invalid("as_of", as_of.trim(), Message::IsoDate))?;
        Ok(domain::figures::PopulationOfConcern { as_of, level, groups, mapping })
    }

    /// The places (at `level`) where the registry has had a household of `group` the actor's
    /// figures count, registered by `as_of`: where it registered them or where they live now.
    /// Elsewhere the registry is not present, and a coverage there would read 0 for want of a
    /// team, not of registrations.
    fn registry_presence(
        &self,
        actor: &Actor,
        group: &str,
        level: u8,
        as_of: &str,
    ) -> Result<std::collections::BTreeSet<String>, StoreError> {
        use crate::visibility::{Access, Sql, Visibility};
        // Returned IDPs are households of the IDP group.
        let group = if group == domain::figures::RETURNED_IDP { domain::figures::IDP } else { group };
        let sql = Sql::new(
            "SELECT DISTINCT h.registration_point, h.current_location FROM households h WHERE h.population_group = ? AND h.registration_date <= ?",
            params![group, as_of],
        )
        .and(&Visibility::of(actor).households("h", Access::Aggregate));
        let rows = self.db.read(|tx| tx.select(&sql))?;
        let mut places = std::collections::BTreeSet::new();
        for row in rows {
            for pcode in [row.opt_text(0), row.opt_text(1)].into_iter().flatten() {
                places.insert(domain::figures::place_at_level(Some(&pcode), level));
            }
        }
        Ok(places)
    }
}

/// A series' figure for one place, in the round compared.
struct Latest {
    date: String,
    date_as_given: String,
    round: Option<String>,
    value: Option<i64>,
}

/// The place as the file gave it, for reports.
pub fn place_text(place: &PlaceRef) -> String {
    let mut parts = Vec::new();
    for level in 0..3 {
        if let Some(code) = place.codes[level].as_deref().filter(|c| !c.is_empty()) {
            parts.push(code.to_string());
        } else if let Some(name) = place.names[level].as_deref().filter(|n| !n.is_empty()) {
            parts.push(name.to_string());
        }
    }
    parts.join(" / ")
}

/// The outcome of a series import: a report, or the cells that could not be read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesImport {
    pub report: Option<SeriesReport>,
    pub errors: Vec<RowError>,
}

impl Store {
    /// Reads a series file (the first sheet with HXL hashtags, or a CSV), matches its places
    /// and stores it.
    pub fn import_series_file(
        &self,
        actor: &Actor,
        meta: &SeriesMeta,
        file: InputFile,
        options: &SeriesOptions,
    ) -> Result<SeriesImport, ImportError> {
        // Published series are the operation's reference, kept as response plans are: the
        // role is checked before the file is read.
        crate::plans::require_plan_writer(actor).map_err(ImportError::Store)?;
        let default_date = match options.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(text) => Some(
                domain::FuzzyDate::parse_period("date", text, self.today())
                    .map_err(|e| ImportError::Store(StoreError::invalid("date", text, *e.expected)))?,
            ),
            None => None,
        };
        let sha: String = hex::encode(Sha256::digest(&file.bytes));
        let tables = read_file(&file.name, &file.bytes, Encoding::Auto).map_err(ImportError::File)?;
        let group = meta.population_group.as_deref().unwrap_or("IDP").trim().to_ascii_uppercase();
        let table = tables.into_iter().find(has_tag_row);
        let Some(table) = table else {
            return Ok(SeriesImport {
                report: None,
                errors: vec![RowError {
                    file: file.name,
                    row: 1,
                    column: String::new(),
                    value: String::new(),
                    expected: Message::HxlTagRow,
                }],
            });
        };
        let reading = SeriesReading {
            group: &group,
            default_date,
            today: self.today(),
            accept_unknown_tags: options.accept_unknown_tags,
        };
        match read_series(&table, reading) {
            Err(errors) => Ok(SeriesImport { report: None, errors }),
            Ok(read) => {
                let report = self
                    .import_series(actor, meta, &file.name, &sha, &read.rows, &read.columns_left_out, options)
                    .map_err(ImportError::Store)?;
                Ok(SeriesImport { report: Some(report), errors: Vec::new() })
            }
        }
    }
}
