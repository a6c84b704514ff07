//! Two Djoliba servers on one database, as behind a load balancer: each with its own memory
//! and caches. What one starts, the other finishes; their figures agree.

use axum::http::StatusCode;

use store::Target;

use crate::pages::{csrf_of, Site};
use crate::support::*;

fn upload_key(html: &str) -> String {
    let start = html.find("name=\"upload\" value=\"").expect("a confirmation form") + 21;
    let end = start + html[start..].find('"').unwrap();
    html[start..end].to_string()
}

async fn stock(site: &Site, cookie: &str) -> serde_json::Value {
    let answer = site.get("/api/v1/figures/stock?level=2&as_of=2024-06-30", cookie).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

fn idps(stock: &serde_json::Value) -> i64 {
    let households = stock["households"].as_array().unwrap();
    households.iter().filter(|r| r["population_group"] == "IDP").map(|r| r["individuals"].as_i64().unwrap()).sum()
}

#[test]
fn an_upload_checked_on_one_server_is_confirmed_on_the_other_and_their_figures_agree() {
    // Opening, seeding and closing a database block (PostgreSQL's client runs its own
    // runtime): they happen outside the servers' runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    for t in stores() {
        let second = t.second_server();
        let (a, b) = (Site::on(t), Site::on(second));
        let (clerk, other) = (registrar(&a.t.store), other_registrar(&a.t.store));
        runtime.block_on(two_servers(&a, &b, &clerk, &other));
    }
}

