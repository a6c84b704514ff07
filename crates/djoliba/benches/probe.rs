//! Duplicate-check recall in the registry: a synthetic registry from the demo's generator
//! (default 20,000 households, about 110,000 people; `DJOLIBA_BENCH_HOUSEHOLDS=180000` for a
//! million people), then 1,000 re-registrations of registered people probed through the
//! registry's check (500 verbatim, 500 with one variation each: case and spacing, accents and
//! a transliteration, given and family name swapped, an estimated age for the birth date,
//! another commune of the same cercle), and 1,000 people never registered. Reports recall
//! (the person found first), people never registered flagged (all, and those without a
//! same-year namesake), and p50/p99 of one check. Then the batch run over the whole registry
//! (`Store::run_duplicate_detection`, what `djoliba linkage run` and the page's button do):
//! time, pairs merged and queued, and the peak memory it added.
//!
//! `cargo bench -p djoliba --bench probe`; `PROBE_DIAG=K` shows the misses of variation K (0–5,
//! `v` verbatim; `aK`/`av` checked alone) and what the batch run merged.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops at its first surprise

mod common;

use std::collections::HashMap;
use std::time::Instant;

use domain::registry::{NewHousehold, NewPerson};
use domain::{DatePrecision, FuzzyDate};
use store::{Store, Target};

const VARIATIONS: [&str; 6] = [
    "case and spacing",
    "accents and spelling",
    "names swapped",
    "estimated age",
    "another commune",
    "no father's name",
];

struct Registered {
    id: String,
    person: NewPerson,
    place: String,
    /// The person's household as registered, and their place in it.
    household: NewHousehold,
    member: usize,
}

fn strip_accents(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'é' | 'è' | 'ê' => 'e',
            'ï' | 'î' => 'i',
            'ô' => 'o',
            'ü' | 'û' => 'u',
            'à' | 'â' => 'a',
            other => other,
        })
        .collect()
}

/// One variation of a registered person, as another team might record them.
fn vary(store: &Store, r: &Registered, which: usize) -> (NewPerson, String) {
    let mut p = r.person.clone();
    // Another team seldom copies the document number: names, birth and place must do.
    p.identifiers.clear();
    let mut place = r.place.clone();
    match which {
        0 => {
            p.given_name = format!("  {}  ", p.given_name.to_uppercase());
            p.family_name = p.family_name.to_lowercase();
        }
        1 => {
            p.given_name = strip_accents(&p.given_name).replace("ou", "u").replace("dj", "j");
            p.family_name = strip_accents(&p.family_name);
        }
        2 => std::mem::swap(&mut p.given_name, &mut p.family_name),
        3 => {
            if let Some(birth) = p.birth_date {
                use chrono::Datelike;
                let years = (store.today().year() - birth.date.year()).max(0);
                p.birth_date = FuzzyDate::from_estimated_age("age", &years.to_string(), store.today()).ok();
            }
        }
        4 => {
            let cercle = store.gazetteer.ancestor_at(&r.place, 2).map(|l| l.pcode.clone()).unwrap_or_default();
            if let Some(other) = store
                .gazetteer
                .search("", Some(&cercle), Some(3), 50)
                .into_iter()
                .map(|m| m.location.pcode)
                .find(|c| *c != r.place)
            {
                place = other;
            }
        }
        _ => {
            p.father_name = None;
            if let Some(birth) = p.birth_date {
                p.birth_date = Some(FuzzyDate { precision: DatePrecision::Year, ..birth });
            }
        }
    }
    (p, place)
}

fn person_text(p: &NewPerson) -> String {
    format!("{} {} {:?}", p.given_name, p.family_name, p.sex)
}

