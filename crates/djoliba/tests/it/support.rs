//! Test helpers: fresh databases on each backend, a fixed clock, sample input.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use domain::registry::{HouseholdInput, MovementInput, PersonInput};
use store::{Actor, Store, Target};

/// The day tests live on: movements and registrations are dated before it.
pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 30, 12, 0, 0).single().expect("valid date")
}

pub struct TestStore {
    pub store: Store,
    pub backend: &'static str,
    target: Target,
    _dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database this value created, dropped with it: a run makes hundreds, and
    /// kept they fill the disk of the machine that runs the tests (a replica doubles them).
    created_database: Option<String>,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Some(name) = self.created_database.take() else { return };
        let Some(admin_url) = std::env::var("DJOLIBA_TEST_POSTGRES_URL").ok() else { return };
        // FORCE closes this store's own pooled connections, which are dropped after this.
        if let Ok(mut client) = postgres::Client::connect(&admin_url, postgres::NoTls) {
            let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

fn open(target: &Target) -> Store {
    Store::open_with_clock(target, Arc::new(now)).expect("open store").0
}

impl TestStore {
    /// The same SQLite database opened again, as after a restart (`None` on PostgreSQL).
    pub fn reopen(&self) -> Option<Store> {
        self._dir.as_ref().map(|_| open(&self.target))
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The read replica of this PostgreSQL test database (`DJOLIBA_TEST_POSTGRES_REPLICA_URL`,
    /// started by `scripts/with-postgres`); `None` on SQLite or without one, except under CI
    /// where a PostgreSQL run without its replica fails.
    pub fn replica(&self) -> Option<Target> {
        let Target::Postgres { config, .. } = &self.target else { return None };
        let Some(url) = std::env::var("DJOLIBA_TEST_POSTGRES_REPLICA_URL").ok().filter(|u| !u.is_empty()) else {
            assert!(std::env::var_os("CI").is_none(), "CI runs PostgreSQL with a read replica (scripts/with-postgres)");
            return None;
        };
        let mut replica: postgres::Config = url.parse().expect("replica URL parses");
        replica.dbname(config.get_dbname().expect("a test database"));
        Some(Target::Postgres { config: Box::new(replica), display: "the test database's read replica".into() })
    }

    /// The same database opened again, by a second server's store.
    pub fn second_store(&self) -> Store {
        open(&self.target)
    }

    /// The same database opened by a second server: its own caches, connections and memory
    /// (the first keeps the database's folder).
    pub fn second_server(&self) -> TestStore {
        TestStore {
            store: self.second_store(),
            backend: self.backend,
            target: self.target.clone(),
            _dir: None,
            created_database: None,
        }
    }
}

pub fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = Target::default_sqlite(dir.path());
    TestStore { store: open(&target), backend: "sqlite", target, _dir: Some(dir), created_database: None }
}

/// A new, empty database on the PostgreSQL server named by `DJOLIBA_TEST_POSTGRES_URL`.
pub fn postgres() -> Option<TestStore> {
    let admin_url = std::env::var("DJOLIBA_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())?;
    let name = format!("djoliba_test_{}", uuid_like());
    let mut client =
        postgres::Client::connect(&admin_url, postgres::NoTls).expect("connect to the test PostgreSQL server");
    client.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
    let mut config: postgres::Config = admin_url.parse().expect("test URL parses");
    config.dbname(&name);
    let target = Target::Postgres { config: Box::new(config), display: format!("test database {name}") };
    Some(TestStore { store: open(&target), backend: "postgresql", target, _dir: None, created_database: Some(name) })
}

fn uuid_like() -> String {
    store::new_id().replace('-', "")
}

/// Every backend available to this run: SQLite, and PostgreSQL when configured.
pub fn stores() -> Vec<TestStore> {
    let mut all = vec![sqlite()];
    all.extend(postgres());
    all
}

/// An organisation NRC and a registrar of it.
pub fn registrar(store: &Store) -> Actor {
    let admin = Actor::system();
    if store.organisation("NRC").expect("query").is_none() {
        store.create_organisation(&admin, "NRC", "Norwegian Refugee Council").expect("org");
    }
    let user = store
        .create_user(
            &admin,
            &format!("clerk{}", &uuid_like()[20..]),
            domain::Role::Registrar,
            Some("NRC"),
            "correct horse battery",
        )
        .expect("user");
    store.verify_login(&user.username, "correct horse battery").expect("login").expect("valid login")
}

/// The password of `other_registrar`.
pub const OTHER_PASSWORD: &str = "iom password 12";

/// A second organisation, IOM, and its registrar `iom-clerk`: someone outside NRC's scope.
pub fn other_registrar(store: &Store) -> Actor {
    let admin = Actor::system();
    store.create_organisation(&admin, "IOM", "International Organization for Migration").expect("org");
    store.create_user(&admin, "iom-clerk", domain::Role::Registrar, Some("IOM"), OTHER_PASSWORD).expect("user");
    store.verify_login("iom-clerk", OTHER_PASSWORD).expect("login").expect("valid login")
}

pub fn member(id: &str, given: &str, relationship: &str, birth: &str) -> PersonInput {
    PersonInput {
        external_id: Some(id.into()),
        given_name: given.into(),
        family_name: "Maïga".into(),
        sex: Some("f".into()),
        birth_date: Some(birth.into()),
        relationship: Some(relationship.into()),
        ..Default::default()
    }
}

pub fn movement(kind: &str, date: &str, to: &str) -> MovementInput {
    MovementInput {
        kind: kind.into(),
        date: date.into(),
        to: Some(to.into()),
        cause: Some("armed_conflict".into()),
        ..Default::default()
    }
}

/// A household of two displaced from Tombouctou to Gao, with a pendular visit and a return.
pub fn household(external_id: &str) -> HouseholdInput {
    HouseholdInput {
        external_id: external_id.into(),
        registration_point: "ML070101".into(),
        registration_date: "2024-01-15".into(),
        population_group: "IDP".into(),
        origin: Some("ML060101".into()),
        members: vec![member("P1", "Aminata", "head", "1985"), member("P2", "Fatoumata", "child", "2015-03-02")],
        movements: vec![
            MovementInput { from: Some("ML060101".into()), ..movement("displacement", "2023-06-10", "ML070101") },
            movement("pendular_visit", "2023-10-02", "ML060101"),
            movement("return", "2024-03-01", "ML060101"),
        ],
        ..Default::default()
    }
}
