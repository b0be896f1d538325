//! Helpers for end-to-end tests: locate the workspace's built binaries and run them as real
//! processes against real files in temporary directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// The path of a binary built by `cargo build --workspace --all-targets` in the same profile.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/e2e-hash -> target/<profile>/<name>
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace --all-targets` before the end-to-end tests",
        path.display()
    );
    path
}

/// Checks `check` every 10 ms until it answers `Some`, and returns that; fails naming `what`
/// (and how long it waited) if it has not by `timeout`. Tests wait on conditions like this,
/// never by sleeping a fixed time and hoping.
pub fn wait_for<T>(what: &str, timeout: Duration, check: impl FnMut() -> Option<T>) -> T {
    wait_for_every(what, timeout, Duration::from_millis(10), check)
}

/// [`wait_for`], checking every `every` (for checks that cost the process under test work).
pub fn wait_for_every<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(every);
    }
}

/// Waits (at most `timeout`) for a child process to exit; kills it and fails naming `what` if
/// it does not.
pub fn wait_exit(
    what: &str,
    child: &mut std::process::Child,
    timeout: Duration,
) -> std::process::ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("child status") {
            return status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} had not exited after {timeout:?} (killed)");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The passphrase test laptops are set up with (databases are encrypted by default).
pub const TEST_PASSPHRASE: &str = "test passphrase for a synthetic laptop";

/// A `linkwell` command for `db` with the test passphrase in its environment.
pub fn linkwell_command(db: &Path) -> Command {
    let mut c = Command::new(binary("linkwell"));
    c.arg("--db")
        .arg(db)
        .env("LINKWELL_PASSPHRASE", TEST_PASSPHRASE);
    c
}

/// Runs `linkwell --db DB args...` and returns its output.
pub fn linkwell(db: &Path, args: &[&str]) -> Output {
    Command::new(binary("linkwell"))
        .env("LINKWELL_PASSPHRASE", TEST_PASSPHRASE)
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

/// A `linkwell-server` process on a free loopback port, killed (SIGKILL) when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub url: String,
}

impl ServerProcess {
    /// Starts `linkwell-server --data DATA serve --listen 127.0.0.1:0` and reads the bound
    /// address from its first line of output.
    pub fn start(data: &Path) -> ServerProcess {
        Self::start_on(data, "127.0.0.1:0")
    }

    /// Starts the server on a given address (to bring it back where laptops expect it).
    pub fn start_on(data: &Path, listen: &str) -> ServerProcess {
        Self::start_with(data, listen, &[])
    }

    /// Starts the server with more `serve` arguments (`--cert`, `--key` for TLS).
    pub fn start_with(data: &Path, listen: &str, serve_args: &[&str]) -> ServerProcess {
        use std::io::BufRead as _;
        let mut child = Command::new(binary("linkwell-server"))
            .arg("--data")
            .arg(data)
            .args(["serve", "--listen", listen])
            .args(serve_args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start linkwell-server");
        let stdout = child.stdout.take().expect("server stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read server address");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected server output {line:?}"))
            .to_string();
        ServerProcess { child, url }
    }

    /// SIGKILL: no graceful shutdown, as when the machine loses power.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs a command, insisting on success; returns its trimmed stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .trim()
        .to_string()
}

/// Runs `linkwell-server --data DATA args...`, insisting on success; returns trimmed stdout.
pub fn server_admin(data: &Path, args: &[&str]) -> String {
    run_ok(
        Command::new(binary("linkwell-server"))
            .arg("--data")
            .arg(data)
            .args(args),
    )
}

/// A server data folder with the test organisation and these teams.
pub fn new_org(data: &Path, teams: &[&str]) {
    server_admin(data, &["init", "--org", "Test Social Prescribing"]);
    for team in teams {
        server_admin(data, &["team", "add", "--name", team]);
    }
}

/// A one-time enrolment code for a worker.
pub fn enrol_code(data: &Path, worker: &str) -> String {
    server_admin(data, &["enrol-code", "--worker", worker])
}

/// Adds a worker on the server (`worker add`) and returns their id.
pub fn add_worker(data: &Path, name: &str, role: &str, team: &str) -> String {
    server_admin(
        data,
        &[
            "worker", "add", "--name", name, "--role", role, "--team", team,
        ],
    )
}

/// A real `linkwell-bridge` (the core gate the desktop window holds) on a free loopback port,
/// driven through its HTTP API as the UI drives it; killed when dropped.
pub struct BridgeProcess {
    child: std::process::Child,
    base: String,
    token: String,
}

impl Drop for BridgeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl BridgeProcess {
    /// Over one database file (`--db`).
    pub fn start_db(db: &Path, ui: &Path) -> BridgeProcess {
        BridgeProcess::start("--db", db, ui)
    }

    /// Over a folder of profiles (`--profiles`), as the desktop app keeps them.
    pub fn start_profiles(profiles: &Path, ui: &Path) -> BridgeProcess {
        BridgeProcess::start("--profiles", profiles, ui)
    }

    fn start(store_flag: &str, store: &Path, ui: &Path) -> BridgeProcess {
        use std::io::BufRead as _;
        let mut child = Command::new(binary("linkwell-bridge"))
            .arg(store_flag)
            .arg(store)
            .arg("--ui")
            .arg(ui)
            .args(["--port", "0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start linkwell-bridge");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("Linkwell bridge listening: ")
            .unwrap_or_else(|| panic!("unexpected bridge output {line:?}"));
        let (base, token) = url.split_once("/?token=").unwrap();
        BridgeProcess {
            child,
            base: base.to_string(),
            token: token.to_string(),
        }
    }

    /// One API call as the UI makes it: (HTTP status, JSON body).
    pub fn call(&self, method: &str, args: serde_json::Value) -> (u16, serde_json::Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut res = agent
            .post(&format!("{}/api/{method}", self.base))
            .header("Authorization", &format!("Bearer {}", self.token))
            .send_json(args)
            .expect("bridge answers");
        let status = res.status().as_u16();
        (
            status,
            res.body_mut()
                .read_json()
                .unwrap_or(serde_json::Value::Null),
        )
    }

    /// A call that must succeed; its JSON answer.
    pub fn ok(&self, method: &str, args: serde_json::Value) -> serde_json::Value {
        let (status, body) = self.call(method, args);
        assert_eq!(status, 200, "{method}: {body}");
        body
    }
}

/// One laptop database per worker, each enrolled with the running server.
pub fn enrolled_laptops(
    dir: &Path,
    data: &Path,
    server: &ServerProcess,
    workers: &[String],
) -> Vec<PathBuf> {
    workers
        .iter()
        .enumerate()
        .map(|(n, w)| {
            let db = dir.join(format!("laptop{n}.db"));
            let code = enrol_code(data, w);
            linkwell_ok(&db, &["enrol", "--server", &server.url, "--code", &code]);
            db
        })
        .collect()
}
