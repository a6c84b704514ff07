//! Regression tests of attacks found by an adversarial review: each performs the attack.

use store::registry::{HouseholdFilter, PersonFilter};
use store::{Actor, StoreError};

use crate::support::{household, other_registrar, registrar, stores};

/// A reader under a pseudonymised agreement renamed a person of their own organisation and
/// watched where it sorted among the pseudonymised ones: a binary search recovered names.
#[test]
fn pseudonymised_people_never_sort_by_their_hidden_names() {
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let nrc = registrar(store);
        let iom = other_registrar(store);
        let mut theirs = household("IOM-CASE-9");
        theirs.members[0].given_name = "Mariam".into();
        theirs.members[1].family_name = "Coulibaly".into();
        store.register_household(&iom, &theirs.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        store.set_agreement(&system, "IOM", "NRC", "pseudonymised").unwrap();
        let ours = store
            .register_household(&nrc, &household("NRC-1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let probe = ours.members[0].person.id.clone();
        let mut orders = Vec::new();
        for name in ["Aaron", "Maïga", "Mariam", "Zz"] {
            let mut renamed = crate::support::member("P1", name, "head", "1985");
            renamed.family_name = name.into();
            store
                .update_person(&nrc, &probe, &renamed.parse(store.gazetteer.as_ref(), store.today()).unwrap(), "probe")
                .unwrap();
            let listed = store.list_people(&nrc, &PersonFilter::default()).unwrap();
            let position = listed.items.iter().position(|p| p.id == probe).unwrap();
            let hidden: Vec<usize> =
                listed.items.iter().enumerate().filter(|(_, p)| p.given_name == "Personne").map(|(i, _)| i).collect();
            assert_eq!(hidden.len(), 2, "{}", t.backend);
            assert!(hidden.iter().all(|&i| i > position), "{}: {name} sorted among hidden records", t.backend);
            orders.push(listed.items.iter().map(|p| p.id.clone()).filter(|id| id != &probe).collect::<Vec<_>>());
        }
        assert!(orders.windows(2).all(|w| w[0] == w[1]), "{}: the hidden records' order moved", t.backend);
        // Their case number is not a search key for the reader.
        let by_number = store
            .list_households(&nrc, &HouseholdFilter { external_id: Some("IOM-CASE-9".into()), ..Default::default() })
            .unwrap();
        assert_eq!(by_number.total, 0, "{}", t.backend);
    }
}

/// A household read through a pseudonymised agreement shows its solutions decisions like its
/// movements (they used to be read with the change scope, so the reader saw none).
#[test]
fn solutions_are_read_with_their_household() {
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let nrc = registrar(store);
        let iom = other_registrar(store);
        let theirs = store
            .register_household(&iom, &household("IOM-S1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let decision = store::figures::SolutionInput {
            decided_on: "2024-05-01".into(),
            basis: "IASC criteria".into(),
            decided_by: "durable solutions working group".into(),
        };
        store.record_solution(&iom, &theirs.household.id, None, &decision).unwrap();
        store.set_agreement(&system, "IOM", "NRC", "pseudonymised").unwrap();
        let seen = store.household_detail(&nrc, &theirs.household.id).unwrap();
        assert_eq!(seen.solutions.len(), 1, "{}", t.backend);
        assert!(matches!(
            store.record_solution(&nrc, &theirs.household.id, None, &decision),
            Err(StoreError::NotFound(_))
        ));
    }
}

/// Version history returned old and new phones and protection-related needs to roles that may
/// not see them on the record.
#[test]
fn history_is_redacted_as_the_record() {
    for t in stores() {
        let store = &t.store;
        let admin = Actor::system();
        let clerk = registrar(store);
        let detail = store
            .register_household(&clerk, &household("HH-H1").parse(store.gazetteer.as_ref(), store.today()).unwrap())
            .unwrap();
        let child = detail.members[1].person.id.clone();
        store.create_user(&admin, "caseworker2", domain::Role::Protection, Some("NRC"), "caseworker password").unwrap();
        store.create_user(&admin, "analyst2", domain::Role::ImOfficer, Some("NRC"), "analyst password 1").unwrap();
        let caseworker = store.verify_login("caseworker2", "caseworker password").unwrap().unwrap();
        let analyst = store.verify_login("analyst2", "analyst password 1").unwrap().unwrap();
        let mut changed = crate::support::member("P2", "Fatoumata", "child", "2015-03-02");
        changed.specific_needs = vec!["unaccompanied_child".into(), "disability".into()];
        changed.phone = Some("+223 66 12 34 56".into());
        store
            .update_person(
                &caseworker,
                &child,
                &changed.parse(store.gazetteer.as_ref(), store.today()).unwrap(),
                "visit",
            )
            .unwrap();
        let text = |actor: &Actor| {
            let one = serde_json::to_string(&store.history(actor, "person", &child).unwrap()).unwrap();
            let all = serde_json::to_string(&store.household_history(actor, &detail.household.id).unwrap()).unwrap();
            one + &all
        };
        let full = text(&caseworker);
        assert!(full.contains("unaccompanied_child") && full.contains("66 12 34 56"), "{}", t.backend);
        let analyst_sees = text(&analyst);
        assert!(!analyst_sees.contains("unaccompanied_child"), "{}: {analyst_sees}", t.backend);
        assert!(!analyst_sees.contains("66 12"), "{}", t.backend);
        assert!(analyst_sees.contains("disability"), "what the analyst may see stays");
        let clerk_sees = text(&clerk);
        assert!(!clerk_sees.contains("unaccompanied_child") && clerk_sees.contains("66 12 34 56"), "{}", t.backend);
    }
}

/// A registrar limited to Gao imported a file naming a Ménaka household by its number: the
/// household was updated (names, phone, a member added) though it answered 404 to them.
#[test]
fn an_import_never_reaches_a_household_outside_the_users_regions() {
    use exchange::{Encoding, ImportOptions, InputFile};
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let clerk = registrar(store);
        let mut menaka = household("MNK-0001");
        menaka.registration_point = "ML100101".into();
        menaka.members.truncate(1);
        menaka.movements = vec![domain::registry::MovementInput {
            from: Some("ML060101".into()),
            ..crate::support::movement("displacement", "2023-06-10", "ML100101")
        }];
        let theirs =
            store.register_household(&clerk, &menaka.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        store.create_user(&system, "gao-office", domain::Role::Registrar, Some("NRC"), "gao office pass").unwrap();
        store.set_user_regions(&system, "gao-office", &["ML07".into()]).unwrap();
        let gao = store.verify_login("gao-office", "gao office pass").unwrap().unwrap();
        let files = || {
            vec![
                InputFile {
                    name: "households.csv".into(),
                    bytes: b"household_id,registration_point,registration_date,population_group\nMNK-0001,ML070101,2024-01-15,IDP\n".to_vec(),
                },
                InputFile {
                    name: "people.csv".into(),
                    bytes: b"household_id,person_id,given_name,family_name,sex,birth_date,relationship,phone\nMNK-0001,P1,Awa,Traore,f,1985,head,+223 70 99 99 99\nMNK-0001,P9,Intrus,Traore,m,1990,child,\n".to_vec(),
                },
            ]
        };
        let options = ImportOptions { encoding: Encoding::Auto, dry_run: false };
        let report = store.import_files(&gao, files(), options, &mut |_, _, _| {}).unwrap();
        assert!(report.summary.is_none(), "{}: nothing written", t.backend);
        assert_eq!(report.errors.len(), 1, "{}", t.backend);
        assert_eq!(
            (report.errors[0].file.as_str(), report.errors[0].column.as_str()),
            ("households.csv", "household_id")
        );
        let after = store.household_detail(&clerk, &theirs.household.id).unwrap();
        assert_eq!(after.members.len(), 1, "{}: no member added", t.backend);
        assert_eq!(after.members[0].person.given_name, "Aminata");
        assert_eq!(after.household.version, theirs.household.version);
    }
}

/// A région-scoped change that moves a household out of the user's régions was committed,
/// then answered 404: it is refused before anything is written.
#[test]
fn a_change_that_would_leave_the_users_regions_is_refused_before_writing() {
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        let clerk = registrar(store);
        let mut input = household("GAO-1");
        input.movements.truncate(1);
        let gao_household =
            store.register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
        store.create_user(&system, "gao-2", domain::Role::Registrar, Some("NRC"), "gao office pass").unwrap();
        store.set_user_regions(&system, "gao-2", &["ML07".into()]).unwrap();
        let gao = store.verify_login("gao-2", "gao office pass").unwrap().unwrap();
        let away = crate::support::movement("secondary_displacement", "2024-02-01", "ML050101")
            .parse(store.gazetteer.as_ref(), store.today())
            .unwrap();
        let refused = store.record_movement(&gao, &gao_household.household.id, None, &away);
        assert!(matches!(refused, Err(StoreError::Invalid(_))), "{}: {refused:?}", t.backend);
        let detail = store.household_detail(&clerk, &gao_household.household.id).unwrap();
        assert_eq!(detail.movements.len(), 1, "{}: nothing committed", t.backend);
        assert!(store.household_detail(&gao, &gao_household.household.id).is_ok());
    }
}

/// Names like `=HYPERLINK(…)`, `+cmd|…`, `@SUM(…)` went verbatim into CSV exports, where a
/// spreadsheet runs them; they are neutralised, and the export still imports back unchanged.
#[test]
fn csv_exports_neutralise_formulas_and_import_back_unchanged() {
    use exchange::columns::TableKind;
    use exchange::export::{csv_table, table_rows};
    use exchange::{Encoding, ImportOptions, InputFile};
    use store::export::registry_tables;
    let t = crate::support::sqlite();
    let store = &t.store;
    let clerk = registrar(store);
    let mut input = household("HH-CSV");
    input.members[0].given_name = "=HYPERLINK(\"http://evil.example\",\"Voir\")".into();
    input.members[1].given_name = "@SUM(1+1)".into();
    input.members[1].phone = Some("+223 70 00 00 01".into());
    store.register_household(&clerk, &input.parse(store.gazetteer.as_ref(), store.today()).unwrap()).unwrap();
    let tables = registry_tables(store, &clerk).unwrap();
    let files: Vec<InputFile> = TableKind::ALL
        .iter()
        .map(|&kind| InputFile {
            name: format!("{}.csv", kind.name()),
            bytes: csv_table(kind, table_rows(&tables, kind)).unwrap(),
        })
        .collect();
    let people = String::from_utf8_lossy(&files[1].bytes).to_string();
    for line in people.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_matches('"');
            assert!(!cell.starts_with(['=', '+', '@']), "a live formula in the export: {cell}");
        }
    }
    assert!(people.contains("'=HYPERLINK") && people.contains("'+223"), "{people}");
    let options = ImportOptions { encoding: Encoding::Auto, dry_run: false };
    let report = store.import_files(&clerk, files, options, &mut |_, _, _| {}).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let again = report.summary.unwrap();
    assert_eq!((again.people.unchanged, again.people.updated), (2, 0), "the export imports back unchanged");
}

