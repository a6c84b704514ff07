use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use domain::messages::Lang;
use store::Actor;

use crate::Cli;

#[derive(clap::Args)]
pub struct Args {
    /// The date of the figures (YYYY-MM-DD; default today).
    #[arg(long)]
    pub as_of: Option<String>,
    /// fr or en.
    #[arg(long, default_value = "fr")]
    pub lang: String,
    /// An organisation's code: its results, budgets and presence (figures of people stay the
    /// operation's).
    #[arg(long)]
    pub organisation: Option<String>,
    /// For publication: small counts hidden as viewers see them; results over a whole quarter.
    #[arg(long)]
    pub public: bool,
    /// pdf (default) or json (the figures the factsheet shows).
    #[arg(long, default_value = "pdf")]
    pub format: String,
    /// The file to write.
    #[arg(long, short)]
    pub output: PathBuf,
    /// The threshold of --public.
    #[arg(long, env = "DJOLIBA_DISCLOSURE_THRESHOLD", default_value_t = store::DEFAULT_DISCLOSURE_THRESHOLD)]
    pub disclosure_threshold: u64,
}

pub fn run(cli: &Cli, args: &Args) -> anyhow::Result<ExitCode> {
    let Some(lang) = Lang::parse(&args.lang) else { bail!("--lang {:?}: expected fr or en", args.lang) };
    let store = super::open_existing(cli)?;
    store.set_disclosure_threshold(args.disclosure_threshold);
    let as_of = args.as_of.clone().unwrap_or_else(|| store.today().to_string());
    let sheet = store.factsheet(&Actor::system(), &as_of, args.organisation.as_deref(), args.public)?;
    let bytes = match args.format.as_str() {
        "pdf" => {
            web::factsheet::pdf(&sheet, lang).map_err(|e| anyhow::anyhow!("the factsheet could not be typeset: {e}"))?
        }
        "json" => serde_json::to_vec_pretty(&sheet)?,
        other => bail!("--format {other:?}: expected pdf or json"),
    };
    std::fs::write(&args.output, &bytes).with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!("Wrote {} ({} bytes).", args.output.display(), bytes.len());
    Ok(ExitCode::SUCCESS)
}
