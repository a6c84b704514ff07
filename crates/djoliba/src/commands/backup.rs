//! `djoliba backup` and `djoliba restore`: consistent copies of the SQLite database, encrypted
//! in the age format when asked (a passphrase, or the public key of whoever may restore it, so
//! a stolen field laptop's backups reveal nothing).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use age::secrecy::SecretString;
use anyhow::{bail, Context};

use crate::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// The copy to write (must not exist). Default: backups/djoliba-TIMESTAMP.sqlite (.age when
    /// encrypted) in the data folder.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Encrypt the copy (age format) with a passphrase read from standard input (first line),
    /// or from DJOLIBA_BACKUP_PASSPHRASE.
    #[arg(long, conflicts_with = "recipient")]
    pub encrypt: bool,
    /// Encrypt the copy for this age public key (age1…): only the holder of the matching
    /// private key can restore it, and nothing secret needs to be on this machine.
    #[arg(long)]
    pub recipient: Vec<String>,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// A backup written by `djoliba backup` (.sqlite, or .age when encrypted).
    pub backup: PathBuf,
    /// The age private key file (AGE-SECRET-KEY-…) for a backup made with --recipient; without
    /// it an encrypted backup asks for its passphrase on standard input (or
    /// DJOLIBA_BACKUP_PASSPHRASE).
    #[arg(long)]
    pub identity: Option<PathBuf>,
    /// Replace an existing database (it is first moved aside, never deleted).
    #[arg(long)]
    pub force: bool,
}

const PASSPHRASE_ENV: &str = "DJOLIBA_BACKUP_PASSPHRASE";

/// The passphrase from the environment or the first line of standard input.
fn passphrase() -> anyhow::Result<SecretString> {
    let text = match std::env::var(PASSPHRASE_ENV) {
        Ok(value) => value,
        Err(_) => {
            eprintln!("Passphrase (one line on standard input):");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("cannot read the passphrase from standard input")?;
            line.trim_end_matches(['\n', '\r']).to_string()
        }
    };
    if text.chars().count() < 12 {
        bail!("the passphrase must have at least 12 characters");
    }
    Ok(SecretString::from(text))
}

