//! The web pages through the real router: sign-in with its CSRF cookie, redirects for
//! anonymous visitors, CSRF on every form, 404 outside scope, language choice, browser
//! protections. The browser tests (`tests/browser`) drive the same pages in Chromium.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::*;

pub(crate) struct Site {
    router: axum::Router,
    pub(crate) t: TestStore,
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) location: String,
    cookies: Vec<String>,
    headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl Site {
    fn new() -> Site {
        Site::on(sqlite())
    }

    /// A server on the database of `t`.
    pub(crate) fn on(t: TestStore) -> Site {
        Site { router: web::router(web::AppState::new(t.store.clone(), false)), t }
    }

    pub(crate) async fn send(&self, method: Method, uri: &str, cookie: Option<&str>, form: Option<&str>) -> Answer {
        let mut request = Request::builder().method(method).uri(uri).header(header::ACCEPT_LANGUAGE, "fr-ML,fr;q=0.9");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let body = match form {
            Some(form) => {
                request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from(form.to_string())
            }
            None => Body::empty(),
        };
        let response = self.router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let cookies =
            headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer { status, location, cookies, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    /// A file upload as a browser sends it: the CSRF token, optional flags, one file.
    async fn upload(&self, uri: &str, cookie: &str, fields: &[(&str, &str)], file: (&str, &str)) -> Answer {
        self.upload_files(uri, cookie, fields, &[file]).await
    }

    /// A form with fields and any number of files (none: a confirmation).
    pub(crate) async fn upload_files(
        &self,
        uri: &str,
        cookie: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str)],
    ) -> Answer {
        let boundary = "djolibaboundary";
        let mut body = String::new();
        for (name, value) in fields {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            ));
        }
        for (name, content) in files {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n"
            ));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::ACCEPT_LANGUAGE, "fr")
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer { status, location, cookies: Vec::new(), headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub(crate) async fn get(&self, uri: &str, cookie: &str) -> Answer {
        self.send(Method::GET, uri, Some(cookie), None).await
    }

    /// Signs in through the form, as a browser does; returns the session cookie.
    pub(crate) async fn sign_in(&self, username: &str, password: &str) -> String {
        let form = self.send(Method::GET, "/login", None, None).await;
        let login_cookie = form.cookies[0].split(';').next().unwrap().to_string();
        let csrf = csrf_of(&form.body);
        let body = format!("username={username}&password={}&csrf={csrf}&next=%2F", password.replace(' ', "+"));
        let answer = self.send(Method::POST, "/login", Some(&login_cookie), Some(&body)).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        answer
            .cookies
            .iter()
            .find(|c| c.starts_with("djoliba_session="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    }
}

pub(crate) fn csrf_of(html: &str) -> String {
    let start = html.find("name=\"csrf\" value=\"").expect("a form with a CSRF token") + 19;
    html[start..start + 64].to_string()
}

fn registration_form(csrf: &str, external_id: &str) -> String {
    [
        ("csrf", csrf),
        ("external_id", external_id),
        ("population_group", "IDP"),
        ("registration_point", "Gao"),
        ("registration_date", "2024-02-01"),
        ("members[0].given_name", "Aminata"),
        ("members[0].family_name", "Maïga"),
        ("members[0].sex", "f"),
        ("members[0].birth_date", "1988"),
        ("members[0].relationship", "head"),
        ("members[0].specific_needs", "disability"),
        ("members[0].specific_needs", "single_parent"),
        ("members[0].id_kind", "national_id"),
        ("members[0].id_number", "1 88 07 123 00045"),
        ("members[1].given_name", ""),
        ("d.date", "2024-01-10"),
        ("d.from", "ML100101"),
        ("d.to", "ML070101"),
        ("d.cause", "armed_conflict"),
    ]
    .iter()
    .map(|(k, v)| format!("{}={}", k, utf8_percent(v)))
    .collect::<Vec<_>>()
    .join("&")
}

fn utf8_percent(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Over a slow link, pages and API answers come compressed to clients that accept gzip; the
/// same bytes once inflated.
#[tokio::test]
async fn answers_come_gzipped_to_clients_that_accept_it() {
    use std::io::Read;
    let site = Site::new();
    let clerk = registrar(&site.t.store);
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    for uri in ["/", "/api/v1/reference/population-groups", "/assets/style.css"] {
        let plain = site.get(uri, &session).await;
        let request = Request::builder()
            .uri(uri)
            .header(header::COOKIE, &session)
            .header(header::ACCEPT_LANGUAGE, "fr")
            .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
            .body(Body::empty())
            .unwrap();
        let response = site.router.clone().oneshot(request).await.unwrap();
        assert_eq!(
            response.headers().get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap()),
            Some("gzip"),
            "{uri}"
        );
        assert!(response.headers().get(header::VARY).is_some_and(|v| v.to_str().unwrap().contains("accept-encoding")));
        let compressed = response.into_body().collect().await.unwrap().to_bytes();
        let mut inflated = String::new();
        flate2::read::GzDecoder::new(&compressed[..]).read_to_string(&mut inflated).unwrap();
        // Pages carry a fresh CSRF token: compare what does not change.
        let strip = |page: &str| page.split("name=\"csrf\"").next().unwrap().to_string();
        assert_eq!(strip(&inflated), strip(&plain.body), "{uri}");
        assert!(compressed.len() * 2 < plain.body.len(), "{uri}: {} → {}", plain.body.len(), compressed.len());
    }
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_and_come_back() {
    let site = Site::new();
    for path in ["/", "/households", "/households/new", "/households/x", "/figures", "/import", "/admin"] {
        let answer = site.send(Method::GET, path, None, None).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
        assert!(answer.location.starts_with("/login?next=%2F"), "{path}: {}", answer.location);
    }
    for path in ["/households/new", "/logout", "/admin/users", "/households/x/movements"] {
        let answer = site.send(Method::POST, path, None, Some("csrf=x")).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "POST {path}");
    }
    let login = site.send(Method::GET, "/login?next=//evil.example", None, None).await;
    assert!(login.body.contains("name=\"next\" value=\"/\""), "only local paths come back");
    assert!(login.cookies[0].contains("HttpOnly") && login.cookies[0].contains("SameSite=Strict"));
}

#[tokio::test]
async fn sign_in_needs_its_form_token_and_a_right_password() {
    let site = Site::new();
    registrar(&site.t.store);
    site.t
        .store
        .create_user(&store::Actor::system(), "awa", domain::Role::Registrar, Some("NRC"), "awa password 1")
        .unwrap();
    let form = site.send(Method::GET, "/login", None, None).await;
    let cookie = form.cookies[0].split(';').next().unwrap().to_string();
    let csrf = csrf_of(&form.body);
    let forged =
        site.send(Method::POST, "/login", Some(&cookie), Some("username=awa&password=awa+password+1&csrf=00")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let wrong = site
        .send(Method::POST, "/login", Some(&cookie), Some(&format!("username=awa&password=nope&csrf={csrf}")))
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("mot de passe erroné"));
    assert!(!wrong.body.contains("nope"), "the password typed is never echoed");
    let session = site.sign_in("awa", "awa password 1").await;
    let dashboard = site.get("/", &session).await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains("Tableau de bord"));
    let logout =
        site.send(Method::POST, "/logout", Some(&session), Some(&format!("csrf={}", csrf_of(&dashboard.body)))).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    assert_eq!(site.get("/", &session).await.status, StatusCode::SEE_OTHER, "the session is over");
}

#[tokio::test]
async fn a_registrar_registers_through_the_form_and_forms_need_the_csrf_token() {
    let site = Site::new();
    let clerk = registrar(&site.t.store);
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let form = site.get("/households/new", &session).await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = csrf_of(&form.body);

    let forged = site
        .send(Method::POST, "/households/new", Some(&session), Some(&registration_form(&"0".repeat(64), "GAO-1")))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let other_session = site.sign_in(&registrar(&site.t.store).username, "correct horse battery").await;
    let other_csrf = csrf_of(&site.get("/households/new", &other_session).await.body);
    let stolen = site
        .send(Method::POST, "/households/new", Some(&session), Some(&registration_form(&other_csrf, "GAO-1")))
        .await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN, "another session's token is refused");
    let none = site.t.store.list_households(&clerk, &Default::default()).unwrap();
    assert_eq!(none.total, 0, "nothing was saved");

    let bad = registration_form(&csrf, "GAO-1").replace("members[0].sex=f", "members[0].sex=x");
    let refused = site.send(Method::POST, "/households/new", Some(&session), Some(&bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(refused.body.contains("Membre 1 · Sexe"), "{}", refused.body);
    assert!(refused.body.contains("l&#39;une des valeurs f, m"), "the expectation is in French");
    assert!(refused.body.contains("value=\"Aminata\""), "what was typed stays");
    // A document number without digits, as a tired clerk might type a name there.
    let bad =
        registration_form(&csrf, "GAO-1").replace("1+88+07+123+00045", "Maiga").replace("%2088%2007%20123%2000045", "");
    let bad = bad.replace(&utf8_percent("1 88 07 123 00045"), "Maiga");
    let refused = site.send(Method::POST, "/households/new", Some(&session), Some(&bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(refused.body.contains("Membre 1 · Numéro de la pièce"), "{}", form_errors(&refused.body));
    assert!(refused.body.contains("un numéro de document de 3 à 40"), "{}", form_errors(&refused.body));

    let saved =
        site.send(Method::POST, "/households/new", Some(&session), Some(&registration_form(&csrf, "GAO-1"))).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(saved.location.starts_with("/households/") && saved.location.ends_with("?saved=1"));
    let page = site.get(&saved.location, &session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("GAO-1") && page.body.contains("Aminata"));
    assert!(page.body.contains("Handicap") && page.body.contains("Parent seul"), "both needs, from repeated fields");
    assert!(page.body.contains("Déplacement") && page.body.contains("Ansongo (ML070101)"));
    assert!(
        page.body.contains("Carte d&#39;identité (NINA) 1 88 07 123 00045"),
        "the document number, for a registrar"
    );
    let households = site.t.store.list_households(&clerk, &Default::default()).unwrap();
    assert_eq!(households.total, 1);
    assert_eq!(households.items[0].registration_point.pcode, "ML070303", "the commune named Gao, not the région");
}

#[tokio::test]
async fn a_household_outside_the_users_scope_is_not_found() {
    let site = Site::new();
    let clerk = registrar(&site.t.store);
    let input = household("H-1").parse(site.t.store.gazetteer.as_ref(), site.t.store.today()).unwrap();
    let detail = site.t.store.register_household(&clerk, &input).unwrap();
    other_registrar(&site.t.store);
    let outsider = site.sign_in("iom-clerk", OTHER_PASSWORD).await;
    let path = format!("/households/{}", detail.household.id);
    for path in [path.clone(), format!("{path}/edit"), format!("{path}/movements")] {
        let answer = site.get(&path, &outsider).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert!(answer.body.contains("Introuvable") && !answer.body.contains("Aminata"));
    }
    let insider = site.sign_in(&clerk.username, "correct horse battery").await;
    assert_eq!(site.get(&path, &insider).await.status, StatusCode::OK);
}

#[tokio::test]
async fn roles_see_only_the_pages_they_may_use() {
    let site = Site::new();
    registrar(&site.t.store);
    site.t
        .store
        .create_user(&store::Actor::system(), "donor", domain::Role::Viewer, Some("NRC"), "donor password 1")
        .unwrap();
    let viewer = site.sign_in("donor", "donor password 1").await;
    let dashboard = site.get("/", &viewer).await;
    assert!(!dashboard.body.contains("href=\"/households/new\""), "no registration link for a viewer");
    assert!(!dashboard.body.contains("href=\"/admin\""));
    for path in ["/households/new", "/import", "/admin"] {
        assert_eq!(site.get(path, &viewer).await.status, StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn language_follows_the_browser_then_the_choice() {
    let site = Site::new();
    let english = site
        .router
        .clone()
        .oneshot(Request::get("/login").header(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let body = english.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("<html lang=\"en\">"));
    let french = site.send(Method::GET, "/login", None, None).await;
    assert!(french.body.contains("<html lang=\"fr\">") && french.body.contains("Se connecter"));
    let switch = site.send(Method::GET, "/lang/en?next=%2Flogin", None, None).await;
    assert_eq!(switch.status, StatusCode::SEE_OTHER);
    assert_eq!(switch.location, "/login");
    let chosen = switch.cookies[0].split(';').next().unwrap().to_string();
    let page = site.send(Method::GET, "/login", Some(&chosen), None).await;
    assert!(page.body.contains("Sign in"), "the cookie wins over the browser's French");
    let elsewhere = site.send(Method::GET, "/lang/fr?next=https://evil.example", None, None).await;
    assert_eq!(elsewhere.location, "/");
}

#[tokio::test]
async fn pages_carry_browser_protections_and_unknown_paths_answer_in_kind() {
    let site = Site::new();
    let login = site.send(Method::GET, "/login", None, None).await;
    let csp = login.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(login.headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
    let page = site.send(Method::GET, "/no/such/page", None, None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("<html"));
    let api = site.send(Method::GET, "/api/v1/no-such-route", None, None).await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert!(api.body.starts_with('{'), "{}", api.body);
    let css = site.send(Method::GET, "/assets/style.css", None, None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers.get(header::CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("text/css"));
}

#[tokio::test]
async fn the_dashboard_and_figures_show_registered_people() {
    let site = Site::new();
    let clerk = registrar(&site.t.store);
    let input = household("H-1").parse(site.t.store.gazetteer.as_ref(), site.t.store.today()).unwrap();
    site.t.store.register_household(&clerk, &input).unwrap();
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    // Without a date, the dashboard shows the day of the last movement (2024-03-01 here).
    let dashboard = site.get("/", &session).await;
    assert!(dashboard.body.contains("value=\"2024-03-01\""), "defaults to the last event");
    // Dates as a French reader writes them; the three months' flows from their first day.
    assert!(dashboard.body.contains("Chiffres clés au 01/03/2024"), "the date in the French convention");
    assert!(dashboard.body.contains("02/12/2023 → 01/03/2024"), "the period's first and last days");
    assert!(dashboard.body.contains("data-group=\"IDP\""));
    assert!(dashboard.body.contains("<svg") && dashboard.body.contains("role=\"img\""));
    // One household: "1 ménage", not "1 ménages"; a title that is text only.
    let card = dashboard.body.split("data-group=\"IDP\"").nth(1).unwrap().split("</li>").next().unwrap();
    assert!(card.contains(">1 ménage</span>") && card.contains("2</span> personnes"), "{card}");
    assert!(dashboard.body.contains("<title>Tableau de bord · Djoliba</title>"), "the title holds no section");
    // The account: a change with its sign, no sign on 0 ("+0", "−0" read as changes).
    let account = dashboard.body.split("<caption>").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(!account.contains(">+0<") && !account.contains(">−0<"), "{account}");
    // The registry: "1 résultat", the registration day as a French reader writes it.
    let registry = site.get("/households", &session).await;
    assert!(registry.body.contains("1</span> résultat</p>"), "{}", registry.body);
    assert!(registry.body.contains("<td>15/01/2024</td>"), "{}", registry.body);
    let figures = site.get("/figures?as_of=2023-12-31&level=2&group=IDP", &session).await;
    assert_eq!(figures.status, StatusCode::OK);
    assert!(figures.body.contains("id=\"stock-total\">2<"), "two IDPs at the end of 2023");
    // A CSV that French Excel opens in columns, beside the HXL one with commas.
    let href = figures.body.split("<a href=\"").find(|a| a.contains("delimiter=semicolon")).unwrap();
    let href = href.split('"').next().unwrap().replace("&#38;", "&").replace("&amp;", "&");
    assert!(figures.body.contains("CSV pour Excel en français (;)"));
    let csv = site.get(&href, &session).await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut lines = csv.body.trim_start_matches('\u{feff}').lines();
    let (header, tags) = (lines.next().unwrap(), lines.next().unwrap());
    assert!(header.contains(';') && !header.contains(',') && tags.starts_with('#'), "{header}\n{tags}");
    assert!(figures.body.contains("Ansongo (ML0701)"), "{}", &figures.body[figures.body.find("<table").unwrap_or(0)..]);
    let bad = site.get("/figures?as_of=31-12-2023", &session).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("une date AAAA-MM-JJ"), "the error is in French");
}

#[tokio::test]
async fn a_likely_duplicate_is_shown_before_saving_and_can_be_reviewed() {
    let site = Site::new();
    let clerk = registrar(&site.t.store);
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let csrf = csrf_of(&site.get("/households/new", &session).await.body);
    let first =
        site.send(Method::POST, "/households/new", Some(&session), Some(&registration_form(&csrf, "GAO-1"))).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.body);
    // The same woman, registered again elsewhere with her name spelt another way.
    let again = registration_form(&csrf, "MOP-2").replace("Aminata", "Aminatou").replace("Ma%C3%AFga", "Maiga");
    let warned = site.send(Method::POST, "/households/new", Some(&session), Some(&again)).await;
    assert_eq!(warned.status, StatusCode::OK);
    assert!(warned.body.contains("id=\"duplicate-warning\""), "{}", warned.body);
    assert!(warned.body.contains("GAO-1 (NRC)"));
    assert_eq!(site.t.store.list_households(&clerk, &Default::default()).unwrap().total, 1, "nothing saved yet");
    let confirmed =
        site.send(Method::POST, "/households/new", Some(&session), Some(&format!("{again}&confirmed_new=1"))).await;
    assert_eq!(confirmed.status, StatusCode::SEE_OTHER, "{}", confirmed.body);
    let queue = site.get("/duplicates", &session).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("Aminatou") && queue.body.contains("MOP-2"));
    // Field by field: the given names differ, the family names do not (accents aside); both
    // households are shown whole.
    let given = queue.body.find("Prénom").expect("a given-name row");
    assert!(queue.body[given..given + 80].contains("diffère"), "{}", &queue.body[given..given + 80]);
    let family = queue.body.find("Nom de famille").expect("a family-name row");
    assert!(!queue.body[family..family + 60].contains("diffère"));
    assert!(
        queue.body.contains("Son ménage") && queue.body.contains("Aminata Maïga · Chef de ménage"),
        "{}",
        queue.body
    );
    let pair = site.t.store.duplicate_pairs(&clerk, None, 10).unwrap().remove(0);
    // A tired reviewer clicks "same person" without saying why: refused, in French.
    let hasty = site
        .send(
            Method::POST,
            &format!("/duplicates/{}", pair.id),
            Some(&session),
            Some(&format!("csrf={}&decision=accept&reason=", csrf_of(&queue.body))),
        )
        .await;
    assert_eq!(hasty.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", hasty.body);
    assert!(hasty.body.contains("pourquoi ces deux fiches sont une seule personne"), "{}", hasty.body);
    assert_eq!(site.t.store.duplicate_pairs(&clerk, Some("pending"), 10).unwrap().len(), 1);
    let decided = site
        .send(
            Method::POST,
            &format!("/duplicates/{}", pair.id),
            Some(&session),
            Some(&format!("csrf={}&decision=accept&reason=same+card", csrf_of(&queue.body))),
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    assert_eq!(site.t.store.duplicate_pairs(&clerk, Some("accepted"), 10).unwrap().len(), 1);
    let merged = site.get(&format!("/households/{}", pair.b.household_id), &session).await;
    assert!(merged.body.contains("doublon fusionné"), "the later record says it was merged");
    // The check before saving relearns from the decision, and the queue says what it learnt.
    let started = std::time::Instant::now();
    while site.t.store.duplicate_check_status().is_none_or(|s| s.relearning || s.decisions_learnt == 0) {
        assert!(started.elapsed().as_secs() < 60, "{:?}", site.t.store.duplicate_check_status());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let queue = site.get("/duplicates", &session).await;
    assert!(
        queue.body.contains("Décisions d&#39;examen apprises par la vérification avant enregistrement : 1"),
        "{}",
        queue.body
    );
    let forged = site
        .send(Method::POST, &format!("/duplicates/{}", pair.id), Some(&session), Some("csrf=00&decision=undo"))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_user_changes_their_own_password_in_french() {
    let site = Site::new();
    let clerk = registrar(&site.t.store);
    let cookie = site.sign_in(&clerk.username, "correct horse battery").await;
    let page = site.get("/account", &cookie).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Changer de mot de passe"), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let send = |current: &str, new: &str, again: &str| {
        format!(
            "csrf={csrf}&current_password={}&new_password={}&confirm_password={}",
            current.replace(' ', "+"),
            new.replace(' ', "+"),
            again.replace(' ', "+")
        )
    };
    let wrong = site
        .send(
            Method::POST,
            "/account/password",
            Some(&cookie),
            Some(&send("not it", "blue kettle river 8", "blue kettle river 8")),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("votre mot de passe actuel"), "{}", wrong.body);
    let weak = site
        .send(
            Method::POST,
            "/account/password",
            Some(&cookie),
            Some(&send("correct horse battery", "password12", "password12")),
        )
        .await;
    assert!(weak.body.contains("ni courant ni facile à deviner"), "{}", weak.body);
    let mismatch = site
        .send(
            Method::POST,
            "/account/password",
            Some(&cookie),
            Some(&send("correct horse battery", "blue kettle river 8", "blue kettle river 9")),
        )
        .await;
    assert!(mismatch.body.contains("deux fois le même nouveau mot de passe"), "{}", mismatch.body);
    let done = site
        .send(
            Method::POST,
            "/account/password",
            Some(&cookie),
            Some(&send("correct horse battery", "blue kettle river 8", "blue kettle river 8")),
        )
        .await;
    assert_eq!((done.status, done.location.as_str()), (StatusCode::SEE_OTHER, "/login?changed=1"));
    assert_eq!(site.get("/account", &cookie).await.status, StatusCode::SEE_OTHER, "the old session ended");
    site.sign_in(&clerk.username, "blue kettle river 8").await;
}

#[tokio::test]
async fn next_never_leaves_the_site_nor_fails() {
    let site = Site::new();
    for next in ["/%09/evil.example", "/%0a/x", "//evil.example", "/%5Cevil.example", "https://evil.example"] {
        let answer = site.send(Method::GET, &format!("/lang/en?next={next}"), None, None).await;
        assert_eq!((answer.status, answer.location.as_str()), (StatusCode::SEE_OTHER, "/"), "{next}");
    }
    let login = site.send(Method::GET, "/login?next=/%09/evil.example", None, None).await;
    assert!(login.body.contains("name=\"next\" value=\"/\""), "the sign-in form keeps no foreign next");
}

/// The alert block of a form answer, with its HTML entities read back.
fn form_errors(html: &str) -> String {
    let start = html.find("id=\"form-errors\"").expect("an error block");
    let end = start + html[start..].find("</div>").unwrap();
    html[start..end].replace("&#39;", "'").replace("&quot;", "\"").replace("&amp;", "&")
}

/// English words that no French page should show in its errors.
fn english_words(text: &str) -> Vec<String> {
    const ENGLISH: &[&str] = &[
        "the",
        "of",
        "is",
        "and",
        "or",
        "with",
        "must",
        "not",
        "your",
        "this",
        "expected",
        "already",
        "registered",
        "conflicts",
        "happens",
        "while",
        "invalid",
        "shown",
        "missing",
    ];
    let text = text.split('>').map(|part| part.split('<').next().unwrap_or("")).collect::<Vec<_>>().join(" ");
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| ENGLISH.contains(&w.to_ascii_lowercase().as_str()))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn errors_of_every_kind_read_in_french_on_pages() {
    let site = Site::new();
    let clerk = registrar(&site.t.store);
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let csrf = csrf_of(&site.get("/households/new", &session).await.body);
    let saved =
        site.send(Method::POST, "/households/new", Some(&session), Some(&registration_form(&csrf, "GAO-1"))).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let household = saved.location.trim_start_matches("/households/").trim_end_matches("?saved=1").to_string();
    let mut answers = Vec::new();
    // Field errors: a code, dates, a phone, a retired P-code.
    let bad = registration_form(&csrf, "GAO-2")
        .replace("members[0].sex=f", "members[0].sex=x")
        .replace("registration_date=2024-02-01", "registration_date=2024-13-01")
        .replace("members[0].birth_date=1988", "members[0].birth_date=31%2F02%2F1990")
        .replace("d.to=ML070101", "d.to=ML0701099")
        + "&members[0].phone=abc";
    answers.push(("fields", site.send(Method::POST, "/households/new", Some(&session), Some(&bad)).await));
    // A conflict: the household number is taken (saved anyway past the duplicate warning).
    let taken = registration_form(&csrf, "GAO-1") + "&confirmed_new=1";
    answers.push(("conflict", site.send(Method::POST, "/households/new", Some(&session), Some(&taken)).await));
    // A chronology error: displaced again while displaced.
    let again = format!("csrf={csrf}&kind=displacement&date=2024-03-01&to=ML070101&cause=flood");
    let uri = format!("/households/{household}/movements");
    answers.push(("chronology", site.send(Method::POST, &uri, Some(&session), Some(&again)).await));
    // A stale version: someone changed the record meanwhile.
    let stale = format!("csrf={csrf}&registration_date=2024-02-02&reason=visite&expected_version=0");
    let uri = format!("/households/{household}/edit");
    answers.push(("stale version", site.send(Method::POST, &uri, Some(&session), Some(&stale)).await));
    for (what, answer) in &answers {
        assert!(answer.status.is_client_error(), "{what}: {} {}", answer.status, answer.body);
        let errors = form_errors(&answer.body);
        let english = english_words(&errors);
        assert!(english.is_empty(), "{what}: English words {english:?} in {errors}");
    }
    let all: String = answers.iter().map(|(_, a)| form_errors(&a.body)).collect();
    for french in [
        "l'une des valeurs f, m",
        "le 2024-13-01 n'existe pas",
        "des chiffres, espaces, + ou -",
        "le numéro de ménage GAO-1 est déjà enregistré",
        "Déplacement du 2024-03-01 : survient alors que la personne est déjà déplacée",
        "en conflit avec Déplacement du 2024-01-10",
        "la fiche a été modifiée entre-temps",
    ] {
        assert!(all.contains(french), "{french:?} missing from {all}");
    }
}

#[tokio::test]
async fn a_tired_clerks_mistakes_are_said_at_their_field_in_french_and_nothing_is_guessed() {
    let site = Site::new();
    let clerk = registrar(&site.t.store);
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let csrf = csrf_of(&site.get("/households/new", &session).await.body);
    let post = |form: String| {
        let session = session.clone();
        let site = &site;
        async move { site.send(Method::POST, "/households/new", Some(&session), Some(&form)).await }
    };
    let base = registration_form(&csrf, "GAO-1");
    let cases: [(String, &str, &str); 8] = [
        // An age in words is not dropped: it is asked again.
        (format!("{base}&members%5B1%5D.given_name=Awa&members%5B1%5D.family_name=Ma%C3%AFga&members%5B1%5D.estimated_age=sept"), "Membre 2 · Âge estimé", "un âge en années entières"),
        // Bamba is a commune of Gao and one of Mopti: a choice, not a guess.
        (base.replace("registration_point=Gao", "registration_point=Bamba"), "Point d&#39;enregistrement", "« Bamba » en désigne plusieurs (Bamba (ML050501, Koro), Bamba (ML070201, Bourem))"),
        // A misspelt place gets its closest spellings.
        (base.replace("d.to=ML070101", "d.to=Tombouctu"), "vouliez-vous dire", "Tombouctou (ML06)"),
        // A day the calendar does not have.
        (base.replace("registration_date=2024-02-01", "registration_date=31%2F02%2F2024"), "le 31/02/2024 n&#39;existe pas", ""),
        // A household with nobody in it.
        (base.replace("members[0].", "nobody."), "au moins un membre", ""),
        // A negative age.
        (format!("{base}&members%5B1%5D.given_name=Awa&members%5B1%5D.family_name=Ma%C3%AFga&members%5B1%5D.estimated_age=-3"), "Membre 2 · Âge estimé", "un âge en années entières"),
        // A cercle where a commune is asked.
        (base.replace("registration_point=Gao", "registration_point=ML0701"), "Point d&#39;enregistrement", "ML0701 est une région ou un cercle"),
        // A displacement from a place to itself.
        (base.replace("d.from=ML100101", "d.from=ML070101"), "un autre lieu que celui du départ (ML070101)", ""),
    ];
    for (form, first, second) in cases {
        let answer = post(form).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{first}: {:?}", answer.headers.get("location"));
        let errors = form_errors(&answer.body);
        assert!(answer.body.contains(first) && answer.body.contains(second), "{first} / {second}: {errors}");
    }
    assert_eq!(site.t.store.list_households(&clerk, &Default::default()).unwrap().total, 0, "nothing was saved");
    // Written as clerks write it, an age is read.
    let with_age = format!("{base}&members%5B1%5D.given_name=Awa&members%5B1%5D.family_name=Ma%C3%AFga&members%5B1%5D.estimated_age=environ+7");
    let saved = post(with_age).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", form_errors(&saved.body));
    let households = site.t.store.list_households(&clerk, &Default::default()).unwrap();
    let detail = site.t.store.household_detail(&clerk, &households.items[0].id).unwrap();
    assert_eq!(detail.members[1].person.birth_date_precision, Some(domain::DatePrecision::Estimated));

    // Without JavaScript, "add a member" sends the form back as typed, with one more row.
    let more = post(format!("{}&add_member=1", registration_form(&csrf, "GAO-9"))).await;
    assert_eq!(more.status, StatusCode::OK);
    assert!(more.body.contains("value=\"GAO-9\"") && more.body.contains("value=\"Aminata\""), "{}", more.body);
    assert!(more.body.contains("id=\"members[2].given_name\""), "a third row");
    assert!(!more.body.contains("id=\"members[3].given_name\""), "only one more");
    assert!(!more.body.contains("form-errors"), "nothing was checked yet");
    assert_eq!(site.t.store.list_households(&clerk, &Default::default()).unwrap().total, 1, "nor saved");

    // A member whose sex was not given is recorded so, said on the household's page, and
    // counted in a column of their own in the figures (not lost between women and men).
    let no_sex = format!(
        "{}&members%5B1%5D.given_name=Oumar&members%5B1%5D.family_name=Tandina&members%5B1%5D.estimated_age=7+ans",
        registration_form(&csrf, "GAO-2")
            .replace("members[0].sex=f", "members[0].sex=")
            .replace("Aminata", "Kadidia")
            .replace("birth_date=1988", "birth_date=1961")
    );
    assert!(!no_sex.contains("members[0].sex=f"));
    let saved = post(no_sex).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", form_errors(&saved.body));
    let location = saved.headers.get("location").unwrap().to_str().unwrap().to_string();
    let page = site.get(&location, &session).await.body;
    assert!(page.contains("Sexe non précisé"), "{page}");
    let figures = site.get("/figures?level=1&group=IDP", &session).await.body;
    assert!(figures.contains("<th scope=\"col\" class=\"n\">Sexe non précisé</th>"), "{figures}");
}

fn form_of(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", utf8_percent(k), utf8_percent(v))).collect::<Vec<_>>().join("&")
}

/// The id a redirect names after `prefix`.
fn id_after(location: &str, prefix: &str) -> String {
    location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} after {prefix}"))
        .split('?')
        .next()
        .unwrap()
        .into()
}

#[tokio::test]
async fn a_round_is_planned_delivered_and_counted_through_the_pages_in_french() {
    let site = Site::new();
    let clerk = registrar(&site.t.store);
    crate::assistance::displaced(&site.t.store, &clerk, "GAO-1", 4);
    crate::assistance::displaced(&site.t.store, &clerk, "GAO-2", 2);
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let page = site.get("/assistance", &session).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Aucun programme"), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let programme = |code: &str, amount: &str, end: &str| {
        form_of(&[
            ("csrf", csrf.as_str()),
            ("code", code),
            ("name", "Transferts monétaires Gao"),
            ("sector", "SHL"),
            ("kind", "multipurpose_cash"),
            ("target_unit", "household"),
            ("start_date", "2024-01-01"),
            ("end_date", end),
            ("places", "ML07"),
            ("amount", amount),
            ("unit", "XOF"),
            ("per", "household"),
            ("donor", "ECHO"),
            ("eligibility", "Ménages déplacés arrivés en 2024"),
        ])
    };
    // A tired clerk types the currency into the amount and ends the programme before it starts.
    let bad = site
        .send(
            Method::POST,
            "/assistance/programmes",
            Some(&session),
            Some(&programme("CASH-GAO", "25 000 FCFA", "2023-12-31")),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    let errors = form_errors(&bad.body);
    assert!(english_words(&errors).is_empty(), "{errors}");
    assert!(errors.contains("Montant"), "the field is named: {errors}");
    assert!(bad.body.contains("value=\"25 000 FCFA\""), "what was typed stays");
    assert!(site.t.store.list_programmes().unwrap().is_empty(), "nothing was saved");

    let saved = site
        .send(
            Method::POST,
            "/assistance/programmes",
            Some(&session),
            Some(&programme("CASH-GAO", "25 000", "2024-12-31")),
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let programme_id = id_after(&saved.location, "/assistance/programmes/");
    let page = site.get(&saved.location, &session).await;
    assert!(page.body.contains("25\u{202f}000 XOF / ménage"), "the entitlement reads in French numbers: {}", page.body);
    let round =
        form_of(&[("csrf", &csrf), ("name", "Tour 1"), ("start_date", "2024-06-01"), ("end_date", "2024-06-30")]);
    let created = site
        .send(Method::POST, &format!("/assistance/programmes/{programme_id}/cycles"), Some(&session), Some(&round))
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let cycle = created.location.clone();
    let plan = site
        .send(
            Method::POST,
            &format!("{cycle}/plan"),
            Some(&session),
            Some(&form_of(&[("csrf", &csrf), ("population_group", "IDP")])),
        )
        .await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    assert!(plan.body.contains("id=\"plan-result\""), "{}", plan.body);
    for step in ["approved", "distributing"] {
        let moved = site
            .send(
                Method::POST,
                &format!("{cycle}/status"),
                Some(&session),
                Some(&form_of(&[("csrf", &csrf), ("status", step)])),
            )
            .await;
        assert_eq!(moved.status, StatusCode::SEE_OTHER, "{step}: {}", moved.body);
    }
    // The distribution day: find the household, deliver; a unit in the quantity is refused in French.
    let list = site.get(&format!("{cycle}?q=GAO-1"), &session).await;
    assert!(
        list.body.contains("id=\"planned\"") && list.body.contains("GAO-1") && !list.body.contains(">GAO-2<"),
        "{}",
        list.body
    );
    assert!(list.body.contains("value=\"25000\""), "the remaining amount is offered");
    let household = site
        .t
        .store
        .list_households(&clerk, &Default::default())
        .unwrap()
        .items
        .into_iter()
        .find(|h| h.external_id == "GAO-1")
        .unwrap()
        .id;
    let deliver = |quantity: &str| {
        form_of(&[
            ("csrf", &csrf),
            ("household", &household),
            ("q", "GAO-1"),
            ("quantity", quantity),
            ("modality", "mobile_money"),
            ("outcome", "delivered"),
            ("reference", "OM-77"),
        ])
    };
    let refused =
        site.send(Method::POST, &format!("{cycle}/deliveries"), Some(&session), Some(&deliver("5 kits"))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let errors = form_errors(&refused.body);
    assert!(english_words(&errors).is_empty() && errors.contains("Quantité"), "{errors}");
    let too_much =
        site.send(Method::POST, &format!("{cycle}/deliveries"), Some(&session), Some(&deliver("30 000"))).await;
    assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY, "more than the entitlement");
    let done = site.send(Method::POST, &format!("{cycle}/deliveries"), Some(&session), Some(&deliver("25 000"))).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let back = site.get(&done.location, &session).await;
    assert!(back.body.contains("id=\"delivery-saved\"") && back.body.contains("✓"), "{}", back.body);

    // The list for the field, to print and as a workbook; the completed list brought back.
    let workbook = site.get(&format!("{cycle}/list.xlsx"), &session).await;
    assert_eq!(workbook.status, StatusCode::OK);
    assert!(workbook.headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains("liste-distribution"));
    let printed = site.get(&format!("{cycle}/print"), &session).await;
    assert!(printed.body.contains("Signature ou empreinte") && printed.body.contains("GAO-2"), "{}", printed.body);
    let payments = site.get(&format!("{cycle}/payments.csv"), &session).await;
    assert!(payments.body.starts_with("phone,amount,reference"), "{}", payments.body);
    let (_, rows) = site.t.store.distribution_list(&clerk, &id_after(&cycle, "/assistance/cycles/")).unwrap();
    let two = &rows.iter().find(|r| r.household == "GAO-2").unwrap().entitlement;
    let returned = |quantity: &str| {
        format!("code_droit;numero_menage;quantite_remise;date_remise;modalite;resultat;reference\n{two};GAO-2;{quantity};21/06/2024;Argent mobile;Remis;OM-78\n")
    };
    let refused = site
        .upload(&format!("{cycle}/returns"), &session, &[("csrf", &csrf)], ("retour.csv", &returned("25 000 FCFA")))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let said = refused.body.split("id=\"returns-errors\"").nth(1).unwrap().split("</div>").next().unwrap().to_string();
    assert!(said.contains("quantite_remise") && said.contains("Rien n&#39;a été enregistré"), "{said}");
    assert!(english_words(&said).is_empty(), "{said}");
    let checked = site
        .upload(
            &format!("{cycle}/returns"),
            &session,
            &[("csrf", &csrf), ("dry_run", "1")],
            ("retour.csv", &returned("25 000")),
        )
        .await;
    assert!(checked.body.contains("Vérifiée, rien enregistré : 1 remise enregistrée"), "{}", checked.body);
    for (attempt, expected) in [
        (1, "Liste importée : 1 remise enregistrée · 0 déjà enregistrée"),
        (2, "Liste importée : 0 remise enregistrée · 1 déjà enregistrée"),
    ] {
        let done = site
            .upload(&format!("{cycle}/returns"), &session, &[("csrf", &csrf)], ("retour.csv", &returned("25 000")))
            .await;
        assert_eq!(done.status, StatusCode::OK, "{attempt}: {}", done.body);
        assert!(done.body.contains(expected), "{attempt}: {}", done.body);
    }
    let forged = site
        .upload(
            &format!("{cycle}/returns"),
            &session,
            &[("csrf", &"0".repeat(64))],
            ("retour.csv", &returned("25 000")),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    // Monitoring: a sample of those who received, each answer recorded, problems followed up.
    let word = site
        .send(
            Method::POST,
            &format!("{cycle}/samples"),
            Some(&session),
            Some(&form_of(&[("csrf", &csrf), ("method", "random"), ("size", "deux")])),
        )
        .await;
    assert_eq!(word.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", word.body);
    let errors = form_errors(&word.body);
    assert!(errors.contains("Taille") && english_words(&errors).is_empty(), "{errors}");
    let drawn = site
        .send(
            Method::POST,
            &format!("{cycle}/samples"),
            Some(&session),
            Some(&form_of(&[("csrf", &csrf), ("method", "full"), ("size", "")])),
        )
        .await;
    assert_eq!(drawn.status, StatusCode::SEE_OTHER, "{}", drawn.body);
    let sample = site.get(&drawn.location, &session).await;
    assert!(sample.body.contains("2 sur 2 ayant reçu") && sample.body.contains("GAO-2"), "{}", sample.body);
    let answer = |issue: &str| {
        form_of(&[
            ("csrf", &csrf),
            ("household", &household),
            ("answer", "received_with_issues"),
            ("amount_reported", "20 000"),
            ("issue", issue),
            ("date", "29/06/2024"),
        ])
    };
    let refused =
        site.send(Method::POST, &format!("{}/answers", drawn.location), Some(&session), Some(&answer(""))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    let errors = form_errors(&refused.body);
    assert!(errors.contains("Problème") && english_words(&errors).is_empty(), "{errors}");
    assert!(refused.body.contains("value=\"20 000\""), "what was typed stays on its row");
    let saved = site
        .send(Method::POST, &format!("{}/answers", drawn.location), Some(&session), Some(&answer("5 000 retenus")))
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let sample = site.get(&saved.location, &session).await;
    assert!(sample.body.contains("id=\"answer-saved\"") && sample.body.contains("Interrogés 1"), "{}", sample.body);
    let round_page = site.get(&cycle, &session).await;
    let follow_ups = round_page.body.split("id=\"follow-ups\"").nth(1).unwrap_or_else(|| panic!("{}", round_page.body));
    assert!(follow_ups.contains("GAO-1") && follow_ups.contains("Reçu avec problèmes"), "{follow_ups}");
    let iom = other_registrar(&site.t.store);
    let outsider = site.sign_in(&iom.username, OTHER_PASSWORD).await;
    assert_eq!(site.get(&drawn.location, &outsider).await.status, StatusCode::FORBIDDEN);

    // A second cash programme over the same months finds the household already served.
    let saved = site
        .send(
            Method::POST,
            "/assistance/programmes",
            Some(&session),
            Some(&programme("CASH-BIS", "10 000", "2024-12-31")),
        )
        .await;
    let other = id_after(&saved.location, "/assistance/programmes/");
    let created =
        site.send(Method::POST, &format!("/assistance/programmes/{other}/cycles"), Some(&session), Some(&round)).await;
    let second = created.location.clone();
    let plan =
        site.send(Method::POST, &format!("{second}/plan"), Some(&session), Some(&form_of(&[("csrf", &csrf)]))).await;
    assert!(plan.body.contains("id=\"conflicts\"") && plan.body.contains("CASH-GAO"), "{}", plan.body);
    let reason = format!("reason:{household}");
    let overridden = site
        .send(
            Method::POST,
            &format!("{second}/plan"),
            Some(&session),
            Some(&form_of(&[("csrf", &csrf), (&reason, "inondation du 12 juin")])),
        )
        .await;
    assert_eq!(overridden.status, StatusCode::OK, "{}", overridden.body);
    let result = overridden.body.split("id=\"plan-result\"").nth(1).unwrap().split("</p>").next().unwrap();
    assert!(result.contains("· 1 prévu malgré un autre droit"), "{result}");

    // The quarter's reach, each person once, on the assistance page and the dashboard.
    for uri in ["/assistance", "/"] {
        let page = site.get(uri, &session).await;
        let people = page.body.split("id=\"reach-people\">").nth(1).unwrap_or_else(|| panic!("{uri}: {}", page.body));
        assert!(people.starts_with("6<"), "{uri}: the four members of GAO-1 and the two of GAO-2: {people}");
    }
    // Reach downloads as HXL, with the page's session.
    let page = site.get("/assistance", &session).await;
    let href = page
        .body
        .split("id=\"reach-downloads\"")
        .nth(1)
        .unwrap()
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let csv = site.get(&href, &session).await;
    assert_eq!(csv.status, StatusCode::OK, "{href}");
    assert!(csv.body.contains("#reached+ind") && csv.body.contains("multipurpose_cash"), "{}", csv.body);
    // By site: the households live in Gao commune, on no site, and the downloads follow the level.
    let page = site.get("/assistance?from=2024-04-01&to=2024-06-30&level=4", &session).await;
    assert!(page.body.contains("<option value=\"4\" selected>4 — Site</option>"), "{}", page.body);
    assert!(page.body.contains("(ML070101) · Hors site"), "{}", page.body);
    assert!(page.body.contains("level=4&amp;format=csv"), "{}", page.body);
    // A viewer reads programmes but neither counts of a round nor reach.
    let system = store::Actor::system();
    site.t.store.create_user(&system, "bailleur", domain::Role::Viewer, Some("NRC"), "donor password 1").unwrap();
    let donor = site.sign_in("bailleur", "donor password 1").await;
    let page = site.get("/assistance", &donor).await;
    assert!(page.body.contains("CASH-GAO") && page.body.contains("id=\"reach-disclosure\""), "{}", page.body);
    assert!(page.body.contains("id=\"reach-people\">•<"), "two households: too few to publish");
    let page = site.get(&format!("/assistance/programmes/{programme_id}"), &donor).await;
    assert!(page.body.contains("Tour 1") && !page.body.contains("id=\"round-form\""), "{}", page.body);
}

#[tokio::test]
async fn a_plan_is_kept_through_the_pages_in_french_and_its_targets_set_beside_people_reached() {
    let site = Site::new();
    let store = &site.t.store;
    let im = crate::plans::im_officer(store);
    let session = site.sign_in(&im.username, "cluster password 1").await;
    let page = site.get("/plans", &session).await;
    assert!(
        page.body.contains("Aucun plan pour l&#39;instant") && page.body.contains("id=\"plan-form\""),
        "{}",
        page.body
    );
    let csrf = csrf_of(&page.body);
    let plan = |sectors: &str, end: &str| {
        form_of(&[
            ("csrf", csrf.as_str()),
            ("code", "HRP-MLI-2024"),
            ("name", "Plan de réponse humanitaire 2024"),
            ("start_date", "01/01/2024"),
            ("end_date", end),
            ("sectors", sectors),
        ])
    };
    // A sector written in words and a period ending before it starts: each said at its field.
    let bad = site.send(Method::POST, "/plans", Some(&session), Some(&plan("Abris, EDU", "2023-12-31"))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("id=\"sectors-err\"") && bad.body.contains("« ABRIS »"), "{}", bad.body);
    assert!(bad.body.contains("id=\"end_date-err\"") && bad.body.contains("value=\"Abris, EDU\""), "kept as typed");
    let made = site.send(Method::POST, "/plans", Some(&session), Some(&plan("SHL, EDU", "31/12/2024"))).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let uri = made.location.clone();
    // An indicator in items cannot be counted from deliveries.
    let named = |unit: &str, name_fr: &str| {
        form_of(&[
            ("csrf", csrf.as_str()),
            ("code", "SHL-01"),
            ("sector", "SHL"),
            ("name_fr", name_fr),
            ("name_en", "People who received emergency shelter"),
            ("unit", unit),
            ("across_periods", "sum"),
            ("across_places", "sum"),
            ("disaggregations", "sex, age"),
            ("kinds", "kit abri"),
        ])
    };
    let indicator = |unit: &str| named(unit, "Personnes ayant reçu un abri d'urgence");
    let bad = site.send(Method::POST, &format!("{uri}/indicators"), Some(&session), Some(&indicator("items"))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("id=\"kinds-err\"") && bad.body.contains("Djoliba compte des personnes"), "{}", bad.body);
    let ok = site.send(Method::POST, &format!("{uri}/indicators"), Some(&session), Some(&indicator("people"))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // The indicator opens for change, prefilled; a mistake is said at its field, then kept.
    let edit = site.get(&format!("{uri}?edit=SHL-01"), &session).await;
    assert!(
        edit.body.contains("Modifier l&#39;indicateur") && edit.body.contains("placeholder=\"SHL-01\" readonly"),
        "{}",
        edit.body
    );
    assert!(edit.body.contains(&format!("action=\"{uri}/indicators/SHL-01\"")), "{}", edit.body);
    let renamed = |unit: &str| named(unit, "Personnes ayant reçu un kit d'abri d'urgence");
    let bad =
        site.send(Method::POST, &format!("{uri}/indicators/SHL-01"), Some(&session), Some(&renamed("tonnes"))).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("id=\"unit-err\""), "{}", bad.body);
    let changed =
        site.send(Method::POST, &format!("{uri}/indicators/SHL-01"), Some(&session), Some(&renamed("people"))).await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.body);
    assert!(site.get(&uri, &session).await.body.contains("Personnes ayant reçu un kit d&#39;abri d&#39;urgence"));
    let stale = site.get(&format!("{uri}?edit=SHL-99"), &session).await;
    assert!(stale.body.contains("<h3>Nouvel indicateur</h3>"), "a stale link opens the form to add one");
    // Targets: a bad sheet is refused cell by cell, in French; a good one imported once.
    let sheet = "Indicateur,Cercle,Début,Fin,Dans le besoin,Ciblés\n\
                 #indicator+code,#adm2+code,#date+start,#date+end,#inneed,#targeted\n\
                 SHL-01,ML0701,2024-01-01,2024-12-31,4,10\n";
    let bad = site
        .upload(
            &format!("{uri}/targets"),
            &session,
            &[("csrf", &csrf)],
            ("cibles.csv", &sheet.replace(",10\n", ",dix\n")),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body.contains("Rien n&#39;a été importé") && bad.body.contains("un nombre de 0 ou plus"),
        "{}",
        bad.body
    );
    let done = site.upload(&format!("{uri}/targets"), &session, &[("csrf", &csrf)], ("cibles.csv", sheet)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Importé : 1 ajoutée"), "{}", done.body);
    // Five people of Gao receive shelter kits: reached 5 of 10, more displaced than in need.
    let clerk = registrar(store);
    crate::assistance::displaced(store, &clerk, "GAO-1", 5);
    let kits =
        store.create_programme(&clerk, &crate::assistance::programme("KITS", "shelter_kit", "household")).unwrap();
    let round = store.create_cycle(&clerk, &kits.id, &crate::assistance::round("Juin")).unwrap();
    store.plan_cycle(&clerk, &round.id, &store::assistance::PlanFilter::default()).unwrap();
    store.advance_cycle(&clerk, &round.id, "approved").unwrap();
    store.advance_cycle(&clerk, &round.id, "distributing").unwrap();
    store.record_delivery(&clerk, &round.id, &crate::assistance::delivery("GAO-1", "10 000")).unwrap();
    let page = site.get(&uri, &session).await;
    let table = page.body.split("id=\"progress-table\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(table.contains("Ansongo (ML0701)") && table.contains("Ensemble du plan"), "{table}");
    assert!(table.contains("<td class=\"n\">5</td><td class=\"n\">—</td><td class=\"n\">50 %</td>"), "{table}");
    assert!(table.contains("Le registre compte plus de personnes déplacées"), "{table}");
    assert!(page.body.contains("<td>Sexe, Tranche d&#39;âge</td><td>Kit d&#39;abri</td>"), "{}", page.body);
    // In English, the same page speaks English.
    let english = site.get(&format!("{uri}?lang=en"), &format!("{session}; djoliba_lang=en")).await;
    assert!(english.body.contains("Targets and reached") && english.body.contains("Whole plan"), "{}", english.body);
    // A registrar reads plans but keeps none; a viewer sees reached for the whole plan only.
    let clerk_session = site.sign_in(&clerk.username, "correct horse battery").await;
    let page = site.get(&uri, &clerk_session).await;
    assert!(page.status == StatusCode::OK && !page.body.contains("id=\"indicator-form\""), "{}", page.body);
    let refused = site.send(Method::POST, "/plans", Some(&clerk_session), Some(&plan("SHL", "2024-12-31"))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    store
        .create_user(&store::Actor::system(), "bailleur", domain::Role::Viewer, Some("NRC"), "donor password 1")
        .unwrap();
    let donor = site.sign_in("bailleur", "donor password 1").await;
    let page = site.get(&uri, &donor).await;
    assert!(page.body.contains("id=\"progress-disclosure\""), "{}", page.body);
    let table = page.body.split("id=\"progress-table\"").nth(1).unwrap().split("</table>").next().unwrap();
    assert!(table.contains("<td class=\"n\">•</td>") && table.contains("<td class=\"n\">5</td>"), "{table}");
}

#[tokio::test]
async fn a_partner_submits_a_monthly_report_and_the_coordinator_sends_it_back_then_accepts_it() {
    let site = Site::new();
    let store = &site.t.store;
    let im = crate::plans::im_officer(store);
    let plan = store.create_plan(&im, &crate::plans::hrp()).unwrap();
    let water = domain::plans::IndicatorInput {
        code: "WSH-01".into(),
        sector: "SHL".into(),
        name_fr: "Points d'eau réhabilités".into(),
        name_en: "Water points rehabilitated".into(),
        unit: "items".into(),
        ..Default::default()
    };
    store.create_indicator(&im, &plan.id, &water).unwrap();
    let partner = other_registrar(store);
    let session = site.sign_in(&partner.username, OTHER_PASSWORD).await;
    let uri = format!("/plans/{}", plan.id);
    let page = site.get(&uri, &session).await;
    assert!(page.body.contains("id=\"report-form\"") && !page.body.contains("id=\"indicator-form\""), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let report = |month: &str, value: &str| {
        form_of(&[
            ("csrf", csrf.as_str()),
            ("indicator", "WSH-01"),
            ("place", "ML0701"),
            ("month", month),
            ("value", value),
            ("female", ""),
            ("male", ""),
        ])
    };
    // June is not over (the test clock stands at 2024-06-30); "quatre" is no number.
    let early =
        site.send(Method::POST, &format!("{uri}/reports"), Some(&session), Some(&report("2024-06", "quatre"))).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", early.body);
    assert!(early.body.contains("id=\"month-err\"") && early.body.contains("un mois terminé"), "{}", early.body);
    assert!(early.body.contains("id=\"value-err\"") && early.body.contains("value=\"quatre\""), "{}", early.body);
    let sent = site.send(Method::POST, &format!("{uri}/reports"), Some(&session), Some(&report("2024-05", "4"))).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let page = site.get(&sent.location, &session).await;
    assert!(page.body.contains("id=\"report-submitted\"") && page.body.contains("<td>Soumis</td>"), "{}", page.body);
    assert!(!page.body.contains("class=\"inline-form review-form\""), "a partner does not review");
    // The coordinator sends it back, a comment needed, then accepts the corrected one.
    let coordinator = site.sign_in(&im.username, "cluster password 1").await;
    let page = site.get(&uri, &coordinator).await;
    let id = page.body.split("action=\"/reports/").nth(1).unwrap().split('/').next().unwrap().to_string();
    let csrf = csrf_of(&page.body);
    let review = |decision: &str, comment: &str| {
        form_of(&[("csrf", csrf.as_str()), ("plan", plan.id.as_str()), ("decision", decision), ("comment", comment)])
    };
    let bare = site
        .send(Method::POST, &format!("/reports/{id}/review"), Some(&coordinator), Some(&review("send_back", "")))
        .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.body.contains("un commentaire qui dit quoi corriger"), "{}", bare.body);
    let back = site
        .send(
            Method::POST,
            &format!("/reports/{id}/review"),
            Some(&coordinator),
            Some(&review("send_back", "Joindre la liste des points")),
        )
        .await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let page = site.get(&uri, &session).await;
    assert!(page.body.contains("<td>Renvoyé</td><td>Joindre la liste des points</td>"), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let again = form_of(&[
        ("csrf", csrf.as_str()),
        ("indicator", "WSH-01"),
        ("place", "ML0701"),
        ("month", "2024-05"),
        ("value", "3"),
    ]);
    assert_eq!(
        site.send(Method::POST, &format!("{uri}/reports"), Some(&session), Some(&again)).await.status,
        StatusCode::SEE_OTHER
    );
    let page = site.get(&uri, &coordinator).await;
    let csrf = csrf_of(&page.body);
    let review =
        form_of(&[("csrf", csrf.as_str()), ("plan", plan.id.as_str()), ("decision", "accept"), ("comment", "")]);
    let accepted = site.send(Method::POST, &format!("/reports/{id}/review"), Some(&coordinator), Some(&review)).await;
    assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
    let page = site.get(&uri, &coordinator).await;
    assert!(page.body.contains("<td>Accepté</td>"), "{}", page.body);
    // Locked: the partner cannot change it.
    let locked = site
        .send(Method::POST, &format!("{uri}/reports"), Some(&session), Some(&again.replace("value=3", "value=9")))
        .await;
    assert_eq!(locked.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", locked.body);
    assert!(locked.body.contains("verrouillé"), "{}", locked.body);
}

#[tokio::test]
async fn the_4w_and_the_funding_page_take_partners_sheets_in_french() {
    use crate::funding::{FIVE_W, FLOWS, REQUIREMENTS};
    let site = Site::new();
    let store = &site.t.store;
    let im = crate::plans::im_officer(store);
    store.create_plan(&im, &crate::plans::hrp()).unwrap();
    let session = site.sign_in(&im.username, "cluster password 1").await;
    let page = site.get("/funding", &session).await;
    assert!(page.body.contains("Aucun besoin ni flux") && page.body.contains("id=\"funding-form\""), "{}", page.body);
    let csrf = csrf_of(&page.body);
    // A euro amount without its rate: refused, the cell named, in French, nothing written.
    let bad = FLOWS.replace("0.92,F-1", ",F-1");
    let refused = site.upload("/funding", &session, &[("csrf", &csrf)], ("fts.csv", &bad)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("exchangeRate") && refused.body.contains("un taux pour EUR"), "{}", refused.body);
    for (name, sheet) in [("fts.csv", FLOWS), ("besoins.csv", REQUIREMENTS)] {
        let done = site.upload("/funding", &session, &[("csrf", &csrf)], (name, sheet)).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert!(done.body.contains("id=\"sheet-result\""), "{}", done.body);
    }
    let plain = |text: &str| text.replace(['\u{202f}', '\u{a0}'], " ");
    let page = site.get("/funding?year=2024", &session).await;
    let body = plain(&page.body);
    assert!(body.contains("HRP-MLI-2024") && body.contains("3 300 000 USD"), "{body}");
    assert!(body.contains("900 000 USD") && body.contains("27 %"), "{body}");
    assert!(body.contains("Non spécifié") && body.contains("id=\"cost-table\""), "{body}");

    let page = site.get("/who-what-where?from=2024-04-01&to=2024-06-30", &session).await;
    assert!(page.body.contains("id=\"no-activities\""), "{}", page.body);
    let done = site.upload("/who-what-where", &session, &[("csrf", &csrf)], ("5w.csv", FIVE_W)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let page = site.get("/who-what-where?from=2024-04-01&to=2024-06-30&level=1", &session).await;
    assert!(page.body.contains("Feuille 3W/5W importée") && page.body.contains("AMSS"), "{}", page.body);
    assert!(page.body.contains("id=\"presence-table\"") && plain(&page.body).contains("1 200"), "{}", page.body);
    // An office with its staff: a word where a number goes is named at its field, in French.
    let office = |national: &str| {
        format!("csrf={csrf}&organisation=NRC&kind=sub_office&name=Gao&place=Gao&national_staff={national}&international_staff=2")
    };
    let refused = site.send(Method::POST, "/who-what-where/offices", Some(&session), Some(&office("vingt"))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("Personnel national : « vingt » — un effectif de 0 à 100"), "{}", refused.body);
    assert!(refused.body.contains("value=\"vingt\""), "what was typed is kept");
    let done = site.send(Method::POST, "/who-what-where/offices", Some(&session), Some(&office("20"))).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = site.get("/who-what-where", &session).await;
    assert!(page.body.contains("id=\"offices-table\"") && page.body.contains("Sous-bureau"), "{}", page.body);
    assert!(
        plain(&page.body).contains("1 bureau · 20 personnel national · 2 personnel international"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn published_series_are_imported_compared_inspected_and_removed_through_the_pages_in_french() {
    fn national_typo() -> &'static str {
        "Pays,Année,PDI\n#country+code,#date+year,#affected+idps+ind\nMLI,2021,380000\n"
    }
    let site = Site::new();
    let store = &site.t.store;
    let im = crate::plans::im_officer(store);
    let session = site.sign_in(&im.username, "cluster password 1").await;
    let page = site.get("/series", &session).await;
    assert!(page.body.contains("Aucune série importée") && page.body.contains("id=\"series-form\""), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let fields = |name: &'static str| {
        vec![("csrf", csrf.clone()), ("name", name.to_string()), ("source", "IDMC".into()), ("method", "GRID".into())]
    };
    let as_pairs = |f: &[(&'static str, String)]| f.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    // A mistyped attribute: refused at its column, in French, with what it most likely meant.
    let typo = "Pays,Année,PDI,Femmes\n#country+code,#date+year,#affected+idps+ind,#affected+idps+female\nMLI,2023,391961,200000\n";
    let pairs = as_pairs(&fields("IDMC"));
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let without_method: Vec<(&str, &str)> = refs.iter().filter(|(k, _)| *k != "method").copied().collect();
    let refused = site.upload("/series", &session, &without_method, ("idmc.csv", national_typo())).await;
    assert!(refused.body.contains("Méthode : un texte"), "{}", refused.body);
    let refused = site.upload("/series", &session, &refs, ("idmc.csv", typo)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body.contains("vouliez-vous écrire +f"), "{}", refused.body);
    assert!(refused.body.contains("value=\"IDMC\""), "what was typed is kept");
    // A place that is not in the gazetteer: named in French with the closest names.
    let unknown = "Région,Date,PDI\n#adm1+name,#date+reported,#affected+idps+ind\nKidall,2024-03-31,4\n";
    let refused = site.upload("/series", &session, &refs, ("cmp.csv", unknown)).await;
    assert!(refused.body.contains("aucune unité admin 1 nommée « Kidall »"), "{}", refused.body);
    assert!(refused.body.contains("les plus proches : Kidal (ML08)"), "{}", refused.body);
    let national = "Pays,Année,PDI\n#country+code,#date+year,#affected+idps+ind\nMLI,2022,412000\nMLI,2023,391961\n";
    let done = site.upload("/series", &session, &refs, ("idmc.csv", national)).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.body.contains("Série enregistrée : « IDMC » · Version 1"), "{}", done.body);
    let plain = |text: &str| text.replace(['\u{202f}', '\u{a0}'], " ");
    let page = site.get("/series?as_of=2024-06-30&level=0&group=IDP", &session).await;
    let body = plain(&page.body);
    assert!(body.contains("id=\"comparison-table\"") && body.contains("391 961"), "{body}");
    assert!(body.contains("non couvert"), "nobody registered: not covered, not 0 — {body}");
    assert!(body.contains("Population concernée, Mali") && !body.contains("412 000 — IDMC (2022)"), "{body}");
    assert!(body.contains("391 961 — IDMC (2023)") && body.contains("PDI retournées (DTM, HCR)"), "{body}");
    let id = store.list_series().unwrap()[0].id.clone();
    let detail = site.get(&format!("/series/{id}"), &session).await;
    assert!(detail.body.contains("31/12/2023") && detail.body.contains("Mali (ML)"), "{}", detail.body);
    assert!(detail.body.contains("en vigueur"), "{}", detail.body);
    let removed =
        site.send(Method::POST, &format!("/series/{id}/remove"), Some(&session), Some(&format!("csrf={csrf}"))).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(store.list_series().unwrap().is_empty());
    let audit = store.audit_entries(&store::Actor::system(), 50, 0).unwrap();
    assert!(audit.iter().any(|e| e.action == "remove_series"), "removal is audited");
}

/// An administrator changes a clerk's account from the Administration page: role, régions,
/// status and password at once; a weak password is refused at its field in French and
/// nothing else changes; every change is in the audit log, in French.
#[tokio::test]
async fn an_administrator_changes_an_account_on_the_administration_page() {
    let site = Site::new();
    let store = &site.t.store;
    store.create_user(&store::Actor::system(), "chef", domain::Role::Admin, None, "chef password 2026").unwrap();
    let clerk = registrar(store);
    let session = site.sign_in("chef", "chef password 2026").await;
    let csrf = csrf_of(&site.get("/admin", &session).await.body);
    let form = |extra: &str| format!("csrf={csrf}&username={}{extra}", clerk.username);
    let refused = site
        .send(Method::POST, "/admin/users/change", Some(&session), Some(&form("&role=viewer&password=court")))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(english_words(&form_errors(&refused.body)).is_empty(), "{}", form_errors(&refused.body));
    let user =
        |store: &store::Store| store.list_users().unwrap().into_iter().find(|u| u.username == clerk.username).unwrap();
    assert_eq!(user(store).role, domain::Role::Registrar, "nothing changed");
    let done = site
        .send(
            Method::POST,
            "/admin/users/change",
            Some(&session),
            Some(&form("&role=viewer&regions=ML07&status=disabled&password=une+phrase+assez+longue")),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let changed = user(store);
    assert_eq!(
        (changed.role, changed.regions.clone(), changed.disabled),
        (domain::Role::Viewer, vec!["ML07".to_string()], true)
    );
    let page = site.get(&format!("/admin?changed={}", clerk.username), &session).await;
    assert!(page.body.contains("id=\"account-changed\""), "{}", page.body);
    let log = site.get("/audit", &session).await;
    for action in ["Rôle modifié", "Régions modifiées", "Compte désactivé", "Mot de passe réinitialisé"] {
        assert!(log.body.contains(action), "{action} in {}", log.body);
    }
    // Enabled again, with all régions.
    site.send(Method::POST, "/admin/users/change", Some(&session), Some(&form("&status=active&all_regions=1"))).await;
    let changed = user(store);
    assert!(!changed.disabled && changed.regions.is_empty(), "{changed:?}");
    // An administrator cannot take their own role away.
    let own = format!("csrf={csrf}&username=chef&role=viewer");
    let refused = site.send(Method::POST, "/admin/users/change", Some(&session), Some(&own)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    // A sharing agreement set on the page, its level in French; one with itself is refused.
    store.create_organisation(&store::Actor::system(), "IOM", "International Organization for Migration").unwrap();
    let agreement = |from: &str, to: &str| format!("csrf={csrf}&from={from}&to={to}&level=aggregates");
    let refused = site.send(Method::POST, "/admin/agreements", Some(&session), Some(&agreement("NRC", "NRC"))).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(english_words(&form_errors(&refused.body)).is_empty(), "{}", form_errors(&refused.body));
    let set = site.send(Method::POST, "/admin/agreements", Some(&session), Some(&agreement("NRC", "IOM"))).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    assert_eq!(store.agreements().unwrap().len(), 1);
    let page = site.get("/admin", &session).await;
    assert!(page.body.contains("Chiffres agrégés seulement"), "{}", page.body);
}

/// The registration receipt a clerk prints for the family: its number, where and when it was
/// registered, its members; no phone, document number or protection need; in French.
#[tokio::test]
async fn a_household_gets_a_printable_registration_receipt_without_protection_data() {
    let site = Site::new();
    let store = &site.t.store;
    let clerk = registrar(store);
    let mut input = household("GAO-RECU");
    input.members[0].phone = Some("76123456".into());
    input.members[0].specific_needs = vec!["woman_at_risk".into()];
    input.members[0].identifiers =
        vec![domain::identifiers::IdentifierInput { kind: "national_id".into(), number: "98765432101234".into() }];
    let id = store
        .register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap())
        .unwrap()
        .household
        .id;
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let page = site.get(&format!("/households/{id}"), &session).await;
    assert!(page.body.contains(&format!("/households/{id}/receipt")), "the household page links to it");
    let receipt = site.get(&format!("/households/{id}/receipt"), &session).await;
    assert_eq!(receipt.status, StatusCode::OK, "{}", receipt.body);
    for text in
        ["Reçu d&#39;enregistrement", "GAO-RECU", "Aminata Maïga", "Fatoumata Maïga", "Chef de ménage", "Délivré par"]
    {
        assert!(receipt.body.contains(text), "{text} in {}", receipt.body);
    }
    for hidden in ["76123456", "98765432101234", "risque", "woman_at_risk"] {
        assert!(!receipt.body.contains(hidden), "{hidden} on the receipt");
    }
    // Outside the reader's scope: not found.
    let other = site.get("/households/00000000-0000-7000-8000-000000000000/receipt", &session).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

/// From a household's page, a registrar voids a movement recorded by mistake (with its reason)
/// and records a solutions decision; mistakes are said in French and change nothing.
#[tokio::test]
async fn a_registrar_voids_a_movement_and_records_a_solution_on_the_household_page() {
    let site = Site::new();
    let store = &site.t.store;
    let clerk = registrar(store);
    let input = household("GAO-VOID").parse(store.gazetteer.as_ref(), store.today()).unwrap();
    let detail = store.register_household(&clerk, &input).unwrap();
    let id = detail.household.id.clone();
    let movement = detail.movements.iter().find(|m| m.kind.as_str() == "return").unwrap().id.clone();
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let page = site.get(&format!("/households/{id}"), &session).await;
    let csrf = csrf_of(&page.body);
    assert!(page.body.contains(&format!("/households/{id}/movements/{movement}/void")), "{}", page.body);
    let void = |reason: &str| format!("csrf={csrf}&reason={reason}");
    let refused = site
        .send(Method::POST, &format!("/households/{id}/movements/{movement}/void"), Some(&session), Some(&void("")))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(english_words(&refused.body).is_empty(), "{}", refused.body);
    let done = site
        .send(
            Method::POST,
            &format!("/households/{id}/movements/{movement}/void"),
            Some(&session),
            Some(&void("saisi+deux+fois")),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let after = store.household_detail(&clerk, &id).unwrap();
    assert!(after.movements.iter().find(|m| m.id == movement).unwrap().voided);
    let page = site.get(&format!("/households/{id}"), &session).await;
    assert!(page.body.contains("class=\"voided\""), "{}", page.body);
    assert!(page.body.contains("annulé : <span class=\"void-reason\">saisi deux fois</span>"), "why it was voided");
    // A solutions decision: a wrong date is named, then the decision is recorded.
    let solution = |date: &str| {
        format!("csrf={csrf}&person=&decided_on={date}&basis=enqu%C3%AAte+d%27intentions&decided_by=CMP+Gao")
    };
    let refused = site
        .send(Method::POST, &format!("/households/{id}/solutions"), Some(&session), Some(&solution("31/02/2024")))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(english_words(&refused.body).is_empty(), "{}", refused.body);
    assert!(store.household_detail(&clerk, &id).unwrap().solutions.is_empty());
    let done = site
        .send(Method::POST, &format!("/households/{id}/solutions"), Some(&session), Some(&solution("2024-05-02")))
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = site.get(&format!("/households/{id}"), &session).await;
    assert!(page.body.contains("CMP Gao") && page.body.contains("enquête d&#39;intentions"), "{}", page.body);
    // Its status says it left the IDP stock, beside what its movements say.
    assert!(page.body.contains("solution durable (hors du stock de PDI) depuis le 02/05/2024"), "{}", page.body);
}

/// The figures page counts the flows of any period, with their stock-and-flow account and
/// downloads; a period that ends before it starts is said in French.
#[tokio::test]
async fn the_figures_page_counts_the_flows_of_any_period_with_downloads() {
    let site = Site::new();
    let store = &site.t.store;
    let clerk = registrar(store);
    store
        .register_household(&clerk, &household("GAO-FLUX").parse(store.gazetteer.as_ref(), store.today()).unwrap())
        .unwrap();
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let page = site.get("/figures?level=1&group=IDP&from=2023-06-01&to=2023-06-30", &session).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"period-flows-table\"") && page.body.contains("Déplacement"), "{}", page.body);
    assert!(page.body.contains("id=\"period-account\""), "{}", page.body);
    // The period starts on its first day: the displacement of 10 June counts.
    let start = page.body.find("id=\"period-flows-table\"").unwrap();
    assert!(page.body[start..].contains(">2<"), "two people displaced: {}", &page.body[start..]);
    let link = page.body[start.saturating_sub(2000)..]
        .split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&"))
        .find(|href| href.contains("table=flows"))
        .expect("a CSV of the flows");
    let csv = site.get(&link, &session).await;
    assert_eq!(csv.status, StatusCode::OK, "{link}: {}", csv.body);
    assert!(csv.body.contains("#affected"), "{}", csv.body);
    let refused = site.get("/figures?level=1&group=IDP&from=2024-06-30&to=2024-01-01", &session).await;
    assert!(refused.body.contains("id=\"flows-error\"") && refused.body.contains("postérieure"), "{}", refused.body);
}

/// The registry list downloads as shown: the households a place or a name finds, with their
/// people and movements, in the import format; not the whole registry.
#[tokio::test]
async fn the_registry_list_downloads_as_filtered() {
    let site = Site::new();
    let store = &site.t.store;
    let clerk = registrar(store);
    // Two households back in Tombouctou (ML06) after their displacement, one still in Mopti.
    let register = |number: &str, given: &str, to_mopti: bool| {
        let mut input = household(number);
        input.members[0].given_name = given.into();
        if to_mopti {
            input.movements.truncate(1);
            input.movements[0].to = Some("ML050101".into());
        }
        store.register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
    };
    register("GAO-EXP-1", "Assétou", false);
    register("GAO-EXP-2", "Kadiatou", false);
    register("MOP-EXP-3", "Assétou", true);
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let downloads = |page: &str| -> Vec<String> {
        let start = page.find("id=\"list-downloads\"").unwrap_or_else(|| panic!("downloads of the list: {page}"));
        page[start..page[start..].find("</p>").unwrap() + start]
            .split("href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&"))
            .collect()
    };
    let by_place = site.get("/households?place=ML06", &session).await;
    let csv = downloads(&by_place.body).into_iter().find(|h| h.contains("table=households")).unwrap();
    let file = site.get(&csv, &session).await;
    assert_eq!(file.status, StatusCode::OK, "{csv}: {}", file.body);
    assert!(file.body.contains("GAO-EXP-1") && file.body.contains("GAO-EXP-2"), "{}", file.body);
    assert!(!file.body.contains("MOP-EXP-3"), "the list's place only: {}", file.body);
    let by_name = site.get("/households?q=Assetou", &session).await;
    let csv = downloads(&by_name.body).into_iter().find(|h| h.contains("table=people")).unwrap();
    let file = site.get(&csv, &session).await;
    assert!(file.body.contains("Assétou") && !file.body.contains("Kadiatou"), "{}", file.body);
}

/// From a household's page, a registrar adds a member and corrects one, each with a reason the
/// history keeps; mistakes are said at their field in French and change nothing.
#[tokio::test]
async fn a_registrar_adds_and_corrects_a_member_with_a_reason_in_french() {
    let site = Site::new();
    let store = &site.t.store;
    let clerk = registrar(store);
    let mut input = household("GAO-MEMB");
    input.members[0].identifiers = vec![
        domain::identifiers::IdentifierInput { kind: "national_id".into(), number: "98765432101234".into() },
        domain::identifiers::IdentifierInput { kind: "unhcr".into(), number: "123-45678901".into() },
    ];
    input.members[0].other_spellings = vec!["Aminatou".into()];
    let detail =
        store.register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
    let id = detail.household.id.clone();
    let head = detail.members[0].person.id.clone();
    let session = site.sign_in(&clerk.username, "correct horse battery").await;
    let page = site.get(&format!("/households/{id}"), &session).await;
    assert!(page.body.contains(&format!("/households/{id}/members/new")), "{}", page.body);
    assert!(page.body.contains(&format!("/households/{id}/members/{head}/edit")));
    let csrf = csrf_of(&page.body);
    let post = |path: String, form: String| {
        let session = session.clone();
        let site = &site;
        async move { site.send(Method::POST, &path, Some(&session), Some(&form)).await }
    };
    let added = |reason: &str, relationship: &str| {
        form_of(&[
            ("csrf", &csrf),
            ("members[0].given_name", "Oumar"),
            ("members[0].family_name", "Maïga"),
            ("members[0].sex", "m"),
            ("members[0].estimated_age", "environ 4"),
            ("members[0].relationship", relationship),
            ("reason", reason),
        ])
    };
    // Without a reason, then as a second head: said at the field, in French; nothing added.
    let refused = post(format!("/households/{id}/members/new"), added("", "child")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errors = form_errors(&refused.body);
    assert!(errors.contains("Motif"), "{errors}");
    assert!(english_words(&errors).is_empty(), "{errors}");
    assert!(refused.body.contains("value=\"Oumar\""), "what was typed stays");
    let refused = post(format!("/households/{id}/members/new"), added("oubli", "head")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("id=\"members[0].relationship-err\""), "{}", form_errors(&refused.body));
    assert_eq!(store.household_detail(&clerk, &id).unwrap().members.len(), 2);
    let saved = post(format!("/households/{id}/members/new"), added("né avant l'enregistrement", "child")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", form_errors(&saved.body));
    let after = store.household_detail(&clerk, &id).unwrap();
    assert_eq!(after.members.len(), 3);
    assert_eq!(after.household.version, detail.household.version + 1, "the household has a new version");
    let history = store.household_history(&clerk, &id).unwrap();
    assert!(history.iter().any(|v| v.reason == "né avant l'enregistrement"), "{history:?}");

    // Correcting the head's name keeps what the form does not show.
    let form = site.get(&format!("/households/{id}/members/{head}/edit"), &session).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"Aminata\"") && form.body.contains("value=\"98765432101234\""), "{}", form.body);
    let version = store.person(&clerk, &head).unwrap().version;
    assert!(form.body.contains(&format!("name=\"expected_version\" value=\"{version}\"")), "{}", form.body);
    let corrected = |version: i64| {
        form_of(&[
            ("csrf", &csrf),
            ("expected_version", &version.to_string()),
            ("members[0].given_name", "Aminatou"),
            ("members[0].family_name", "Maïga"),
            ("members[0].sex", "f"),
            ("members[0].birth_date", "1988"),
            ("members[0].relationship", "head"),
            ("members[0].id_kind", "national_id"),
            ("members[0].id_number", "98765432101234"),
            ("reason", "prénom mal orthographié"),
        ])
    };
    // Someone else corrected her meanwhile: a conflict, said in French, nothing overwritten.
    let mut meanwhile = input.members[0].clone();
    meanwhile.phone = Some("76000000".into());
    store
        .update_person(&clerk, &head, &meanwhile.parse(store.gazetteer.as_ref(), store.today()).unwrap(), "téléphone")
        .unwrap();
    let stale = post(format!("/households/{id}/members/{head}/edit"), corrected(version)).await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(stale.body.contains("modifiée entre-temps"), "{}", form_errors(&stale.body));
    assert_eq!(store.person(&clerk, &head).unwrap().given_name, "Aminata");
    let saved = post(format!("/households/{id}/members/{head}/edit"), corrected(version + 1)).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", form_errors(&saved.body));
    let person = store.person(&clerk, &head).unwrap();
    assert_eq!(person.given_name, "Aminatou");
    assert_eq!(person.identifiers.len(), 2, "the second number is kept");
    assert_eq!(person.other_spellings, ["Aminatou"]);
    // Someone else's member through this household's address: not found.
    let elsewhere =
        site.get(&format!("/households/{id}/members/00000000-0000-7000-8000-000000000000/edit"), &session).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);

    // Oumar was added by mistake: removed with why. The head stays; so does the last member.
    let oumar = after.members.iter().find(|m| m.person.given_name == "Oumar").unwrap().person.id.clone();
    let stock = |store: &store::Store| -> u64 {
        let report = store.stock_figures(&store::Actor::system(), "2024-06-30", 1, None).unwrap();
        report.stock.cells.iter().map(|c| c.individuals).sum()
    };
    let counted = stock(store);
    let remove = |person: &str, reason: &str| {
        post(format!("/households/{id}/members/{person}/remove"), form_of(&[("csrf", &csrf), ("reason", reason)]))
    };
    let refused = remove(&oumar, "").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(english_words(&refused.body).is_empty() && refused.body.contains("motif"), "{}", refused.body);
    let refused = remove(&head, "erreur").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("le chef de ménage reste"), "{}", refused.body);
    let done = remove(&oumar, "inscrit dans le mauvais ménage").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let now = store.household_detail(&clerk, &id).unwrap();
    assert_eq!(now.members.len(), 2);
    assert_eq!(stock(store), counted - 1, "the figures leave the removed member out");
    let history = store.household_history(&clerk, &id).unwrap();
    assert!(history.iter().any(|v| v.reason == "inscrit dans le mauvais ménage"), "the history keeps why");
    let filter = store::registry::PersonFilter { q: Some("Oumar".into()), ..Default::default() };
    assert_eq!(store.list_people(&clerk, &filter).unwrap().total, 0, "a removed member is not listed");
    let again = remove(&oumar, "encore").await;
    assert!(again.body.contains("celui-ci en a été retiré"), "{}", again.body);
    // A member added after a removal gets a number of their own, not the removed one's.
    let readded = post(format!("/households/{id}/members/new"), added("arrivé chez eux", "child")).await;
    assert_eq!(readded.status, StatusCode::SEE_OTHER, "{}", form_errors(&readded.body));
    let numbers: Vec<Option<String>> =
        store.household_detail(&clerk, &id).unwrap().members.iter().map(|m| m.person.external_id.clone()).collect();
    assert_eq!(numbers.last().unwrap().as_deref(), Some("4"), "{numbers:?}");
    let visit = domain::registry::MovementInput {
        kind: "pendular_visit".into(),
        date: "2024-05-01".into(),
        to: Some("ML060101".into()),
        ..Default::default()
    };
    let visit = visit.parse(store.gazetteer.as_ref(), store.today()).unwrap();
    let moved = store.record_movement(&clerk, &id, Some(&oumar), &visit);
    assert!(matches!(moved, Err(store::StoreError::Invalid(_))), "a removed member moves no more");
    let second = now.members.iter().find(|m| m.person.id != head).unwrap().person.id.clone();
    store.remove_member(&clerk, &id, &second, "parti").unwrap();
    let last = store.remove_member(&clerk, &id, &head, "parti");
    assert!(matches!(last, Err(store::StoreError::Invalid(_))), "the head, and the last member, stay");
}
