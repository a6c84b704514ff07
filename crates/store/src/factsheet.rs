//! The operation factsheet's figures, for one reader at one date: the population of concern
//! with sources, the IDP trend and map, funding, the results of the year, targets and presence.
//! Each part comes from the use case that serves its own page, so the factsheet never says
//! what those pages would not.

use chrono::{Datelike, NaiveDate};
use domain::factsheet::{Factsheet, PlanMoney, RegionCount, ResultLine, TargetLine};
use domain::Message;

use crate::{Actor, Store, StoreError};

impl Store {
    /// The factsheet as of `as_of`. `public`: as a viewer would read it (small counts hidden,
    /// results over a whole calendar quarter). `organisation` (code): its results, budgets and
    /// presence only; figures of people stay the operation's.
    pub fn factsheet(
        &self,
        actor: &Actor,
        as_of: &str,
        organisation: Option<&str>,
        public: bool,
    ) -> Result<Factsheet, StoreError> {
        let as_of_day = domain::dates::calendar_day(as_of)
            .ok_or_else(|| StoreError::invalid("as_of", as_of.trim(), Message::IsoDate))?;
        let reader = if public { Actor { role: domain::Role::Viewer, ..actor.clone() } } else { actor.clone() };
        let organisation = match organisation.map(str::trim).filter(|o| !o.is_empty()) {
            Some(code) => match self.organisation(code)? {
                Some(org) => Some((org.code, org.name)),
                None => return Err(StoreError::invalid("organisation", code, Message::ExistingOrganisation)),
            },
            None => None,
        };
        let day = as_of_day.to_string();
        let population = self.population_of_concern(&reader, &day, 0)?;
        let snapshot = self.figures_snapshot(&reader)?;
        let threshold = snapshot.disclosure_threshold;
        let shown = |n: u64| threshold.is_none_or(|k| n >= k).then_some(n);
        // Twelve month ends, the last the end of the month before `as_of` (or `as_of` itself
        // when it is a month's end).
        let mut trend = Vec::new();
        let mut month_end = first_of_month(as_of_day).pred_opt().unwrap_or(as_of_day);
        if as_of_day.succ_opt().is_some_and(|next| next.day() == 1) {
            month_end = as_of_day;
        }
        for _ in 0..12 {
            let totals = snapshot.place_totals(&month_end.to_string(), 1, Some(domain::figures::IDP), false)?;
            trend.push((month_end, shown(totals.values().sum())));
            month_end = first_of_month(month_end).pred_opt().unwrap_or(month_end);
        }
        trend.reverse();
        // The map: each région's total, hidden under the threshold as on the figures pages.
        // The trend gives the national total, so a single hidden région takes the smallest
        // shown one with it (else the total minus the others would give it back).
        let mut by_region: Vec<RegionCount> = snapshot
            .place_totals(&day, 1, Some(domain::figures::IDP), false)?
            .into_iter()
            .map(|(pcode, n)| RegionCount {
                name: self.gazetteer.name_of(&pcode).unwrap_or_else(|| pcode.clone()),
                individuals: if n == 0 { Some(0) } else { shown(n) },
                pcode,
            })
            .collect();
        if by_region.iter().filter(|r| r.individuals.is_none()).count() == 1 {
            let partner =
                by_region.iter_mut().filter(|r| r.individuals.is_some_and(|n| n > 0)).min_by_key(|r| r.individuals);
            if let Some(partner) = partner {
                partner.individuals = None;
            }
        }
        let funding = self.funding_overview(&reader, Some(as_of_day.year()))?;
        let org_code = organisation.as_ref().map(|(code, _)| code.clone());
        let mut budgets: Vec<(i32, Option<f64>, Option<f64>)> = Vec::new();
        for b in self.funding_overview(&reader, None)?.budgets {
            if org_code.as_ref().is_some_and(|code| &b.organisation != code) {
                continue;
            }
            let add = |a: Option<f64>, b: Option<f64>| match (a, b) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
            };
            match budgets.iter_mut().find(|(year, _, _)| *year == b.year) {
                Some(line) => (line.1, line.2) = (add(line.1, b.budget_usd), add(line.2, b.expenditure_usd)),
                None => budgets.push((b.year, b.budget_usd, b.expenditure_usd)),
            }
        }
        budgets.sort_by_key(|b| b.0);
        // Results: the year to date, or (for publication) the last whole quarter.
        let (results_from, results_to) = if public || self.figures_need_disclosure_control(&reader)? {
            last_quarter(as_of_day)
        } else {
            (NaiveDate::from_ymd_opt(as_of_day.year(), 1, 1).unwrap_or(as_of_day), as_of_day)
        };
        let reach = self.reach(&reader, &results_from.to_string(), &results_to.to_string(), 1)?;
        let mut results: Vec<ResultLine> = Vec::new();
        for row in reach.rows.iter().filter(|r| org_code.as_ref().is_none_or(|code| &r.organisation == code)) {
            let hidden = row.suppressed;
            match results.iter_mut().find(|l| l.sector == row.sector && l.kind == row.kind) {
                Some(line) => {
                    line.people = line.people.zip((!hidden).then_some(row.people)).map(|(a, b)| a + b);
                    line.households = line.households.zip((!hidden).then_some(row.households)).map(|(a, b)| a + b);
                }
                None => results.push(ResultLine {
                    sector: row.sector.clone(),
                    kind: row.kind.clone(),
                    people: (!hidden).then_some(row.people),
                    households: (!hidden).then_some(row.households),
                }),
            }
        }
        let people_reached = (org_code.is_none() && !reach.totals_hidden).then_some(reach.people);
        let mut targets = Vec::new();
        for plan in self.list_plans()? {
            let in_year = plan.start_date.as_str() <= day.as_str() && plan.end_date.get(..4) >= day.get(..4);
            if !in_year {
                continue;
            }
            let progress = self.plan_progress(&reader, &plan.id)?;
            for row in progress.rows.iter().filter(|r| r.place.is_empty()) {
                let Some(indicator) = plan.indicators.iter().find(|i| i.code == row.indicator) else { continue };
                let achieved = if row.counted { row.reached.map(|n| n as f64) } else { row.reported };
                if targets.iter().any(|t: &TargetLine| t.plan == plan.code && t.indicator == row.indicator) {
                    continue;
                }
                targets.push(TargetLine {
                    plan: plan.code.clone(),
                    indicator: row.indicator.clone(),
                    name_fr: indicator.name_fr.clone(),
                    name_en: indicator.name_en.clone(),
                    targeted: row.targeted,
                    achieved,
                    share: row.share_of_target,
                });
            }
        }
        let four_w = self.who_what_where(&reader, &results_from.to_string(), &results_to.to_string(), 1)?;
        let presence = four_w
            .presence()
            .into_iter()
            .filter(|(_, orgs)| org_code.as_ref().is_none_or(|code| orgs.contains(code)))
            .map(|(place, orgs)| (self.gazetteer.label(&place), orgs))
            .collect();
        let presence_of = self.presence()?;
        let concerns = |org: &str| org_code.as_ref().is_none_or(|code| code == org);
        let offices = presence_of
            .offices
            .iter()
            .filter(|o| concerns(&o.organisation))
            .map(|o| domain::factsheet::OfficeLine {
                organisation: o.organisation.clone(),
                kind: o.kind.as_str().to_string(),
                name: o.name.clone(),
                place: self.gazetteer.label(&o.place),
                national_staff: o.national_staff,
                international_staff: o.international_staff,
            })
            .collect();
        let partners = presence_of
            .partners
            .iter()
            .filter(|p| concerns(&p.organisation) || org_code.as_ref() == Some(&p.partner))
            .map(|p| (p.organisation.clone(), p.partner.clone()))
            .collect();
        Ok(Factsheet {
            offices,
            partners,
            as_of: as_of_day,
            organisation,
            public,
            disclosure_threshold: threshold,
            population,
            trend,
            by_region,
            funding: funding
                .plans
                .iter()
                .map(|p| PlanMoney {
                    plan: p.plan.clone(),
                    name: p.name.clone(),
                    year: p.year,
                    required_usd: p.required_usd,
                    funded_usd: p.funded_usd,
                    share_funded: p.share_funded,
                    sectors: p
                        .sectors
                        .iter()
                        .map(|s| (s.sector.clone(), s.required_usd, s.funded_usd, s.share_funded))
                        .collect(),
                })
                .collect(),
            budgets,
            results_from,
            results_to,
            people_reached,
            results,
            targets,
            presence,
        })
    }
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The last calendar quarter that is over on `day` (the quarter ending on `day` if it does).
fn last_quarter(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let quarter_start = |year: i32, q: u32| NaiveDate::from_ymd_opt(year, q * 3 + 1, 1);
    let q = day.month0() / 3;
    let this_start = quarter_start(day.year(), q).unwrap_or(day);
    let next_start = if q == 3 { quarter_start(day.year() + 1, 0) } else { quarter_start(day.year(), q + 1) };
    if next_start.and_then(|d| d.pred_opt()) == Some(day) {
        return (this_start, day);
    }
    let end = this_start.pred_opt().unwrap_or(day);
    let start = quarter_start(end.year(), end.month0() / 3).unwrap_or(end);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_quarter_over() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(last_quarter(d("2024-06-30")), (d("2024-04-01"), d("2024-06-30")));
        assert_eq!(last_quarter(d("2024-06-29")), (d("2024-01-01"), d("2024-03-31")));
        assert_eq!(last_quarter(d("2024-02-10")), (d("2023-10-01"), d("2023-12-31")));
    }
}
