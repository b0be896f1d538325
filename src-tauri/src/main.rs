//! The Linkwell desktop app: a Tauri window showing the web UI (ui/dist) over linkwell-core.
//! One thin command, `api`, hands a method and its arguments to the core's [`Gate`] (profiles,
//! unlock, lock, then `linkwell_core::app::api::dispatch`) and maps the error to
//! `{code, message, field, fields}`; no rule lives here. Each worker's encrypted database
//! lives in the platform's app-data folder under `profiles/` (or one file at `LINKWELL_DB`).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use linkwell_core::app::api::ErrorBody;
use linkwell_core::app::gate::{Gate, Profiles, SharedGate};
use serde_json::Value;
use std::time::{Duration, Instant};
use tauri::{Manager, State, WebviewUrl, WebviewWindowBuilder};

struct AppState {
    gate: SharedGate,
    started: Instant,
}

#[tauri::command]
async fn api(state: State<'_, AppState>, method: String, args: Value) -> Result<Value, ErrorBody> {
    // The core's calls block (SQLite, and "Sync now" on the network): off the async workers.
    let gate = state.gate.clone();
    tauri::async_runtime::spawn_blocking(move || gate.call(&method, args))
        .await
        .unwrap_or(Err(linkwell_core::CoreError::RestartNeeded))
        .map_err(|e| ErrorBody::from(&e))
}

/// The UI calls this once its first screen is on show; with `LINKWELL_BENCH` set the time
/// since launch is printed for the benchmark.
#[tauri::command]
fn ready(state: State<'_, AppState>) {
    if std::env::var_os("LINKWELL_BENCH").is_some() {
        eprintln!(
            "linkwell: first screen after {} ms",
            state.started.elapsed().as_millis()
        );
    }
}

/// Opens a web address in the system browser, never inside the app's window.
fn open_externally(url: &str) {
    #[cfg(target_os = "linux")]
    let cmd = ("xdg-open", vec![url]);
    #[cfg(target_os = "macos")]
    let cmd = ("open", vec![url]);
    #[cfg(target_os = "windows")]
    let cmd = ("cmd", vec!["/C", "start", "", url]);
    let _ = std::process::Command::new(cmd.0).args(cmd.1).spawn();
}

/// Locks an idle session even when the window sends nothing (the key must not stay in
/// memory on a laptop left open in a café), and syncs by itself when due — the core decides
/// when (every 15 minutes, sooner after coming back online) and runs it with the gate released.
fn watch_idle(gate: SharedGate) {
    std::thread::spawn(move || {
        while gate.on_timer(Instant::now()).is_ok() {
            std::thread::sleep(Duration::from_secs(5));
        }
    });
}

/// Where "Save as PDF" puts a Green Book: the worker's Downloads folder.
fn save_dir(app: &tauri::App) -> std::path::PathBuf {
    let paths = app.path();
    paths
        .download_dir()
        .or_else(|_| paths.home_dir().map(|h| h.join("Downloads")))
        .or_else(|_| paths.app_data_dir())
        .unwrap_or_else(|_| std::path::PathBuf::from("Downloads"))
}

fn main() {
    let started = Instant::now();
    tauri::Builder::default()
        .setup(move |app| {
            let gate = match std::env::var_os("LINKWELL_DB") {
                Some(p) => Gate::new(Profiles::Single(p.into())),
                None => {
                    let dir = app.path().app_data_dir()?;
                    std::fs::create_dir_all(&dir)?;
                    let gate = Gate::new(Profiles::Dir(dir.join("profiles")));
                    // Keep a database from before profiles existed.
                    gate.adopt(&dir.join("linkwell.db"))?;
                    gate
                }
            }
            .with_connector(linkwell_sync_http::connector())
            .with_feed_source(Box::new(linkwell_sync_http::feed_source))
            .with_save_dir(save_dir(app));
            let gate = SharedGate::new(gate);
            // The start-up benchmark opens a caseload without a person at the keyboard.
            if std::env::var_os("LINKWELL_BENCH").is_some()
                && let Ok(pass) = std::env::var("LINKWELL_PASSPHRASE")
                && let Ok(mut g) = gate.lock()
            {
                g.call("unlock", serde_json::json!({ "passphrase": pass }))?;
            }
            watch_idle(gate.clone());
            app.manage(AppState { gate, started });
            // LINKWELL_START opens a given screen (e.g. "caseload") for the benchmark.
            let start = match std::env::var("LINKWELL_START") {
                Ok(screen)
                    if screen
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '/') =>
                {
                    format!("index.html#/{screen}")
                }
                _ => "index.html".to_string(),
            };
            WebviewWindowBuilder::new(app, "main", WebviewUrl::App(start.into()))
                .title("Linkwell")
                .inner_size(1200.0, 820.0)
                .min_inner_size(640.0, 480.0)
                .on_navigation(|url| {
                    let internal = matches!(url.scheme(), "tauri" | "asset")
                        || url
                            .host_str()
                            .is_some_and(|h| h == "tauri.localhost" || h == "localhost");
                    if !internal && matches!(url.scheme(), "http" | "https" | "mailto" | "tel") {
                        open_externally(url.as_str());
                    }
                    internal
                })
                .build()?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![api, ready])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .expect("error while running Linkwell");
}
