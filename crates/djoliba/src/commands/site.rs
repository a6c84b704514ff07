//! `djoliba site`: displacement sites (camps, collective centres, informal sites).

use std::process::ExitCode;

use clap::Subcommand;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum SiteCommand {
    /// Register a site in a commune; prints its code (use it like a P-code).
    Add {
        /// P-code of the commune, e.g. ML070101.
        #[arg(long)]
        commune: String,
        /// The site's name, e.g. "Site de Sossokoïra".
        #[arg(long)]
        name: String,
        /// site, camp, collective_centre or informal_site.
        #[arg(long, default_value = "site")]
        kind: String,
    },
    /// List the sites.
    List,
}

pub fn run(cli: &Cli, cmd: &SiteCommand) -> anyhow::Result<ExitCode> {
    let store = super::open(cli)?;
    match cmd {
        SiteCommand::Add { commune, name, kind } => {
            let input =
                store::sites::NewSite { name: name.clone(), commune: commune.clone(), kind: Some(kind.clone()) };
            let site = store.create_site(&Actor::system(), &input)?;
            println!("{}\t{}\t{}", site.code, site.name, store.gazetteer.label(&site.commune));
        }
        SiteCommand::List => {
            for site in store.list_sites()? {
                println!("{}\t{}\t{}\t{}", site.code, site.name, site.kind, store.gazetteer.label(&site.commune));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
