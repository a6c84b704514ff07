//! Two Djoliba servers on one database, as behind a load balancer: each with its own memory
//! and caches. What one starts, the other finishes; their figures agree.

use axum::http::StatusCode;

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
    // Someone else's import is not there.
    let hidden = a.get(&progress, &other_cookie).await;
    assert!(hidden.body.contains("n&#39;existe pas"), "{backend}: {}", hidden.body);

    let (after_a, after_b) = (stock(a, &cookie).await, stock(b, &cookie).await);
    assert_eq!(after_a, after_b, "{backend}: both servers count the same figures");
    assert_eq!(idps(&after_a) - idps(&before_a), 500, "{backend}: the 500 people imported are IDPs");
}
