//! Tauri's build step. The config lives at the repository root, and the app manifest names
//! the only command the UI may call, so capabilities can allow exactly that.

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .config_path("../tauri.conf.json")
            .capabilities_path_pattern("./capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(&["api", "ready"])),
    )
    .expect("failed to run tauri-build");
}
