//! Registry benchmark: bulk import of synthetic households, people and movements from CSV into
//! SQLite, next to SQLite's own `.import` of the same rows into the same tables, and the latency
//! of registering one household through the API on a registry of that size. Under
//! `scripts/with-postgres`, also Djoliba's import into PostgreSQL next to psql's `\copy` of the
//! same rows (`DJOLIBA_BENCH_ONLY=sqlite|postgresql` runs one of the two).
//!
//! `cargo bench -p djoliba --bench registry` (100,000 households, 500,000 people, 300,000
//! movements). `DJOLIBA_BENCH_HOUSEHOLDS=10000` for a quicker run. Needs `sqlite3` on the PATH
//! for the comparison. Peak memory is the child process's VmHWM from /proc.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark stops at its first surprise

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const COMMUNES: [&str; 8] =
    ["ML070101", "ML070201", "ML060101", "ML050101", "ML050201", "ML090101", "ML100101", "ML040101"];
const GIVEN: [&str; 10] =
    ["Aminata", "Moussa", "Fatoumata", "Mamadou", "Awa", "Oumar", "Aïssata", "Ibrahim", "Mariam", "Boubacar"];
const FAMILY: [&str; 8] = ["Maïga", "Touré", "Cissé", "Traoré", "Diallo", "Coulibaly", "Ag Mohamed", "Walet Alhassane"];

/// A small deterministic generator (LCG), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn generate(dir: &Path, households: usize) -> (usize, usize, usize) {
    let mut rng = Rng(42);
    let mut h_out = String::from(
        "household_id,registration_point,registration_date,population_group,origin,shelter_type,intention\n",
    );
    let mut p_out = String::from(
        "household_id,person_id,given_name,family_name,father_name,sex,birth_date,relationship,documents_missing\n",
    );
    let mut m_out = String::from("household_id,person_id,kind,date,from,to,cause,source\n");
    let (mut people, mut movements) = (0, 0);
    for h in 0..households {
        let here = COMMUNES[rng.next(COMMUNES.len())];
        // Displaced from elsewhere: a movement from a place to itself is refused.
        let origin = loop {
            let origin = COMMUNES[rng.next(COMMUNES.len())];
            if origin != here {
                break origin;
            }
        };
        let family = FAMILY[rng.next(FAMILY.len())];
        h_out.push_str(&format!(
            "B{h:07},{here},2024-{:02}-{:02},IDP,{origin},host_family,undecided\n",
            1 + rng.next(5),
            1 + rng.next(28)
        ));
        for p in 0..5 {
            let (relationship, birth) = if p == 0 {
                ("head", format!("{}", 1950 + rng.next(50)))
            } else {
                ("child", format!("{}-{:02}-{:02}", 2005 + rng.next(18), 1 + rng.next(12), 1 + rng.next(28)))
            };
            let sex = if rng.next(2) == 0 { "f" } else { "m" };
            p_out.push_str(&format!(
                "B{h:07},{p},{},{family},{},{sex},{birth},{relationship},birth_certificate\n",
                GIVEN[rng.next(GIVEN.len())],
                GIVEN[rng.next(GIVEN.len())]
            ));
            people += 1;
        }
        m_out.push_str(&format!(
            "B{h:07},,displacement,2022-{:02}-01,{origin},{here},armed_conflict,interview\n",
            1 + rng.next(12)
        ));
        m_out.push_str(&format!("B{h:07},,pendular_visit,2023-{:02}-10,,{origin},,interview\n", 1 + rng.next(12)));
        m_out.push_str(&format!(
            "B{h:07},,secondary_displacement,2024-01-{:02},,{here},intercommunal_violence,interview\n",
            1 + rng.next(28)
        ));
        movements += 3;
    }
    std::fs::write(dir.join("households.csv"), h_out).unwrap();
    std::fs::write(dir.join("people.csv"), p_out).unwrap();
    std::fs::write(dir.join("movements.csv"), m_out).unwrap();
    (households, people, movements)
}

fn djoliba(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_djoliba"));
    c.arg("--data-dir").arg(data).env("DJOLIBA_LOG", "warn");
    c
}

/// One line of the comparison: time, rows per second, peak memory.
fn print_rate(label: &str, time: Duration, rows: usize, peak_mib: f64) {
    println!(
        "{:<28} {:>7.2} s  {:>9.0} rows/s  peak {:>6.0} MiB",
        format!("{label}:"),
        time.as_secs_f64(),
        rows as f64 / time.as_secs_f64(),
        peak_mib
    );
}

