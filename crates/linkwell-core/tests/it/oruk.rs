//! Open Referral UK import and export over a real database: the official v3 examples, a v1
//! feed with the faults real feeds have, re-import over local edits, files that are not
//! feeds, and an export checked against the official JSON Schema.

use crate::TestDb;
use linkwell_core::records::oruk::ImportReport;
use linkwell_core::store;
use linkwell_protocol::{EntityKind, Operation};
use serde_json::{Map, Value, json};
use std::path::PathBuf;

fn feed(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/feeds")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The stored service (every column) the feed knows by `feed_id`.
fn by_feed_id(db: &TestDb, feed_id: &str) -> Map<String, Value> {
    let mut rows = store::load_where(
        db.store.conn(),
        EntityKind::Service,
        "feed_id = ?1",
        feed_id,
        "rowid",
    )
    .unwrap();
    assert_eq!(rows.len(), 1, "one service for feed id {feed_id}");
    rows.remove(0)
}

fn skipped_reasons(r: &ImportReport) -> Vec<(Option<&str>, &str)> {
    r.skipped
        .iter()
        .map(|s| (s.id.as_deref(), s.reason.as_str()))
        .collect()
}

#[test]
fn official_v3_record_and_list_page_import_and_reimport_in_place() {
    let mut db = TestDb::new();
    let r = db
        .store
        .import_oruk(&feed("oruk-v3/service_full.json"))
        .unwrap();
    assert_eq!((r.added, r.updated, r.unchanged), (1, 0, 0), "{r:?}");
    assert!(r.skipped.is_empty());
    let s = by_feed_id(&db, "ac148810-d857-441c-9679-408f346de14b");
    assert_eq!(s["name"], "Community Counselling");
    assert_eq!(s["uprn"], "10092008082");
    // Latitude 100 is not a place on Earth, and "ABC 1234" not a UK postcode: left out.
    assert_eq!(s["latitude"], Value::Null);
    assert_eq!(s["postcode"], Value::Null);
    assert_eq!(s["venue"], "MyCity Civic Center");
    assert_eq!(s["min_age"], 12);
    assert_eq!(s["max_age"], 100);
    assert_eq!(s["hearing_loop"], true);
    assert_eq!(s["step_free"], true);
    assert_eq!(s["last_verified_on"], "2005-01-01");
    assert_eq!(
        s["schedules"],
        json!([
            {"weekday": "thu", "starts": "10:00", "ends": "18:00", "frequency": "weekly"},
            {"weekday": "fri", "starts": "10:00", "ends": "18:00", "frequency": "weekly"}
        ])
    );
    let services = db.store.services().unwrap();
    assert_eq!(services.len(), 1);
    let provider = services[0].provider_id.expect("organisation imported");
    let p = store::load(db.store.conn(), EntityKind::Provider, provider)
        .unwrap()
        .unwrap();
    assert_eq!(p["name"], "Example Organization Inc.");

    let again = db
        .store
        .import_oruk(&feed("oruk-v3/service_full.json"))
        .unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 1));

    // The list page (page 1 of 10) carries only one-to-one fields: same service, schedules kept.
    let page = db
        .store
        .import_oruk(&feed("oruk-v3/service_list.json"))
        .unwrap();
    assert_eq!(page.format, "ORUK v3 /services page");
    assert_eq!(
        (page.added, page.updated, page.unchanged),
        (0, 0, 1),
        "{page:?}"
    );
    assert!(
        page.notes.iter().any(|n| n.contains("page 1 of 10")),
        "{:?}",
        page.notes
    );
    assert!(page.no_longer_listed.is_empty());
    assert_eq!(db.store.services().unwrap().len(), 1);
    let s = by_feed_id(&db, "ac148810-d857-441c-9679-408f346de14b");
    assert_eq!(s["schedules"].as_array().unwrap().len(), 2);

    // An organisation record is read as its services, not taken for a service itself.
    let org = db
        .store
        .import_oruk(&feed("oruk-v3/organization_full.json"))
        .unwrap();
    assert_eq!(org.format, "ORUK v3 organisation record");
    assert_eq!(
        (org.added, org.updated, org.unchanged),
        (0, 0, 1),
        "{org:?}"
    );
    assert_eq!(db.store.services().unwrap().len(), 1);
}

