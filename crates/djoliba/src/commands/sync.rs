//! `djoliba sync`: this installation as a node that exchanges its changes with the office it
//! enrolled with, by HTTP(S) (`push`, `pull`) or by signed bundle files (`--bundle-out`,
//! `--bundle-in`) carried on a USB key.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;
use store::sync::{NodeInfo, Received, Vector, BATCH_BYTES};
use store::{Actor, Store};

use crate::Cli;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Write this node's changes that a peer lacks (by what it last acknowledged) to a signed
    /// bundle file, for a USB key.
    #[arg(long, value_name = "FILE", conflicts_with = "bundle_in")]
    pub bundle_out: Option<PathBuf>,
    /// For this enrolled node (its name or id); without it, every change this node holds.
    #[arg(long = "for", value_name = "NODE", requires = "bundle_out")]
    pub for_node: Option<String>,
    /// Apply a signed bundle file from a known node (safe twice, in any order).
    #[arg(long, value_name = "FILE")]
    pub bundle_in: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<SyncCommand>,
}

#[derive(Subcommand)]
pub enum SyncCommand {
    /// Make this installation a sync node (once): prints its identity for the office to enrol.
    Init {
        /// The office's name, e.g. "Gao" or "Bamako country office".
        #[arg(long)]
        name: String,
    },
    /// At the office: enrol a field node; prints the token it connects with (shown once).
    Enrol {
        /// The field node's id, as `sync init` printed it on the laptop.
        #[arg(long)]
        node_id: String,
        /// The field node's public key, as `sync init` printed it.
        #[arg(long)]
        public_key: String,
        /// A name for the field node, e.g. "Gao laptop 2".
        #[arg(long)]
        name: String,
        /// Organisation codes whose households it receives and may change (repeat; none: all).
        #[arg(long = "organisation")]
        organisations: Vec<String>,
        /// Régions (admin 1 P-codes) whose households it receives and may change (repeat; none: all).
        #[arg(long = "region")]
        regions: Vec<String>,
    },
    /// On a field node: record the office it was enrolled with.
    Connect {
        /// The office's address, e.g. https://djoliba.example.org
        #[arg(long)]
        url: String,
        /// The enrolment token `sync enrol` printed at the office.
        #[arg(long)]
        token: String,
        /// The office's node id and key, as `sync enrol` printed them (checked against the
        /// office when it answers).
        #[arg(long)]
        office_node: String,
        /// The office's public key.
        #[arg(long)]
        office_key: String,
        /// A name for the office on this node.
        #[arg(long, default_value = "office")]
        office_name: String,
        /// The certificate (PEM) to trust for the office's HTTPS address when it is not signed
        /// by a public authority: the office's self-signed certificate or its agency's CA.
        #[arg(long)]
        ca_cert: Option<std::path::PathBuf>,
    },
    /// Stop exchanging with a node (its token and bundles are refused).
    Revoke { node: String },
    /// Send this node's changes to the office, in batches of at most 64 KiB.
    Push,
    /// Receive the office's changes this node lacks.
    Pull,
    /// Push, then pull.
    Now,
    /// The node, its peers, what waits, what was refused, the conflicts open.
    Status,
    /// The disputed fields and inconsistent chronologies to resolve.
    Conflicts,
    /// After restoring this node's database from a backup: number changes in a new epoch.
    NewEpoch,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let store = super::open(cli)?;
    run_on(&store, args).map_err(|e| match e.downcast_ref::<store::StoreError>() {
        Some(store::StoreError::NotFound("sync node")) => {
            anyhow::anyhow!("this installation is not a sync node yet: run `djoliba sync init --name <office>` first")
        }
        _ => e,
    })
}

