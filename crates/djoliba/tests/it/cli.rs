//! The binary itself: what a user types.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};

fn djoliba(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_djoliba"));
    command.arg("--data-dir").arg(data_dir).env_remove("DATABASE_URL").env("DJOLIBA_LOG", "warn");
    command
}

#[test]
fn serve_prints_the_bound_address_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let mut child =
        djoliba(dir.path()).args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut address = None;
    let mut saw_password = false;
    for line in lines.by_ref() {
        let line = line.unwrap();
        saw_password |= line.contains("created the administrator \"admin\"; its password is in ");
        if let Some(rest) = line.strip_prefix("Djoliba listening on http://") {
            address = Some(rest.to_string());
            break;
        }
    }
    let address = address.expect("the bound address is printed");
    assert!(saw_password, "the first administrator's password file is named");
    let file = dir.path().join("admin-password.txt");
    let password = std::fs::read_to_string(&file).unwrap();
    assert_eq!(password.trim().len(), 20);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"database\":\"sqlite\""), "{response}");
}

/// `serve` on a port in use created the database and printed the one-time password before
/// failing; a bare port was refused.
#[test]
fn serve_checks_its_port_before_creating_anything() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = djoliba(dir.path()).args(["serve", "--listen", &port]).output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(said.contains(&format!("127.0.0.1:{port}")) && said.contains("--listen"), "{said}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing created");
}

#[test]
fn the_demo_names_a_database_url_set_in_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let output = djoliba(dir.path())
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", "postgres://someone@localhost/registry")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL is set in the environment"));
}

/// Reading commands on a folder without a database created an empty one and answered as if
/// all were well.
#[test]
fn reading_commands_say_there_is_no_database_and_create_none() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("djoliba-data");
    for args in [
        vec!["figures", "--as-of", "2024-06-30", "--level", "1"],
        vec!["export", "--format", "csv", "--output", "out"],
        vec!["audit", "verify"],
        vec!["user", "list"],
        vec!["backup"],
    ] {
        let output = djoliba(&folder).args(&args).current_dir(dir.path()).output().unwrap();
        let said = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(said.contains("there is no Djoliba database in"), "{args:?}: {said}");
        assert!(!folder.join("djoliba.sqlite").exists(), "{args:?} created a database");
    }
}

/// `--listen` takes a port alone (on 127.0.0.1), and SIGTERM, as a service manager sends it,
/// stops the server cleanly: it answers, then exits with success.
#[cfg(unix)]
#[test]
fn a_bare_port_is_listened_on_and_sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = djoliba(dir.path()).args(["serve", "--listen", "0"]).stdout(Stdio::piped()).spawn().unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = lines
        .map(|line| line.unwrap())
        .find_map(|line| line.strip_prefix("Djoliba listening on http://").map(str::to_string))
        .expect("the bound address is printed");
    assert!(address.starts_with("127.0.0.1:"), "{address}");
    assert!(std::net::TcpStream::connect(&address).is_ok());
    let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(sent.success());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "still running after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

