//! The HTTP API through the real router: authentication on every route, the registration
//! flow, and the error format for bad requests.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::support::*;

struct Api {
    router: axum::Router,
    _store: TestStore,
}

impl Api {
    fn new() -> Api {
        let t = sqlite();
        let router = web::router(web::AppState::new(t.store.clone(), false));
        Api { router, _store: t }
    }

    async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        self.send(request.body(body).expect("request")).await
    }

    async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.router.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn login_admin(&self) -> String {
        self._store
            .store
            .create_user(&store::Actor::system(), "root", domain::Role::Admin, None, "root password 123")
            .unwrap();
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "root", "password": "root password 123"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_string()
    }
}

#[tokio::test]
async fn the_openapi_document_and_the_access_table_list_the_same_routes() {
    let api = Api::new();
    let (_, doc) = api.call(Method::GET, "/api/openapi.json", None, None).await;
    let paths = doc["paths"].as_object().expect("paths");
    let documented: std::collections::BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, operations)| {
            operations.as_object().unwrap().keys().map(move |m| (m.to_uppercase(), path.clone()))
        })
        .collect();
    let state = web::AppState::new(api._store.store.clone(), false);
    let ruled: std::collections::BTreeSet<(String, String)> = web::access_table(&state)
        .into_iter()
        .filter(|r| !r.page && r.path != "/api/openapi.json")
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    assert_eq!(documented, ruled, "every API route is documented and has an access rule");
    assert!(documented.len() >= 45, "{}", documented.len());
    let (status, _) = api.call(Method::GET, "/api/v1/households", Some(&"0".repeat(64)), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an unknown token");
}

