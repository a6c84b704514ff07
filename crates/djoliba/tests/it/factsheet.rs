//! The operation factsheet: a two-page PDF in French and in English with every section, the
//! same from the API and the pages, and a printable page.

use std::process::Command;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use store::Actor;
use tower::ServiceExt;

use crate::support::*;

/// The text of a PDF and its pages as PNG, by poppler's tools. Without them the test says so
/// and stops, except under CI, whose script installs them: there their absence fails.
fn read_pdf(pdf: &[u8]) -> Option<(String, usize)> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("factsheet.pdf");
    std::fs::write(&file, pdf).unwrap();
    let text = Command::new("pdftotext").args(["-layout"]).arg(&file).arg("-").output();
    let pages = Command::new("pdftoppm").args(["-r", "40", "-png"]).arg(&file).arg(dir.path().join("page")).status();
    match (text, pages) {
        (Ok(text), Ok(status)) if text.status.success() && status.success() => {
            let pngs: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "png"))
                .collect();
            for png in &pngs {
                assert!(std::fs::metadata(png.path()).unwrap().len() > 2_000, "a page with something on it");
            }
            Some((String::from_utf8_lossy(&text.stdout).into_owned(), pngs.len()))
        }
        other if std::env::var_os("CI").is_none() => {
            eprintln!("poppler-utils unavailable (pdftotext, pdftoppm), PDF check skipped: {other:?}");
            None
        }
        other => panic!("CI installs poppler-utils to read the factsheet: {other:?}"),
    }
}

#[tokio::test]
async fn the_factsheet_is_two_pages_in_french_and_english_with_every_section() {
    let t = sqlite();
    let store = &t.store;
    crate::figures::load_synthetic(store, 300);
    let actor = Actor::system();
    let meta = store::series::SeriesMeta {
        name: "IDMC year-end".into(),
        source: "IDMC".into(),
        method: "GRID".into(),
        population_group: None,
        published_on: None,
    };
    let idmc = "Pays,Année,PDI\n#country+code,#date+year,#affected+idps+ind\nMLI,2023,391961\n";
    let file = exchange::InputFile { name: "idmc.csv".into(), bytes: idmc.as_bytes().to_vec() };
    store.import_series_file(&actor, &meta, file, &Default::default()).unwrap();
    let sheet = store.factsheet(&actor, "2024-06-30", None, false).unwrap();
    assert_eq!(sheet.trend.len(), 12);
    assert_eq!(sheet.trend.last().unwrap().0.to_string(), "2024-06-30");
    let french = web::factsheet::pdf(&sheet, domain::messages::Lang::Fr).unwrap();
    let again = web::factsheet::pdf(&sheet, domain::messages::Lang::Fr).unwrap();
    assert!(french.starts_with(b"%PDF"));
    assert_eq!(french, again, "the same inputs give the same document");
    let english = web::factsheet::pdf(&sheet, domain::messages::Lang::En).unwrap();
    let public = store.factsheet(&actor, "2024-06-30", None, true).unwrap();
    assert_eq!(public.disclosure_threshold, Some(store::DEFAULT_DISCLOSURE_THRESHOLD));
    // A small cell hidden somewhere never hides the national trend nor a large région.
    assert!(public.trend.iter().all(|(_, n)| n.is_some()), "{:?}", public.trend);
    assert_eq!(public.trend, sheet.trend);
    assert!(public.by_region.iter().all(|r| r.individuals.is_none_or(|n| n >= store::DEFAULT_DISCLOSURE_THRESHOLD)));
    assert_eq!(
        (public.results_from.to_string(), public.results_to.to_string()),
        ("2024-04-01".into(), "2024-06-30".into())
    );
    assert!(matches!(store.factsheet(&actor, "2024-06-30", Some("NOPE"), false), Err(store::StoreError::Invalid(_))));
    let Some((text, pages)) = read_pdf(&french) else { return };
    assert!((1..=2).contains(&pages), "at most two pages: {pages}\n{text}");
    let text = text.replace('\u{202f}', " ");
    for heading in [
        "Fiche d'information de l'opération",
        "Chiffres clés",
        "Population concernée",
        "Zones d'opération : stock IRIS",
        "Stock IRIS de PDI",
        "Résultats de la période",
        "Cibles du plan",
        "Financement",
        "Budget et dépenses",
        "Présence",
        "Sources",
        "391 961 — IDMC (2023)",
        "30/06/2024",
    ] {
        assert!(text.contains(heading), "{heading} missing from:\n{text}");
    }
    let (text, pages) = read_pdf(&english).unwrap();
    assert!((1..=2).contains(&pages));
    for heading in ["Operation factsheet", "Key figures", "Population of concern", "Funding", "391,961 — IDMC (2023)"]
    {
        assert!(text.contains(heading), "{heading} missing from:\n{text}");
    }
}

#[tokio::test]
async fn the_factsheet_comes_from_the_api_and_the_pages() {
    let t = sqlite();
    let store = &t.store;
    crate::figures::load_synthetic(store, 50);
    let viewer = store.create_user(&Actor::system(), "donor", domain::Role::Viewer, None, "donor password 1").unwrap();
    let viewer = store.verify_login(&viewer.username, "donor password 1").unwrap().unwrap();
    let token = store.create_session(&viewer).unwrap();
    let router = web::router(web::AppState::new(store.clone(), false));
    let get = |uri: String, auth: (header::HeaderName, String)| {
        let router = router.clone();
        async move {
            let request = Request::builder().uri(uri).header(auth.0, auth.1).body(Body::empty()).unwrap();
            let response = router.oneshot(request).await.unwrap();
            let (status, headers) = (response.status(), response.headers().clone());
            (status, headers, response.into_body().collect().await.unwrap().to_bytes().to_vec())
        }
    };
    let bearer = (header::AUTHORIZATION, format!("Bearer {token}"));
    let (status, headers, body) = get("/api/v1/factsheet?as_of=2024-06-30&lang=en".into(), bearer.clone()).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert!(body.starts_with(b"%PDF"));
    let (status, _, body) = get("/api/v1/factsheet?as_of=2024-06-30&format=json".into(), bearer.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        json["disclosure_threshold"],
        serde_json::json!(store::DEFAULT_DISCLOSURE_THRESHOLD),
        "a viewer's is suppressed"
    );
    let (status, _, _) = get("/api/v1/factsheet?lang=de".into(), bearer).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let cookie = (header::COOKIE, format!("djoliba_session={token}"));
    let (status, _, body) = get("/factsheet?as_of=2024-06-30".into(), cookie.clone()).await;
    let page = String::from_utf8_lossy(&body);
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("Fiche d&#39;information de l&#39;opération")
            || page.contains("Fiche d'information de l'opération"),
        "{page}"
    );
    assert!(page.contains("/factsheet/pdf?as_of=2024-06-30") && page.contains("id=\"factsheet-population\""), "{page}");
    let (status, headers, body) = get("/factsheet/pdf?as_of=2024-06-30".into(), cookie).await;
    assert_eq!((status, &headers[header::CONTENT_TYPE]), (StatusCode::OK, &"application/pdf".parse().unwrap()));
    assert!(body.starts_with(b"%PDF"));
}