/// A first demo load stopped half-way (its organisation there, nobody to sign in as) is loaded
/// again from the start, and the sign-in it announces works.
#[test]
fn an_interrupted_first_demo_load_is_done_again_and_its_sign_in_works() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let demo = dir.path().join("data-demo");
    {
        let (store, _) = store::Store::open(&store::Target::default_sqlite(&demo)).unwrap();
        store.create_organisation(&store::Actor::system(), "DEMO", "half a demo").unwrap();
    }
    let mut child = djoliba(&data)
        .args(["serve", "--demo", "--demo-households", "40", "--listen", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let said: Vec<String> = lines.map(|l| l.unwrap()).take_while(|l| !l.starts_with("Djoliba listening on")).collect();
    child.kill().unwrap();
    let mut errors = String::new();
    child.stderr.take().unwrap().read_to_string(&mut errors).unwrap();
    child.wait().unwrap();
    assert!(errors.contains("first load was interrupted"), "{errors}");
    assert!(said.iter().any(|l| l.contains("Sign in as demo / demo-djoliba")), "{said:?}");
    let (store, _) = store::Store::open(&store::Target::default_sqlite(&demo)).unwrap();
    assert!(store.verify_login("demo", "demo-djoliba").unwrap().is_some(), "the announced sign-in works");
}

/// Every command and every option says what it is for in `--help`.
#[test]
fn every_option_of_every_command_has_a_help_line() {
    let dir = tempfile::tempdir().unwrap();
    let help = |path: &[String]| {
        let output = djoliba(dir.path()).args(path).arg("--help").output().unwrap();
        assert!(output.status.success(), "{path:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let mut pending: Vec<Vec<String>> = vec![Vec::new()];
    let (mut checked, mut silent) = (0, Vec::new());
    while let Some(path) = pending.pop() {
        let text = help(&path);
        let mut section = "";
        let lines: Vec<&str> = text.lines().collect();
        for (at, line) in lines.iter().enumerate() {
            if !line.starts_with(' ') && line.ends_with(':') {
                section = line;
                continue;
            }
            let entry = line.trim_start();
            if entry.is_empty() || line.starts_with("          ") {
                continue;
            }
            match section {
                "Commands:" => {
                    let name = entry.split_whitespace().next().unwrap();
                    let described = entry.len() > name.len() && !entry[name.len()..].trim().is_empty();
                    assert!(described, "{path:?}: command {name} has no help line");
                    if name != "help" {
                        pending.push(path.iter().cloned().chain([name.to_string()]).collect());
                    }
                }
                "Options:" if entry.starts_with('-') => {
                    // "-x, --name <VALUE>  What it does": the text after two spaces.
                    // Long option names push the text to the next, deeper line.
                    let next = lines.get(at + 1).copied().unwrap_or("");
                    let below = next.starts_with("          ") && !next.trim_start().starts_with('-');
                    let described = below || entry.split_once("  ").is_some_and(|(_, text)| !text.trim().is_empty());
                    if !described {
                        silent.push(format!("{} {}", path.join(" "), entry.trim()));
                    }
                    checked += 1;
                }
                _ => {}
            }
        }
    }
    assert!(silent.is_empty(), "options without a help line:\n{}", silent.join("\n"));
    assert!(checked > 100, "the options of every command were read ({checked})");
}

/// The template needs no database, and comes in French.
#[test]
fn the_template_is_written_in_french_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("djoliba-data");
    let file = dir.path().join("modele.xlsx");
    let output = djoliba(&folder).args(["import", "--template"]).arg(&file).args(["--lang", "fr"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let tables = exchange::tables::read_xlsx("modele.xlsx", &std::fs::read(&file).unwrap()).unwrap();
    assert!(tables.iter().any(|t| t.source.ends_with("#ménages") && t.raw_headers[0] == "id_ménage"));
    assert!(!folder.join("djoliba.sqlite").exists(), "no database was created");
    let refused = djoliba(&folder).args(["import", "--template"]).arg(&file).args(["--lang", "bm"]).output().unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("fr, en"), "the choices are named");
}

#[test]
fn a_mistyped_database_url_is_an_error_not_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    for url in ["postgress://localhost/djoliba", "sqlite:///nonexistent/djoliba.sqlite"] {
        let output = djoliba(dir.path()).args(["--database-url", url, "migrate"]).output().unwrap();
        assert!(!output.status.success(), "{url}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("scheme") || stderr.contains("no SQLite database"), "{stderr}");
    }
    assert!(!std::path::Path::new("/nonexistent/djoliba.sqlite").exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing created");
}

#[test]
fn users_import_backup_and_doctor_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = djoliba(dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = stdin {
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert_eq!(run(&["org", "add", "NRC", "Norwegian Refugee Council"], None).0, Some(0));
    let (code, out, err) = run(
        &["user", "add", "awa", "--role", "registrar", "--organisation", "NRC", "--password-stdin"],
        Some("a secret of sorts\n"),
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(!out.contains("a secret of sorts"));
    let (code, out, _) = run(&["user", "add", "boss", "--role", "admin"], None);
    assert_eq!(code, Some(0));
    assert!(out.contains("Password (shown once): "), "{out}");

    let csv = dir.path().join("all.csv");
    std::fs::write(&csv, "record,household_id,registration_point,registration_date,population_group,person_id,given_name,family_name\nhousehold,H1,ML070101,2024-01-01,IDP,,,\nperson,H1,,,,P1,Awa,\n").unwrap();
    let report = dir.path().join("report.csv");
    let (code, _, err) =
        run(&["import", csv.to_str().unwrap(), "--organisation", "NRC", "--report", report.to_str().unwrap()], None);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("all.csv, row 3, column family_name: missing"), "{err}");
    assert!(std::fs::read_to_string(&report).unwrap().contains("family_name"));
    std::fs::write(&csv, "record,household_id,registration_point,registration_date,population_group,person_id,given_name,family_name\nhousehold,H1,ML070101,2024-01-01,IDP,,,\nperson,H1,,,,P1,Awa,Touré\n").unwrap();
    let (code, out, err) = run(&["import", csv.to_str().unwrap(), "--organisation", "NRC"], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("households 1 new"), "{out}");
    let (code, out, _) = run(&["import", csv.to_str().unwrap(), "--organisation", "NRC"], None);
    assert_eq!(code, Some(0));
    assert!(out.contains("households 0 new, 0 updated, 1 unchanged"), "{out}");

    let (code, out, err) = run(&["figures", "--as-of", "2024-06-30", "--level", "2", "--group", "REF"], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("#affected+refugees+hh"), "{out}");
    // One table a CSV file; the population of concern, national by default.
    let (code, out, err) =
        run(&["figures", "--from", "2023-12-31", "--to", "2024-06-30", "--table", "stock_and_flow"], None);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().filter(|l| l.starts_with('#')).count(), 1, "one tag row: {out}");
    let (code, _, err) = run(&["figures", "--from", "2023-12-31", "--to", "2024-06-30", "--table", "all"], None);
    assert_eq!(code, Some(1));
    assert!(err.contains("expected one of flows, origin_destination, stock_and_flow"), "{err}");
    let (code, out, err) =
        run(&["figures", "--population", "--as-of", "2024-06-30", "--level", "0", "--format", "json"], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"mapping\"") && out.contains("\"RDP\""), "{out}");
    let (code, _, err) = run(&["figures", "--from", "2024-01-01", "--to", "2023-01-01"], None);
    assert_eq!(code, Some(1));
    assert!(err.contains("to: \"2023-01-01\" is not valid; expected a date on or after from (2024-01-01)"), "{err}");

    let export = dir.path().join("export");
    assert_eq!(run(&["export", "--format", "csv", "--output", export.to_str().unwrap()], None).0, Some(0));
    assert!(std::fs::read_to_string(export.join("people.csv")).unwrap().contains("Touré"));

    let backup = dir.path().join("copy.sqlite");
    let (code, _, err) = run(&["backup", "--output", backup.to_str().unwrap()], None);
    assert_eq!(code, Some(0), "{err}");
    let (code, out, _) = run(&["--database-url", &format!("sqlite://{}", backup.display()), "user", "list"], None);
    assert_eq!(code, Some(0));
    assert!(out.contains("awa\tregistrar\tNRC\tactive"), "{out}");
    let (code, out, _) = run(&["doctor"], None);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("No problem found"), "{out}");
}

#[test]
fn linkage_dedup_writes_every_id_once_and_finds_the_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let (people, clusters, truth, review) = (
        dir.path().join("people.csv"),
        dir.path().join("clusters.csv"),
        dir.path().join("truth.csv"),
        dir.path().join("review.csv"),
    );
    let status = djoliba(dir.path())
        .args(["linkage", "generate", "--records", "5000", "--output"])
        .arg(&people)
        .arg("--truth")
        .arg(&truth)
        .status()
        .unwrap();
    assert!(status.success());
    let output = djoliba(dir.path())
        .args(["linkage", "dedup", "--input"])
        .arg(&people)
        .arg("--output")
        .arg(&clusters)
        .arg("--review")
        .arg(&review)
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{summary}");
    for expected in ["records: 5000", "candidate pairs:", "clusters:", "review band:", "time: read and standardise"] {
        assert!(summary.contains(expected), "{expected:?} in {summary}");
    }
    let written = std::fs::read_to_string(&clusters).unwrap();
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some("id,cluster_id"));
    let ids: std::collections::HashSet<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids.len(), 5000, "every input id exactly once");
    assert!(std::fs::read_to_string(&review).unwrap().starts_with("id_a,id_b,probability\n"));
    // Registered household by household: the households weigh, and the file says so.
    let status = djoliba(dir.path())
        .args(["linkage", "generate", "--households", "--records", "20000", "--output"])
        .arg(&people)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(std::fs::read_to_string(&people).unwrap().lines().next().unwrap().ends_with(",identifiers,household"));
    let output = djoliba(dir.path())
        .args(["linkage", "dedup", "--input"])
        .arg(&people)
        .arg("--output")
        .arg(dir.path().join("household-clusters.csv"))
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success() && summary.contains("households: other members alike weigh most +"), "{summary}");
    let evaluation = djoliba(dir.path())
        .args(["linkage", "evaluate", "--clusters"])
        .arg(&clusters)
        .arg("--truth")
        .arg(&truth)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&evaluation.stdout);
    let f1: f64 = text.rsplit("F1 ").next().unwrap().trim().parse().unwrap();
    assert!(f1 > 0.85, "{text}");
}