#[tokio::test]
async fn a_registrar_registers_a_household_with_members_and_three_movements() {
    let api = Api::new();
    let admin = api.login_admin().await;
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/organisations",
            Some(&admin),
            Some(json!({"code": "NRC", "name": "Norwegian Refugee Council"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = api.call(Method::POST, "/api/v1/users", Some(&admin), Some(json!({"username": "clerk", "role": "registrar", "organisation": "NRC", "password": "clerk password 1"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, login) = api
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "clerk", "password": "clerk password 1"})),
        )
        .await;
    let clerk = login["token"].as_str().unwrap().to_string();

    let input = serde_json::to_value(household("HH-API-1")).unwrap();
    let (status, created) = api.call(Method::POST, "/api/v1/households", Some(&clerk), Some(input)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["movements"].as_array().unwrap().len(), 3);
    assert_eq!(created["household"]["status"], "returned");
    assert_eq!(created["members"][1]["sex"], "f");
    let id = created["household"]["id"].as_str().unwrap();

    let (status, page) =
        api.call(Method::GET, "/api/v1/households?status=returned&location=ML06&limit=10", Some(&clerk), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["total"], 1);
    let (status, detail) = api.call(Method::GET, &format!("/api/v1/households/{id}"), Some(&clerk), None).await;
    assert_eq!((status, detail["summary"]["pendular_visits"].clone()), (StatusCode::OK, json!(1)));

    // A fourth movement: displaced again after the return.
    let again =
        json!({"kind": "displacement", "date": "2024-05-20", "to": "ML070101", "cause": "intercommunal_violence"});
    let (status, _) =
        api.call(Method::POST, &format!("/api/v1/households/{id}/movements"), Some(&clerk), Some(again)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, detail) = api.call(Method::GET, &format!("/api/v1/households/{id}"), Some(&clerk), None).await;
    assert_eq!(detail["household"]["status"], "displaced");
    assert_eq!(detail["household"]["displacement_count"], 2);

    // A return before any displacement, for a new household: refused, naming the events.
    let mut bad = serde_json::to_value(household("HH-API-2")).unwrap();
    bad["movements"] = json!([{"kind": "return", "date": "2023-01-01", "to": "ML060101"}, {"kind": "displacement", "date": "2023-02-01", "to": "ML070101", "cause": "flood"}]);
    let (status, error) = api.call(Method::POST, "/api/v1/households", Some(&clerk), Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["code"], "inconsistent_chronology");
    assert_eq!(error["error"]["chronology"]["conflicting_event"], "movements[1]");

    // Viewers read but do not write.
    api.call(
        Method::POST,
        "/api/v1/users",
        Some(&admin),
        Some(json!({"username": "donor", "role": "viewer", "password": "donor password 1"})),
    )
    .await;
    let (_, login) = api
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "donor", "password": "donor password 1"})),
        )
        .await;
    let viewer = login["token"].as_str().unwrap().to_string();
    let (status, _) = api
        .call(
            Method::POST,
            "/api/v1/households",
            Some(&viewer),
            Some(serde_json::to_value(household("HH-API-3")).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The same family registered again under another number: the API checks like the form.
    // Held: nothing saved, the likely member named by id.
    let mut twice = serde_json::to_value(household("HH-API-4")).unwrap();
    twice["registration_date"] = json!("2024-06-01");
    let (status, held) =
        api.call(Method::POST, "/api/v1/households?if_likely_duplicates=hold", Some(&clerk), Some(twice.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{held}");
    assert_eq!(held["error"]["code"], "likely_duplicates");
    let likely = held["error"]["likely_duplicates"].as_array().unwrap();
    assert!(!likely.is_empty());
    assert!(likely.iter().all(|l| created["members"].as_array().unwrap().iter().any(|m| m["id"] == l["person"]["id"])));
    let (_, page) = api.call(Method::GET, "/api/v1/households?external_id=HH-API-4", Some(&clerk), None).await;
    assert_eq!(page["total"], 0, "a held registration saves nothing");
    // By default: saved, and the pairs queued for review.
    let (status, saved) = api.call(Method::POST, "/api/v1/households", Some(&clerk), Some(twice)).await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["likely_duplicates"].as_array().unwrap().len(), likely.len());
    assert!(likely.iter().all(|l| l["likely"] == true), "{held}");
    let (_, queue) = api.call(Method::GET, "/api/v1/duplicates", Some(&clerk), None).await;
    assert_eq!(queue.as_array().unwrap().len(), likely.len(), "{queue}");
    // The check was used, has learnt from no decision yet, and says so.
    let (status, check) = api.call(Method::GET, "/api/v1/duplicates/status", Some(&clerk), None).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check, json!({"indexed": true, "decisions_learnt": 0, "relearning": false}));
    let (status, wrong) =
        api.call(Method::POST, "/api/v1/households?if_likely_duplicates=maybe", Some(&clerk), Some(json!({}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}");

    let (status, _) = api.call(Method::POST, "/api/v1/auth/logout", Some(&clerk), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api.call(Method::GET, "/api/v1/households", Some(&clerk), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_requests_get_the_api_error_format() {
    let api = Api::new();
    let token = api.login_admin().await;
    let send_raw = |body: &'static str, content_type: &'static str| {
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/households")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(body))
            .unwrap()
    };
    let (status, body) = api.send(send_raw("{not json", "application/json")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_input")));
    assert!(body["error"]["message"].as_str().unwrap().contains("not valid JSON"), "{body}");
    let (status, _) = api.send(send_raw("{}", "text/plain")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, body) = api.send(send_raw("{\"external_id\": \"x\"}", "application/json")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["message"].as_str().unwrap().contains("missing field `registration_point`"), "{body}");
    let big = format!("{{\"external_id\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/households")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(big))
        .unwrap();
    let (status, body) = api.send(request).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")));
    let (status, body) = api.call(Method::GET, "/api/v1/households/nope", Some(&token), None).await;
    assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (status, body) =
        api.call(Method::GET, "/api/v1/households?registered_from=yesterday", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "registered_from");
    let (status, body) = api.call(Method::GET, "/api/v1/households?limit=lots", Some(&token), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = api.call(Method::GET, "/api/v1/locations?q=segou&level=1", Some(&token), None).await;
    assert_eq!((status, body[0]["pcode"].as_str()), (StatusCode::OK, Some("ML04")));
}

#[tokio::test]
async fn files_upload_with_a_report_and_download() {
    let api = Api::new();
    let token = api.login_admin().await;
    api._store
        .store
        .create_organisation(&store::Actor::system(), "IOM", "International Organization for Migration")
        .unwrap();
    let upload = |csv: &str, query: &str| {
        let boundary = "XBOUNDARYX";
        let body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/all.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n");
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/v1/imports{query}"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap()
    };
    let csv = "record,household_id,organisation,registration_point,registration_date,population_group,person_id,given_name,family_name\nhousehold,H1,IOM,ML070101,2024-01-01,IDP,,,\nperson,H1,,,,,P1,Awa,Touré\nperson,H1,,,,,P2,Ali,\n";
    let (status, report) = api.send(upload(csv, "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    assert_eq!(report["errors"][0]["file"], "all.csv", "the upload's path is never used");
    assert_eq!(
        (report["errors"][0]["row"].clone(), report["errors"][0]["column"].clone()),
        (json!(4), json!("family_name"))
    );
    let fixed = csv.replace("P2,Ali,", "P2,Ali,Touré");
    let (status, report) = api.send(upload(&fixed, "?dry_run=true")).await;
    assert_eq!((status, report["dry_run"].clone(), report["people"].clone()), (StatusCode::OK, json!(true), json!(2)));
    let (status, report) = api.send(upload(&fixed, "")).await;
    assert_eq!((status, report["summary"]["people"]["created"].clone()), (StatusCode::OK, json!(2)), "{report}");
    let request = Request::builder()
        .uri("/api/v1/exports/registry?format=csv&table=people")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = api.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("H1,P1,Awa,Touré"), "{text}");
    let request = Request::builder()
        .uri("/api/v1/imports/template")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = api.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    assert!(bytes.starts_with(b"PK"), "an XLSX workbook");
}

#[tokio::test]
async fn figures_and_solutions_over_http() {
    let api = Api::new();
    let token = api.login_admin().await;
    api.call(Method::POST, "/api/v1/organisations", Some(&token), Some(json!({"code": "NRC", "name": "NRC"}))).await;
    let input = domain::registry::HouseholdInput { organisation: Some("NRC".into()), ..household("HH-FIG") };
    let (_, created) =
        api.call(Method::POST, "/api/v1/households", Some(&token), Some(serde_json::to_value(input).unwrap())).await;
    let id = created["household"]["id"].as_str().unwrap().to_string();
    let (status, stock) =
        api.call(Method::GET, "/api/v1/figures/stock?as_of=2024-06-01&level=1&group=IDP", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{stock}");
    assert_eq!(stock["households"][0]["place"], "ML06");
    assert_eq!(stock["households"][0]["individuals"], 2);
    let (status, decision) = api
        .call(
            Method::POST,
            &format!("/api/v1/households/{id}/solutions"),
            Some(&token),
            Some(json!({"decided_on": "2024-05-15", "basis": "IASC criteria", "decided_by": "committee"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{decision}");
    let (_, stock) =
        api.call(Method::GET, "/api/v1/figures/stock?as_of=2024-06-01&level=1&group=IDP", Some(&token), None).await;
    assert_eq!(stock["households"].as_array().unwrap().len(), 0, "{stock}");
    let (status, flows) =
        api.call(Method::GET, "/api/v1/figures/flows?from=2023-01-01&to=2024-06-30&level=2", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{flows}");
    assert_eq!(flows["accounts"][0]["outflows_by_kind"]["solution"], 2);
    let request = Request::builder()
        .uri("/api/v1/figures/stock?as_of=2024-01-01&level=2&format=csv")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = api.router.clone().oneshot(request).await.unwrap();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with("#date+reported,#meta+population_group,#adm1+code,#adm1+name,#adm2+code"), "{text}");
    assert!(lines[2].starts_with("2024-01-01,IDP,ML07,Gao,ML0701,Ansongo,1,2,2,0"), "{text}");
    let (status, error) = api.call(Method::GET, "/api/v1/figures/stock?level=9", Some(&token), None).await;
    assert_eq!(
        (status, error["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("level"))
    );
}

#[tokio::test]
async fn external_series_upload_and_comparison_over_http() {
    let api = Api::new();
    let token = api.login_admin().await;
    let upload = |csv: &str| {
        let boundary = "SERIESBOUNDARY";
        let body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cmp.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n");
        Request::builder()
            .method(Method::POST)
            .uri("/api/v1/series?name=CMP%20March&source=CMP&method=commune%20lists&date=2024-03-31")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap()
    };
    let (status, outcome) = api.send(upload("Region,IDP\n#adm1+name,#affected+idps+ind\nMénaka,120\nKidall,4\n")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{outcome}");
    assert_eq!(outcome["report"]["unmatched"][0]["row"], 4);
    assert!(
        outcome["report"]["unmatched"][0]["expected"].as_str().unwrap().contains("closest: Kidal (ML08)"),
        "{outcome}"
    );
    let (status, outcome) = api.send(upload("Region,IDP\n#adm1+name,#affected+idps+ind\nMénaka,120\nKidal,4\n")).await;
    assert_eq!(status, StatusCode::CREATED, "{outcome}");
    let (_, series) = api.call(Method::GET, "/api/v1/series", Some(&token), None).await;
    assert_eq!(series[0]["name"], "CMP March");
    let (status, comparison) =
        api.call(Method::GET, "/api/v1/figures/comparison?as_of=2024-04-01&level=1", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{comparison}");
    let menaka = comparison["rows"].as_array().unwrap().iter().find(|r| r["place"] == "ML10").unwrap();
    assert_eq!(
        (
            menaka["registered"].clone(),
            menaka["series"][0]["individuals"].clone(),
            menaka["series"][0]["coverage"].clone()
        ),
        (json!(null), json!(120), json!(null)),
        "nobody registered in Ménaka: not covered, which is not a coverage of 0"
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_secure_behind_tls() {
    let api = Api::new();
    api.login_admin().await;
    for (proto, secure) in [(None, false), (Some("https"), true)] {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/auth/login")
            .header("content-type", "application/json");
        if let Some(proto) = proto {
            request = request.header("x-forwarded-proto", proto);
        }
        let body = Body::from(json!({"username": "root", "password": "root password 123"}).to_string());
        let response = api.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        assert_eq!(cookie.contains("; Secure"), secure, "{cookie}");
    }
}

#[tokio::test]
async fn api_tokens_are_scoped_expire_and_are_revoked_at_once() {
    let api = Api::new();
    let store = &api._store.store;
    let clerk = registrar(store);
    let session = store.create_session(&clerk).unwrap();
    let (status, read) = api
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(&session),
            Some(json!({"name": "dashboard", "scope": "read", "days": 30})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{read}");
    let read_token = read["token"].as_str().unwrap().to_string();
    assert!(read_token.starts_with("djt_"));
    let (status, _) = api.call(Method::GET, "/api/v1/households", Some(&read_token), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .call(
            Method::POST,
            "/api/v1/households",
            Some(&read_token),
            Some(serde_json::to_value(household("HH-T")).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("may only read"));

    let (_, write) =
        api.call(Method::POST, "/api/v1/tokens", Some(&session), Some(json!({"name": "sync", "scope": "write"}))).await;
    let write_token = write["token"].as_str().unwrap().to_string();
    let (status, body) = api
        .call(
            Method::POST,
            "/api/v1/households",
            Some(&write_token),
            Some(serde_json::to_value(household("HH-T")).unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Listing shows no secret; the database holds only hashes.
    let (_, listed) = api.call(Method::GET, "/api/v1/tokens", Some(&session), None).await;
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains(&read_token[4..]));
    let stored = store
        .db
        .read(|tx| {
            tx.query_int("SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1", store::params![read_token.as_str()])
        })
        .unwrap();
    assert_eq!(stored, 0);

    // Revoked: refused at once. Someone else's token is not found.
    let id = read["id"].as_str().unwrap();
    let other = registrar(store);
    let other_session = store.create_session(&other).unwrap();
    let (status, _) = api.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&other_session), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = api.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&session), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = api.call(Method::GET, "/api/v1/households", Some(&read_token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Expired: refused.
    store.db.write(|tx| tx.execute("UPDATE api_tokens SET expires_at = 1", store::params![])).unwrap();
    let (status, _) = api.call(Method::GET, "/api/v1/households", Some(&write_token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A viewer's token can only read; a read token cannot make tokens.
    store.create_user(&store::Actor::system(), "donor", domain::Role::Viewer, Some("NRC"), "donor password 1").unwrap();
    let donor = store.verify_login("donor", "donor password 1").unwrap().unwrap();
    let donor_session = store.create_session(&donor).unwrap();
    let (status, _) = api
        .call(Method::POST, "/api/v1/tokens", Some(&donor_session), Some(json!({"name": "x", "scope": "write"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn injection_in_every_filter_and_traversal_in_uploads_get_nowhere() {
    let api = Api::new();
    let store = &api._store.store;
    let clerk = registrar(store);
    let input = household("HH-INJ").parse(store.gazetteer.as_ref(), store.today()).unwrap();
    store.register_household(&clerk, &input).unwrap();
    // An outsider sees nothing, whatever they put in a filter.
    let outsider = other_registrar(store);
    let token = store.create_session(&outsider).unwrap();
    let (_, doc) = api.call(Method::GET, "/api/openapi.json", None, None).await;
    let attacks = [
        "' OR '1'='1",
        "1; DROP TABLE people; --",
        "%' OR 1=1 --",
        "ML07' UNION SELECT username FROM users --",
        "\\'; --",
    ];
    let mut tried = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let Some(get) = operations.get("get") else { continue };
        if path.contains('{') {
            continue;
        }
        for parameter in get["parameters"].as_array().into_iter().flatten().filter(|p| p["in"] == "query") {
            let name = parameter["name"].as_str().unwrap();
            for attack in attacks {
                let query = serde_urlencoded::to_string([(name, attack)]).unwrap();
                let (status, body) = api.call(Method::GET, &format!("{path}?{query}"), Some(&token), None).await;
                assert!(!status.is_server_error(), "GET {path}?{name}={attack}: {status} {body}");
                if status.is_success() && path.ends_with("/households") {
                    assert_eq!(body["total"], 0, "{path}?{name}={attack} leaked records");
                }
                tried += 1;
            }
        }
    }
    assert!(tried >= 100, "{tried} attacks");
    let people = store.db.read(|tx| tx.query_int("SELECT COUNT(*) FROM people", store::params![])).unwrap();
    assert_eq!(people, 2, "the tables are intact");

    // A file name with a path is reduced to its last part, and nothing is written elsewhere.
    let clerk_token = store.create_session(&clerk).unwrap();
    let boundary = "XBOUNDARY";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../../../tmp/evil.csv\"\r\nContent-Type: text/csv\r\n\r\nhousehold_id,registration_point\r\nH1,NOWHERE\r\n--{boundary}--\r\n"
    );
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/imports?dry_run=true")
        .header("authorization", format!("Bearer {clerk_token}"))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(Body::from(body))
        .unwrap();
    let (status, report) = api.send(request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{report}");
    let named: Vec<&str> = report["errors"].as_array().unwrap().iter().map(|e| e["file"].as_str().unwrap()).collect();
    assert!(named.iter().all(|f| *f == "evil.csv"), "{named:?}");
    assert!(!std::path::Path::new("/tmp/evil.csv").exists());
}

/// The audit log filtered by user, action and days; a date that is not one is named.
#[tokio::test]
async fn the_audit_log_is_filtered_by_user_action_and_days() {
    let api = Api::new();
    let token = api.login_admin().await;
    let clerk = registrar(&api._store.store);
    let household =
        household("GAO-AUDIT").parse(api._store.store.gazetteer.as_ref(), api._store.store.today()).unwrap();
    api._store.store.register_household(&clerk, &household).unwrap();
    let (status, rows) = api.call(Method::GET, "/api/v1/audit?user=root&action=sign_in", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{rows}");
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["action"] == "sign_in" && r["actor"] == "root"), "{rows:?}");
    let uri = format!("/api/v1/audit?user={}&action=register", clerk.username);
    let (_, rows) = api.call(Method::GET, &uri, Some(&token), None).await;
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    let (_, rows) = api.call(Method::GET, &format!("{uri}&from=2999-01-01"), Some(&token), None).await;
    assert_eq!(rows.as_array().map(Vec::len), Some(0), "{rows}");
    let (_, rows) = api.call(Method::GET, &format!("{uri}&from=1999-01-01&to=2999-12-31"), Some(&token), None).await;
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    let (status, error) = api.call(Method::GET, "/api/v1/audit?from=31/02/2024", Some(&token), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error.to_string().contains("from"), "{error}");
}
