//! `djoliba office`: each organisation's offices and staff, and its implementing partners.

use std::process::ExitCode;

use clap::Subcommand;
use store::Actor;

use crate::Cli;

#[derive(Subcommand)]
pub enum OfficeCommand {
    /// Record an office, or change the organisation's office of that name.
    Set {
        /// The organisation's code.
        #[arg(long)]
        organisation: String,
        /// country_office, sub_office, field_office or field_unit.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        name: String,
        /// P-code of its région, cercle or commune.
        #[arg(long)]
        place: String,
        #[arg(long, default_value_t = 0)]
        national_staff: i64,
        #[arg(long, default_value_t = 0)]
        international_staff: i64,
    },
    /// Remove an office (its id, as `list` prints it).
    Remove { id: String },
    /// Offices and implementing partners.
    List,
    /// Record that PARTNER implements for ORGANISATION (or end it with --remove).
    Partner {
        organisation: String,
        partner: String,
        /// End the partnership instead of recording it.
        #[arg(long)]
        remove: bool,
    },
}

pub fn run(cli: &Cli, cmd: &OfficeCommand) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(cli)?;
    let actor = Actor::system();
    match cmd {
        OfficeCommand::Set { organisation, kind, name, place, national_staff, international_staff } => {
            let input = store::presence::OfficeInput {
                organisation: organisation.clone(),
                kind: kind.clone(),
                name: name.clone(),
                place: place.clone(),
                national_staff: *national_staff,
                international_staff: *international_staff,
            };
            let office = store.set_office(&actor, &input)?;
            println!(
                "{}\t{}\t{}\t{}",
                office.id,
                office.organisation,
                office.name,
                store.gazetteer.label(&office.place)
            );
        }
        OfficeCommand::Remove { id } => {
            store.remove_office(&actor, id)?;
            println!("Removed office {id}.");
        }
        OfficeCommand::List => {
            let presence = store.presence()?;
            for o in presence.offices {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{} national\t{} international",
                    o.id,
                    o.organisation,
                    o.kind,
                    o.name,
                    store.gazetteer.label(&o.place),
                    o.national_staff,
                    o.international_staff
                );
            }
            for p in presence.partners {
                println!("partner\t{}\t{}", p.organisation, p.partner);
            }
        }
        OfficeCommand::Partner { organisation, partner, remove } => {
            store.set_partner(&actor, organisation, partner, *remove)?;
            let done = if *remove { "no longer implements" } else { "implements" };
            println!("{partner} {done} for {organisation}.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
