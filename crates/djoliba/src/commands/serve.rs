use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use store::Actor;

use crate::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (ADDRESS:PORT, or a port alone for 127.0.0.1); port 0 picks a free
    /// port (the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = listen_address)]
    pub listen: SocketAddr,
    /// Run the demo operation: synthetic data in its own folder (DATA_DIR-demo), marked as demo.
    #[arg(long)]
    pub demo: bool,
    /// With --demo, the first time: how many households the demo registers (a smaller demo
    /// loads in seconds, for tests and slow laptops).
    #[arg(long, requires = "demo", default_value_t = crate::demo::HOUSEHOLDS)]
    pub demo_households: usize,
    /// Figures for viewers (donors, government) hide counts of fewer people than this, and a
    /// second count that would give them away. 1 turns it off.
    #[arg(long, env = "DJOLIBA_DISCLOSURE_THRESHOLD", default_value_t = store::DEFAULT_DISCLOSURE_THRESHOLD)]
    pub disclosure_threshold: u64,
    /// A PostgreSQL read replica of the database (a standby fed by streaming replication):
    /// figures and exports are read there, some moments behind the latest writes; everything
    /// else stays on the database. Same URL form as --database-url.
    #[arg(long, env = "DJOLIBA_READ_REPLICA_URL")]
    pub read_replica_url: Option<String>,
    /// Serve HTTPS with this certificate chain (PEM), for an office without a TLS proxy in
    /// front; with --tls-key.
    #[arg(long, env = "DJOLIBA_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The certificate's private key (PEM); with --tls-cert.
    #[arg(long, env = "DJOLIBA_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
}

/// `8081` means 127.0.0.1:8081: the address stays local unless one is named.
fn listen_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.trim().parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not an address: expected ADDRESS:PORT (127.0.0.1:8080) or a port"))
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    // The address first: a port in use must fail before anything is created or printed.
    let listener = std::net::TcpListener::bind(args.listen).with_context(|| {
        format!(
            "cannot listen on {} (is another server using it?); choose another address with --listen 127.0.0.1:PORT",
            args.listen
        )
    })?;
    // The certificate before anything is created: a wrong file fails at once, named.
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(certificate), Some(key)) => {
            Some(web::server::tls_acceptor(certificate, key).map_err(anyhow::Error::msg)?)
        }
        _ => None,
    };
    listener.set_nonblocking(true)?;
    let store = if args.demo {
        if let Some(url) = &cli.database_url {
            let from_environment = std::env::var("DATABASE_URL").is_ok_and(|v| &v == url);
            if from_environment {
                anyhow::bail!(
                    "the demo runs on its own SQLite database, but DATABASE_URL is set in the environment: unset it (env -u DATABASE_URL djoliba serve --demo)"
                );
            }
            anyhow::bail!("the demo runs on its own SQLite database: leave out --database-url with --demo");
        }
        let name =
            cli.data_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "djoliba-data".into());
        let dir = cli.data_dir.with_file_name(format!("{name}-demo"));
        let open_demo =
            || store::Store::open(&store::Target::default_sqlite(&dir)).context("cannot open the demo database");
        let (mut store, _) = open_demo()?;
        if crate::demo::interrupted(&store)? {
            // A first load stopped half-way (Ctrl-C) has no demo user to sign in as: start over.
            drop(store);
            eprintln!("The demo's first load was interrupted: loading it again from the start.");
            for name in ["djoliba.sqlite", "djoliba.sqlite-wal", "djoliba.sqlite-shm"] {
                match std::fs::remove_file(dir.join(name)) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                        return Err(error).context("cannot remove the half-loaded demo database");
                    }
                    _ => {}
                }
            }
            store = open_demo()?.0;
        }
        crate::demo::load(&store, args.demo_households)?;
        crate::demo::sync::load(&store, &dir)?;
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
    let store = match &args.read_replica_url {
        Some(_) if args.demo => anyhow::bail!("the demo runs on its own SQLite database: leave out --read-replica-url"),
        Some(url) => store.with_read_replica(&store::Target::parse_url(url)?).context("cannot use the read replica")?,
        None => store,
    };
    // A fresh install has nobody to sign in as: create the first administrator, with its
    // password in a file only this account reads (a service's output often lands in a log).
    if store.count_users()? == 0 {
        let password = store::auth::generate_password()?;
        std::fs::create_dir_all(&cli.data_dir)?;
        store::db::restrict_to_owner(&cli.data_dir)?;
        let file = cli.data_dir.join("admin-password.txt");
        // With no user yet, a file left here by a start that failed holds a password of nobody.
        let _ = std::fs::remove_file(&file);
        write_owner_only(&file, &format!("{password}\n"))
            .with_context(|| format!("cannot write the first password to {}", file.display()))?;
        store.create_user(&Actor::system(), "admin", domain::Role::Admin, None, &password)?;
        println!("First start: created the administrator \"admin\"; its password is in {}", file.display());
        println!("(readable by this account only: sign in, change it under \"Mon compte / My account\", then delete the file)");
    }
    store.set_disclosure_threshold(args.disclosure_threshold);
    // A page never waits a minute for figures being recounted after a change on a large
    // registry: after 3 s it shows the previous figures, marked as such.
    store.set_stale_figures_after(Some(std::time::Duration::from_secs(3)));
    // The registry-wide figures (administrators', viewers' and donors') are counted in the
    // background from the start, so the first dashboard after a restart does not wait for the
    // count of a large registry; from then on each change is caught up in milliseconds.
    let warming = store.clone();
    std::thread::spawn(move || {
        if let Err(error) = warming.figures_snapshot(&Actor::system()) {
            tracing::warn!(%error, "figures could not be counted at start");
        }
    });
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    let state = web::AppState::new(store, args.demo);
    let scheme = if tls.is_some() { "https" } else { "http" };
    runtime
        .block_on(async {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            // Before the address is announced: whoever starts the server may stop it at once.
            let shutdown = web::server::shutdown_signal();
            println!("Djoliba listening on {scheme}://{}", listener.local_addr()?);
            web::server::serve_tls_on(listener, web::router(state), Default::default(), tls, shutdown).await
        })
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes a new file readable by its owner only (never replacing one).
fn write_owner_only(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}
