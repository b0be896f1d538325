//! `linkwell-bridge`: serves the built web UI (ui/dist) and the core API over HTTP on
//! 127.0.0.1 only, for browser tests and demos. Every API call needs the random token printed
//! at launch. It is a transport like the desktop shell: each call goes to
//! `linkwell_core::app::api::dispatch`, so the rules are the core's, never the bridge's.

use anyhow::Result;
use clap::Parser;
use linkwell_bridge::{Bridge, new_token};
use linkwell_core::app::gate::{Gate, Profiles};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "linkwell-bridge",
    version,
    about = "Serve the Linkwell UI and API on 127.0.0.1 for a browser"
)]
struct Cli {
    /// One local database file (created at first set-up if missing).
    #[arg(
        long,
        env = "LINKWELL_DB",
        default_value = "linkwell.db",
        conflicts_with = "profiles"
    )]
    db: PathBuf,
    /// A folder of worker profiles (one encrypted database each) instead of one file.
    #[arg(long)]
    profiles: Option<PathBuf>,
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
    let profiles = match cli.profiles {
        Some(dir) => Profiles::Dir(dir),
        None => Profiles::Single(cli.db),
    };
    let token = new_token();
    let gate = Gate::new(profiles)
        .with_connector(linkwell_sync_http::connector())
        .with_feed_source(Box::new(linkwell_sync_http::feed_source));
    let bridge = Bridge::bind(gate, cli.port, cli.ui.clone(), token)?;
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