/// A duplicated column was accepted, the first one used: which was meant cannot be guessed.
#[test]
fn a_duplicated_column_is_refused() {
    use exchange::{Encoding, ImportOptions, InputFile};
    let t = crate::support::sqlite();
    let clerk = registrar(&t.store);
    let file = InputFile {
        name: "households.csv".into(),
        bytes: b"household_id,registration_point,registration_date,population_group,registration_date\nHH-1,ML070101,2024-01-15,IDP,2024-02-15\n".to_vec(),
    };
    let options = ImportOptions { encoding: Encoding::Auto, dry_run: false };
    let report = &t.store.import_files(&clerk, vec![file], options, &mut |_, _, _| {}).unwrap();
    assert!(report.summary.is_none());
    let e = report.errors.iter().find(|e| e.column == "registration_date").expect("the duplicate is named");
    assert!(e.expected.to_string().contains("columns C and E"), "{}", e.expected);
}

/// 1,100 stalled connections made the server stop answering: headers have a deadline, and
/// connections beyond the limit are closed at once, so a real client still gets through.
#[test]
fn stalled_connections_neither_pile_up_nor_block_the_server() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let t = crate::support::sqlite();
    let app = web::router(web::AppState::new(t.store.clone(), false));
    let limits = web::server::Limits {
        header_timeout: Duration::from_millis(800),
        request_timeout: Duration::from_secs(5),
        max_connections: 4,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(web::server::serve_on(listener, app, limits, async {
        let _ = stopped.await;
    }));
    let closed_within = |stream: &mut std::net::TcpStream, limit: Duration| {
        stream.set_read_timeout(Some(limit)).unwrap();
        let mut buf = [0u8; 256];
        matches!(stream.read(&mut buf), Ok(0) | Err(_))
            && {
                // A timeout error means still open; a reset or end of stream means closed.
                stream.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
                !matches!(stream.read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut)
            }
    };
    let mut stalled: Vec<std::net::TcpStream> = (0..4)
        .map(|_| {
            let mut s = std::net::TcpStream::connect(address).unwrap();
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").unwrap(); // never finished
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut over = std::net::TcpStream::connect(address).unwrap();
    assert!(closed_within(&mut over, Duration::from_millis(500)), "a connection over the limit is closed at once");
    let started = Instant::now();
    for s in &mut stalled {
        assert!(closed_within(s, Duration::from_secs(3)), "a stalled connection is closed");
    }
    assert!(started.elapsed() < Duration::from_secs(3));
    // A kept-alive connection that goes quiet after its answer is closed too.
    let mut idle = std::net::TcpStream::connect(address).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut first = [0u8; 4096];
    assert!(idle.read(&mut first).unwrap() > 0);
    assert!(closed_within(&mut idle, Duration::from_secs(3)), "an idle kept-alive connection is closed");
    let mut client = std::net::TcpStream::connect(address).unwrap();
    client.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let _ = stop.send(());
    runtime.block_on(server).unwrap().unwrap();
}

/// Sign-in lockout raced to ~30 guesses per window with 50 parallel attempts; anyone could lock
/// out the administrator; a reset did not lift the lock; API tokens survived a reset; weak
/// passwords were accepted.
#[test]
fn sign_in_throttling_is_atomic_per_source_and_resets_lift_it() {
    for t in stores() {
        let store = &t.store;
        let system = Actor::system();
        store.create_user(&system, "chief", domain::Role::Admin, None, "river stone lantern 42").unwrap();
        let guesses: Vec<bool> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..40)
                .map(|i| s.spawn(move || store.verify_login_from("chief", &format!("guess number {i}"), "203.0.113.9")))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap().unwrap().is_some()).collect()
        });
        assert!(guesses.iter().all(|ok| !ok));
        let checked = store
            .db
            .read(|tx| {
                tx.query_int("SELECT COUNT(*) FROM sign_in_attempts WHERE source = '203.0.113.9'", store::params![])
            })
            .unwrap();
        assert_eq!(checked, store::auth::MAX_FAILED_SIGN_INS, "{}: only the allowed guesses were checked", t.backend);
        assert!(
            store.verify_login_from("chief", "river stone lantern 42", "203.0.113.9").unwrap().is_none(),
            "the guessing source is locked, even with the right password"
        );
        assert!(
            store.verify_login_from("chief", "river stone lantern 42", "198.51.100.7").unwrap().is_some(),
            "{}: the owner elsewhere is not locked out",
            t.backend
        );
        // A reset lifts the lock, and may revoke the user's API tokens.
        let token = store.create_token(&system, "chief", "sync", store::tokens::TokenScope::Read, 30).unwrap().token;
        assert!(store.session_actor(&token).unwrap().is_some());
        assert_eq!(store.set_password(&system, "chief", "new harbour window 7", false).unwrap(), 0);
        assert!(store.session_actor(&token).unwrap().is_some(), "kept unless asked");
        assert_eq!(store.set_password(&system, "chief", "third quiet meadow 9", true).unwrap(), 1);
        assert!(store.session_actor(&token).unwrap().is_none(), "{}: revoked with the reset", t.backend);
        assert!(store.verify_login_from("chief", "third quiet meadow 9", "203.0.113.9").unwrap().is_some());
        for weak in ["          ", "aaaaaaaaaa", "password12", "chief12345", "djoliba2024", "azertyuiop"] {
            assert!(
                matches!(store.set_password(&system, "chief", weak, false), Err(StoreError::Invalid(_))),
                "{weak:?} accepted"
            );
        }
        // The user's own change asks for the current password.
        let chief = store.verify_login("chief", "third quiet meadow 9").unwrap().unwrap();
        assert!(matches!(
            store.change_own_password(&chief, "not it", "fourth yellow kettle 3"),
            Err(StoreError::Invalid(_))
        ));
        store.change_own_password(&chief, "third quiet meadow 9", "fourth yellow kettle 3").unwrap();
        assert!(store.verify_login("chief", "fourth yellow kettle 3").unwrap().is_some());
    }
}

