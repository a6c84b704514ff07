//! What an operation factsheet says, gathered by the store for one reader at one date and
//! rendered (HTML, PDF) by the `factsheet` crate. Every figure carries its date and source;
//! hidden counts (disclosure control) are `None` and read "•".

use chrono::NaiveDate;
use serde::Serialize;

use crate::figures::PopulationOfConcern;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Factsheet {
    pub as_of: NaiveDate,
    /// The organisation it is about (code, name); the whole operation when `None`.
    pub organisation: Option<(String, String)>,
    /// Made for publication: small counts hidden (under `disclosure_threshold`).
    pub public: bool,
    pub disclosure_threshold: Option<u64>,
    /// Mali as a whole, every group, registry beside published series.
    pub population: PopulationOfConcern,
    /// The registry's IDP stock (IRIS) at the end of each of the last twelve months.
    pub trend: Vec<(NaiveDate, Option<u64>)>,
    /// IDPs (IRIS stock) by région at `as_of`: the map of the areas of operation.
    pub by_region: Vec<RegionCount>,
    pub funding: Vec<PlanMoney>,
    /// Budget and expenditure per year (USD), all organisations' lines summed per year.
    pub budgets: Vec<(i32, Option<f64>, Option<f64>)>,
    /// The period the results count (the year to date, or a whole quarter for publication).
    pub results_from: NaiveDate,
    pub results_to: NaiveDate,
    /// Distinct people reached by anything in the period (`None` when hidden).
    pub people_reached: Option<i64>,
    pub results: Vec<ResultLine>,
    pub targets: Vec<TargetLine>,
    /// Organisations active per région (from the 4W of the results' period).
    pub presence: Vec<(String, Vec<String>)>,
    /// Offices of the operation's organisations (or the one it is about).
    pub offices: Vec<OfficeLine>,
    /// (organisation, implementing partner) codes.
    pub partners: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficeLine {
    pub organisation: String,
    /// An `OfficeKind` code.
    pub kind: String,
    pub name: String,
    /// "Gao (ML0701)".
    pub place: String,
    pub national_staff: i64,
    pub international_staff: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegionCount {
    pub pcode: String,
    pub name: String,
    pub individuals: Option<u64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanMoney {
    pub plan: String,
    pub name: String,
    pub year: i32,
    pub required_usd: Option<f64>,
    pub funded_usd: f64,
    pub share_funded: Option<f64>,
    /// (sector code, required, funded, share).
    pub sectors: Vec<(String, Option<f64>, f64, Option<f64>)>,
}

/// People reached by one kind of assistance (distinct within the kind).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultLine {
    pub sector: String,
    pub kind: String,
    pub people: Option<i64>,
    pub households: Option<i64>,
}

/// One indicator of a plan over the whole plan: its target and what was reached or reported.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TargetLine {
    pub plan: String,
    pub indicator: String,
    pub name_fr: String,
    pub name_en: String,
    pub targeted: Option<f64>,
    /// Reached (counted here) or reported by partners, whichever the indicator uses.
    pub achieved: Option<f64>,
    pub share: Option<f64>,
}
