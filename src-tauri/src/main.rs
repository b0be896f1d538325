//! The Linkwell desktop app: a Tauri window showing the web UI (ui/dist) over linkwell-core.
//! One thin command, `api`, hands a method and its arguments to `linkwell_core::api::dispatch`
//! and maps the error to `{code, message, field, fields}`; no rule lives here. The app state
//! owns the store; the database lives in the platform's app-data folder (or `LINKWELL_DB`).
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use linkwell_core::Store;
use linkwell_core::api::{ErrorBody, dispatch};
use serde_json::Value;
use std::sync::Mutex;
use std::time::Instant;
use tauri::{Manager, State, WebviewUrl, WebviewWindowBuilder};

struct AppState {
    store: Mutex<Store>,
    started: Instant,
}

#[tauri::command]
async fn api(state: State<'_, AppState>, method: String, args: Value) -> Result<Value, ErrorBody> {
    let mut store = state.store.lock().map_err(|_| ErrorBody {
        code: "internal".into(),
        message: "Linkwell needs to be restarted.".into(),
        field: None,
        fields: Vec::new(),
    })?;
    dispatch(&mut store, &method, args).map_err(|e| ErrorBody::from(&e))
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

fn main() {
    let started = Instant::now();
    tauri::Builder::default()
        .setup(move |app| {
            let path = match std::env::var_os("LINKWELL_DB") {
                Some(p) => std::path::PathBuf::from(p),
                None => {
                    let dir = app.path().app_data_dir()?;
                    std::fs::create_dir_all(&dir)?;
                    dir.join("linkwell.db")
                }
            };
            let store = Store::open(&path, None)?;
            app.manage(AppState {
                store: Mutex::new(store),
                started,
            });
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