#[test]
fn a_faulty_v1_feed_imports_what_it_can_and_says_why_it_skipped_the_rest() {
    let mut db = TestDb::new();
    let r = db.store.import_oruk(&feed("v1_faults.json")).unwrap();
    assert_eq!(r.format, "ORUK v1 services page");
    assert_eq!((r.added, r.updated, r.unchanged), (3, 0, 0), "{r:?}");
    let skipped = skipped_reasons(&r);
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    assert!(skipped.contains(&(Some("102"), "It has no name")));
    assert!(
        skipped
            .iter()
            .any(|(id, why)| *id == Some("101") && why.contains("same id"))
    );
    assert!(
        skipped
            .iter()
            .any(|(id, why)| id.is_none() && why.contains("no id"))
    );
    assert!(
        skipped
            .iter()
            .any(|(_, why)| why.contains("not a JSON object"))
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("holds 9 services but the file has 7")),
        "{:?}",
        r.notes
    );

    let walk = by_feed_id(&db, "101");
    let description = walk["description"].as_str().unwrap();
    assert!(
        description.contains("Gentle walks & a chat."),
        "{description}"
    );
    assert!(description.contains("Meet at the library"), "{description}");
    assert!(
        !description.contains('<') && !description.contains("alert"),
        "{description}"
    );
    assert_eq!(walk["postcode"], "NG12 5FW");
    assert_eq!(walk["uprn"], "3040012345");
    assert_eq!(walk["latitude"], 52.8721);
    assert_eq!(walk["longitude"], -1.0893);
    assert_eq!(
        walk["schedules"],
        json!([
            {"weekday": "thu", "starts": "10:00", "ends": "11:30", "frequency": "weekly"},
            {"weekday": "mon", "starts": "13:30", "ends": "15:00", "frequency": "monthly"},
            {"weekday": "fri", "starts": "13:30", "ends": "15:00", "frequency": "monthly"}
        ])
    );
    let note = walk["schedule_note"].as_str().unwrap();
    assert!(note.contains("2nd Monday of the month"), "{note}");
    assert!(note.contains("last Friday of the month"), "{note}");
    assert_eq!(
        walk["categories"],
        json!(["physical_activity", "mental_health"])
    );
    assert_eq!(walk["tags"], json!(["Outdoors"]));
    assert_eq!(walk["languages"], json!(["English", "Polish"]));
    assert_eq!(
        (walk["free"].clone(), walk["step_free"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(walk["hearing_loop"], true);
    assert_eq!(walk["min_age"], 18);
    assert_eq!(walk["contact_name"], "Jo Bell");
    assert_eq!(walk["contact_phone"], "0115 496 0123");
    assert_eq!(walk["last_verified_on"], "2025-06-01");

    let craft = by_feed_id(&db, "103");
    assert_eq!(craft["name"], "Craft & Natter");
    assert_eq!(craft["status"], "paused");
    assert_eq!(craft["contact_email"], Value::Null);
    assert_eq!(craft["contact_phone"], Value::Null);
    assert_eq!(craft["postcode"], Value::Null);
    assert_eq!(craft["schedules"], json!([]));
    assert!(
        craft["schedule_note"]
            .as_str()
            .unwrap()
            .contains("times vary")
    );
    assert_eq!(craft["categories"], json!(["arts"]));

    let future = by_feed_id(&db, "104");
    assert_eq!(future["last_verified_on"], Value::Null);
    assert_eq!(future["min_age"], Value::Null);

    let again = db.store.import_oruk(&feed("v1_faults.json")).unwrap();
    assert_eq!((again.added, again.updated, again.unchanged), (0, 0, 3));
    assert_eq!(again.skipped.len(), 4);
    assert_eq!(db.store.services().unwrap().len(), 3);
}

#[test]
fn reimport_keeps_a_local_edit_shows_the_feeds_value_and_marks_what_is_gone() {
    let mut db = TestDb::new();
    db.store.import_oruk(&feed("v1_faults.json")).unwrap();
    let id: uuid::Uuid = by_feed_id(&db, "101")["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // A worker renames the group here.
    db.store
        .write(|w| {
            let mut m = Map::new();
            m.insert("name".into(), "Keyworth Walkers".into());
            w.record(EntityKind::Service, id, Operation::Update, m)
        })
        .unwrap();

    let mut changed: Value = serde_json::from_str(&feed("v1_faults.json")).unwrap();
    let content = changed["content"].as_array_mut().unwrap();
    content[0]["name"] = "Keyworth Walking Group (Tuesdays)".into();
    content[0]["description"] = "Now on Tuesdays.".into();
    content.retain(|r| r.get("id") != Some(&json!("104")));
    let changed = changed.to_string();

    let r = db.store.import_oruk(&changed).unwrap();
    assert_eq!((r.added, r.updated, r.unchanged), (0, 1, 1), "{r:?}");
    let walk = by_feed_id(&db, "101");
    assert_eq!(walk["name"], "Keyworth Walkers", "the local edit is kept");
    assert_eq!(
        walk["description"], "Now on Tuesdays.",
        "an unedited field follows the feed"
    );
    assert_eq!(r.feed_differs.len(), 1, "{:?}", r.feed_differs);
    assert_eq!(r.feed_differs[0].field, "name");
    assert_eq!(r.feed_differs[0].feed, "Keyworth Walking Group (Tuesdays)");
    assert_eq!(r.feed_differs[0].local, "Keyworth Walkers");
    assert_eq!(db.store.directory_feed_differs().unwrap(), r.feed_differs);

    // 104 is gone from the feed: marked, still in the directory.
    assert_eq!(r.no_longer_listed.len(), 1);
    assert_eq!(r.no_longer_listed[0].name, "Future Club");
    assert_eq!(db.store.services().unwrap().len(), 3);
    assert!(by_feed_id(&db, "104")["feed_unlisted_on"].is_string());

    // The same feed again: nothing changes, the difference is still there to review.
    let again = db.store.import_oruk(&changed).unwrap();
    assert_eq!((again.updated, again.unchanged), (0, 2), "{again:?}");
    assert_eq!(again.feed_differs.len(), 1);
    assert_eq!(by_feed_id(&db, "101")["name"], "Keyworth Walkers");

    // Listed again: the mark goes.
    let back = db.store.import_oruk(&feed("v1_faults.json")).unwrap();
    assert!(back.no_longer_listed.is_empty());
    assert!(by_feed_id(&db, "104")["feed_unlisted_on"].is_null());
}

#[test]
fn a_file_that_is_not_a_feed_is_refused_and_nothing_is_lost() {
    let mut db = TestDb::new();
    db.store.import_oruk(&feed("v1_faults.json")).unwrap();
    let before = db.store.services().unwrap();
    let cases = [
        ("name,description\nWalks,Gentle", "not JSON"),
        (r#"{"content": [{"id": "1", "name": "Cut"#, "ends too early"),
        (r#"{"services": []}"#, "not an Open Referral UK feed"),
    ];
    for (text, words) in cases {
        let e = db.store.import_oruk(text).unwrap_err();
        assert_eq!(e.fields(), vec!["file"], "{text}");
        assert!(
            e.to_string().contains(words) || format!("{e:?}").contains(words),
            "{e:?}"
        );
    }
    assert_eq!(db.store.services().unwrap(), before);
}

/// Checks every record against the official compiled schemas (formats too) and the page's
/// envelope against the /services Page of the UK profile's OpenAPI.
fn assert_valid_oruk_page(page: &Value) {
    let schema = |name: &str| -> Value { serde_json::from_str(&feed(name)).unwrap() };
    let full = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema("oruk-v3/schema/service.json"))
        .unwrap();
    let list = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema("oruk-v3/schema/service_list.json"))
        .unwrap();
    let envelope = jsonschema::validator_for(&json!({
        "type": "object",
        "required": ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"],
        "properties": {
            "total_items": {"type": "integer"}, "total_pages": {"type": "integer"},
            "page_number": {"type": "integer"}, "size": {"type": "integer"},
            "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"},
            "empty": {"type": "boolean"}, "contents": {"type": "array"}
        }
    }))
    .unwrap();
    let errors: Vec<String> = envelope.iter_errors(page).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    for record in page["contents"].as_array().unwrap() {
        for (what, v) in [("service.json", &full), ("service_list.json", &list)] {
            let errors: Vec<String> = v
                .iter_errors(record)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{} against {what}: {errors:?}",
                record["name"]
            );
        }
    }
}

#[test]
fn the_export_validates_against_the_official_schema_and_imports_back() {
    let mut db = TestDb::new();
    db.store.import_oruk(&feed("v1_faults.json")).unwrap();
    db.store
        .import_oruk(&feed("oruk-v3/service_full.json"))
        .unwrap();
    let page = db.store.export_oruk().unwrap();
    assert_eq!(page["total_items"], 4);
    assert_eq!(page["contents"].as_array().unwrap().len(), 4);
    assert_valid_oruk_page(&page);
    let walk = page["contents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "Keyworth Walking Group")
        .unwrap();
    assert_eq!(
        walk["service_at_locations"][0]["location"]["addresses"][0]["postal_code"],
        "NG12 5FW"
    );
    assert_eq!(walk["schedules"][0]["byday"], "TH");

    // A council (or another team) reading it back gets the same services.
    let mut other = TestDb::new();
    let r = other.store.import_oruk(&page.to_string()).unwrap();
    assert_eq!((r.added, r.skipped.len()), (4, 0), "{r:?}");
    let names = |db: &TestDb| -> Vec<String> {
        db.store
            .services()
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect()
    };
    assert_eq!(names(&other), names(&db));
    let back = other.store.services().unwrap();
    let walk_back = back
        .iter()
        .find(|s| s.name == "Keyworth Walking Group")
        .unwrap();
    assert_eq!(walk_back.postcode.as_deref(), Some("NG12 5FW"));
    assert_eq!(walk_back.schedules.len(), 3);
}

#[test]
fn an_empty_directory_exports_a_valid_empty_page() {
    let db = TestDb::new();
    let page = db.store.export_oruk().unwrap();
    assert_eq!(page["empty"], true);
    assert_valid_oruk_page(&page);
}

/// The services a team types in (the demo's: schedules, costs, access, contacts, Five Ways)
/// export as valid ORUK too, not only those that came from a feed.
#[test]
fn a_directory_typed_in_here_exports_valid_oruk() {
    use linkwell_core::demo::{DemoOptions, seed};
    let dir = tempfile::tempdir().unwrap();
    let mut s = linkwell_core::Store::open(&dir.path().join("d.db"), None).unwrap();
    let opts = DemoOptions {
        seed: 7,
        people: 5,
        sessions: 10,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
    };
    seed(&mut s, &opts).unwrap();
    let page = s.export_oruk().unwrap();
    assert!(
        page["total_items"].as_u64().unwrap() > 3,
        "{}",
        page["total_items"]
    );
    assert_valid_oruk_page(&page);
}
