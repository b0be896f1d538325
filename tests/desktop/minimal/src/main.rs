//! A minimal Tauri app for the benchmark baseline: prints the time to its first screen.
use std::time::Instant;

struct Started(Instant);

#[tauri::command]
fn ready(state: tauri::State<'_, Started>) {
    eprintln!(
        "linkwell: first screen after {} ms",
        state.0.elapsed().as_millis()
    );
}

fn main() {
    let started = Started(Instant::now());
    tauri::Builder::default()
        .manage(started)
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!())
        .expect("error while running the minimal app");
}
