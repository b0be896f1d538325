//! Issue 13 item 2 across real processes: two link workers of one team enter the same person
//! on their own laptops while offline. After both sync through a real server, both laptops
//! flag the pair for review (nothing merged, nothing dropped); one worker decides they are
//! different people and, once that decision has synced, the other laptop's flag goes too.

use linkwell_core::Store;
use linkwell_core::app::api::dispatch;
use linkwell_core::sync::ReviewSettlement;
use linkwell_e2e::{ServerProcess, add_worker, enrolled_laptops, linkwell_ok, new_org};
use serde_json::json;
use std::path::Path;

fn open(db: &Path) -> Store {
    if linkwell_core::security::vault::is_encrypted(db) {
        Store::unlock(db, linkwell_e2e::TEST_PASSPHRASE).unwrap()
    } else {
        Store::open(db, None).unwrap()
    }
}

/// Margaret as each laptop types her: the same date of birth and postcode, a name spelt
/// a little differently and no NHS number to hand (so the pair is likely, not certain).
fn take_margaret(db: &Path, given: &str) {
    let mut store = open(db);
    dispatch(
        &mut store,
        "take_referral",
        json!({ "referral": {
            "person": { "given_name": given, "family_name": "Smith",
                        "date_of_birth": "1948-03-02", "postcode": "LE12 6QW" },
            "referral": { "source": "gp", "received_on": linkwell_core::store::today().to_string(),
                          "reasons": ["loneliness"] },
        }}),
    )
    .unwrap();
}

fn duplicates(db: &Path) -> Vec<linkwell_core::sync::ReviewItem> {
    open(db)
        .review_items()
        .unwrap()
        .into_iter()
        .filter(|i| i.kind == "possible_duplicate")
        .collect()
}

#[test]
fn the_same_person_entered_on_two_laptops_is_flagged_on_both_until_someone_decides() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("server");
    new_org(&data, &["Rushcliffe"]);
    let workers = [
        add_worker(&data, "Lin Worker", "link_worker", "Rushcliffe"),
        add_worker(&data, "Kit Worker", "link_worker", "Rushcliffe"),
    ];
    let server = ServerProcess::start(&data);
    let laptops = enrolled_laptops(dir.path(), &data, &server, &workers);
    take_margaret(&laptops[0], "Margaret");
    take_margaret(&laptops[1], "Margret");
    for db in [&laptops[0], &laptops[1], &laptops[0]] {
        linkwell_ok(db, &["sync"]);
    }

    for db in &laptops {
        let flagged = duplicates(db);
        assert_eq!(flagged.len(), 1, "{flagged:?}");
        let names = [&flagged[0].person, &flagged[0].other_person]
            .map(|p| p.as_ref().unwrap().name.clone());
        assert!(names.contains(&"Margaret Smith".to_string()), "{names:?}");
        assert!(names.contains(&"Margret Smith".to_string()), "{names:?}");
        assert!(!flagged[0].certain);
        assert_eq!(
            open(db)
                .conn()
                .query_row("SELECT COUNT(*) FROM person", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            2
        );
    }

    let item = duplicates(&laptops[1]).remove(0);
    open(&laptops[1])
        .settle_review(&item.id, ReviewSettlement::DifferentPeople)
        .unwrap();
    assert!(duplicates(&laptops[1]).is_empty());
    assert_eq!(duplicates(&laptops[0]).len(), 1, "not yet synced");
    linkwell_ok(&laptops[1], &["sync"]);
    linkwell_ok(&laptops[0], &["sync"]);
    assert!(
        duplicates(&laptops[0]).is_empty(),
        "the decision reached the other laptop"
    );
}
