//! Helpers for end-to-end tests: locate the workspace's built binaries and run them as real
//! processes against real files in temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The path of a binary built by `cargo build --workspace --bins` in the same profile.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/e2e-hash -> target/<profile>/<name>
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --bins` before the end-to-end tests",
        path.display()
    );
    path
}

/// Runs `linkwell --db DB args...` and returns its output.
pub fn linkwell(db: &Path, args: &[&str]) -> Output {
    Command::new(binary("linkwell"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("LINKWELL_LOG", "info")
        .output()
        .expect("run linkwell")
}

/// Runs and insists on success, returning stdout.
pub fn linkwell_ok(db: &Path, args: &[&str]) -> String {
    let out = linkwell(db, args);
    assert!(
        out.status.success(),
        "linkwell {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}
