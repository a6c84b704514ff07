//! All integration tests in one binary (each file under `tests/` would link its own, which
//! is slow on two cores). The conformance scenarios run on SQLite always, and on PostgreSQL
//! too when `DJOLIBA_TEST_POSTGRES_URL` names a server (`.ci/run` starts a throwaway one).

// Test code may panic on what it does not expect: that is how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod assistance;
mod attacks;
mod cli;
mod conformance;
mod disclosure;
mod duplicates;
mod factsheet;
mod figures;
mod funding;
mod hxl;
mod import;
mod matrix;
mod pages;
mod plans;
mod presence;
mod protection;
mod servers;
mod support;
mod sync;
mod sync_simulation;