/// The duplicate check (a fuzzy name search returning names and birth dates), the duplicates
/// list, and movement lists and details wrote no audit row.
#[test]
fn every_read_of_personal_data_is_audited() {
    let t = crate::support::sqlite();
    let store = &t.store;
    let clerk = registrar(store);
    let input = household("HH-AUD").parse(store.gazetteer.as_ref(), store.today()).unwrap();
    let detail = store.register_household(&clerk, &input).unwrap();
    let actions = |store: &store::Store| -> Vec<String> {
        store
            .db
            .read(|tx| tx.query("SELECT action, entity FROM audit_log ORDER BY seq", store::params![]))
            .unwrap()
            .iter()
            .map(|r| format!("{} {}", r.text(0), r.text(1)))
            .collect()
    };
    let before = actions(store).len();
    store.check_duplicates(&clerk, &input).unwrap();
    store.duplicate_pairs(&clerk, None, 10).unwrap();
    store.list_movements(&clerk, &Default::default()).unwrap();
    store.movement(&clerk, &detail.movements[0].id).unwrap();
    let after = actions(store);
    assert_eq!(&after[before..], ["check_duplicates person", "list duplicate_pair", "list movement", "read movement"],);
}

/// Concurrent registrations of one external id on PostgreSQL answered 500 (a unique violation
/// reported as a database failure): one succeeds, the others are conflicts, on both databases.
#[test]
fn concurrent_registrations_of_one_number_are_conflicts_not_failures() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        let input = household("HH-RACE").parse(store.gazetteer.as_ref(), store.today()).unwrap();
        let outcomes: Vec<Result<_, StoreError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..6).map(|_| s.spawn(|| store.register_household(&clerk, &input))).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1, "{}", t.backend);
        for outcome in outcomes.iter().filter(|o| o.is_err()) {
            assert!(matches!(outcome, Err(StoreError::Conflict(_))), "{}: {outcome:?}", t.backend);
        }
    }
}

