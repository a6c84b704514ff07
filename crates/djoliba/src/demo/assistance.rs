//! The demo's year of assistance (October 2023 – June 2024), planned from the demo registry as
//! a partner would: cash in three monthly rounds in Gao, shelter kits in Mopti, household kits
//! in Tombouctou, catch-up classes for children in Mopti, legal counselling on housing, land and
//! property; some absent on the day,
//! some mobile-money transfers failed, a round still being distributed, and a second cash
//! programme left in draft over the same months, whose planning meets the first
//! (the duplicate-assistance check). Each round worked through is monitored on a random
//! sample after it ends, as partners do by phone. Everything is marked as synthetic.

use domain::assistance::{CycleInput, DeliveryInput, MonitoringInput, ProgrammeInput, Quantity};
use domain::synthetic::Rng;
use store::assistance::PlanFilter;
use store::{Actor, Store};

use super::{ORGANISATION, SEED};

struct Round {
    name: &'static str,
    start: &'static str,
    end: &'static str,
    /// The share of the list delivered so far; a round fully worked through is closed.
    worked: f64,
}

struct Programme {
    code: &'static str,
    name: &'static str,
    sector: &'static str,
    kind: &'static str,
    period: (&'static str, &'static str),
    place: &'static str,
    donor: &'static str,
    eligibility: &'static str,
    amount: f64,
    unit: &'static str,
    /// `household`, or `person` with a cap per household.
    per: &'static str,
    cap: Option<u32>,
    modality: &'static str,
    filter: PlanFilter,
    rounds: Vec<Round>,
}

fn programmes() -> Vec<Programme> {
    let idps_in = |place: &str| PlanFilter {
        population_group: Some("IDP".into()),
        location: Some(place.into()),
        ..Default::default()
    };
    vec![
        Programme {
            code: "TMUM-GAO-24",
            name: "Transferts monétaires à usage multiple — cercle de Gao",
            sector: "FSC",
            kind: "multipurpose_cash",
            period: ("2024-01-01", "2024-06-30"),
            place: "ML0703",
            donor: "ECHO",
            eligibility: "Ménages déplacés internes résidant dans le cercle de Gao (données synthétiques)",
            amount: 75_000.0,
            unit: "XOF",
            per: "household",
            cap: None,
            modality: "mobile_money",
            filter: idps_in("ML0703"),
            rounds: vec![
                Round { name: "Tour 1 — janvier", start: "2024-01-08", end: "2024-01-31", worked: 1.0 },
                Round { name: "Tour 2 — février", start: "2024-02-05", end: "2024-02-29", worked: 1.0 },
                Round { name: "Tour 3 — mars", start: "2024-03-04", end: "2024-03-29", worked: 0.6 },
            ],
        },
        Programme {
            code: "ABRI-MPT-24",
            name: "Kits d'abri d'urgence — cercle de Mopti",
            sector: "SHL",
            kind: "shelter_kit",
            period: ("2024-01-01", "2024-12-31"),
            place: "ML0506",
            donor: "BHA",
            eligibility: "Ménages déplacés de trois personnes ou plus (données synthétiques)",
            amount: 1.0,
            unit: "kit",
            per: "household",
            cap: None,
            modality: "in_kind",
            filter: PlanFilter { min_members: Some(3), ..idps_in("ML0506") },
            rounds: vec![Round {
                name: "Distribution de février",
                start: "2024-02-12",
                end: "2024-02-29",
                worked: 1.0,
            }],
        },
        Programme {
            code: "AME-TBT-23",
            name: "Articles ménagers essentiels — cercle de Tombouctou",
            sector: "SHL",
            kind: "nfi_kit",
            period: ("2023-10-01", "2024-03-31"),
            place: "ML0605",
            donor: "CERF",
            eligibility: "Ménages déplacés arrivés depuis 2022 (données synthétiques)",
            amount: 1.0,
            unit: "kit",
            per: "household",
            cap: None,
            modality: "in_kind",
            filter: PlanFilter { displaced_since: Some("2022-01-01".into()), ..idps_in("ML0605") },
            rounds: vec![Round {
                name: "Distribution de novembre",
                start: "2023-11-06",
                end: "2023-11-30",
                worked: 1.0,
            }],
        },
        Programme {
            code: "LTB-ANS-24",
            name: "Conseil juridique logement, terre et biens — cercle d'Ansongo",
            sector: "PRO-HLP",
            kind: "legal_counselling",
            period: ("2024-01-01", "2024-12-31"),
            place: "ML0701",
            donor: "NORAD",
            eligibility: "Ménages déplacés sans document d'occupation (données synthétiques)",
            amount: 1.0,
            unit: "session",
            per: "household",
            cap: None,
            modality: "service",
            filter: idps_in("ML0701"),
            rounds: vec![Round {
                name: "Permanences d'avril à juin",
                start: "2024-04-01",
                end: "2024-06-30",
                worked: 0.8,
            }],
        },
        Programme {
            code: "RATT-MPT-24",
            name: "Cours de rattrapage pour enfants déplacés — cercle de Mopti",
            sector: "EDU",
            kind: "catch_up_classes",
            period: ("2024-01-01", "2024-06-30"),
            place: "ML0506",
            donor: "Education Cannot Wait",
            eligibility: "Enfants déplacés de 6 à 17 ans, trois au plus par ménage (données synthétiques)",
            amount: 1.0,
            unit: "enrolment",
            per: "person",
            cap: Some(3),
            modality: "service",
            filter: PlanFilter { min_age: Some(6), max_age: Some(17), ..idps_in("ML0506") },
            rounds: vec![Round {
                name: "Session de janvier à juin",
                start: "2024-01-08",
                end: "2024-06-28",
                worked: 0.9,
            }],
        },
        Programme {
            code: "TMUM-INOND-24",
            name: "Transferts monétaires — réponse aux inondations, Gao",
            sector: "FSC",
            kind: "multipurpose_cash",
            period: ("2024-03-01", "2024-04-30"),
            place: "ML07",
            donor: "Fonds humanitaire du Mali",
            eligibility: "Ménages touchés par les inondations (données synthétiques) : à planifier",
            amount: 50_000.0,
            unit: "XOF",
            per: "household",
            cap: None,
            modality: "mobile_money",
            filter: PlanFilter::default(),
            // Left in draft: planning it over the cercle of Gao meets the first programme.
            rounds: vec![Round { name: "Tour unique — mars", start: "2024-03-01", end: "2024-03-31", worked: 0.0 }],
        },
    ]
}