async fn two_servers(a: &Site, b: &Site, clerk: &store::Actor, other: &store::Actor) {
    let backend = a.t.backend;
    // Signed in on one, known to both: sessions live in the database.
    let cookie = a.sign_in(&clerk.username, "correct horse battery").await;
    let csrf = csrf_of(&b.get("/import", &cookie).await.body);
    // Both count figures before the import: each must catch up with what the other wrote.
    let (before_a, before_b) = (stock(a, &cookie).await, stock(b, &cookie).await);
    assert_eq!(before_a, before_b, "{backend}");

    let texts: Vec<(String, String)> =
        crate::import::three_files(false).into_iter().map(|f| (f.name, String::from_utf8(f.bytes).unwrap())).collect();
    let files: Vec<(&str, &str)> = texts.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    let preview = a.upload_files("/import", &cookie, &[("csrf", &csrf)], &files).await;
    assert_eq!(preview.status, StatusCode::OK, "{backend}: {}", preview.body);
    let key = upload_key(&preview.body);

    // Another user cannot confirm it.
    let other_cookie = b.sign_in(&other.username, OTHER_PASSWORD).await;
    let other_csrf = csrf_of(&b.get("/import", &other_cookie).await.body);
    let refused = b.upload_files("/import", &other_cookie, &[("csrf", &other_csrf), ("upload", &key)], &[]).await;
    assert_eq!(refused.status, StatusCode::GONE, "{backend}");

    let confirmed = b.upload_files("/import", &cookie, &[("csrf", &csrf), ("upload", &key)], &[]).await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{backend}: {}", confirmed.body);
    let progress = confirmed.location.clone();
    assert!(progress.starts_with("/import/progress?job="), "{progress}");
    // Confirmed once: the same files are not imported twice, from either server.
    let again = a.upload_files("/import", &cookie, &[("csrf", &csrf), ("upload", &key)], &[]).await;
    assert_eq!(again.status, StatusCode::GONE, "{backend}");

    // The progress and then the report, read on the server that did not run it.
    let mut finished = None;
    for _ in 0..600 {
        let page = a.get(&progress, &cookie).await;
        assert_eq!(page.status, StatusCode::OK, "{backend}");
        assert!(!page.body.contains("interrompu"), "{backend}: {}", page.body);
        if page.body.contains("id=\"import-result\"") {
            finished = Some(page.body);
            break;
        }
        assert!(page.body.contains("id=\"import-running\""), "{backend}: {}", page.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let finished = finished.unwrap_or_else(|| panic!("{backend}: the import never finished"));
    assert!(finished.contains("200 ménages") && finished.contains("500 personnes"), "{backend}: {finished}");
    assert!(finished.contains("Personnes : 500 créées") && finished.contains("Ménages : 200 créés"), "{finished}");
    // The same files again: the preview says nothing will change.
    let again = b.upload_files("/import", &cookie, &[("csrf", &csrf)], &files).await;
    assert!(
        again.body.contains("Rien ne changera") && again.body.contains("Ménages : 200 inchangés"),
        "{}",
        again.body
    );
    // Someone else's import is not there.
    let hidden = a.get(&progress, &other_cookie).await;
    assert!(hidden.body.contains("n&#39;existe pas"), "{backend}: {}", hidden.body);

    let (after_a, after_b) = (stock(a, &cookie).await, stock(b, &cookie).await);
    assert_eq!(after_a, after_b, "{backend}: both servers count the same figures");
    assert_eq!(idps(&after_a) - idps(&before_a), 500, "{backend}: the 500 people imported are IDPs");
}

/// A session on the cluster itself (its `postgres` database): the test's own database may not
/// have reached the replica yet, and replay is the cluster's, not a database's.
fn cluster(target: &Target) -> postgres::Client {
    let Target::Postgres { config, .. } = target else { unreachable!() };
    config.clone().dbname("postgres").connect(postgres::NoTls).unwrap()
}

/// The replica's replay has reached everything the primary wrote so far.
fn caught_up(primary: &Target, replica: &Target) {
    let written: String = cluster(primary).query_one("SELECT pg_current_wal_lsn()::text", &[]).unwrap().get(0);
    let mut standby = cluster(replica);
    for _ in 0..600 {
        let replayed: bool =
            standby.query_one("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", &[&written]).unwrap().get(0);
        if replayed {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the replica did not catch up in 30 s");
}

fn set_replay(replica: &Target, paused: bool) {
    let call = if paused { "SELECT pg_wal_replay_pause()" } else { "SELECT pg_wal_replay_resume()" };
    cluster(replica).execute(call, &[]).unwrap();
}

/// Figures and exports read on a read replica: behind it while its replay lags, the same as
/// the database's once it caught up; the replica is checked to be one.
#[test]
fn figures_read_on_a_replica_follow_the_database_once_it_has_replayed() {
    let Some(t) = postgres() else { return };
    let Some(replica) = t.replica() else { return };
    let primary = t.target();
    let refused = t.second_store().with_read_replica(primary).err().expect("the database is no replica");
    assert!(refused.to_string().contains("not a read replica"), "{refused}");

    let clerk = registrar(&t.store);
    let register = |id: &str| {
        let input = household(id).parse(t.store.gazetteer.as_ref(), t.store.today()).unwrap();
        t.store.register_household(&clerk, &input).unwrap();
    };
    register("HH-R1");
    caught_up(primary, &replica);
    let reading = t.second_store().with_read_replica(&replica).unwrap();
    let stock = |store: &store::Store| {
        serde_json::to_value(store.stock_figures(&clerk, "2024-06-01", 2, Some("IDP")).unwrap()).unwrap()
    };
    let before = stock(&t.store);
    assert_eq!(stock(&reading), before);

    // Replay paused: the replica, and figures read there, stay where they were.
    set_replay(&replica, true);
    register("HH-R2");
    let after = stock(&t.store);
    assert_ne!(after, before, "the database counts the new household");
    assert_eq!(stock(&reading), before, "figures are read on the replica");
    let exported = |store: &store::Store| store::export::registry_tables(store, &clerk).unwrap().households.len();
    assert_eq!(exported(&reading), 1, "the export read the replica too");

    set_replay(&replica, false);
    caught_up(primary, &replica);
    assert_eq!(stock(&reading), after);
    assert_eq!(exported(&reading), 2);
}
