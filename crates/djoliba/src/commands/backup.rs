//! `djoliba backup` and `djoliba restore`: consistent copies of the SQLite database, encrypted
//! in the age format when asked (a passphrase, or the public key of whoever may restore it, so
//! a stolen field laptop's backups reveal nothing).

use std::io::{Read, Write};
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
    let store = super::open(cli)?;
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
    // The plain copy lives only while it is encrypted, next to the output, then is removed.
    let plain = output.with_extension("partial-plain");
    store.db.sqlite_backup(&plain)?;
    let result = (|| -> anyhow::Result<()> {
        let file =
            std::fs::File::create(&output).with_context(|| format!("{}: cannot be written", output.display()))?;
        let mut writer = encryptor.wrap_output(std::io::BufWriter::new(file))?;
        std::io::copy(&mut std::fs::File::open(&plain)?, &mut writer)?;
        writer.finish()?.flush()?;
        Ok(())
    })();
    let _ = std::fs::remove_file(&plain);
    if result.is_err() {
        let _ = std::fs::remove_file(&output);
    }
    result?;
    println!("Encrypted backup written to {}", output.display());
    Ok(ExitCode::SUCCESS)
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
    let incoming = cli.data_dir.join("djoliba.sqlite.restoring");
    let result = (|| -> anyhow::Result<()> {
        let mut output = std::fs::File::create(&incoming)?;
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
            std::io::copy(&mut reader, &mut output)?;
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
    Ok(ExitCode::SUCCESS)
}