/// Plans and delivers the demo's programmes, unless the demo organisation has some already.
pub fn load(store: &Store, actor: &Actor) -> anyhow::Result<()> {
    let existing = store.list_programmes()?;
    if existing.iter().any(|p| p.organisation == ORGANISATION) {
        return Ok(());
    }
    eprintln!("Loading the demo's assistance…");
    let mut rng = Rng::new(SEED + 2);
    for p in programmes() {
        let input = ProgrammeInput {
            code: p.code.into(),
            name: p.name.into(),
            sector: p.sector.into(),
            kind: p.kind.into(),
            target_unit: p.per.into(),
            start_date: p.period.0.into(),
            end_date: p.period.1.into(),
            places: vec![p.place.into()],
            donor: Some(p.donor.into()),
            project: Some(format!("PRJ-{}", p.code)),
            eligibility: p.eligibility.into(),
            amount: Quantity::Number(p.amount),
            per: p.per.into(),
            cap_per_household: p.cap,
            unit: p.unit.into(),
            organisation: Some(ORGANISATION.into()),
        };
        let programme =
            store.create_programme(actor, &input).map_err(|e| anyhow::anyhow!("demo programme {}: {e}", p.code))?;
        for round in &p.rounds {
            let cycle = store
                .create_cycle(
                    actor,
                    &programme.id,
                    &CycleInput { name: round.name.into(), start_date: round.start.into(), end_date: round.end.into() },
                )
                .map_err(|e| anyhow::anyhow!("demo round {}: {e}", round.name))?;
            if round.worked == 0.0 {
                continue;
            }
            store
                .plan_cycle(actor, &cycle.id, &p.filter)
                .map_err(|e| anyhow::anyhow!("demo planning {}: {e}", round.name))?;
            for status in ["approved", "distributing"] {
                store
                    .advance_cycle(actor, &cycle.id, status)
                    .map_err(|e| anyhow::anyhow!("demo round {}: {e}", round.name))?;
            }
            deliver(store, actor, &p, round, &cycle.id, &mut rng)?;
            if round.worked >= 1.0 {
                monitor(store, actor, &p, round, &cycle.id, &mut rng)?;
                store
                    .advance_cycle(actor, &cycle.id, "closed")
                    .map_err(|e| anyhow::anyhow!("demo round {}: {e}", round.name))?;
            }
        }
    }
    Ok(())
}

