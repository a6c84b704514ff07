//! Sync benchmark: what a field office's registrations cost on the wire and to apply.
//!
//! A field node registers `DJOLIBA_BENCH_HOUSEHOLDS` synthetic households (10,000 by default;
//! 5.5 people and about 2 movements each); then:
//! - bytes per household registration, sealed (envelope, signature, zstd of postcard) and as the
//!   compressed payload alone: one household alone, in batches of 100 and of 1,000;
//! - bytes of a one-field edit, alone and 1,000 batched;
//! - apply rate: the office receives everything in batches of at most 64 KiB, as `sync pull`
//!   sends them (SQLite; PostgreSQL too under `scripts/with-postgres`);
//! - the time to send the registrations over a 64 kbit/s link (bytes only), plus applying them;
//! - the duplicates check of the households received (index built, every person probed).
//!
//! `cargo bench -p djoliba --bench sync`; `DJOLIBA_BENCH_ONLY=sqlite|postgresql`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops at its first surprise

mod common;

use std::time::Instant;

use store::sync::{bundle, Batch, Change, NodeInfo, BATCH_BYTES};
use store::{Actor, Store, Target};

fn node(target: &Target, name: &str) -> (Store, NodeInfo) {
    let (store, _) = Store::open(target).unwrap();
    let info = store.sync_init(&Actor::system(), name).unwrap();
    (store, info)
}