/// Cookie-authenticated API calls that change things (a multipart import, a duplicates run)
/// relied on SameSite alone: they need the session's CSRF token in a header.
#[test]
fn cookie_authenticated_changes_need_the_csrf_header() {
    use axum::http::{header, Method, Request, StatusCode};
    use tower::ServiceExt;
    let t = crate::support::sqlite();
    let clerk = registrar(&t.store);
    let session = t.store.create_session(&clerk).unwrap();
    let router = web::router(web::AppState::new(t.store.clone(), false));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let send = |extra: Option<(&str, String)>, cookie: bool| {
        let mut request = Request::builder().method(Method::POST).uri("/api/v1/duplicates/run");
        if cookie {
            request = request.header(header::COOKIE, format!("djoliba_session={session}"));
        } else {
            request = request.header(header::AUTHORIZATION, format!("Bearer {session}"));
        }
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        runtime.block_on(router.clone().oneshot(request.body(axum::body::Body::empty()).unwrap())).unwrap().status()
    };
    assert_eq!(send(None, true), StatusCode::FORBIDDEN, "cookie alone");
    assert_eq!(send(Some(("x-csrf-token", "0".repeat(64))), true), StatusCode::FORBIDDEN, "a wrong token");
    assert_eq!(send(Some(("x-csrf-token", web::ui::csrf_for(&session))), true), StatusCode::OK);
    assert_eq!(send(None, false), StatusCode::OK, "a bearer token needs no CSRF header");
}

