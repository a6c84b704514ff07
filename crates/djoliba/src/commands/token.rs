//! `djoliba token`: API tokens for programs, made, listed and revoked by an operator.

use std::process::ExitCode;

use clap::Subcommand;
use store::tokens::TokenScope;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token for a user; the secret is printed once.
    Create {
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// What it is for, e.g. "DTM dashboard sync".
        #[arg(long)]
        name: String,
        /// read (GET only) or write (everything the user's role allows).
        #[arg(long, value_parser = ["read", "write"], default_value = "read")]
        scope: String,
        /// Life in days (1 to 366).
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// List every token (never their secrets).
    List,
    /// Revoke a token at once.
    Revoke { id: String },
}

pub fn run(cli: &Cli, cmd: &TokenCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(cli)?;
    let operator = Actor::system();
    match cmd {
        TokenCommand::Create { user, name, scope, days } => {
            let scope = if scope == "write" { TokenScope::Write } else { TokenScope::Read };
            let token = store.create_token(&operator, user, name, scope, *days)?;
            println!(
                "Token {} for {} ({:?}, expires {}):",
                token.info.id,
                token.info.username,
                token.info.scope,
                token.info.expires_at.unwrap_or_default()
            );
            println!("{}", token.token);
            println!("(shown once; send it as Authorization: Bearer TOKEN)");
        }
        TokenCommand::List => {
            for t in store.tokens(&operator, None)? {
                let state = if t.revoked_at.is_some() { "revoked" } else { "active" };
                println!(
                    "{}\t{}\t{}\t{:?}\t{}\texpires {}\tlast used {}",
                    t.id,
                    t.username,
                    t.name,
                    t.scope,
                    state,
                    t.expires_at.unwrap_or_default(),
                    t.last_used_at.unwrap_or_else(|| "never".into())
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let token = store.revoke_token(&operator, id)?;
            println!("Token {} ({}) revoked", token.id, token.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
