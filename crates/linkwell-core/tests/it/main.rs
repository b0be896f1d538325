//! Integration tests of linkwell-core over real SQLite files in temporary directories.

mod bad_inputs;
mod gate;
mod groups;
mod messages;
mod oruk;
mod outcomes;
mod pathway;
mod plans_measures;
mod print;
mod queries;
mod registry;
mod report;
mod security;
mod session;
mod store;
mod sync_pull;

use linkwell_core::Store;
use linkwell_core::records::pathway::{NewReferral, ReferralInput, Taken};
use linkwell_core::records::people::{PersonInput, SetupInput};
use std::path::PathBuf;

/// A fresh database file set up for one link worker; removed on drop.
pub struct TestDb {
    pub dir: tempfile::TempDir,
    pub store: Store,
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl TestDb {
    pub fn new() -> TestDb {
        Self::with_role("link_worker")
    }

    /// A fresh database whose worker has this role (e.g. "supervisor").
    pub fn with_role(role: &str) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("linkwell.db"), None).unwrap();
        store
            .init(&SetupInput {
                team_name: "Rushcliffe".into(),
                worker_name: "Priya Shah".into(),
                role: role.into(),
                ..Default::default()
            })
            .unwrap();
        TestDb { dir, store }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("linkwell.db")
    }

    pub fn reopen(self) -> TestDb {
        let TestDb { dir, store } = self;
        drop(store);
        let store = Store::open(&dir.path().join("linkwell.db"), None).unwrap();
        TestDb { dir, store }
    }

    /// Rows in the change log: what a failed write must not have added to.
    pub fn log_len(&self) -> i64 {
        self.store
            .conn()
            .query_row("SELECT COUNT(*) FROM change_log", [], |r| r.get(0))
            .unwrap()
    }

    pub fn count(&self, table: &str) -> i64 {
        self.store
            .conn()
            .query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    }

    pub fn take_referral(&mut self, given: &str, family: &str) -> Taken {
        self.store
            .take_referral(&new_referral(given, family))
            .unwrap()
    }
}

/// A GP referral; each name gets its own NHS number and date of birth (Margaret Smith has
/// 943 476 5919), so people of different names in one test are not likely matches.
pub fn new_referral(given: &str, family: &str) -> NewReferral {
    let (nhs, born) = identity_for(given, family);
    NewReferral {
        person: PersonInput {
            given_name: given.into(),
            family_name: family.into(),
            nhs_number: Some(nhs),
            postcode: Some("le12 6qw".into()),
            date_of_birth: Some(born),
            ..Default::default()
        },
        referral: ReferralInput {
            source: "gp".into(),
            referrer_name: Some("Dr Patel".into()),
            received_on: days_ago(3).to_string(),
            reasons: vec!["loneliness".into(), "long_term_condition".into()],
            conditions: vec!["COPD".into()],
            snomed_code: Some("871731000000106".into()),
            consent_to_contact: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A valid NHS number and a date of birth that follow from the name.
fn identity_for(given: &str, family: &str) -> (String, String) {
    if (given, family) == ("Margaret", "Smith") {
        return ("943 476 5919".into(), "1948-03-02".into());
    }
    let mut h: u64 = 1469598103934665603;
    for b in format!("{given}|{family}").bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(1099511628211);
    }
    loop {
        let digits: Vec<u32> = format!("{:09}", h % 1_000_000_000)
            .chars()
            .map(|c| c.to_digit(10).unwrap())
            .collect();
        let sum: u32 = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
        let check = (11 - sum % 11) % 11;
        if check != 10 {
            let born = chrono::NaiveDate::from_ymd_opt(1940, 1, 1).unwrap()
                + chrono::Duration::days((h % 20000) as i64);
            let number: String = digits.iter().map(|d| d.to_string()).collect();
            return (format!("{number}{check}"), born.to_string());
        }
        h = h.wrapping_add(1);
    }
}

pub fn days_ago(n: i64) -> chrono::NaiveDate {
    linkwell_core::store::today() - chrono::Duration::days(n)
}
