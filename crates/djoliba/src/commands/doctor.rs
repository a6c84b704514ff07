//! `djoliba doctor`: checks the setup one step at a time and says what to do about each problem.

use std::process::ExitCode;

use store::{migrate, Backend, Db, Target};

use crate::Cli;

struct Report {
    problems: usize,
}

impl Report {
    fn ok(&self, what: &str) {
        println!("ok    {what}");
    }
    fn problem(&mut self, what: &str, advice: &str) {
        self.problems += 1;
        println!("FAIL  {what}\n      → {advice}");
    }
}

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let mut report = Report { problems: 0 };
    println!("Djoliba {}", env!("CARGO_PKG_VERSION"));
    let target = match super::target(cli) {
        Ok(t) => {
            report.ok(&format!("database URL: {}", t.describe()));
            t
        }
        Err(e) => {
            report.problem(
                &format!("database URL: {e}"),
                "fix --database-url or DATABASE_URL, or leave it unset to use the data folder",
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    if let Target::Sqlite { path, create } = &target {
        let dir = path.parent().map(|p| p.to_path_buf()).unwrap_or_default();
        if dir.as_os_str().is_empty() || dir.exists() {
            let probe = dir.join(".djoliba-write-test");
            match std::fs::write(&probe, b"") {
                Ok(()) => {
                    let _ = std::fs::remove_file(&probe);
                    report.ok(&format!("data folder {} is writable", dir.display()));
                }
                Err(e) => report.problem(
                    &format!("data folder {} is not writable: {e}", dir.display()),
                    "give this user write access, or choose another folder with --data-dir",
                ),
            }
        } else if *create {
            println!("info  data folder {} does not exist yet; `djoliba serve` creates it", dir.display());
            return Ok(ExitCode::SUCCESS);
        }
        if !path.exists() {
            if *create {
                println!("info  no database yet at {}; `djoliba serve` creates it", path.display());
                return Ok(ExitCode::SUCCESS);
            }
            report.problem(&format!("no SQLite database at {}", path.display()), "check the path in the URL");
            return Ok(ExitCode::FAILURE);
        }
    }
    let db = match Db::connect(&target) {
        Ok(db) => db,
        Err(e) => {
            report.problem(
                &format!("cannot connect: {e}"),
                "check that the server runs and the URL's host, port, user and database",
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    match db.read(|tx| tx.query_int("SELECT 1", store::params![])) {
        Ok(_) => report.ok("the database answers"),
        Err(e) => report.problem(&format!("the database does not answer: {e}"), "check the server and the credentials"),
    }
    if db.backend() == Backend::Sqlite {
        match db.read(|tx| {
            Ok((
                tx.query_opt("PRAGMA journal_mode", store::params![])?,
                tx.query_opt("PRAGMA quick_check", store::params![])?,
            ))
        }) {
            Ok((mode, check)) => {
                let mode = mode.map(|r| r.text(0)).unwrap_or_default();
                if mode == "wal" {
                    report.ok("SQLite journal mode is WAL");
                } else {
                    report.problem(
                        &format!("SQLite journal mode is {mode}, not WAL"),
                        "run djoliba serve once; it sets WAL",
                    );
                }
                let check = check.map(|r| r.text(0)).unwrap_or_default();
                if check == "ok" {
                    report.ok("SQLite integrity check passed");
                } else {
                    report.problem(
                        &format!("SQLite integrity check: {check}"),
                        "restore the latest backup from the backups folder",
                    );
                }
            }
            Err(e) => report.problem(&format!("cannot inspect the SQLite file: {e}"), "check the file's permissions"),
        }
    }
    match migrate::status(&db) {
        Ok(s) if s.pending.is_empty() => report.ok(&format!("schema up to date (migrations {:?})", s.applied)),
        Ok(s) => report.problem(
            &format!("migrations pending: {:?}", s.pending),
            "run djoliba migrate (djoliba serve also applies them, after a backup)",
        ),
        Err(e) => report
            .problem(&format!("schema: {e}"), "use the Djoliba version that wrote this database, or restore a backup"),
    }
    match db
        .read(|tx| tx.query_int("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0", store::params![]))
    {
        Ok(0) => report.problem("no active administrator", "djoliba user add NAME --role admin"),
        Ok(n) => report.ok(&format!("{n} active administrator(s)")),
        Err(_) => {}
    }
    if report.problems == 0 {
        println!("No problem found.");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{} problem(s) found.", report.problems);
        Ok(ExitCode::FAILURE)
    }
}
