//! A throw-away PostgreSQL cluster for tests and benchmarks: `initdb` and `pg_ctl` (Debian's
//! `postgresql` package, found as in [`crate::storage::pg::program`]) in a temporary folder,
//! listening on a free loopback port, trusted for its one user, stopped and deleted on drop.
//! PostgreSQL refuses to run as root: when the tests run as root, the cluster runs as the
//! `postgres` account (made by Debian's package) or else `nobody`, through `runuser`.
//! Starting fails loudly (a panic with PostgreSQL's own words), never skips.

use crate::storage::pg::program;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The cluster's superuser.
pub const USER: &str = "linkwell";

pub struct Cluster {
    dir: PathBuf,
    port: u16,
    /// `runuser -u ACCOUNT --` when running as root.
    run_as: Option<String>,
    fsync: bool,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn account_ids(name: &str) -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let o = Command::new("id").arg(flag).arg(name).output().ok()?;
        if !o.status.success() {
            return None;
        }
        String::from_utf8_lossy(&o.stdout).trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Cluster {
    /// A new cluster with fsync off (tests: a crash of the machine loses nothing they need).
    pub fn start() -> Cluster {
        Self::start_with(false)
    }

    /// A new cluster; `fsync` as production would run it (benchmarks).
    pub fn start_with(fsync: bool) -> Cluster {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "linkwell-pg-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a folder for the PostgreSQL cluster");
        let run_as = if is_root() {
            let account = ["postgres", "nobody"]
                .into_iter()
                .find(|a| account_ids(a).is_some())
                .expect("running as root, PostgreSQL needs an unprivileged account: neither postgres nor nobody exists");
            let (uid, gid) = account_ids(account).unwrap_or((65534, 65534));
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
                .expect("giving the cluster's folder to its account");
            Some(account.to_string())
        } else {
            None
        };
        let mut c = Cluster {
            dir,
            port: 0,
            run_as,
            fsync,
        };
        c.run(
            program("initdb")
                .to_str()
                .map(str::to_string)
                .unwrap_or_default(),
            &[
                "-D",
                &c.data().to_string_lossy(),
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )
        .unwrap_or_else(|e| panic!("PostgreSQL's initdb failed (is Debian's postgresql package installed? scripts/setup.sh installs it): {e}"));
        let mut last = String::new();
        for _ in 0..5 {
            c.port = free_port();
            match c.pg_ctl_start() {
                Ok(()) => return c,
                Err(e) => last = e,
            }
        }
        panic!("PostgreSQL would not start: {last}");
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn run(&self, program: String, args: &[&str]) -> Result<(), String> {
        let mut cmd = match &self.run_as {
            Some(account) => {
                let mut c = Command::new("runuser");
                c.args(["-u", account, "--", &program]);
                c
            }
            None => Command::new(&program),
        };
        cmd.args(args).current_dir(&self.dir);
        let out = cmd
            .output()
            .map_err(|e| format!("could not run {program}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let prog = program("pg_ctl").to_string_lossy().into_owned();
        let data = self.data().to_string_lossy().into_owned();
        let mut all = vec!["-D", &data];
        all.extend_from_slice(args);
        self.run(prog, &all)
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        let opts = format!(
            "-h 127.0.0.1 -p {} -k {} -c fsync={} -c max_connections=200",
            self.port,
            self.dir.display(),
            if self.fsync { "on" } else { "off" }
        );
        let log = self.dir.join("log").to_string_lossy().into_owned();
        self.pg_ctl(&["-o", &opts, "-l", &log, "-w", "-t", "60", "start"])
            .map_err(|e| {
                let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
                format!("{e}\n{log}")
            })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of database `db` on this cluster.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{db}", self.port)
    }

    /// Creates an empty database; answers its URL.
    pub fn create_database(&self, name: &str) -> String {
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .expect("connecting to the test cluster");
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .expect("creating a test database");
        self.url(name)
    }

    /// Stops the cluster (fast: open connections are cut), as a database going away does.
    pub fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "-w", "stop"])
            .expect("stopping the test cluster");
    }

    /// Starts it again on the same port, after [`Cluster::stop`].
    pub fn restart(&self) {
        self.pg_ctl_start()
            .expect("starting the test cluster again");
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
