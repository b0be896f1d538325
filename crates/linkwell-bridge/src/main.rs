//! `linkwell-bridge`: serves the built web UI (ui/dist) and the core API over HTTP on
//! 127.0.0.1 only, for browser tests and demos. Every API call needs the random token printed
//! at launch. It is a transport like the desktop shell: each call goes to
//! `linkwell_core::api::dispatch`, so the rules are the core's, never the bridge's.

use anyhow::{Context, Result};
use clap::Parser;
use linkwell_bridge::{Bridge, new_token};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "linkwell-bridge",
    version,
    about = "Serve the Linkwell UI and API on 127.0.0.1 for a browser"
)]
struct Cli {
    /// The local database file (created if missing).
    #[arg(long, env = "LINKWELL_DB", default_value = "linkwell.db")]
    db: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The built UI to serve.
    #[arg(long, default_value = "ui/dist")]
    ui: PathBuf,
    /// Open the UI in the system browser once listening.
    #[arg(long)]
    open: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let store = linkwell_core::Store::open(&cli.db, None)
        .with_context(|| format!("could not open the database {}", cli.db.display()))?;
    let token = new_token();
    let bridge = Bridge::bind(store, cli.port, cli.ui.clone(), token)?;
    let url = bridge.url();
    // The one line a test or a person needs: where to go, token included.
    println!("Linkwell bridge listening: {url}");
    use std::io::Write as _;
    std::io::stdout().flush()?;
    if cli.open {
        let _ = std::process::Command::new("xdg-open").arg(&url).spawn();
    }
    bridge.serve();
    Ok(())
}