#[test]
fn linkage_dedup_names_the_bad_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("bad.csv");
    let header = "id,given_name,family_name,father_name,sex,birth_date,phone,admin1,admin2,admin3\n";
    for (rows, expected) in [
        ("1,Awa,Maïga,,f,1990,,,,\n2,Awa,Maiga,,x,1990,,,,\n", "bad.csv, row 3, column sex: \"x\""),
        ("1,Awa,Maïga,,f,90-01-01,,,,\n", "bad.csv, row 2, column birth_date"),
        ("1,Awa,Maïga,,f,1990,,,,\n1,Awa,Maiga,,f,1990,,,,\n", "bad.csv, row 3, column id: \"1\" is already on row 2"),
    ] {
        std::fs::write(&input, format!("{header}{rows}")).unwrap();
        let output = djoliba(dir.path())
            .args(["linkage", "dedup", "--input"])
            .arg(&input)
            .arg("--output")
            .arg(dir.path().join("out.csv"))
            .output()
            .unwrap();
        assert!(!output.status.success());
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(expected), "{expected:?} in {message}");
        assert!(!message.contains("Awa"), "no personal data in errors: {message}");
    }
    std::fs::write(&input, "id,given_name\n1,Awa\n").unwrap();
    let output = djoliba(dir.path())
        .args(["linkage", "dedup", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(dir.path().join("o.csv"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("no column \"family_name\""));
}

/// A data folder with one registered household (the name "Aminata" in it).
fn data_with_a_household(dir: &std::path::Path) {
    let (store, _) = store::Store::open(&store::Target::default_sqlite(dir)).unwrap();
    let clerk = crate::support::registrar(&store);
    let input = crate::support::household("HH-BACKUP").parse(store.gazetteer.as_ref(), store.today()).unwrap();
    store.register_household(&clerk, &input).unwrap();
}

#[test]
fn an_encrypted_backup_reveals_nothing_and_restores_with_its_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("field");
    data_with_a_household(&data);
    let backup = dir.path().join("field.sqlite.age");
    let passphrase = "correct horse battery staple";
    let status = djoliba(&data)
        .args(["backup", "--encrypt", "--output"])
        .arg(&backup)
        .env("DJOLIBA_BACKUP_PASSPHRASE", passphrase)
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let bytes = std::fs::read(&backup).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("SQLite format") && !text.contains("Aminata") && !text.contains("HH-BACKUP"));
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().contains("plain")),
        "no plain copy left behind"
    );

    // A damaged copy (a USB key pulled out mid-write) names the file and what to do.
    let damaged = dir.path().join("damaged.sqlite.age");
    std::fs::write(&damaged, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let cut = djoliba(&dir.path().join("elsewhere"))
        .args(["restore"])
        .arg(&damaged)
        .env("DJOLIBA_BACKUP_PASSPHRASE", passphrase)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&cut.stderr);
    assert!(!cut.status.success());
    assert!(said.contains("damaged.sqlite.age") && said.contains("restore another copy"), "{said}");

    let office = dir.path().join("office");
    let wrong = djoliba(&office)
        .args(["restore"])
        .arg(&backup)
        .env("DJOLIBA_BACKUP_PASSPHRASE", "not the passphrase")
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("cannot be decrypted"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
    assert!(!office.join("djoliba.sqlite").exists(), "nothing restored");
    let restored =
        djoliba(&office).args(["restore"]).arg(&backup).env("DJOLIBA_BACKUP_PASSPHRASE", passphrase).output().unwrap();
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    assert!(String::from_utf8_lossy(&restored.stdout).contains("audit chain: intact"));
    let (store, _) = store::Store::open(&store::Target::default_sqlite(&office)).unwrap();
    let found = store.list_households(&store::Actor::system(), &Default::default()).unwrap();
    assert_eq!(found.items[0].external_id, "HH-BACKUP");
    // An existing database is replaced only when asked, and kept aside.
    let again =
        djoliba(&office).args(["restore"]).arg(&backup).env("DJOLIBA_BACKUP_PASSPHRASE", passphrase).output().unwrap();
    assert!(!again.status.success() && String::from_utf8_lossy(&again.stderr).contains("--force"));
}

/// `backup --encrypt` wrote the plain database beside its output (0644) and removed it only on
/// success: a TERM left the whole registry readable on the USB key.
#[cfg(unix)]
#[test]
fn an_interrupted_encrypted_backup_leaves_no_plain_copy_and_files_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("field");
    data_with_a_household(&data);
    let usb = dir.path().join("usb");
    std::fs::create_dir(&usb).unwrap();
    let mut child = djoliba(&data)
        .args(["backup", "--encrypt", "--output"])
        .arg(usb.join("b.sqlite.age"))
        .env("DJOLIBA_BACKUP_PASSPHRASE", "correct horse battery staple")
        .env("DJOLIBA_TEST_BACKUP_PAUSE_MS", "20000")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let plain_in = |folder: &std::path::Path| {
        std::fs::read_dir(folder).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().contains("plain"))
    };
    let started = std::time::Instant::now();
    while !plain_in(&data) {
        assert!(started.elapsed().as_secs() < 30, "the plain copy never appeared");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!plain_in(&usb), "nothing plain on the destination");
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(!plain_in(&data) && !plain_in(&usb), "the plain copy is removed on TERM");

    // A copy left by a KILL is removed by the next command that opens the folder.
    std::fs::write(data.join(".backup-plain-4242.sqlite"), b"SQLite format 3\0").unwrap();
    assert!(djoliba(&data).args(["user", "list"]).output().unwrap().status.success());
    assert!(!plain_in(&data));

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data folder is the owner's only");
    assert_eq!(mode(&data.join("djoliba.sqlite")), 0o600);
    let copy = dir.path().join("copy.sqlite");
    assert!(djoliba(&data).args(["backup", "--output"]).arg(&copy).output().unwrap().status.success());
    assert_eq!(mode(&copy), 0o600, "a plain backup is the owner's only");
}

#[test]
fn a_backup_for_a_public_key_restores_only_with_the_private_key() {
    use age::secrecy::ExposeSecret;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("field");
    data_with_a_household(&data);
    let key = age::x25519::Identity::generate();
    let key_file = dir.path().join("office-key.txt");
    std::fs::write(&key_file, format!("{}\n", key.to_string().expose_secret())).unwrap();
    let backup = dir.path().join("b.age");
    let status = djoliba(&data)
        .args(["backup", "--recipient", &key.to_public().to_string(), "--output"])
        .arg(&backup)
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    let other = age::x25519::Identity::generate();
    let other_file = dir.path().join("other-key.txt");
    std::fs::write(&other_file, format!("{}\n", other.to_string().expose_secret())).unwrap();
    let office = dir.path().join("office");
    let refused = djoliba(&office).args(["restore", "--identity"]).arg(&other_file).arg(&backup).output().unwrap();
    assert!(!refused.status.success());
    let restored = djoliba(&office).args(["restore", "--identity"]).arg(&key_file).arg(&backup).output().unwrap();
    assert!(restored.status.success(), "{}", String::from_utf8_lossy(&restored.stderr));
    let bad_key = djoliba(&data).args(["backup", "--recipient", "age1notakey"]).output().unwrap();
    assert!(String::from_utf8_lossy(&bad_key.stderr).contains("not an age public key"));
}