fn household_of(template: &NewHousehold, members: Vec<NewPerson>, place: &str) -> NewHousehold {
    NewHousehold {
        members,
        movements: Vec::new(),
        current_location: Some(place.to_string()),
        registration_point: place.to_string(),
        ..template.clone()
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let households: usize =
        std::env::var("DJOLIBA_BENCH_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = Store::open(&Target::default_sqlite(dir.path())).unwrap();
    let started = Instant::now();
    let (actor, generated) = common::load(&store, households, 11);
    let people: usize = generated.iter().map(|g| g.household.members.len()).sum();
    println!("[probe] {households} households, {people} people loaded in {:.1} s", started.elapsed().as_secs_f64());
    // Registered people by household number and position, with their ids.
    let ids: HashMap<(String, String), String> = store
        .db
        .read(|tx| {
            let rows = tx.query(
                "SELECT h.external_id, p.external_id, p.id FROM people p JOIN households h ON h.id = p.household_id",
                &[],
            )?;
            Ok(rows.into_iter().map(|r| ((r.text(0), r.text(1)), r.text(2))).collect())
        })
        .unwrap();
    let stride = (people / 1_000).max(1);
    let registered: Vec<Registered> = generated
        .iter()
        .flat_map(|g| g.household.members.iter().enumerate().map(move |(k, m)| (g, k, m)))
        .step_by(stride)
        .take(1_000)
        .map(|(g, k, m)| Registered {
            id: ids[&(g.household.external_id.clone(), m.external_id.clone().unwrap_or_default())].clone(),
            person: m.clone(),
            place: g.household.current_location.clone().unwrap_or_else(|| g.household.registration_point.clone()),
            household: g.household.clone(),
            member: k,
        })
        .collect();
    let template = &generated[0].household;
    let started = Instant::now();
    store
        .check_duplicates(&actor, &household_of(template, vec![registered[0].person.clone()], &registered[0].place))
        .unwrap();
    println!("[probe] index built on the first check in {:.1} s", started.elapsed().as_secs_f64());
    // Check times of one person alone, and of whole households.
    let mut times = [Vec::new(), Vec::new()];
    let mut check = |household: &NewHousehold| {
        let started = Instant::now();
        let found = store.check_duplicates(&actor, household).unwrap();
        times[(household.members.len() > 1) as usize].push(started.elapsed().as_secs_f64() * 1000.0);
        found
    };
    // Each re-registration is checked twice: the person alone, and with their household (the
    // other members as the same team would record them; names are swapped for one person only).
    // Probability bands: from `LIKELY` the check warns, from `POSSIBLE` it shows the person;
    // `PROBE_BANDS=0.5,0.3,0.1` measures others.
    let bands: Vec<f64> = std::env::var("PROBE_BANDS")
        .ok()
        .map(|v| v.split(',').filter_map(|b| b.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![store::duplicates::LIKELY, store::duplicates::POSSIBLE]);
    let mut recall = [Recall::new(bands.len()), Recall::new(bands.len())];
    // `PROBE_DIAG=K` (a variation), `v` (verbatim); `aK`, `av`: the same checked alone.
    let diag_text = std::env::var("PROBE_DIAG").unwrap_or_default();
    let diag_alone = diag_text.starts_with('a');
    let diag_text = diag_text.trim_start_matches('a');
    let diag = diag_text.parse::<usize>().ok();
    let diag_verbatim = diag_text == "v";
    for (i, r) in registered.iter().enumerate() {
        let variation = (i >= 500).then_some(i % 6);
        let again = |p: &NewPerson| match variation {
            // Names are swapped for the one person only.
            None | Some(2) => (p.clone(), r.place.clone()),
            Some(k) => vary(
                &store,
                &Registered {
                    person: p.clone(),
                    household: r.household.clone(),
                    id: String::new(),
                    place: r.place.clone(),
                    member: 0,
                },
                k,
            ),
        };
        let (person, place) = match variation {
            None => (r.person.clone(), r.place.clone()),
            Some(k) => vary(&store, r, k),
        };
        let mut members: Vec<NewPerson> = r.household.members.iter().map(|m| again(m).0).collect();
        members[r.member] = person.clone();
        for (alone, household) in [
            (true, household_of(template, vec![person.clone()], &place)),
            (false, household_of(template, members, &place)),
        ] {
            let found: Vec<_> =
                check(&household).into_iter().filter(|l| l.member == if alone { 0 } else { r.member }).collect();
            // Found first in each band: warned of (likely), and shown at all (possible too).
            let first: Vec<bool> = bands
                .iter()
                .map(|&at| found.first().is_some_and(|l| l.person.id == r.id && l.probability >= at))
                .collect();
            let shown = match variation {
                None => diag_verbatim,
                Some(_) => diag == variation,
            };
            if !first[0] && shown && diag_alone == alone {
                let rank = found.iter().position(|l| l.person.id == r.id);
                eprintln!(
                    "miss: {} f:{:?} {} {:?} in a household of {} → found {} (true at {rank:?}, {:?}); top {:?}",
                    person_text(&r.person),
                    r.person.father_name,
                    r.place,
                    r.person.birth_date.map(|d| d.display()),
                    household.members.len(),
                    found.len(),
                    rank.map(|k| found[k].probability),
                    found.first().map(|l| (
                        l.probability,
                        l.person.father_name.clone(),
                        l.person.birth_date.clone(),
                        l.person.location.clone()
                    ))
                );
            }
            recall[!alone as usize].count(variation, &first);
        }
    }
    for (k, how) in ["alone", "with their household"].iter().enumerate() {
        let r = &recall[k];
        for (b, at) in bands.iter().enumerate() {
            let varied_found: usize = r.varied.iter().map(|v| v[b]).sum();
            println!(
                "[probe] recall from {at}, the person checked {how}: verbatim {}/500 ({:.3}); with a variation {varied_found}/500 ({:.3}): {}",
                r.verbatim[b],
                r.verbatim[b] as f64 / 500.0,
                varied_found as f64 / 500.0,
                VARIATIONS
                    .iter()
                    .enumerate()
                    .map(|(k, name)| format!("{name} {}/{}", r.varied[k][b], r.varied_total[k]))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    // People never registered: the same generator, another seed.
    let places = common::places(&store.gazetteer);
    let strangers = domain::synthetic::generate(4242, 400, &places);
    // A twin: someone registered with the same names, father's name, sex and birth year in the
    // same cercle, whom no compared field tells apart.
    let twin_key = |m: &NewPerson, place: &str| {
        let year = m.birth_date.map(|d| d.date.format("%Y").to_string()).unwrap_or_default();
        let sex = m.sex.map(|s| s.as_str().to_string()).unwrap_or_default();
        let cercle = place.chars().take(6).collect::<String>();
        (m.given_name.clone(), m.family_name.clone(), m.father_name.clone().unwrap_or_default(), sex, year, cercle)
    };
    let twins: std::collections::HashSet<_> = generated
        .iter()
        .flat_map(|g| {
            let place = g.household.current_location.clone().unwrap_or_else(|| g.household.registration_point.clone());
            g.household.members.iter().map(move |m| twin_key(m, &place))
        })
        .collect();
    // Each stranger checked alone and with their household, per band: [band][alone, household].
    let (mut probed, mut untwinned) = (0, 0);
    let (mut flagged, mut untwinned_flagged) = (vec![[0; 2]; bands.len()], vec![[0; 2]; bands.len()]);
    'all: for g in &strangers {
        let place = g.household.current_location.clone().unwrap_or_else(|| g.household.registration_point.clone());
        let whole: Vec<_> = check(&household_of(template, g.household.members.clone(), &place));
        for (k, m) in g.household.members.iter().enumerate() {
            if probed == 1_000 {
                break 'all;
            }
            probed += 1;
            let alone = check(&household_of(template, vec![m.clone()], &place));
            let top = [alone.first(), whole.iter().find(|l| l.member == k)];
            if let Some(top) = top[1].filter(|_| std::env::var("PROBE_DIAG").is_ok_and(|v| v == "strangers")) {
                eprintln!(
                    "stranger: {} f:{:?} {:?} {place} of {} → {:.3} {} {} f:{:?} {:?} {:?} ({})",
                    person_text(m),
                    m.father_name,
                    m.birth_date.map(|d| d.display()),
                    g.household.members.len(),
                    top.probability,
                    top.person.given_name,
                    top.person.family_name,
                    top.person.father_name,
                    top.person.birth_date,
                    top.person.location,
                    top.person.household_external_id
                );
            }
            let twinless = !twins.contains(&twin_key(m, &place));
            untwinned += twinless as usize;
            for (b, &at) in bands.iter().enumerate() {
                for h in 0..2 {
                    let hit = top[h].is_some_and(|l| l.probability >= at);
                    flagged[b][h] += hit as usize;
                    untwinned_flagged[b][h] += (hit && twinless) as usize;
                }
            }
        }
    }
    for (b, at) in bands.iter().enumerate() {
        for (h, how) in ["alone", "with their household"].iter().enumerate() {
            println!(
                "[probe] never registered, checked {how}, someone from {at}: {}/{probed} ({:.3}); of those without a twin in their cercle (same names, father, sex and year) {}/{untwinned} ({:.3})",
                flagged[b][h],
                flagged[b][h] as f64 / probed as f64,
                untwinned_flagged[b][h],
                untwinned_flagged[b][h] as f64 / untwinned.max(1) as f64
            );
        }
    }
    for (times, what) in times.iter_mut().zip(["one person", "a household of two or more"]) {
        times.sort_by(f64::total_cmp);
        println!(
            "[probe] one check of {what} (probes, scope filter, audit row): p50 {:.2} ms, p99 {:.2} ms over {} checks",
            common::percentile(times, 0.5),
            common::percentile(times, 0.99),
            times.len()
        );
    }
    // Corrections made after the index was built: the next check catches up with the change
    // feed (100 households) instead of rebuilding.
    let mut renamed = Vec::new();
    for r in registered.iter().take(100) {
        let person = NewPerson { given_name: format!("{}ina", r.person.given_name), ..r.person.clone() };
        store.update_person(&actor, &r.id, &person, "spelling on the card").unwrap();
        renamed.push(person);
    }
    let started = Instant::now();
    let found = store
        .check_duplicates(&actor, &household_of(template, vec![renamed[0].clone()], &registered[0].place))
        .unwrap();
    println!(
        "[probe] first check after 100 corrections (catching up): {:.1} ms; the corrected person found first: {}",
        started.elapsed().as_secs_f64() * 1000.0,
        found.first().is_some_and(|l| l.person.id == registered[0].id)
    );
    // The demo's name lists are short: some distinct people are identical on every field.
    let identical: i64 = store
        .db
        .read(|tx| {
            let row = tx.query_opt(
                "SELECT COUNT(*) FROM (SELECT COUNT(*) AS n FROM people p JOIN households h ON h.id = p.household_id \
                 GROUP BY p.given_name, p.family_name, p.father_name, p.sex, p.birth_date, p.birth_date_precision, \
                 COALESCE(h.current_location, h.registration_point) HAVING COUNT(*) > 1) AS twins",
                &[],
            )?;
            Ok(row.map(|r| r.int(0)).unwrap_or(0))
        })
        .unwrap();
    println!("[batch] groups of distinct people identical on every compared field: {identical}");
    // The batch run over the registry; the peak is measured from here (Linux resets it).
    let before = rss_mib("VmRSS:");
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let started = Instant::now();
    let run = store.run_duplicate_detection(&actor).unwrap();
    println!(
        "[batch] {} people in the registry: {:.1} s, {} candidate pairs, {} merged, {} queued; peak {:.0} MiB ({:.0} MiB before the run)",
        run.people,
        started.elapsed().as_secs_f64(),
        run.candidate_pairs,
        run.merged,
        run.queued,
        rss_mib("VmHWM:"),
        before
    );
    if std::env::var_os("PROBE_DIAG").is_some() {
        // And what the run merged, to see why.
        for pair in store.duplicate_pairs(&actor, Some("accepted"), 12).unwrap() {
            let show = |p: &store::duplicates::PersonSummary| {
                format!(
                    "{} {} f:{:?} {:?} {:?} {:?}",
                    p.given_name, p.family_name, p.father_name, p.sex, p.birth_date, p.location
                )
            };
            eprintln!("merged: {} | {}", show(&pair.a), show(&pair.b));
        }
    }
}

/// Re-registrations found first, per probability band: verbatim, and by variation.
struct Recall {
    verbatim: Vec<usize>,
    varied: [Vec<usize>; 6],
    varied_total: [usize; 6],
}

impl Recall {
    fn new(bands: usize) -> Recall {
        Recall { verbatim: vec![0; bands], varied: std::array::from_fn(|_| vec![0; bands]), varied_total: [0; 6] }
    }

    fn count(&mut self, variation: Option<usize>, found: &[bool]) {
        let counts = match variation {
            None => &mut self.verbatim,
            Some(k) => {
                self.varied_total[k] += 1;
                &mut self.varied[k]
            }
        };
        for (count, found) in counts.iter_mut().zip(found) {
            *count += *found as usize;
        }
    }
}

fn rss_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}
