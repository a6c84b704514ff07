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
    /// Run the demo operation: synthetic data in its own folder (DATA_DIR-demo), marked as demo.
    #[arg(long)]
    pub demo: bool,
    /// Figures for viewers (donors, government) hide counts of fewer people than this, and a
    /// second count that would give them away. 1 turns it off.
    #[arg(long, env = "DJOLIBA_DISCLOSURE_THRESHOLD", default_value_t = store::DEFAULT_DISCLOSURE_THRESHOLD)]
    pub disclosure_threshold: u64,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = if args.demo {
        if cli.database_url.is_some() {
            anyhow::bail!("the demo runs on its own SQLite database: leave out --database-url with --demo");
        }
        let name =
            cli.data_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "djoliba-data".into());
        let dir = cli.data_dir.with_file_name(format!("{name}-demo"));
        let (store, _) =
            store::Store::open(&store::Target::default_sqlite(&dir)).context("cannot open the demo database")?;
        crate::demo::load(&store, crate::demo::HOUSEHOLDS)?;
        println!(
            "DEMO: synthetic data in {} (not a real operation). Sign in as {} / {}",
            dir.display(),
            crate::demo::USER,
            crate::demo::PASSWORD
        );
        store
    } else {
        super::open(cli)?
    };
    // A fresh install has nobody to sign in as: create the first administrator and show its
    // password once, on this terminal only (never in a log).
    if store.count_users()? == 0 {
        let password = store::auth::generate_password()?;
        store.create_user(&Actor::system(), "admin", domain::Role::Admin, None, &password)?;
        println!("First start: created the administrator \"admin\" with password {password}");
        println!("(shown once; change it with: djoliba user passwd admin)");
    }
    store.set_disclosure_threshold(args.disclosure_threshold);
    // A page never waits a minute for figures being recounted after a change on a large
    // registry: after 3 s it shows the previous figures, marked as such.
    store.set_stale_figures_after(Some(std::time::Duration::from_secs(3)));
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let state = web::AppState::new(store, args.demo);
    runtime
        .block_on(web::serve(state, args.listen, |addr| {
            println!("Djoliba listening on http://{addr}");
        }))
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    Ok(ExitCode::SUCCESS)
}