/// One HTTP/1.1 request on a fresh connection; the status and body.
fn http(address: &str, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let body = body.unwrap_or("");
    request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

#[test]
fn personal_data_never_reaches_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = djoliba(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DJOLIBA_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let (mut address, mut password) = (String::new(), String::new());
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        if line.contains("its password is in ") {
            password = std::fs::read_to_string(dir.path().join("admin-password.txt")).unwrap().trim().to_string();
        }
        if let Some(rest) = line.trim().strip_prefix("Djoliba listening on http://") {
            address = rest.to_string();
            break;
        }
        line.clear();
    }
    let stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        BufReader::new(stderr).read_to_string(&mut text).unwrap();
        text
    });
    let (_, login) = http(
        &address,
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&format!("{{\"username\":\"admin\",\"password\":\"{password}\"}}")),
    );
    let token = serde_json::from_str::<serde_json::Value>(&login).unwrap()["token"].as_str().unwrap().to_string();
    let t = Some(token.as_str());
    assert_eq!(
        http(
            &address,
            "POST",
            "/api/v1/organisations",
            t,
            Some(r#"{"code":"NRC","name":"Norwegian Refugee Council"}"#)
        )
        .0,
        201
    );
    let household = r#"{"external_id":"HH-LOG","organisation":"NRC","registration_point":"ML070101","registration_date":"2024-02-01",
        "population_group":"IDP","members":[{"external_id":"P1","given_name":"Zoulaikha","family_name":"Secretname","sex":"f",
        "birth_date":"1990","phone":"+223 76 99 88 77","specific_needs":["gbv_survivor"]}],
        "movements":[{"kind":"displacement","date":"2024-01-10","from":"ML060101","to":"ML070101","cause":"armed_conflict"}]}"#;
    let (status, created) = http(&address, "POST", "/api/v1/households", t, Some(household));
    assert_eq!(status, 201, "{created}");
    // Errors about a person's record, searches by name, a failed sign-in typed with a name.
    let bad = household.replace("\"1990\"", "\"199O\"").replace("HH-LOG", "HH-LOG-2");
    assert_eq!(http(&address, "POST", "/api/v1/households", t, Some(&bad)).0, 422);
    assert_eq!(http(&address, "GET", "/api/v1/people?q=Secretname", t, None).0, 200);
    assert_eq!(
        http(
            &address,
            "POST",
            "/api/v1/auth/login",
            None,
            Some(r#"{"username":"Secretname","password":"Zoulaikha-pass"}"#)
        )
        .0,
        401
    );
    let check = household.replace("HH-LOG", "HH-LOG-3");
    assert_eq!(http(&address, "POST", "/api/v1/duplicates/check", t, Some(&check)).0, 200);
    child.kill().unwrap();
    child.wait().unwrap();
    let logs = logs.join().unwrap();
    assert!(logs.len() > 100, "the server logged: {logs}");
    for secret in ["Zoulaikha", "Secretname", "76 99 88 77", "99 88", "gbv_survivor"] {
        assert!(!logs.contains(secret), "{secret:?} reached the logs:\n{logs}");
    }
}

#[test]
fn logs_carry_no_colour_codes_off_a_terminal_and_roles_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    // Creating the database logs each migration to stderr, which is a pipe here.
    let out = djoliba(dir.path())
        .env("DJOLIBA_LOG", "info")
        .args(["user", "add", "awa", "--role", "viewer"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("migration applied"), "{stderr:?}");
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
    let help = djoliba(dir.path()).args(["user", "add", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("admin, im_officer, registrar, protection, viewer"), "{help}");
    let wrong = djoliba(dir.path()).args(["user", "add", "awa", "--role", "clerk"]).output().unwrap();
    assert!(!wrong.status.success());
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("possible values"),
        "{}",
        String::from_utf8_lossy(&wrong.stderr)
    );
}

#[test]
fn assistance_lists_programmes_and_exports_reach_as_hxl() {
    use crate::assistance::{delivery, displaced, programme, round};
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = store::Store::open(&store::Target::default_sqlite(dir.path())).unwrap();
        let clerk = crate::support::registrar(&store);
        displaced(&store, &clerk, "GAO-1", 5);
        let cash = store.create_programme(&clerk, &programme("CASH-1", "multipurpose_cash", "household")).unwrap();
        let cycle = store.create_cycle(&clerk, &cash.id, &round("Juin")).unwrap();
        store.plan_cycle(&clerk, &cycle.id, &Default::default()).unwrap();
        store.advance_cycle(&clerk, &cycle.id, "approved").unwrap();
        store.advance_cycle(&clerk, &cycle.id, "distributing").unwrap();
        store.record_delivery(&clerk, &cycle.id, &delivery("GAO-1", "10 000")).unwrap();
    }
    let listed = djoliba(dir.path()).args(["assistance", "programmes"]).output().unwrap();
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    assert!(text.contains("CASH-1") && text.contains("Juin") && text.contains("planned 1, reached 1"), "{text}");

    let out = dir.path().join("reach.csv");
    let reach = djoliba(dir.path())
        .args(["assistance", "reach", "--from", "2024-01-01", "--to", "2024-12-31", "--output"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(reach.status.success(), "{}", String::from_utf8_lossy(&reach.stderr));
    assert!(String::from_utf8_lossy(&reach.stderr).contains("5 people in 1 household(s)"));
    let csv = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[1].contains("#adm2+code") && lines[1].contains("#org+code,#population+code,#reached+ind,#reached+ind+f"),
        "{csv}"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines[2].contains(",ML0701,Ansongo,SHL,multipurpose_cash,NRC,IDP,5,5,0,0,0,0,5,0,0,1,1,10000,XOF"),
        "{csv}"
    );

    // The round's list for the field, then the completed list brought back.
    let cycle_id = text.lines().nth(1).unwrap().trim().split('\t').next().unwrap().to_string();
    let list = dir.path().join("liste.xlsx");
    let exported =
        djoliba(dir.path()).args(["assistance", "list", "--cycle", &cycle_id, "--output"]).arg(&list).output().unwrap();
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    let rows = exchange::distribution::read_returned("liste.xlsx", &std::fs::read(&list).unwrap()).unwrap();
    assert_eq!(rows.blank, 1);
    let (store, _) = store::Store::open(&store::Target::default_sqlite(dir.path())).unwrap();
    let code = store.distribution_list(&store::Actor::system(), &cycle_id).unwrap().1[0].entitlement.clone();
    drop(store);
    let returned = dir.path().join("retour.csv");
    let header = "code_droit,quantite_remise,date_remise,modalite,resultat";
    std::fs::write(&returned, format!("{header}\n{code},10 000 FCFA,2024-06-21,argent mobile,remis\n")).unwrap();
    let refused =
        djoliba(dir.path()).args(["assistance", "returns", "--cycle", &cycle_id]).arg(&returned).output().unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && said.contains("retour.csv, row 2, column quantite_remise"), "{said}");
    std::fs::write(&returned, format!("{header}\n{code},,2024-06-21,,absent\n")).unwrap();
    let done =
        djoliba(dir.path()).args(["assistance", "returns", "--cycle", &cycle_id]).arg(&returned).output().unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(String::from_utf8_lossy(&done.stdout).contains("1 delivery(ies) recorded"));

    // Monitoring: the one household who received, drawn in full, its list written.
    let asked = dir.path().join("a-appeler.csv");
    let drawn = djoliba(dir.path())
        .args(["assistance", "sample", "--cycle", &cycle_id, "--full", "--output"])
        .arg(&asked)
        .output()
        .unwrap();
    assert!(drawn.status.success(), "{}", String::from_utf8_lossy(&drawn.stderr));
    assert!(String::from_utf8_lossy(&drawn.stdout).contains("1 drawn (full) of 1 who received"));
    let list = std::fs::read_to_string(&asked).unwrap();
    assert!(list.starts_with("position,household,person_id,name,phone,delivered\n1,GAO-1,"), "{list}");
    let too_many =
        djoliba(dir.path()).args(["assistance", "sample", "--cycle", &cycle_id, "--size", "5"]).output().unwrap();
    assert!(!too_many.status.success());
    assert!(String::from_utf8_lossy(&too_many.stderr).contains("size"), "the field is named");
    let report = djoliba(dir.path()).args(["assistance", "monitoring", "--cycle", &cycle_id]).output().unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(text.contains("drawn 1 of 1") && text.contains("0 to follow up"), "{text}");

    let bad = djoliba(dir.path())
        .args(["assistance", "reach", "--from", "2024-13-01", "--to", "2024-12-31"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("2024-13-01"), "the bad date is named");
}