/// Whoever holds the file could delete a user's rows, re-chain the rest, and `audit verify`
/// said intact: a checkpoint kept elsewhere detects the rewrite.
#[test]
fn a_rewritten_audit_chain_is_detected_by_a_checkpoint_kept_elsewhere() {
    for t in stores() {
        let store = &t.store;
        let clerk = registrar(store);
        for n in 0..3 {
            let input = household(&format!("HH-AU{n}")).parse(store.gazetteer.as_ref(), store.today()).unwrap();
            store.register_household(&clerk, &input).unwrap();
        }
        let checkpoint = store.audit_checkpoint().unwrap();
        let line = checkpoint.to_line();
        assert_eq!(store::audit::Checkpoint::parse(&line), Some(checkpoint.clone()));
        // The attacker removes the clerk's rows and re-chains what is left, head included.
        store
            .db
            .write(|tx| {
                tx.execute("DELETE FROM audit_log WHERE actor_id = $1", store::params![clerk.user_id.as_str()])?;
                let rows = tx.query(
                    "SELECT seq, at, actor_id, actor_name, action, entity, entity_id, detail FROM audit_log ORDER BY seq",
                    store::params![],
                )?;
                tx.execute("DELETE FROM audit_log", store::params![])?;
                let mut prev = "genesis".to_string();
                for (i, r) in rows.iter().enumerate() {
                    let seq = (i + 1) as i64;
                    let parts = [
                        prev.clone(),
                        seq.to_string(),
                        r.int(1).to_string(),
                        r.text(2),
                        r.text(3),
                        r.text(4),
                        r.text(5),
                        r.text(6),
                        r.text(7),
                    ];
                    let hash = store::auth::token_hash(&format!("{}\0", parts.join("\0")));
                    tx.execute(
                        "INSERT INTO audit_log (seq, at, actor_id, actor_name, action, entity, entity_id, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                        store::params![seq, r.int(1), r.text(2), r.text(3), r.text(4), r.text(5), r.text(6), r.text(7), prev.as_str(), hash.as_str()],
                    )?;
                    prev = hash;
                }
                tx.execute("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", store::params![rows.len() as i64, prev.as_str()])?;
                Ok(())
            })
            .unwrap();
        assert_eq!(store.verify_audit().unwrap().problem, None, "{}: the rewrite fools the chain alone", t.backend);
        let problem = store.verify_audit_against(&[checkpoint]).unwrap().problem.expect("detected");
        assert!(problem.contains("rewritten") || problem.contains("gone"), "{}: {problem}", t.backend);
    }
}
