//! Sync over TLS as an organisation would run it: a server certificate signed by the
//! organisation's own certificate authority (made here with the real `openssl` tool), a laptop
//! that trusts that authority, and refusals for everything less.

use linkwell_e2e::{
    ServerProcess, add_worker, binary, enrol_code, linkwell, linkwell_ok, new_org, run_ok,
};
use std::path::Path;
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
    run_ok(Command::new("openssl").current_dir(dir).args(args));
}

/// An organisation CA (`ca.pem`) and a server certificate for 127.0.0.1 and localhost signed
/// by it (`server.pem`, `server.key`).
fn make_certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=Test Social Prescribing CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
}

#[test]
fn laptops_sync_over_tls_trusting_only_the_organisations_authority() {
    let dir = tempfile::tempdir().unwrap();
    make_certificates(dir.path());
    let data = dir.path().join("server");
    new_org(&data, &["Rushcliffe"]);
    let worker = add_worker(&data, "Priya Shah", "link_worker", "Rushcliffe");
    let cert = dir.path().join("server.pem");
    let key = dir.path().join("server.key");
    let server = ServerProcess::start_with(
        &data,
        "127.0.0.1:0",
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(server.url.starts_with("https://"), "{}", server.url);
    let ca = dir.path().join("ca.pem");
    let db = dir.path().join("laptop.db");

    // Without the organisation's authority the certificate is not trusted: refused, and the
    // one-time code is not spent.
    let code = enrol_code(&data, &worker);
    let out = linkwell(&db, &["enrol", "--server", &server.url, "--code", &code]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(said.contains("certificate"), "{said}");
    // Plain HTTP to the TLS port gets nowhere either.
    let plain = server.url.replacen("https://", "http://", 1);
    let out = linkwell(&db, &["enrol", "--server", &plain, "--code", &code]);
    assert!(!out.status.success());

    // Trusting the authority: enrol, take a referral, sync; it is on the server.
    linkwell_ok(
        &db,
        &[
            "enrol",
            "--server",
            &server.url,
            "--code",
            &code,
            "--ca",
            ca.to_str().unwrap(),
        ],
    );
    linkwell_ok(&db, &["demo", "--people", "3", "--sessions", "6"]);
    let out = linkwell_ok(&db, &["sync", "--ca", ca.to_str().unwrap()]);
    assert!(!out.is_empty());
    let status = linkwell_ok(&db, &["--json", "sync", "status"]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["pending"], 0, "{status}");
    assert_eq!(status["all_synced"], true, "{status}");
}

#[test]
fn the_server_refuses_plain_http_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    new_org(&data, &[]);
    let out = Command::new(binary("linkwell-server"))
        .arg("--data")
        .arg(&data)
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("refusing to serve plain HTTP"), "{said}");
}
