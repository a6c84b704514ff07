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

/// One place in a comparison: the registry's figure and each series' latest figure on or
/// before the date.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparisonRow {
    pub place: String,
    pub place_name: String,
    pub registered: u64,
    pub series: Vec<SeriesFigure>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SeriesFigure {
    pub series: String,
    pub source: String,
    pub reference_date: Option<String>,
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
}