fn is_age(path: &Path) -> anyhow::Result<bool> {
    let mut start = [0u8; 21];
    let mut file = std::fs::File::open(path).with_context(|| format!("{}: cannot be opened", path.display()))?;
    let read = file.read(&mut start)?;
    Ok(start[..read].starts_with(b"age-encryption.org/v1"))
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let encrypted = args.encrypt || !args.recipient.is_empty();
    // Keys and passphrase first: nothing is copied if they are wrong.
    let encryptor = if !args.recipient.is_empty() {
        let recipients = args
            .recipient
            .iter()
            .map(|r| {
                r.parse::<age::x25519::Recipient>()
                    .map_err(|e| anyhow::anyhow!("--recipient {r}: not an age public key ({e})"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Some(
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .context("cannot encrypt for these recipients")?,
        )
    } else if args.encrypt {
        Some(age::Encryptor::with_user_passphrase(passphrase()?))
    } else {
        None
    };
    let store = super::open_existing(cli)?;
    let output = match &args.output {
        Some(path) => path.clone(),
        None => {
            let dir = cli.data_dir.join("backups");
            std::fs::create_dir_all(&dir)?;
            let extension = if encrypted { "sqlite.age" } else { "sqlite" };
            dir.join(format!("djoliba-{}.{extension}", store.now().format("%Y%m%dT%H%M%SZ")))
        }
    };
    let Some(encryptor) = encryptor else {
        store.db.sqlite_backup(&output)?;
        println!("Backup written to {}", output.display());
        return Ok(ExitCode::SUCCESS);
    };
    if output.exists() {
        bail!("{} already exists; choose a new file name", output.display());
    }
    // A consistent copy needs SQLite's own backup, so a plain copy exists while it is encrypted:
    // in the database's folder (which holds the plain database anyway, owner-only), never
    // beside the output, and removed on every way out: success, error, Ctrl-C or TERM (and, after
    // a KILL, by the next command that opens the data folder).
    let folder = database_folder(cli)?;
    let plain = PlainCopy::new(folder.join(format!("{PLAIN_PREFIX}{}.sqlite", std::process::id())));
    plain.remove_on_signal();
    store.db.sqlite_backup(&plain.path)?;
    // For the interruption test: a pause while the plain copy exists.
    if let Some(ms) = std::env::var("DJOLIBA_TEST_BACKUP_PAUSE_MS").ok().and_then(|v| v.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    let result = (|| -> anyhow::Result<()> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&output)
            .with_context(|| format!("{}: cannot be written", output.display()))?;
        let mut writer = encryptor.wrap_output(std::io::BufWriter::new(file))?;
        std::io::copy(&mut std::fs::File::open(&plain.path)?, &mut writer)?;
        writer.finish()?.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    })();
    drop(plain);
    if result.is_err() {
        let _ = std::fs::remove_file(&output);
    }
    result?;
    println!("Encrypted backup written to {}", output.display());
    Ok(ExitCode::SUCCESS)
}

/// Name of the transient plain copies an encrypted backup makes in the database's folder.
pub const PLAIN_PREFIX: &str = ".backup-plain-";

/// The folder of the SQLite database the command works on.
fn database_folder(cli: &Cli) -> anyhow::Result<PathBuf> {
    Ok(match super::target(cli)? {
        store::Target::Sqlite { path, .. } => path.parent().map(Path::to_path_buf).unwrap_or_default(),
        store::Target::Postgres { .. } => {
            bail!("djoliba backup copies the SQLite database; for PostgreSQL use pg_dump")
        }
    })
}

/// Removes plain copies left by an encrypted backup that was killed.
pub fn remove_stale_plain_copies(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(PLAIN_PREFIX) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The transient plain copy: removed when dropped, and when the process is interrupted.
struct PlainCopy {
    path: PathBuf,
}

impl PlainCopy {
    fn new(path: PathBuf) -> PlainCopy {
        PlainCopy { path }
    }

    /// On Ctrl-C or TERM, removes the copy (and whatever SQLite left beside it) and exits.
    fn remove_on_signal(&self) {
        let path = self.path.clone();
        std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
            runtime.block_on(async {
                #[cfg(unix)]
                {
                    use tokio::signal::unix::{signal, SignalKind};
                    let (Ok(mut term), Ok(mut hangup)) =
                        (signal(SignalKind::terminate()), signal(SignalKind::hangup()))
                    else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                        _ = hangup.recv() => {}
                    }
                }
                #[cfg(not(unix))]
                let _ = tokio::signal::ctrl_c().await;
            });
            remove_with_journals(&path);
            eprintln!("Interrupted: the unencrypted copy was removed.");
            std::process::exit(130);
        });
    }
}

fn remove_with_journals(path: &Path) {
    let _ = std::fs::remove_file(path);
    for suffix in ["-journal", "-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
}

impl Drop for PlainCopy {
    fn drop(&mut self) {
        remove_with_journals(&self.path);
    }
}

pub fn restore(cli: &Cli, args: &RestoreArgs) -> anyhow::Result<ExitCode> {
    if cli.database_url.is_some() {
        bail!("djoliba restore writes the SQLite database of the data folder; leave out --database-url");
    }
    let target = cli.data_dir.join("djoliba.sqlite");
    if target.exists() && !args.force {
        bail!("{} exists; add --force to replace it (it is moved aside first)", target.display());
    }
    std::fs::create_dir_all(&cli.data_dir)?;
    store::db::restrict_to_owner(&cli.data_dir)?;
    let incoming = cli.data_dir.join("djoliba.sqlite.restoring");
    let result = (|| -> anyhow::Result<()> {
        let mut output = std::fs::File::create(&incoming)?;
        store::db::restrict_to_owner(&incoming)?;
        let input = std::fs::File::open(&args.backup)
            .with_context(|| format!("{}: cannot be opened", args.backup.display()))?;
        if is_age(&args.backup)? {
            let decryptor = age::Decryptor::new(std::io::BufReader::new(input))
                .with_context(|| format!("{}: not a readable age file", args.backup.display()))?;
            let mut reader = match &args.identity {
                Some(path) => {
                    let identities = age::IdentityFile::from_file(path.to_string_lossy().into_owned())
                        .with_context(|| format!("{}: not an age identity file", path.display()))?
                        .into_identities()
                        .with_context(|| format!("{}: no usable key", path.display()))?;
                    decryptor.decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
                }
                None => {
                    let identity = age::scrypt::Identity::new(passphrase()?);
                    decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity))
                }
            }
            .map_err(|e| {
                anyhow::anyhow!("{}: cannot be decrypted ({e}); wrong passphrase or key?", args.backup.display())
            })?;
            std::io::copy(&mut reader, &mut output).with_context(|| {
                format!(
                    "{}: the encrypted backup is damaged or cut short, so nothing was restored; restore another copy",
                    args.backup.display()
                )
            })?;
        } else {
            std::io::copy(&mut std::io::BufReader::new(input), &mut output)?;
        }
        output.sync_all()?;
        let mut head = [0u8; 16];
        std::fs::File::open(&incoming)?.read_exact(&mut head).context("the backup is empty or cut short")?;
        if &head != b"SQLite format 3\0" {
            bail!("{}: not a Djoliba SQLite backup", args.backup.display());
        }
        Ok(())
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&incoming);
        return Err(error);
    }
    if target.exists() {
        let aside =
            cli.data_dir.join(format!("djoliba.sqlite.before-restore-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")));
        std::fs::rename(&target, &aside)?;
        for suffix in ["-wal", "-shm"] {
            let side = cli.data_dir.join(format!("djoliba.sqlite{suffix}"));
            if side.exists() {
                std::fs::rename(
                    &side,
                    aside
                        .with_file_name(format!("{}{suffix}", aside.file_name().unwrap_or_default().to_string_lossy())),
                )?;
            }
        }
        println!("The previous database was moved to {}", aside.display());
    }
    std::fs::rename(&incoming, &target)?;
    // Opening checks the copy and applies any migration it lacks.
    let store = super::open(cli)?;
    let check = store.verify_audit()?;
    println!(
        "Restored {} into {} (audit chain: {})",
        args.backup.display(),
        target.display(),
        check.problem.unwrap_or_else(|| format!("intact, {} rows", check.rows))
    );
    // A sync node restored from a copy may lack changes it already shipped: it numbers its
    // next ones in a new epoch, so none reuses a number the other offices hold.
    if store.sync_node()?.is_some() {
        let node = store.sync_new_epoch(&store::Actor::system())?;
        println!(
            "This sync node now numbers its changes in epoch {}; run `djoliba sync now` to get back what it had sent.",
            node.epoch
        );
    }
    Ok(ExitCode::SUCCESS)
}
