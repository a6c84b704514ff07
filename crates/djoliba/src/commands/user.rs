use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use domain::Role;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from standard input with --password-stdin, otherwise
    /// generated and printed once.
    Add {
        username: String,
        /// What the user may do.
        #[arg(long, default_value = "viewer", value_parser = ["admin", "im_officer", "registrar", "protection", "viewer"])]
        role: String,
        /// Organisation code (required for registrars).
        #[arg(long)]
        organisation: Option<String>,
        /// Read the password from standard input (one line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// A field office's users: the régions (admin 1 P-codes, comma separated) whose
        /// households they see. Default: all.
        #[arg(long, value_delimiter = ',')]
        regions: Vec<String>,
    },
    /// Limit a user to some régions (admin 1 P-codes, comma separated), or `all`.
    Regions { username: String, regions: String },
    /// Give a user another role (their sessions end).
    Role {
        username: String,
        #[arg(value_parser = ["admin", "im_officer", "registrar", "protection", "viewer"])]
        role: String,
    },
    /// List users.
    List,
    /// Set a new password (from standard input with --password-stdin, otherwise generated).
    /// Sessions end and sign-in locks lift; API tokens keep working unless --revoke-tokens.
    Passwd {
        username: String,
        /// Read the new password from standard input (one line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Also revoke the user's API tokens (do this when the account may be compromised).
        #[arg(long)]
        revoke_tokens: bool,
    },
    /// Disable a user and end their sessions.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
}

fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        Ok((super::password_from_stdin()?, false))
    } else {
        Ok((store::auth::generate_password()?, true))
    }
}

pub fn run(cli: &Cli, cmd: &UserCommand) -> anyhow::Result<ExitCode> {
    let store = if matches!(cmd, UserCommand::List) { super::open_existing(cli)? } else { super::open(cli)? };
    let system = Actor::system();
    match cmd {
        UserCommand::Add { username, role, organisation, password_stdin, regions } => {
            let role = Role::parse("--role", role).map_err(|e| anyhow::anyhow!("{e}"))?;
            store.check_regions(regions)?;
            let (password, generated) = password(*password_stdin)?;
            let user = store
                .create_user(&system, username, role, organisation.as_deref(), &password)
                .context("cannot add the user")?;
            if !regions.is_empty() {
                store.set_user_regions(&system, username, regions)?;
            }
            println!("Added {} ({})", user.username, user.role);
            if generated {
                println!("Password (shown once): {password}");
            }
        }
        UserCommand::Regions { username, regions } => {
            let list: Vec<String> = if regions.trim().eq_ignore_ascii_case("all") {
                Vec::new()
            } else {
                regions.split(',').map(str::to_string).collect()
            };
            let set = store.set_user_regions(&system, username, &list)?;
            if set.is_empty() {
                println!("{username} sees every région");
            } else {
                println!("{username} sees the households of {} only (their sessions were ended)", set.join(", "));
            }
        }
        UserCommand::List => {
            for u in store.list_users()? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.username,
                    u.role,
                    u.organisation.unwrap_or_else(|| "-".into()),
                    if u.disabled { "disabled" } else { "active" }
                );
            }
        }
        UserCommand::Passwd { username, password_stdin, revoke_tokens } => {
            let (password, generated) = password(*password_stdin)?;
            let revoked =
                store.set_password(&system, username, &password, *revoke_tokens).context("cannot set the password")?;
            println!("Password of {username} changed; their sessions are closed.");
            let name = username.trim().to_lowercase();
            let live =
                store.tokens(&system, None)?.iter().filter(|t| t.username == name && t.revoked_at.is_none()).count();
            if *revoke_tokens {
                println!("{revoked} API token(s) revoked.");
            } else if live > 0 {
                println!("{live} API token(s) of {username} still work: add --revoke-tokens to revoke them.");
            }
            if generated {
                println!("New password (shown once): {password}");
            }
        }
        UserCommand::Role { username, role } => {
            let role = Role::parse("role", role).map_err(|e| anyhow::anyhow!("{e}"))?;
            store.set_user_role(&system, username, role)?;
            println!("{username} is now {}; their sessions are closed.", role.as_str());
        }
        UserCommand::Disable { username } => {
            store.set_user_disabled(&system, username, true)?;
            println!("{username} is disabled.");
        }
        UserCommand::Enable { username } => {
            store.set_user_disabled(&system, username, false)?;
            println!("{username} is enabled.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