/// Runs a command to the end; returns wall time and peak resident memory (MiB).
fn measure(mut command: Command) -> (Duration, f64) {
    let start = Instant::now();
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("spawn");
    // Drained while the child runs, so a chatty child never blocks on a full pipe.
    let mut stderr = child.stderr.take().expect("stderr");
    let drain = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).ok();
        text
    });
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                let kib: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0);
                peak_kib = peak_kib.max(kib);
            }
        }
        if let Some(status) = child.try_wait().expect("wait") {
            let elapsed = start.elapsed();
            let err = drain.join().unwrap_or_default();
            let head: Vec<&str> = err.lines().take(5).collect();
            assert!(status.success(), "{}", head.join("\n"));
            if !err.is_empty() {
                eprintln!("(stderr: {})", err.lines().take(3).collect::<Vec<_>>().join(" | "));
            }
            return (elapsed, peak_kib as f64 / 1024.0);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn http(stream: &mut std::net::TcpStream, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, String) {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status: u16 = status_line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` lists benches; nothing to run then.
    }
    let households: usize =
        std::env::var("DJOLIBA_BENCH_HOUSEHOLDS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let work = tempfile::tempdir().unwrap();
    let files = work.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let (h, p, m) = generate(&files, households);
    let rows = h + p + m;
    println!("synthetic registry: {h} households, {p} people, {m} movements ({rows} rows)");

    let only = std::env::var("DJOLIBA_BENCH_ONLY").unwrap_or_default();
    if only != "postgresql" {
        sqlite(work.path(), &files, rows);
    }
    match std::env::var("DJOLIBA_TEST_POSTGRES_URL") {
        Ok(admin) if only != "sqlite" => postgresql(work.path(), &files, rows, &admin),
        _ => println!("(PostgreSQL: run under scripts/with-postgres for its import next to psql \\copy)"),
    }
}

/// Djoliba's import into SQLite next to `sqlite3 .import`, then API latencies on that registry.
fn sqlite(work: &Path, files: &Path, rows: usize) {
    // Djoliba's import.
    let data = work.join("djoliba");
    let mut org = djoliba(&data);
    org.args(["org", "add", "BENCH", "Benchmark"]);
    measure(org);
    let mut import = djoliba(&data);
    import
        .arg("import")
        .args(["households.csv", "people.csv", "movements.csv"].map(|f| files.join(f)))
        .args(["--organisation", "BENCH"]);
    let (import_time, import_peak) = measure(import);
    print_rate("djoliba import", import_time, rows, import_peak);

    // SQLite's own .import of the same rows into the same tables (schema and indexes from
    // djoliba migrate), in one transaction, foreign keys off as the sqlite3 shell has them.
    let db = data.join("djoliba.sqlite");
    let raw = work.join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    // The shell's .import cannot write NULL (it writes ''), and movements without an id of
    // their own would then collide on UNIQUE (household_id, external_id): give them their row
    // id as external id, the same kind of value and index work.
    let status = Command::new("sqlite3")
        .arg(&db)
        .arg("UPDATE movements SET external_id = id WHERE external_id IS NULL")
        .status()
        .expect("sqlite3 on the PATH");
    assert!(status.success());
    for table in ["households", "people", "movements"] {
        let out = Command::new("sqlite3")
            .arg(&db)
            .args(["-csv", &format!("SELECT * FROM {table}")])
            .output()
            .expect("sqlite3 on the PATH");
        std::fs::write(raw.join(format!("{table}.csv")), out.stdout).unwrap();
    }
    let fresh = work.join("sqlite-cli");
    let mut migrate = djoliba(&fresh);
    migrate.arg("migrate");
    measure(migrate);
    let script = ["households", "people", "movements"]
        .map(|t| format!(".import --csv {} {t}\n", raw.join(format!("{t}.csv")).display()))
        .concat();
    let script_file = work.join("import.sql");
    std::fs::write(&script_file, format!("BEGIN;\n{script}COMMIT;\n")).unwrap();
    let mut cli = Command::new("sqlite3");
    cli.arg(fresh.join("djoliba.sqlite")).stdin(std::fs::File::open(&script_file).unwrap());
    let (cli_time, cli_peak) = measure(cli);
    print_rate("sqlite3 .import", cli_time, rows, cli_peak);
    println!("ratio djoliba / sqlite3: {:.2}x", import_time.as_secs_f64() / cli_time.as_secs_f64());

    // API latency of one registration on this registry.
    let mut add = djoliba(&data);
    add.args(["user", "add", "bench", "--role", "registrar", "--organisation", "BENCH", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = add.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"bench password 1\n").unwrap();
    assert!(child.wait().unwrap().success());
    let mut server = djoliba(&data).args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap();
    let address = BufReader::new(server.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("Djoliba listening on http://").map(str::to_string))
        .expect("address");
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream.set_nodelay(true).unwrap();
    let (_, login) =
        http(&mut stream, "POST", "/api/v1/auth/login", None, r#"{"username":"bench","password":"bench password 1"}"#);
    let token = login.split("\"token\":\"").nth(1).and_then(|s| s.split('"').next()).expect("token").to_string();
    let mut latencies = Vec::new();
    for i in 0..1000 {
        let body = format!(
            r#"{{"external_id":"API-{i}","registration_point":"ML070101","registration_date":"2024-05-01","population_group":"IDP","members":[{{"external_id":"1","given_name":"Awa","family_name":"Maïga","relationship":"head","birth_date":"1980"}},{{"external_id":"2","given_name":"Ali","family_name":"Maïga","relationship":"child","estimated_age":6}}],"movements":[{{"kind":"displacement","date":"2023-02-01","to":"ML070101","cause":"armed_conflict"}},{{"kind":"pendular_visit","date":"2023-09-01","to":"ML060101"}},{{"kind":"return","date":"2024-03-01","to":"ML060101"}}]}}"#
        );
        let start = Instant::now();
        let (status, response) = http(&mut stream, "POST", "/api/v1/households", Some(&token), &body);
        latencies.push(start.elapsed());
        assert_eq!(status, 201, "{response}");
    }
    let mut list_latencies = Vec::new();
    for i in 0..200 {
        let start = Instant::now();
        let (status, _) = http(
            &mut stream,
            "GET",
            &format!("/api/v1/households?location=ML07&limit=50&offset={}", i * 50),
            Some(&token),
            "",
        );
        list_latencies.push(start.elapsed());
        assert_eq!(status, 200);
    }
    server.kill().ok();
    server.wait().ok();
    latencies.sort();
    list_latencies.sort();
    println!(
        "API register household (2 members, 3 movements), {} requests: p50 {:.2} ms, p99 {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    println!(
        "API list households in Gao (50 per page, with total count), {} requests: p50 {:.2} ms, p99 {:.2} ms",
        list_latencies.len(),
        percentile(&list_latencies, 0.5),
        percentile(&list_latencies, 0.99)
    );
}

/// A new database on the server of `admin` (a URL whose database is `postgres`); its URL.
fn new_database(admin: &str, name: &str) -> String {
    psql(admin, &["-c", &format!("CREATE DATABASE {name}")]);
    admin.replacen("/postgres", &format!("/{name}"), 1)
}

fn psql(url: &str, args: &[&str]) {
    let status = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url])
        .args(args)
        .stdout(Stdio::null())
        .status()
        .expect("psql on the PATH");
    assert!(status.success(), "psql {args:?}");
}

/// Djoliba's import into PostgreSQL next to psql's `\copy` of the same rows into the same
/// tables (schema and indexes from djoliba migrate), in one transaction.
fn postgresql(work: &Path, files: &Path, rows: usize, admin: &str) {
    let url = new_database(admin, "bench_import");
    let with_url = |args: &[&str]| {
        let mut c = djoliba(&work.join("pg-data"));
        c.args(["--database-url", &url]).args(args);
        c
    };
    measure(with_url(&["org", "add", "BENCH", "Benchmark"]));
    let mut import = with_url(&["import"]);
    import
        .args(["households.csv", "people.csv", "movements.csv"].map(|f| files.join(f)))
        .args(["--organisation", "BENCH"]);
    let (import_time, import_peak) = measure(import);
    print_rate("djoliba import (PostgreSQL)", import_time, rows, import_peak);
    let raw = work.join("pg-raw");
    std::fs::create_dir_all(&raw).unwrap();
    // The organisation and the user the rows refer to go in first, untimed.
    let referred = ["organisations", "users"];
    let tables = ["households", "people", "movements"];
    for table in referred.into_iter().chain(tables) {
        let file = raw.join(format!("{table}.tsv"));
        psql(&url, &["-c", &format!("\\copy {table} TO '{}'", file.display())]);
    }
    let fresh = new_database(admin, "bench_copy");
    let mut migrate = djoliba(&work.join("pg-copy"));
    migrate.args(["--database-url", &fresh, "migrate"]);
    measure(migrate);
    for table in referred {
        psql(&fresh, &["-c", &format!("\\copy {table} FROM '{}'", raw.join(format!("{table}.tsv")).display())]);
    }
    let script: String =
        tables.map(|t| format!("\\copy {t} FROM '{}'\n", raw.join(format!("{t}.tsv")).display())).concat();
    let script_file = work.join("copy.sql");
    std::fs::write(&script_file, format!("BEGIN;\n{script}COMMIT;\n")).unwrap();
    let mut copy = Command::new("psql");
    copy.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &fresh, "-f"]).arg(&script_file);
    let (copy_time, copy_peak) = measure(copy);
    print_rate("psql \\copy", copy_time, rows, copy_peak);
    println!("ratio djoliba / psql \\copy: {:.2}x", import_time.as_secs_f64() / copy_time.as_secs_f64());
}
