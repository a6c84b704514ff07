//! Figures as answered: the stock or flows with what was asked and how they were protected.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Flows, Stock};

/// Stock at a date, with what was asked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockReport {
    pub as_of: NaiveDate,
    pub level: u8,
    pub population_group: Option<String>,
    #[serde(flatten)]
    pub stock: Stock,
    /// Registered IDP households without any displacement recorded: not in the IDP stock.
    pub idp_households_without_displacement: u64,
    /// Set when small cells were suppressed for this reader (fewer than this many people).
    pub disclosure_threshold: Option<u64>,
    /// The figures of the registry before its latest changes, served while those are counted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// Flows over a period, with what was asked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FlowsReport {
    pub level: u8,
    pub population_group: Option<String>,
    #[serde(flatten)]
    pub flows: Flows,
    /// Set when small cells were suppressed for this reader (fewer than this many people).
    pub disclosure_threshold: Option<u64>,
    /// The figures of the registry before its latest changes, served while those are counted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// One place in a comparison: the registry's figure and each series' figure of its latest
/// round on or before the date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparisonRow {
    pub place: String,
    pub place_name: String,
    /// The registry's stock there; none when the registry has never had anyone of the group
    /// there ("not covered": no coverage to compute, which is not a coverage of 0).
    pub registered: Option<u64>,
    /// The registry's count is too small to publish for this reader (disclosure control):
    /// `registered` and the coverage are then empty.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub registered_hidden: bool,
    pub series: Vec<SeriesFigure>,
}

/// A series' figure is stale when its date is more than this many days before the date of
/// the comparison: a year, one annual cycle of the slowest publishers (IDMC, UNHCR).
pub const STALE_AFTER_DAYS: i64 = 365;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesFigure {
    pub series: String,
    pub source: String,
    /// How the publisher produced it (key informants, registration, modelling…).
    pub method: String,
    /// The last day the figure's date covers (31 December for a figure "for 2023").
    pub reference_date: Option<String>,
    /// The date as the file wrote it.
    pub date_as_given: Option<String>,
    /// The round compared, when the series has rounds.
    pub round: Option<String>,
    /// Days from the figure's date to the comparison's.
    pub age_days: Option<i64>,
    /// Older than [`STALE_AFTER_DAYS`]: shown, but not a like-for-like comparison.
    pub stale: bool,
    pub individuals: Option<i64>,
    /// registered ÷ the series' figure: below 1, registration lags behind the estimate.
    pub coverage: Option<f64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub as_of: NaiveDate,
    pub level: u8,
    pub population_group: String,
    pub rows: Vec<ComparisonRow>,
    /// Figures of a series given for units coarser than the level, left out of the rows.
    pub coarser_rows_left_out: u64,
    /// The series those figures belong to, so that a table can say so.
    pub series_with_coarser_rows: Vec<String>,
}

/// How a published category reads against the registry's IRIS stock.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryMapping {
    /// The population group code (HDX HAPI's list).
    pub population_group: String,
    /// What the registry counts under it.
    pub registry: String,
    /// What published series (DTM, the commission, UNHCR, IDMC) count under it.
    pub published: String,
}

/// Every population group of concern at one date, national and by place: the registry's
/// count next to each sourced series' latest figure, with the IRIS mapping written out.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PopulationOfConcern {
    pub as_of: NaiveDate,
    pub level: u8,
    /// One comparison per group, in the order factsheets list them; groups with neither a
    /// registered person nor a published figure are left out.
    pub groups: Vec<Comparison>,
    pub mapping: Vec<CategoryMapping>,
}

/// The groups of concern, in factsheet order, with how each is counted here and published.
pub fn concern_mapping() -> Vec<CategoryMapping> {
    let line = |group: &str, registry: &str, published: &str| CategoryMapping {
        population_group: group.into(),
        registry: registry.into(),
        published: published.into(),
    };
    vec![
        line(
            "IDP",
            "IDPs in the IRIS stock whose last movement is not a return: displaced, displaced again, or on a pendular visit",
            "IDPs (DTM, the government's commission, IDMC, UNHCR's IDPs of concern), returned IDPs excluded",
        ),
        line(
            "RDP",
            "IDPs who returned and have no solutions decision yet: still in the IRIS stock",
            "IDP returnees (DTM's and UNHCR's returned IDPs)",
        ),
        line("REF", "Households registered as refugees, from registration until departure or death", "Refugees (UNHCR)"),
        line("ASY", "Households registered as asylum seekers", "Asylum seekers (UNHCR)"),
        line("RET", "Households registered as returned refugees", "Returnees: refugees back in the country (UNHCR)"),
        line("OOC", "Households registered as others of concern", "Others of concern (UNHCR)"),
    ]
}