#[test]
fn a_plan_is_made_from_the_command_line_and_its_progress_goes_back_in_as_targets() {
    use crate::assistance::{delivery, displaced, programme, round};
    let dir = tempfile::tempdir().unwrap();
    {
        let (store, _) = store::Store::open(&store::Target::default_sqlite(dir.path())).unwrap();
        let clerk = crate::support::registrar(&store);
        displaced(&store, &clerk, "GAO-1", 5);
        let kits = store.create_programme(&clerk, &programme("KITS", "shelter_kit", "household")).unwrap();
        let cycle = store.create_cycle(&clerk, &kits.id, &round("Juin")).unwrap();
        store.plan_cycle(&clerk, &cycle.id, &Default::default()).unwrap();
        store.advance_cycle(&clerk, &cycle.id, "approved").unwrap();
        store.advance_cycle(&clerk, &cycle.id, "distributing").unwrap();
        store.record_delivery(&clerk, &cycle.id, &delivery("GAO-1", "10 000")).unwrap();
    }
    let run = |args: &[&str]| {
        let out = djoliba(dir.path()).args(args).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&[
        "plan",
        "create",
        "--code",
        "HRP-MLI-2024",
        "--name",
        "Plan 2024",
        "--from",
        "2024-01-01",
        "--to",
        "2024-12-31",
        "--sectors",
        "SHL,EDU",
    ]);
    assert!(ok, "{err}");
    let (ok, _, err) = run(&[
        "plan",
        "indicator",
        "--plan",
        "HRP-MLI-2024",
        "--code",
        "SHL-01",
        "--sector",
        "SHL",
        "--name-fr",
        "Personnes ayant reçu un abri",
        "--name-en",
        "People who received shelter",
        "--unit",
        "people",
        "--kinds",
        "shelter_kit",
    ]);
    assert!(ok, "{err}");
    let sheet = dir.path().join("cibles.csv");
    std::fs::write(&sheet, "indicateur,cercle,debut,fin,cibles\n#indicator+code,#adm2+code,#date+start,#date+end,#targeted\nSHL-01,ML0701,2024-01-01,2024-12-31,20\nSHL-01,ML9999,2024-01-01,2024-12-31,20\n").unwrap();
    let (ok, _, err) = run(&["plan", "targets", "--plan", "HRP-MLI-2024", sheet.to_str().unwrap()]);
    assert!(!ok && err.contains("cibles.csv") && err.contains("row 4") && err.contains("ML9999"), "{err}");
    std::fs::write(&sheet, "indicateur,cercle,debut,fin,cibles\n#indicator+code,#adm2+code,#date+start,#date+end,#targeted\nSHL-01,ML0701,2024-01-01,2024-12-31,20\n").unwrap();
    let (ok, out, err) = run(&["plan", "targets", "--plan", "HRP-MLI-2024", sheet.to_str().unwrap()]);
    assert!(ok && out.contains("1 added"), "{out}{err}");
    let (ok, csv, err) = run(&["plan", "progress", "--plan", "HRP-MLI-2024"]);
    assert!(ok, "{err}");
    assert!(
        csv.contains("#indicator+code")
            && csv.contains("SHL-01,SHL,people,ML07,Gao,ML0701,Ansongo,2024-01-01,2024-12-31,,20,5,,5"),
        "{csv}"
    );
    // The progress table goes back in as the same targets: nothing changes.
    let back = dir.path().join("progress.csv");
    std::fs::write(&back, &csv).unwrap();
    let (ok, out, err) = run(&["plan", "targets", "--plan", "HRP-MLI-2024", back.to_str().unwrap()]);
    assert!(ok && out.contains("0 added, 0 changed, 1 unchanged"), "{out}{err}");
    // A partner's report, sent back, then accepted: reported beside the targets.
    let (ok, out, err) = run(&[
        "plan",
        "indicator",
        "--plan",
        "HRP-MLI-2024",
        "--code",
        "SHL-09",
        "--sector",
        "SHL",
        "--name-fr",
        "Abris réparés",
        "--name-en",
        "Shelters repaired",
        "--unit",
        "items",
    ]);
    assert!(ok, "{out}{err}");
    let (ok, out, err) = run(&[
        "plan",
        "report",
        "--plan",
        "HRP-MLI-2024",
        "--indicator",
        "SHL-09",
        "--place",
        "ML0701",
        "--month",
        "2024-05",
        "--value",
        "12",
        "--organisation",
        "NRC",
    ]);
    assert!(ok && out.contains("submitted"), "{out}{err}");
    let id = out.split('\t').next().unwrap().to_string();
    let (ok, _, err) = run(&["plan", "review", "--report", &id, "--send-back", "x"]);
    assert!(!ok && err.contains("comment"), "{err}");
    let (ok, out, err) = run(&["plan", "review", "--report", &id, "--accept"]);
    assert!(ok && out.contains("accepted"), "{out}{err}");
    let (ok, out, _) = run(&["plan", "reports", "--plan", "HRP-MLI-2024"]);
    assert!(ok && out.contains("2024-05\tSHL-09\tNRC\tML0701\t12\taccepted"), "{out}");
    let (ok, out, _) = run(&["plan", "list"]);
    assert!(ok && out.contains("HRP-MLI-2024") && out.contains("SHL-01"), "{out}");
}