fn run_on(store: &Store, args: &Args) -> anyhow::Result<ExitCode> {
    let operator = Actor::system();
    if let Some(path) = &args.bundle_out {
        let sealed = store.sync_bundle_out(&operator, args.for_node.as_deref())?;
        std::fs::write(path, &sealed).with_context(|| format!("cannot write {}", path.display()))?;
        println!("Wrote {} ({} bytes).", path.display(), sealed.len());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(path) = &args.bundle_in {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let batch = store.sync_open(&bytes).with_context(|| path.display().to_string())?;
        let from = batch.from.clone();
        let received = store.sync_receive(batch)?;
        store.sync_contact(&from, &received.vector)?;
        report(&received);
        check_arrivals(store)?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(command) = &args.command else {
        bail!("say what to do: djoliba sync status | push | pull | now | --bundle-out FILE | --bundle-in FILE (see djoliba sync --help)");
    };
    match command {
        SyncCommand::Init { name } => {
            let node = store.sync_init(&operator, name)?;
            println!("This installation is now sync node \"{}\".", node.name);
            println!("Node id:    {}", node.node_id);
            println!("Public key: {}", node.public_key);
            println!("At the office, enrol it with:");
            println!(
                "  djoliba sync enrol --node-id {} --public-key {} --name '{}' [--organisation CODE] [--region ML07]",
                node.node_id, node.public_key, node.name
            );
        }
        SyncCommand::Enrol { node_id, public_key, name, organisations, regions } => {
            let node =
                NodeInfo { node_id: node_id.clone(), name: name.clone(), epoch: 0, public_key: public_key.clone() };
            let enrolment = store.sync_enrol(&operator, &node, organisations, regions)?;
            println!("Enrolled \"{name}\". On that node, run (the token is shown once):");
            println!(
                "  djoliba sync connect --url https://THIS-OFFICE --token {} --office-node {} --office-key {} --office-name '{}'",
                enrolment.token, enrolment.node.node_id, enrolment.node.public_key, enrolment.node.name
            );
        }
        SyncCommand::Connect { url, token, office_node, office_key, office_name, ca_cert } => {
            let office = NodeInfo {
                node_id: office_node.clone(),
                name: office_name.clone(),
                epoch: 0,
                public_key: office_key.clone(),
            };
            let ca_cert = ca_cert.as_deref().map(read_certificate).transpose()?;
            store.sync_connect(&operator, &office, url.trim_end_matches('/'), token, ca_cert.as_deref())?;
            println!("Connected to {} at {url}. Run `djoliba sync now` when the link is up.", office.name);
        }
        SyncCommand::Revoke { node } => {
            store.sync_revoke(&operator, node)?;
            println!("Node {node} revoked.");
        }
        SyncCommand::Push => push(store)?,
        SyncCommand::Pull => pull(store)?,
        SyncCommand::Now => {
            push(store)?;
            pull(store)?;
        }
        SyncCommand::Status => status(store)?,
        SyncCommand::Conflicts => {
            let conflicts = store.sync_conflicts(&operator)?;
            if conflicts.is_empty() {
                println!("No conflict.");
            }
            for c in conflicts {
                let values: Vec<String> = c
                    .values
                    .iter()
                    .map(|v| {
                        format!(
                            "{}{} by {}",
                            v.value.as_deref().unwrap_or("(empty)"),
                            if v.shown { " [shown]" } else { "" },
                            v.author_name.as_deref().unwrap_or(&v.author)
                        )
                    })
                    .collect();
                let problem = c.problem.as_ref().and_then(|p| p.get("en").cloned()).unwrap_or_default();
                println!("{} {} {}: {}{}", c.entity, c.entity_id, c.field, values.join(" | "), problem);
            }
        }
        SyncCommand::NewEpoch => {
            let node = store.sync_new_epoch(&operator)?;
            println!("Node {} now numbers its changes in epoch {}.", node.node_id, node.epoch);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn report(received: &Received) {
    println!(
        "Applied {}, already here {}, waiting {}, refused {}, conflicts opened {}.",
        received.applied,
        received.already_here,
        received.waiting,
        received.refused.len(),
        received.conflicts_opened
    );
    for refused in &received.refused {
        println!("  refused {}: {:?}", refused.change, refused.refusal);
    }
}

fn status(store: &Store) -> anyhow::Result<()> {
    let status = store.sync_status(&Actor::system())?;
    println!("Node \"{}\" {} (epoch {})", status.node.name, status.node.node_id, status.node.epoch);
    println!(
        "Changes held {}, waiting {}, refused {}, conflicts open {}",
        status.changes, status.waiting, status.refused, status.conflicts
    );
    for peer in status.peers {
        let contact = peer
            .last_contact_at
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map_or("never".to_string(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
        let state = if peer.revoked_at.is_some() { " (revoked)" } else { "" };
        println!(
            "  {}{state} {}: last contact {contact}, {} changes not acknowledged{}",
            peer.name,
            peer.node_id,
            peer.pending,
            peer.url.map(|u| format!(", at {u}")).unwrap_or_default()
        );
    }
    Ok(())
}

/// The office this node enrolled with, and a client for it.
fn office(store: &Store) -> anyhow::Result<(NodeInfo, String, String, ureq::Agent)> {
    let link = store.sync_office()?.context("this node has no office: run `djoliba sync connect` first")?;
    let mut config =
        ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(300))).http_status_as_error(false);
    if let Some(pem) = &link.ca_certificate {
        // Only this certificate is trusted for the office, not the public authorities.
        let certificates =
            certificates_in(pem.as_bytes()).context("the office's certificate kept by `sync connect`")?;
        config = config.tls_config(ureq::tls::TlsConfig::builder().root_certs(certificates.into()).build());
    }
    Ok((link.office, link.url, link.token, config.build().into()))
}

/// The certificates of a PEM text.
fn certificates_in(pem: &[u8]) -> anyhow::Result<Vec<ureq::tls::Certificate<'static>>> {
    let mut certificates = Vec::new();
    for item in ureq::tls::parse_pem(pem) {
        if let ureq::tls::PemItem::Certificate(certificate) = item? {
            certificates.push(certificate);
        }
    }
    anyhow::ensure!(
        !certificates.is_empty(),
        "no certificate in it (expected a PEM file with -----BEGIN CERTIFICATE-----)"
    );
    Ok(certificates)
}

/// A certificate file given to `sync connect --ca-cert`, checked before it is kept.
fn read_certificate(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    certificates_in(text.as_bytes()).with_context(|| path.display().to_string())?;
    Ok(text)
}

/// A request that failed midway: the link was cut (say what to do), or the office's certificate
/// is not trusted.
fn cut(error: ureq::Error, then: &str) -> anyhow::Error {
    if untrusted(&error) {
        return office_unreachable(error);
    }
    anyhow::anyhow!("the link to the office was cut ({error}): {then}")
}

/// A TLS failure over the office's certificate (rustls' errors come wrapped in `Io`).
fn untrusted(error: &ureq::Error) -> bool {
    let text = error.to_string();
    text.contains("certificate") || text.contains("UnknownIssuer")
}

/// Why the office could not be reached, with what to do when its certificate is not trusted.
fn office_unreachable(error: ureq::Error) -> anyhow::Error {
    let text = error.to_string();
    if untrusted(&error) {
        anyhow::anyhow!(
            "cannot reach the office: its HTTPS certificate is not trusted ({text}); if it is the office's own, connect again with `djoliba sync connect ... --ca-cert FILE`"
        )
    } else {
        anyhow::anyhow!("cannot reach the office: {text}")
    }
}

fn failed(what: &str, mut response: ureq::http::Response<ureq::Body>) -> anyhow::Error {
    let body = response.body_mut().read_to_string().unwrap_or_default();
    anyhow::anyhow!("{what}: the office answered {} {}", response.status(), body.chars().take(500).collect::<String>())
}

/// Sends the office what it lacks, a batch at a time; each batch is acknowledged by what the
/// office then holds, so a cut link costs the batch in flight.
pub fn push(store: &Store) -> anyhow::Result<()> {
    let (office, url, token, agent) = office(store)?;
    let auth = format!("Bearer {token}");
    let mut response = agent
        .get(format!("{url}/api/v1/sync/vector"))
        .header("Authorization", &auth)
        .call()
        .map_err(office_unreachable)?;
    if response.status() != 200 {
        return Err(failed("asking what the office holds", response));
    }
    let remote: serde_json::Value = serde_json::from_str(&response.body_mut().read_to_string()?)?;
    if remote["node"]["node_id"] != office.node_id.as_str() {
        bail!("the server at {url} is not the office this node enrolled with");
    }
    let mut theirs: Vector = serde_json::from_value(remote["vector"].clone())?;
    store.sync_contact(&office.node_id, &theirs)?;
    let (mut sent, mut batches) = (0, 0);
    loop {
        let (sealed, count, more) = store.sync_sealed_for(&office.node_id, &theirs, BATCH_BYTES)?;
        if count == 0 {
            break;
        }
        let mut response = agent
            .post(format!("{url}/api/v1/sync/changes"))
            .header("Authorization", &auth)
            .content_type("application/octet-stream")
            .send(&sealed[..])
            .map_err(|e| cut(e, "run push again (what the office acknowledged is kept)"))?;
        if response.status() != 200 {
            return Err(failed("sending changes", response));
        }
        let received: Received = serde_json::from_str(&response.body_mut().read_to_string()?)?;
        for refused in &received.refused {
            eprintln!("refused by the office: {} {:?}", refused.change, refused.refusal);
        }
        (sent, batches) = (sent + count, batches + 1);
        let progressed = received.vector != theirs;
        theirs = received.vector;
        store.sync_contact(&office.node_id, &theirs)?;
        if !more || !progressed {
            break;
        }
    }
    println!("Pushed {sent} changes in {batches} batches to {}.", office.name);
    Ok(())
}

/// Receives what the office holds and this node lacks, a batch at a time.
pub fn pull(store: &Store) -> anyhow::Result<()> {
    let (office, url, token, agent) = office(store)?;
    let auth = format!("Bearer {token}");
    let mut total = Received::default();
    loop {
        let ours = store.sync_vector()?;
        let mut response = agent
            .post(format!("{url}/api/v1/sync/pull"))
            .header("Authorization", &auth)
            .content_type("application/json")
            .send(&serde_json::to_vec(&serde_json::json!({ "vector": ours }))?[..])
            .map_err(|e| cut(e, "run pull again (what was applied is kept)"))?;
        if response.status() != 200 {
            return Err(failed("receiving changes", response));
        }
        let bytes = response.body_mut().with_config().limit(BATCH_BYTES as u64 * 4).read_to_vec()?;
        let batch = store.sync_open(&bytes)?;
        if batch.from != office.node_id {
            bail!("the office's batch is signed by another node");
        }
        if batch.changes.is_empty() {
            break;
        }
        let received = store.sync_receive(batch)?;
        let progressed = received.vector != ours;
        total.applied += received.applied;
        total.already_here += received.already_here;
        total.conflicts_opened += received.conflicts_opened;
        total.refused.extend(received.refused);
        total.waiting = received.waiting;
        total.vector = received.vector;
        // After the last batch one more request tells the office what this node now holds
        // (its answer is empty): the office's count of what is not acknowledged is right.
        if !progressed {
            break;
        }
    }
    print!("From {}: ", office.name);
    report(&total);
    check_arrivals(store)
}

/// Checks the households received for duplicates of those registered here, and says how many
/// pairs wait in the review queue.
fn check_arrivals(store: &Store) -> anyhow::Result<()> {
    let queued = store.check_arrivals()?;
    if queued > 0 {
        println!("{queued} possible duplicates of people registered here wait for review on the Duplicates page (/duplicates).");
    }
    Ok(())
}