/// Sealed bytes and compressed payload bytes of these changes as one batch.
fn sizes(store: &Store, from: &str, changes: Vec<Change>) -> (usize, usize) {
    let batch = Batch { from: from.to_string(), changes };
    (store.sync_seal(&batch).unwrap().len(), bundle::compress(&batch).unwrap().len())
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let households: usize =
        std::env::var("DJOLIBA_BENCH_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let only = std::env::var("DJOLIBA_BENCH_ONLY").unwrap_or_default();
    let dir = tempfile::tempdir().unwrap();
    let (field, field_info) = node(&Target::default_sqlite(&dir.path().join("field")), "Gao");
    let started = Instant::now();
    let (actor, _) = common::load(&field, households, 7);
    println!(
        "[field] {households} households registered with the change feed on: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Everything the field holds, in its feed's order, grouped by household.
    let (all, _) = field.sync_all_changes().unwrap();
    let from = all.from.clone();
    let changes = all.changes;
    let registrations: Vec<&Change> = changes.iter().filter(|c| c.body.household.is_some()).collect();
    let mut by_household: Vec<Vec<Change>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for change in registrations {
        let h = change.body.household.clone().unwrap();
        let i = *index.entry(h).or_insert_with(|| {
            by_household.push(Vec::new());
            by_household.len() - 1
        });
        by_household[i].push(change.clone());
    }
    let per_household = changes.len() as f64 / by_household.len() as f64;
    println!("[feed] {} changes, {per_household:.1} per household", changes.len());
    if std::env::var("DJOLIBA_BENCH_SHOW").is_ok() {
        for c in &by_household[0] {
            println!(
                "{} {} {}",
                c.entity.as_str(),
                serde_json::to_string(&c.body).unwrap().len(),
                serde_json::to_string(&c.body).unwrap()
            );
        }
    }
    let sample: Vec<&Vec<Change>> = by_household.iter().step_by((by_household.len() / 100).max(1)).take(100).collect();
    let (mut sealed, mut payload) = (0, 0);
    for h in &sample {
        let (s, p) = sizes(&field, &from, h.to_vec());
        sealed += s;
        payload += p;
    }
    println!(
        "[bytes] one household alone: {} B sealed, {} B payload (mean of {})",
        sealed / sample.len(),
        payload / sample.len(),
        sample.len()
    );
    for n in [100, 1_000] {
        if by_household.len() < n {
            continue;
        }
        let batch: Vec<Change> = by_household[..n].iter().flatten().cloned().collect();
        let (s, p) = sizes(&field, &from, batch);
        println!("[bytes] batch of {n} households: {} B sealed, {} B payload per household", s / n, p / n);
    }

    // A one-field edit (the phone of a person), alone and 1,000 of them.
    let people: Vec<String> = field
        .db
        .read(|tx| {
            Ok(tx
                .query("SELECT id FROM people ORDER BY id LIMIT 1000", store::params![])?
                .iter()
                .map(|r| r.text(0))
                .collect())
        })
        .unwrap();
    let before = field.sync_vector().unwrap();
    for (i, person) in people.iter().enumerate() {
        field
            .db
            .write(|tx| {
                tx.execute("UPDATE people SET phone = $1 WHERE id = $2", store::params![format!("7{:07}", i), person.as_str()])?;
                tx.execute(
                    "UPDATE household_changes SET version = (SELECT version FROM registry_version WHERE id = 1) + 1 WHERE household_id = (SELECT household_id FROM people WHERE id = $1)",
                    store::params![person.as_str()],
                )?;
                tx.execute("UPDATE registry_version SET version = version + 1 WHERE id = 1", store::params![])?;
                Ok(())
            })
            .unwrap();
    }
    let (everything, _) = field.sync_all_changes().unwrap();
    let edits = Batch {
        from: everything.from,
        changes: everything
            .changes
            .into_iter()
            .filter(|c| before.get(&store::sync::origin_key(&c.id.node, c.id.epoch)).is_none_or(|s| c.id.seq > *s))
            .collect(),
    };
    assert_eq!(edits.changes.len(), people.len(), "one change per edit");
    let (s, p) = sizes(&field, &from, edits.changes[..1].to_vec());
    println!("[bytes] one-field edit alone: {s} B sealed, {p} B payload");
    let (s, p) = sizes(&field, &from, edits.changes.clone());
    println!(
        "[bytes] 1,000 one-field edits batched: {} B sealed, {} B payload per edit",
        s / people.len(),
        p / people.len()
    );

    for backend in ["sqlite", "postgresql"] {
        if !only.is_empty() && only != backend {
            continue;
        }
        let target = match backend {
            "sqlite" => Target::default_sqlite(&dir.path().join("office")),
            _ => match std::env::var("DJOLIBA_TEST_POSTGRES_URL") {
                Ok(url) if !url.is_empty() => common::postgres_target(&url, "djoliba_bench_sync"),
                _ => continue,
            },
        };
        let (office, office_info) = node(&target, "Bamako");
        let enrolment = office.sync_enrol(&Actor::system(), &field_info, &[], &[]).unwrap();
        field.sync_connect(&Actor::system(), &enrolment.node, "http://office.invalid", &enrolment.token, None).unwrap();
        // As `sync push` does: batches of at most 64 KiB, each acknowledged.
        let (mut wire, mut batches, mut applied, mut applying) = (0usize, 0, 0, 0.0);
        let mut sealing = 0.0;
        let mut theirs = office.sync_vector().unwrap();
        loop {
            let t = Instant::now();
            let (sealed, count, more) = field.sync_sealed_for(&office_info.node_id, &theirs, BATCH_BYTES).unwrap();
            sealing += t.elapsed().as_secs_f64();
            if count == 0 {
                break;
            }
            wire += sealed.len();
            batches += 1;
            let t = Instant::now();
            let received = office.sync_receive(office.sync_open(&sealed).unwrap()).unwrap();
            applying += t.elapsed().as_secs_f64();
            assert!(received.refused.is_empty(), "{:?}", received.refused);
            applied += received.applied;
            theirs = received.vector;
            if !more {
                break;
            }
        }
        let registration_bytes: usize = wire;
        println!(
            "[{backend}] applied {applied} changes in {batches} batches of ≤64 KiB: {:.1} s, {:.0} changes/s (sealing on the field {:.1} s)",
            applying,
            applied as f64 / applying,
            sealing
        );
        let link = registration_bytes as f64 * 8.0 / 64_000.0;
        println!(
            "[{backend}] {households} registrations and 1,000 edits: {} bytes on the wire ({:.0} B per household): {:.1} min at 64 kbit/s, plus {:.1} min to apply",
            registration_bytes,
            registration_bytes as f64 / households as f64,
            link / 60.0,
            applying / 60.0
        );
        assert_eq!(
            office.sync_fingerprint().unwrap(),
            field.sync_fingerprint().unwrap(),
            "both hold the same registry"
        );
        // The duplicates check of what arrived, as the server runs it beside the exchange.
        let t = Instant::now();
        let queued = office.check_arrivals().unwrap();
        println!(
            "[{backend}] duplicates check of the {households} households received: {:.1} s, {queued} pairs queued",
            t.elapsed().as_secs_f64()
        );
        let _ = &actor;
    }
}
