//! Concurrency benchmark: 16 readers opening households (an audited read of personal data each)
//! while 2 writers correct households, on a synthetic registry of 100,000 households; then the
//! time of one dashboard page view through the real router (cold: figures computed; warm: from
//! the cache; after a write: recomputed).
//!
//! `cargo bench -p djoliba --bench concurrency`; PostgreSQL too under `scripts/with-postgres`.
//! `DJOLIBA_BENCH_HOUSEHOLDS`, `DJOLIBA_BENCH_SECONDS` (default 10), `DJOLIBA_BENCH_ONLY`
//! (`sqlite` or `postgresql`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops at its first surprise

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use store::registry::HouseholdPatch;
use store::{Store, Target};

const READERS: usize = 16;
const WRITERS: usize = 2;

/// Runs `threads` loops of `work` for `seconds`; returns each call's latency in ms, sorted.
fn hammer(
    threads: usize,
    stop: &Arc<AtomicBool>,
    work: impl Fn(usize, u64) + Send + Sync + 'static,
) -> Vec<std::thread::JoinHandle<Vec<f64>>> {
    let work = Arc::new(work);
    (0..threads)
        .map(|t| {
            let (stop, work) = (stop.clone(), work.clone());
            std::thread::spawn(move || {
                let mut latencies = Vec::new();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let start = Instant::now();
                    work(t, n);
                    latencies.push(start.elapsed().as_secs_f64() * 1000.0);
                    n += 1;
                }
                latencies
            })
        })
        .collect()
}

fn collect(handles: Vec<std::thread::JoinHandle<Vec<f64>>>) -> Vec<f64> {
    let mut all: Vec<f64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort_by(f64::total_cmp);
    all
}

fn run(label: &str, store: Store, households: usize, seconds: u64) {
    let start = Instant::now();
    let (actor, _) = common::load(&store, households, 11);
    println!("[{label}] {households} households loaded in {:.1} s", start.elapsed().as_secs_f64());
    let ids: Arc<Vec<String>> = Arc::new(
        store
            .db
            .read(|tx| Ok(tx.query("SELECT id FROM households ORDER BY id", &[])?.iter().map(|r| r.text(0)).collect()))
            .unwrap(),
    );
    let store = Arc::new(store);
    let stop = Arc::new(AtomicBool::new(false));
    let readers = {
        let (store, actor, ids) = (store.clone(), actor.clone(), ids.clone());
        hammer(READERS, &stop, move |t, n| {
            let i = (t as u64 * 7919 + n * 104_729) as usize % ids.len();
            store.household_detail(&actor, &ids[i]).unwrap();
        })
    };
    let writers = {
        let (store, actor, ids) = (store.clone(), actor.clone(), ids.clone());
        hammer(WRITERS, &stop, move |t, n| {
            // Each writer corrects its own households, so writes never conflict on a version.
            let i = (t + WRITERS * (n as usize * 31)) % ids.len();
            let shelter = if n % 2 == 0 { "collective_centre" } else { "host_family" };
            let patch = HouseholdPatch {
                shelter_type: Some(shelter.into()),
                reason: "benchmark visit".into(),
                ..Default::default()
            };
            store.update_household(&actor, &ids[i], &patch).unwrap();
        })
    };
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let (reads, writes) = (collect(readers), collect(writers));
    let s = seconds as f64;
    println!(
        "[{label}] {READERS} readers + {WRITERS} writers, {seconds} s: {:.0} reads/s (p50 {:.1} ms, p99 {:.1} ms), {:.0} writes/s (p50 {:.1} ms, p99 {:.1} ms)",
        reads.len() as f64 / s,
        common::percentile(&reads, 0.5),
        common::percentile(&reads, 0.99),
        writes.len() as f64 / s,
        common::percentile(&writes, 0.5),
        common::percentile(&writes, 0.99),
    );
    dashboard(label, &store, &ids[0]);
}

/// One dashboard view through the router, as a signed-in administrator.
fn dashboard(label: &str, store: &Arc<Store>, some_household: &str) {
    use tower::ServiceExt;
    store.create_demo_user("bench-admin", "bench-password-0").unwrap();
    let admin = store.verify_login("bench-admin", "bench-password-0").unwrap().unwrap();
    let session = store.create_session(&admin).unwrap();
    let app = web::router(web::AppState::new((**store).clone(), false));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let view = || {
        let request = axum::http::Request::get("/")
            .header("cookie", format!("{}={session}", web::auth::SESSION_COOKIE))
            .body(axum::body::Body::empty())
            .unwrap();
        let start = Instant::now();
        let response = runtime.block_on(app.clone().oneshot(request)).unwrap();
        assert_eq!(response.status(), 200);
        start.elapsed().as_secs_f64() * 1000.0
    };
    let cold = view();
    let warm: Vec<f64> = (0..5).map(|_| view()).collect();
    let patch = HouseholdPatch { intention: Some("return".into()), reason: "benchmark".into(), ..Default::default() };
    store.update_household(&admin, some_household, &patch).unwrap();
    let after_write = view();
    println!(
        "[{label}] dashboard view: cold {cold:.0} ms, warm {} ms, after a write {after_write:.0} ms",
        warm.iter().map(|t| format!("{t:.0}")).collect::<Vec<_>>().join(", ")
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let households = env("DJOLIBA_BENCH_HOUSEHOLDS", 100_000) as usize;
    let seconds = env("DJOLIBA_BENCH_SECONDS", 10);
    let only = std::env::var("DJOLIBA_BENCH_ONLY").unwrap_or_default();
    let dir = tempfile::tempdir().unwrap();
    if only.is_empty() || only == "sqlite" {
        let (sqlite, _) = Store::open(&Target::default_sqlite(dir.path())).unwrap();
        run("sqlite", sqlite, households, seconds);
    }
    if let Some(url) =
        std::env::var("DJOLIBA_TEST_POSTGRES_URL").ok().filter(|_| only.is_empty() || only == "postgresql")
    {
        let (pg, _) = Store::open(&common::postgres_target(&url, "djoliba_bench_concurrency")).unwrap();
        run("postgresql", pg, households, seconds);
    }
}