/// Works through a round's list: most receive it all, some part, some are absent, a few
/// transfers fail; the days spread over the round.
fn deliver(
    store: &Store,
    actor: &Actor,
    p: &Programme,
    round: &Round,
    cycle: &str,
    rng: &mut Rng,
) -> anyhow::Result<()> {
    let start = chrono::NaiveDate::parse_from_str(round.start, "%Y-%m-%d")?;
    let end = chrono::NaiveDate::parse_from_str(round.end, "%Y-%m-%d")?;
    let days = (end - start).num_days().max(0) as usize + 1;
    // The whole list (the distribution page shows a screenful at a time).
    let list: Vec<(String, f64, Option<String>)> = store.db.read(|tx| {
        let rows = tx.query(
            "SELECT household_id, quantity, NULLIF(person_key, '') FROM entitlements WHERE cycle_id = $1 ORDER BY id",
            store::params![cycle],
        )?;
        Ok(rows.iter().map(|r| (r.text(0), r.real(1), r.opt_text(2))).collect())
    })?;
    let worked = (list.len() as f64 * round.worked).round() as usize;
    let cash = p.unit == "XOF";
    for (n, (household, entitled, person)) in list.iter().take(worked).enumerate() {
        let roll = rng.below(100);
        let (outcome, quantity) = match roll {
            0..=85 => ("delivered", *entitled),
            86..=89 if cash => ("partial", (*entitled / 2.0).round()),
            86..=94 => ("not_collected", 0.0),
            _ if cash => ("failed", 0.0),
            _ => ("not_collected", 0.0),
        };
        let date = start + chrono::Duration::days(rng.below(days) as i64);
        let input = DeliveryInput {
            household: household.clone(),
            person: person.clone(),
            date: date.to_string(),
            quantity: if quantity > 0.0 { Quantity::Number(quantity) } else { Quantity::Text(String::new()) },
            modality: p.modality.into(),
            outcome: outcome.into(),
            reference: cash.then(|| format!("DEMO-{}-{:05}", p.code, n + 1)),
            delivered_by: Some("Équipe de distribution (démo)".into()),
            ..Default::default()
        };
        store
            .record_delivery(actor, cycle, &input)
            .map_err(|e| anyhow::anyhow!("demo delivery in {}: {e}", round.name))?;
    }
    Ok(())
}

/// Draws the usual random sample of a round worked through and asks most of it a week after
/// the round: most received it all, some with issues (a long wait, an incomplete kit, part of
/// the cash withheld), a few say they received nothing, some cannot be reached.
fn monitor(
    store: &Store,
    actor: &Actor,
    p: &Programme,
    round: &Round,
    cycle: &str,
    rng: &mut Rng,
) -> anyhow::Result<()> {
    let error = |e: store::StoreError| anyhow::anyhow!("demo monitoring of {}: {e}", round.name);
    let sample = store.draw_monitoring_sample(actor, cycle, domain::SampleMethod::Random, None).map_err(error)?;
    let (_, drawn) = store.monitoring_sample(actor, &sample.id).map_err(error)?;
    let end = chrono::NaiveDate::parse_from_str(round.end, "%Y-%m-%d")?;
    let cash = p.unit == "XOF";
    for row in &drawn {
        let roll = rng.below(100);
        // One in ten of the sample has not been asked yet.
        if roll >= 90 {
            continue;
        }
        let asked_on = (end + chrono::Duration::days(1 + rng.below(10) as i64)).min(store.today());
        let (answer, amount, issue) = match roll {
            0..=69 => ("received", Some(row.delivered), None),
            70..=74 if cash => (
                "received_with_issues",
                Some((row.delivered * 0.8).round()),
                Some("Une partie retenue par un intermédiaire"),
            ),
            70..=74 => ("received_with_issues", Some(row.delivered), Some("Kit incomplet (bâche manquante)")),
            75..=79 => ("received_with_issues", Some(row.delivered), Some("Attente de plus de quatre heures")),
            80..=82 => ("not_received", None, None),
            _ => ("not_reached", None, None),
        };
        let amount = amount.filter(|a| *a > 0.0 && answer != "not_received");
        let input = MonitoringInput {
            household: row.household_id.clone(),
            person: row.person_id.clone(),
            answer: answer.into(),
            amount_reported: amount.map_or(Quantity::Text(String::new()), Quantity::Number),
            issue: issue.map(str::to_string),
            date: asked_on.to_string(),
        };
        store.record_monitoring_answer(actor, &sample.id, &input).map_err(error)?;
    }
    Ok(())
}
