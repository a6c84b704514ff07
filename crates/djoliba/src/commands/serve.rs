use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use store::Actor;

use crate::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on; port 0 picks a free port (the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open(cli)?;
    // A fresh install has nobody to sign in as: create the first administrator and show its
    // password once, on this terminal only (never in a log).
    if store.count_users()? == 0 {
        let password = store::auth::generate_password()?;
        store.create_user(&Actor::system(), "admin", domain::Role::Admin, None, &password)?;
        println!("First start: created the administrator \"admin\" with password {password}");
        println!("(shown once; change it with: djoliba user passwd admin)");
    }
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let state = web::AppState { store, demo: false };
    runtime
        .block_on(web::serve(state, args.listen, |addr| {
            println!("Djoliba listening on http://{addr}");
        }))
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    Ok(ExitCode::SUCCESS)
}
