//! Issue 14: an administrator enables a licensed instrument and sets a follow-up schedule on a
//! real `linkwell-server`; both reach every laptop at its next sync, and until then the form
//! says why it is not available.

use linkwell_core::Store;
use linkwell_core::domain::vocabulary::Instrument;
use linkwell_core::records::follow_ups;
use linkwell_e2e::{
    ServerProcess, add_worker, binary, enrolled_laptops, linkwell_ok, new_org, server_admin,
};
use std::path::Path;
use std::process::Command;

fn open(db: &Path) -> Store {
    if linkwell_core::security::vault::is_encrypted(db) {
        Store::unlock(db, linkwell_e2e::TEST_PASSPHRASE).unwrap()
    } else {
        Store::open(db, None).unwrap()
    }
}

#[test]
fn a_licence_enabled_on_the_server_reaches_every_laptop_by_sync() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    new_org(&data, &["Rushcliffe"]);
    let workers = [
        add_worker(&data, "Linker", "link_worker", "Rushcliffe"),
        add_worker(&data, "Sue Pervisor", "supervisor", "Rushcliffe"),
    ];
    let server = ServerProcess::start(&data);
    let laptops = enrolled_laptops(dir.path(), &data, &server, &workers);

    // Until the licence arrives, the form says why PAM cannot be recorded.
    let why = open(&laptops[0])
        .instrument_form(Instrument::Pam)
        .unwrap()
        .unavailable;
    assert!(why.unwrap().contains("has not reached this laptop"));

    // The server checks the setting in the laptop's words before sending it.
    let refused = Command::new(binary("linkwell-server"))
        .arg("--data")
        .arg(&data)
        .args([
            "instrument",
            "licence",
            "--instrument",
            "ons4",
            "--holder",
            "X",
            "--date",
            "2026-11-01",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("public and needs no licence"));

    server_admin(
        &data,
        &[
            "instrument",
            "licence",
            "--instrument",
            "pam",
            "--holder",
            "Rushcliffe PCN",
            "--date",
            "2026-11-01",
        ],
    );
    server_admin(
        &data,
        &[
            "instrument",
            "schedule",
            "--instrument",
            "pam",
            "--every-months",
            "4",
        ],
    );
    let listed = server_admin(&data, &["instrument", "list"]);
    assert!(
        listed.contains("pam              ON, licensed to Rushcliffe PCN from 2026-11-01"),
        "{listed}"
    );
    assert!(listed.contains("eq5d             off"), "{listed}");

    for db in &laptops {
        linkwell_ok(db, &["sync", "--server", &server.url]);
        let store = open(db);
        let form = store.instrument_form(Instrument::Pam).unwrap();
        assert_eq!(form.unavailable, None, "PAM is on after the sync");
        let licence = form.licence.unwrap();
        assert_eq!(licence.licence_holder, "Rushcliffe PCN");
        assert_eq!(licence.licensed_on.unwrap().to_string(), "2026-11-01");
        assert!(
            store
                .instrument_form(Instrument::Eq5d)
                .unwrap()
                .unavailable
                .is_some()
        );
        let schedules = follow_ups::schedules(store.conn()).unwrap();
        assert_eq!(schedules.last().unwrap().every_months, Some(4));
    }
    // The supervisor's laptop lists which instruments are on.
    let forms = open(&laptops[1]).instrument_forms().unwrap();
    let on: Vec<_> = forms
        .iter()
        .filter(|f| f.licensed && f.unavailable.is_none())
        .map(|f| f.instrument)
        .collect();
    assert_eq!(on, [Instrument::Pam]);
}