/// `djoliba factsheet` on the demo (a small one): a French and an English PDF of at most two
/// pages with every section, read back by poppler when it is installed (CI installs it).
#[test]
fn the_factsheet_of_the_demo_in_french_and_english() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = djoliba(&data)
        .args(["serve", "--demo", "--demo-households", "300", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let started = lines.map_while(Result::ok).any(|line| line.starts_with("Djoliba listening on"));
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(started, "the demo loads and the server starts");
    let demo = dir.path().join("data-demo");
    {
        // The demo office is a sync node with a laptop in Gao and a clash to settle.
        let (store, _) = store::Store::open(&store::Target::default_sqlite(&demo)).unwrap();
        let status = store.sync_status(&store::Actor::system()).unwrap();
        assert_eq!(status.peers.len(), 1);
        assert!(status.peers[0].last_contact_at.is_some());
        assert_eq!(status.conflicts, 1);
        let conflict = &store.sync_conflicts(&store::Actor::system()).unwrap()[0];
        let values: std::collections::BTreeSet<_> = conflict.values.iter().filter_map(|v| v.value.clone()).collect();
        assert_eq!((conflict.field.as_str(), values.len()), ("intention", 2), "{values:?}");
        let authors: Vec<_> = conflict.values.iter().filter_map(|v| v.author_name.clone()).collect();
        assert_eq!(authors.len(), 2, "both authors named: {authors:?}");
        // The family registered on the laptop reached the office; the laptop holds Gao only.
        let family = |store: &store::Store, place: &str| {
            store
                .db
                .read(|tx| {
                    tx.query_int(
                        "SELECT COUNT(*) FROM households WHERE external_id = 'GAO-TERRAIN-0001' OR registration_point NOT LIKE $1",
                        store::params![place],
                    )
                })
                .unwrap()
        };
        assert_eq!(family(&store, "%"), 1);
        let (laptop, _) = store::Store::open(&store::Target::default_sqlite(&demo.join("terrain-gao"))).unwrap();
        assert_eq!(family(&laptop, "ML07%"), 1, "only Gao's households, and the family");
        assert_eq!(laptop.sync_conflicts(&store::Actor::system()).unwrap().len(), 1, "the clash is on the laptop too");
        // The family typed at the office from a paper list meets the laptop's in both queues.
        for (node, store) in [("office", &store), ("laptop", &laptop)] {
            let queue = store.duplicate_pairs(&store::Actor::system(), None, 500).unwrap();
            let found = queue.iter().filter(|p| p.found_by == store::duplicates::ARRIVALS_FINDER).count();
            assert!(found >= 3, "{node}: the family's three people are pairs to review ({found})");
        }
    }
    for (lang, headings) in [
        (
            "fr",
            [
                "Chiffres clés",
                "Population concernée",
                "Financement",
                "Bureaux et personnel",
                "Partenaires de mise en œuvre",
            ],
        ),
        ("en", ["Key figures", "Population of concern", "Funding", "Offices and staff", "Implementing partners"]),
    ] {
        let pdf = dir.path().join(format!("fiche-{lang}.pdf"));
        let output = djoliba(&demo)
            .args(["factsheet", "--as-of", "2024-06-30", "--lang", lang, "--output"])
            .arg(&pdf)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let text = match Command::new("pdftotext").arg(&pdf).arg("-").output() {
            Ok(text) if text.status.success() => String::from_utf8_lossy(&text.stdout).into_owned(),
            other if std::env::var_os("CI").is_none() => {
                eprintln!("pdftotext unavailable, the factsheet's text is not checked: {other:?}");
                return;
            }
            other => panic!("CI installs poppler-utils: {other:?}"),
        };
        for heading in headings {
            assert!(text.contains(heading), "{lang}: {heading} missing from\n{text}");
        }
        assert!(text.matches('\u{c}').count() <= 2, "at most two pages");
    }
    let (code, _, err) = {
        let output = djoliba(&demo).args(["factsheet", "--lang", "de", "--output", "x.pdf"]).output().unwrap();
        (output.status.code(), (), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    assert_eq!(code, Some(1));
    assert!(err.contains("--lang \"de\": expected fr or en"), "{err}");
}

/// A server stopped when the test ends, also when it fails: a server left running would hold
/// the test run's output open.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `djoliba` in a data folder and returns its standard output; fails with its error.
fn run_ok(dir: &std::path::Path, args: &[&str]) -> String {
    let output = djoliba(dir).args(args).output().unwrap();
    assert!(output.status.success(), "djoliba {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// The word after `label` in `text`.
fn after<'t>(text: &'t str, label: &str) -> &'t str {
    let start = text.find(label).unwrap_or_else(|| panic!("{label} in {text}")) + label.len();
    text[start..].split_whitespace().next().unwrap().trim_matches('\'')
}

/// Makes `laptop` a sync node named `name` and enrols it at `office` with `scope` (e.g.
/// `--region ML07`); returns what `enrol` printed (the token and the office's identity).
fn enrol(office: &std::path::Path, laptop: &std::path::Path, name: &str, scope: &[&str]) -> String {
    let init = run_ok(laptop, &["sync", "init", "--name", name]);
    let mut args = vec![
        "sync",
        "enrol",
        "--node-id",
        after(&init, "Node id:"),
        "--public-key",
        after(&init, "Public key:"),
        "--name",
        name,
    ];
    args.extend_from_slice(scope);
    run_ok(office, &args)
}

/// `sync connect` on `laptop` with what `enrol` printed, and `extra` options.
fn connect(laptop: &std::path::Path, url: &str, enrolled: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "sync",
        "connect",
        "--url",
        url,
        "--token",
        after(enrolled, "--token "),
        "--office-node",
        after(enrolled, "--office-node "),
        "--office-key",
        after(enrolled, "--office-key "),
    ];
    args.extend_from_slice(extra);
    run_ok(laptop, &args)
}

/// Two field laptops and the country office's server, three processes: registered and edited
/// offline, synced by HTTP and by a bundle file, they end with the same registry and the one
/// same-field clash kept on all three; every audit chain holds.
#[test]
fn two_field_laptops_and_the_office_sync_by_http_and_by_bundle() {
    let (office, gao, ansongo) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let office_clerk = {
        let (store, _) = store::Store::open(&store::Target::default_sqlite(office.path())).unwrap();
        crate::support::registrar(&store)
    };
    let office_init = run_ok(office.path(), &["sync", "init", "--name", "Bamako"]);
    let mut server = Stopped(
        djoliba(office.path()).args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap(),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let address = lines
        .by_ref()
        .find_map(|l| l.unwrap().strip_prefix("Djoliba listening on http://").map(str::to_string))
        .expect("the office listens");
    let url = format!("http://{address}");
    for (laptop, name) in [(gao.path(), "Gao"), (ansongo.path(), "Ansongo")] {
        let enrolled = enrol(office.path(), laptop, name, &["--organisation", "NRC", "--region", "ML07"]);
        connect(laptop, &url, &enrolled, &[]);
        let pulled = run_ok(laptop, &["sync", "pull"]);
        assert!(pulled.contains("Applied 2,"), "the organisation and its clerk arrive: {pulled}");
        // The clerk created at the office signs in on the laptop with the same password.
        let (store, _) = store::Store::open(&store::Target::default_sqlite(laptop)).unwrap();
        let signed_in = store.verify_login(&office_clerk.username, "correct horse battery").unwrap();
        assert_eq!(signed_in.map(|a| a.user_id), Some(office_clerk.user_id.clone()));
    }
    assert!(office_init.contains("Node id:"));

    // Gao registers offline, then syncs; Ansongo receives it from the office.
    let household = {
        let (store, _) = store::Store::open(&store::Target::default_sqlite(gao.path())).unwrap();
        let clerk = crate::support::registrar(&store);
        let input = crate::support::household("GAO-7").parse(store.gazetteer.as_ref(), store.today()).unwrap();
        let id = store.register_household(&clerk, &input).unwrap().household.id;
        // And a distribution, offline too.
        crate::assistance::displaced(&store, &clerk, "GAO-8", 2);
        let programme = crate::assistance::programme("KITS-G", "shelter_kit", "household");
        let programme = store.create_programme(&clerk, &programme).unwrap();
        let round = store.create_cycle(&clerk, &programme.id, &crate::assistance::round("Juin")).unwrap();
        store.plan_cycle(&clerk, &round.id, &Default::default()).unwrap();
        store.advance_cycle(&clerk, &round.id, "approved").unwrap();
        store.advance_cycle(&clerk, &round.id, "distributing").unwrap();
        store.record_delivery(&clerk, &round.id, &crate::assistance::delivery("GAO-8", "1")).unwrap();
        (id, round.id)
    };
    let (household, round) = household;
    let pushed = run_ok(gao.path(), &["sync", "now"]);
    assert!(pushed.contains("Pushed ") && !pushed.contains("Pushed 0 "), "{pushed}");
    let pulled = run_ok(ansongo.path(), &["sync", "now"]);
    assert!(pulled.contains("refused 0") && !pulled.contains("Applied 0,"), "{pulled}");

    // Gao's disk is copied now; it will die after its next edit is sent.
    let copy = gao.path().join("gao-copy.sqlite");
    run_ok(gao.path(), &["backup", "--output", copy.to_str().unwrap()]);

    // Both laptops correct the head's phone offline; Ansongo also records a father's name.
    for (laptop, phone, father) in [(gao.path(), "70111111", None), (ansongo.path(), "76222222", Some("Oumar"))] {
        let (store, _) = store::Store::open(&store::Target::default_sqlite(laptop)).unwrap();
        let clerk = crate::support::registrar(&store);
        let detail = store.household_detail(&clerk, &household).unwrap();
        let head = detail.members.iter().find(|m| m.person.external_id.as_deref() == Some("P1")).unwrap();
        let mut input = crate::support::member("P1", "Aminata", "head", "1985");
        input.phone = Some(phone.into());
        input.father_name = father.map(str::to_string);
        let parsed = input.parse(store.gazetteer.as_ref(), store.today()).unwrap();
        store.update_person(&clerk, &head.person.id, &parsed, "phone seen at distribution").unwrap();
    }
    // Gao syncs by HTTP, then its disk dies and the copy is restored: a new epoch, and what it
    // had sent comes back from the office.
    run_ok(gao.path(), &["sync", "now"]);
    let restored = run_ok(gao.path(), &["restore", copy.to_str().unwrap(), "--force"]);
    assert!(restored.contains("epoch 2"), "{restored}");
    // Ansongo's link is down: its changes go by USB key to the office.
    let bundle = ansongo.path().join("to-bamako.djsync");
    run_ok(ansongo.path(), &["sync", "--bundle-out", bundle.to_str().unwrap()]);
    let carried = run_ok(office.path(), &["sync", "--bundle-in", bundle.to_str().unwrap()]);
    assert!(carried.contains("conflicts opened 1"), "{carried}");
    let again = run_ok(office.path(), &["sync", "--bundle-in", bundle.to_str().unwrap()]);
    assert!(again.contains("Applied 0,"), "a bundle read twice changes nothing: {again}");
    run_ok(ansongo.path(), &["sync", "now"]);
    run_ok(gao.path(), &["sync", "now"]);

    let status = run_ok(office.path(), &["sync", "status"]);
    assert!(status.contains("conflicts open 1"), "{status}");
    drop(server);

    let mut seen = Vec::new();
    for dir in [office.path(), gao.path(), ansongo.path()] {
        let conflicts = run_ok(dir, &["sync", "conflicts"]);
        assert!(
            conflicts.contains("phone") && conflicts.contains("70111111") && conflicts.contains("76222222"),
            "{conflicts}"
        );
        let (store, _) = store::Store::open(&store::Target::default_sqlite(dir)).unwrap();
        let detail = store.household_detail(&store::Actor::system(), &household).unwrap();
        let mut people: Vec<_> = detail
            .members
            .iter()
            .map(|m| (m.person.id.clone(), m.person.phone.clone(), m.person.father_name.clone()))
            .collect();
        people.sort();
        seen.push((people, detail.movements.len(), detail.household.status));
        let verified = run_ok(dir, &["audit", "verify"]);
        assert!(verified.contains("intact") && !verified.contains("tampered"), "{verified}");
        if dir == office.path() {
            // The laptops' chains travelled: Gao's in two epochs (its restore).
            assert!(
                verified.contains("The audit log of node Gao is intact") && verified.contains("in 2 epoch(s)"),
                "{verified}"
            );
            assert!(verified.contains("The audit log of node Ansongo is intact"), "{verified}");
        }
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "the three registries agree: {seen:?}");
    let (office_store, _) = store::Store::open(&store::Target::default_sqlite(office.path())).unwrap();
    let delivered = office_store.cycle(&store::Actor::system(), &round).unwrap().progress.unwrap();
    assert_eq!(delivered.reached, 1, "the delivery made offline in Gao counts at the office");
    let fingerprints: Vec<String> = [office.path(), gao.path(), ansongo.path()]
        .iter()
        .map(|dir| store::Store::open(&store::Target::default_sqlite(dir)).unwrap().0.sync_fingerprint().unwrap())
        .collect();
    assert!(fingerprints.windows(2).all(|w| w[0] == w[1]), "{fingerprints:?}");
    assert!(seen[0].0.iter().any(|(_, _, father)| father.as_deref() == Some("Oumar")));
}

/// The office serves HTTPS itself (`serve --tls-cert/--tls-key`) with its own certificate: a
/// laptop that does not trust it is told what to do and sends nothing; once connected with
/// `--ca-cert` it pulls and pushes over TLS; plain HTTP to that port gets no answer.
#[test]
fn a_field_laptop_syncs_over_https_with_the_offices_own_certificate() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures");
    let (certificate, key) = (fixtures.join("office-tls-cert.pem"), fixtures.join("office-tls-key.pem"));
    let (office, gao) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    {
        let (store, _) = store::Store::open(&store::Target::default_sqlite(office.path())).unwrap();
        crate::support::registrar(&store);
    }
    // A key that is not the certificate's is refused before anything starts, both files named.
    let wrong = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(wrong.path(), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").unwrap();
    let refused = djoliba(office.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&certificate)
        .arg("--tls-key")
        .arg(wrong.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success() && said.contains(&wrong.path().display().to_string()), "{said}");

    run_ok(office.path(), &["sync", "init", "--name", "Bamako"]);
    let mut server = Stopped(
        djoliba(office.path())
            .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
            .arg(&certificate)
            .arg("--tls-key")
            .arg(&key)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let address = lines
        .by_ref()
        .find_map(|l| l.unwrap().strip_prefix("Djoliba listening on https://").map(str::to_string))
        .expect("the office listens over HTTPS");
    // Plain HTTP to the TLS port: no HTTP answer.
    let mut plain = std::net::TcpStream::connect(&address).unwrap();
    plain.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    plain.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));

    let url = format!("https://localhost:{}", address.rsplit(':').next().unwrap());
    let enrolled = enrol(office.path(), gao.path(), "Gao", &[]);
    connect(gao.path(), &url, &enrolled, &[]);
    let untrusted = djoliba(gao.path()).args(["sync", "pull"]).output().unwrap();
    let said = String::from_utf8_lossy(&untrusted.stderr);
    assert!(!untrusted.status.success() && said.contains("--ca-cert"), "{said}");
    let cert = certificate.display().to_string();
    connect(gao.path(), &url, &enrolled, &["--ca-cert", &cert]);
    let pulled = run_ok(gao.path(), &["sync", "pull"]);
    assert!(pulled.contains("Applied ") && !pulled.contains("Applied 0,"), "the office's records arrive: {pulled}");
    {
        let (store, _) = store::Store::open(&store::Target::default_sqlite(gao.path())).unwrap();
        let clerk = crate::support::registrar(&store);
        let input = crate::support::household("GAO-9").parse(store.gazetteer.as_ref(), store.today()).unwrap();
        store.register_household(&clerk, &input).unwrap();
    }
    let pushed = run_ok(gao.path(), &["sync", "push"]);
    assert!(pushed.contains("Pushed ") && !pushed.contains("Pushed 0 "), "{pushed}");
    drop(server);
    let (store, _) = store::Store::open(&store::Target::default_sqlite(office.path())).unwrap();
    let arrived = store
        .db
        .read(|tx| tx.query_int("SELECT COUNT(*) FROM households WHERE external_id = 'GAO-9'", store::params![]))
        .unwrap();
    assert_eq!(arrived, 1, "the laptop's registration reached the office over HTTPS");
}

/// The README's `curl` lines, as shell would read them: words (quotes removed, `$TOKEN`
/// replaced), one command per line unless a quote or a backslash carries it on.
fn readme_commands(readme: &str) -> Vec<(bool, Vec<String>)> {
    let mut commands = Vec::new();
    for block in readme.split("```sh\n").skip(1).filter_map(|b| b.split("```").next()) {
        let (mut words, mut word, mut quote, mut chars) = (Vec::new(), String::new(), None, block.chars().peekable());
        let mut finish = |words: &mut Vec<String>| {
            if !words.is_empty() {
                commands.push(std::mem::take(words));
            }
        };
        while let Some(ch) = chars.next() {
            match (quote, ch) {
                (None, '\\') if chars.peek() == Some(&'\n') => {
                    chars.next();
                }
                (None, '\'' | '"') => quote = Some(ch),
                (Some(q), c) if c == q => quote = None,
                (None, ' ' | '\n') => {
                    if !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    if ch == '\n' {
                        finish(&mut words);
                    }
                }
                (_, c) => word.push(c),
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        finish(&mut words);
    }
    commands
        .into_iter()
        .filter_map(|words| match words.first().map(String::as_str) {
            Some("curl") => Some((false, words)),
            // TOKEN=$(curl … | jq -r .token): the sign-in, whose answer holds the token.
            Some("TOKEN=$(curl") => {
                let mut words: Vec<String> = words.into_iter().take_while(|w| w != "|").collect();
                words[0] = "curl".into();
                Some((true, words))
            }
            _ => None,
        })
        .collect()
}

/// Sends one request; the answer's status and body.
fn request(address: &str, method: &str, path: &str, headers: &[String], body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for header in headers {
        head.push_str(&format!("{header}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let status = String::from_utf8_lossy(&answer[9..12]).parse().unwrap();
    let start = answer.windows(4).position(|w| w == b"\r\n\r\n").map_or(answer.len(), |at| at + 4);
    (status, answer[start..].to_vec())
}

/// The README's API examples, run as written against the demo (a small one).
#[test]
fn the_readmes_api_examples_work_on_the_demo_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = djoliba(&dir.path().join("data"))
        .args(["serve", "--demo", "--demo-households", "60", "--listen", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let address = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|line| line.unwrap())
        .find_map(|line| line.strip_prefix("Djoliba listening on http://").map(str::to_string))
        .expect("the demo serves");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    // The file the series example uploads: a published figure by région.
    let dtm =
        "Région,Date,PDI\n#adm1+name,#date+reported,#affected+idps+ind\nGao,2024-03-31,1200\nMopti,2024-03-31,800\n";
    let (mut token, mut ran, mut failures) = (String::new(), 0, Vec::new());
    for (signs_in, words) in readme_commands(&readme) {
        let (mut headers, mut body, mut url) = (Vec::new(), Vec::<u8>::new(), String::new());
        let mut method = "GET";
        let mut words = words.into_iter().skip(1).map(|w| w.replace("$TOKEN", &token));
        while let Some(word) = words.next() {
            match word.as_str() {
                "-s" => {}
                "-H" => headers.push(words.next().unwrap()),
                "-o" => {
                    words.next();
                }
                "-d" => {
                    method = "POST";
                    body = words.next().unwrap().into_bytes();
                }
                "-F" => {
                    method = "POST";
                    let field = words.next().unwrap();
                    let (name, file) = field.split_once("=@").expect("a file field");
                    assert_eq!(file, "dtm.csv", "an example uploads a file the test does not know");
                    headers.push("Content-Type: multipart/form-data; boundary=readme".into());
                    body = format!("--readme\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\nContent-Type: text/csv\r\n\r\n{dtm}\r\n--readme--\r\n").into_bytes();
                }
                other if !other.starts_with('-') => url = other.to_string(),
                other => panic!("the test does not know curl's {other}"),
            }
        }
        let path = url.strip_prefix("localhost:8080").unwrap_or_else(|| panic!("{url} is not the demo's address"));
        let (status, answer) = request(&address, method, path, &headers, &body);
        ran += 1;
        if !(200..300).contains(&status) {
            failures.push(format!("{method} {path}: {status} {}", String::from_utf8_lossy(&answer)));
        }
        if signs_in {
            let json: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_default();
            token = json["token"].as_str().unwrap_or_default().to_string();
            assert!(!token.is_empty(), "the README's sign-in gives a token");
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(failures.is_empty(), "README examples that fail on the demo:\n{}", failures.join("\n"));
    assert!(ran >= 12, "every example ran ({ran})");
}
