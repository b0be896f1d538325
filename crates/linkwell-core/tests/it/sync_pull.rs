//! Applying pulled pages on a laptop, and a sync's own connection writing beside the window's.

use crate::TestDb;
use linkwell_protocol::{EntityKind, Hlc, Mutation, Operation, PullResponse, ServerChange};
use serde_json::{Value, json};
use std::time::Duration;
use uuid::Uuid;

fn person_update(seq: u64, person: Uuid, payload: Value) -> ServerChange {
    let device = Uuid::now_v7();
    ServerChange {
        server_seq: seq,
        mutation: Mutation {
            mutation_id: Uuid::now_v7(),
            device_id: device,
            worker_id: Uuid::now_v7(),
            device_seq: seq,
            hlc: Hlc {
                wall_ms: 1_700_000_000_000 + seq,
                counter: 0,
                device,
            },
            entity: EntityKind::Person,
            entity_id: person,
            op: Operation::Update,
            payload_hash: linkwell_protocol::payload_hash(&payload.to_string()),
            payload,
            base_server_seq: 0,
        },
    }
}

/// A person of this laptop's, already on the server (their create acknowledged, so none of
/// their fields is waiting to be sent).
fn synced_person(db: &mut TestDb) -> Uuid {
    let person = db.take_referral("Ada", "Lovelace").person.id;
    db.store
        .conn()
        .execute(
            "UPDATE change_log SET acked_at = '2025-01-01T00:00:00Z'",
            [],
        )
        .unwrap();
    person
}

fn phone(db: &TestDb, person: Uuid) -> Option<String> {
    db.store
        .conn()
        .query_row(
            "SELECT phone FROM person WHERE id = ?1",
            [person.to_string()],
            |r| r.get(0),
        )
        .unwrap()
}

/// A later change in a page that has to be held (here: a field this version does not know)
/// must not take with it the earlier write it would have overwritten.
#[test]
fn an_earlier_write_stays_when_the_change_after_it_is_held() {
    let mut db = TestDb::new();
    let person = synced_person(&mut db);
    let page = PullResponse {
        epoch: Uuid::now_v7(),
        changes: vec![
            person_update(1, person, json!({"phone": "07700 900001"})),
            person_update(2, person, json!({"phone": "07700 900002", "shoe_size": 9})),
        ],
        next_after: 2,
        has_more: false,
        conflicts: Vec::new(),
    };
    let own = db.store.actor().unwrap().device_id;
    let (applied, held) = db.store.apply_remote(own, &page).unwrap();
    assert_eq!((applied, held), (1, 1));
    assert_eq!(phone(&db, person).as_deref(), Some("07700 900001"));
    assert_eq!(db.count("sync_inbox_held"), 1);
}

/// Within a page only the last write of a field is made, and the record ends as the stream.
#[test]
fn a_page_of_edits_to_one_field_ends_with_the_last() {
    let mut db = TestDb::new();
    let person = synced_person(&mut db);
    let changes = (1..=50)
        .map(|i| person_update(i, person, json!({"phone": format!("07700 9{i:05}")})))
        .collect();
    let page = PullResponse {
        epoch: Uuid::now_v7(),
        changes,
        next_after: 50,
        has_more: false,
        conflicts: Vec::new(),
    };
    let own = db.store.actor().unwrap().device_id;
    assert_eq!(db.store.apply_remote(own, &page).unwrap(), (50, 0));
    assert_eq!(phone(&db, person).as_deref(), Some("07700 900050"));
}

/// A sync writes on a connection of its own beside the window's. Applying a page (which
/// reads before it writes) while the other connection holds the write lock waits its turn
/// and is kept, instead of failing as busy when the other commits.
#[test]
fn a_pulled_page_waits_for_a_write_on_the_other_connection_instead_of_failing() {
    let mut db = TestDb::new();
    let person = synced_person(&mut db);
    let window = db.store.open_again().unwrap();
    window
        .conn()
        .execute_batch("BEGIN IMMEDIATE; UPDATE sync_state SET last_error = NULL; UPDATE person SET preferred_name = 'Addie';")
        .unwrap();
    let committer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        window.conn().execute_batch("COMMIT").unwrap();
    });
    let page = PullResponse {
        epoch: Uuid::now_v7(),
        changes: vec![person_update(1, person, json!({"phone": "07700 900123"}))],
        next_after: 1,
        has_more: false,
        conflicts: Vec::new(),
    };
    let own = db.store.actor().unwrap().device_id;
    let applied = db.store.apply_remote(own, &page);
    committer.join().unwrap();
    assert_eq!(
        applied.expect("the page waited for the other write"),
        (1, 0)
    );
    assert_eq!(phone(&db, person).as_deref(), Some("07700 900123"));
}

/// A colleague's laptop's change log, as the server's stream would carry it.
fn stream_of(db: &TestDb) -> Vec<ServerChange> {
    db.store
        .changes_after(0, 10_000)
        .unwrap()
        .into_iter()
        .map(|e| ServerChange {
            server_seq: e.seq as u64,
            mutation: Mutation {
                mutation_id: e.mutation_id,
                device_id: e.device_id,
                worker_id: e.worker_id,
                device_seq: e.seq as u64,
                hlc: Hlc::decode(&e.hlc).unwrap(),
                entity: EntityKind::parse(&e.entity).unwrap(),
                entity_id: e.entity_id,
                op: Operation::parse(&e.op).unwrap(),
                payload_hash: linkwell_protocol::payload_hash(&e.payload.to_string()),
                payload: e.payload,
                base_server_seq: 0,
            },
        })
        .collect()
}

fn page(changes: Vec<ServerChange>) -> PullResponse {
    PullResponse {
        epoch: Uuid::now_v7(),
        next_after: changes.last().map_or(0, |c| c.server_seq),
        changes,
        has_more: false,
        conflicts: Vec::new(),
    }
}

/// A colleague's new person with a goal, achieved since: the goal, the goal's two stream
/// entries (its create and its change) and the person's.
fn colleagues_goal() -> (Uuid, Vec<ServerChange>, Vec<ServerChange>) {
    use linkwell_core::records::plans::GoalInput;
    let mut colleague = TestDb::new();
    let person = colleague.take_referral("Ada", "Lovelace").person.id;
    let goal = colleague
        .store
        .add_goal(
            person,
            &GoalInput {
                text: "Walk to the library".into(),
                five_ways: "be_active".into(),
                steps: vec![],
            },
        )
        .unwrap()
        .goal
        .id;
    colleague.store.set_goal_status(goal, "achieved").unwrap();
    let (goal_changes, person_changes) = stream_of(&colleague)
        .into_iter()
        .partition(|c| c.mutation.entity == EntityKind::Goal);
    (goal, goal_changes, person_changes)
}

/// A goal and its later change arrive before the person they belong to (both are held); when
/// the person comes, the goal is placed and then its change, in stream order.
#[test]
fn a_held_update_is_placed_after_its_held_record() {
    let (goal, goal_changes, person_changes) = colleagues_goal();
    assert_eq!(goal_changes.len(), 2, "the goal's create and its change");

    let mut db = TestDb::new();
    let own = db.store.actor().unwrap().device_id;
    assert_eq!(
        db.store.apply_remote(own, &page(goal_changes)).unwrap(),
        (0, 2)
    );
    db.store.apply_remote(own, &page(person_changes)).unwrap();
    assert_eq!(db.count("sync_inbox_held"), 0, "nothing left held");
    let placed = db.store.goal(goal).unwrap().goal;
    assert_eq!(
        placed.status.as_str(),
        "achieved",
        "the held change was applied"
    );
}

/// A record whose held create is overtaken by a later snapshot of it (after a reassignment)
/// keeps the snapshot's values: the held create and update, older, are not applied over them.
#[test]
fn held_changes_overtaken_by_a_snapshot_are_not_applied_over_it() {
    let (goal, goal_changes, mut later) = colleagues_goal();
    // The server's snapshot of the goal as it is now (stopped since), then one more edit.
    let mut snapshot = goal_changes[0].clone();
    snapshot.server_seq = 150;
    snapshot.mutation.mutation_id = Uuid::now_v7();
    snapshot.mutation.payload["status"] = json!("stopped");
    let mut edit = goal_changes[1].clone();
    edit.server_seq = 160;
    edit.mutation.mutation_id = Uuid::now_v7();
    edit.mutation.payload = json!({"text": "Walk further"});
    later.extend([snapshot, edit]);

    let mut db = TestDb::new();
    let own = db.store.actor().unwrap().device_id;
    assert_eq!(
        db.store.apply_remote(own, &page(goal_changes)).unwrap(),
        (0, 2)
    );
    db.store.apply_remote(own, &page(later)).unwrap();
    let placed = db.store.goal(goal).unwrap().goal;
    assert_eq!(placed.status.as_str(), "stopped", "the snapshot's status");
    assert_eq!(placed.text, "Walk further");
    assert_eq!(
        db.count("sync_inbox_held"),
        2,
        "the overtaken changes stay held"
    );
}

/// Everything `laptop` wrote (its team, its worker, its people and their referrals), in order,
/// as another laptop pulls it from the server.
fn everything_from(laptop: &TestDb) -> Vec<ServerChange> {
    let mut stmt = laptop
        .store
        .conn()
        .prepare("SELECT mutation_id, entity, entity_id, op, payload, device_id, worker_id FROM change_log ORDER BY seq")
        .unwrap();
    let rows: Vec<[String; 7]> = stmt
        .query_map([], |r| {
            Ok([
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ])
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let id = |s: &str| Uuid::parse_str(s).unwrap();
    rows.iter()
        .enumerate()
        .map(
            |(i, [mutation, entity, entity_id, op, payload, device, worker])| {
                let seq = i as u64 + 1;
                let payload: Value = serde_json::from_str(payload).unwrap();
                ServerChange {
                    server_seq: seq,
                    mutation: Mutation {
                        mutation_id: id(mutation),
                        device_id: id(device),
                        worker_id: id(worker),
                        device_seq: seq,
                        hlc: Hlc {
                            wall_ms: 1_700_000_000_000 + seq,
                            counter: 0,
                            device: id(device),
                        },
                        entity: EntityKind::parse(entity).unwrap(),
                        entity_id: id(entity_id),
                        op: Operation::parse(op).unwrap(),
                        payload_hash: linkwell_protocol::payload_hash(&payload.to_string()),
                        payload,
                        base_server_seq: 0,
                    },
                }
            },
        )
        .collect()
}

/// Issue 13 item 2: two laptops each enter the same person offline. When they meet through
/// sync, both records stay (never merged silently) and the person who arrived is flagged for
/// review beside the one already here, by the referral form's own rule. Different people is a
/// decision recorded on the person (and sent on); the same NHS number cannot be waved away.
#[test]
fn people_entered_twice_on_two_laptops_are_flagged_when_they_meet() {
    let mut here = TestDb::new();
    let mut there = TestDb::new();
    let margaret_here = here.take_referral("Margaret", "Smith").person.id;
    let margaret_there = there.take_referral("Margaret", "Smith").person.id;
    // Same date of birth and postcode as Margaret, another NHS number: likely, not certain.
    let mut peggy = crate::new_referral("Peggy", "Smith");
    peggy.person.date_of_birth = Some("1948-03-02".into());
    // Her laptop's worker already said she is not that laptop's Margaret.
    peggy.different_from = vec![margaret_there];
    there.store.take_referral(&peggy).unwrap();
    let own = here.store.actor().unwrap().device_id;
    let pulled = page(everything_from(&there));
    here.store.apply_remote(own, &pulled).unwrap();

    assert_eq!(here.count("person"), 3, "nobody is merged or dropped");
    let items = here.store.review_items().unwrap();
    let dupes: Vec<_> = items
        .iter()
        .filter(|i| i.kind == "possible_duplicate")
        .collect();
    assert_eq!(dupes.len(), 2, "{items:?}");
    let pair = |i: &&linkwell_core::sync::ReviewItem| {
        let mut ids = [
            i.person.as_ref().unwrap().id,
            i.other_person.as_ref().unwrap().id,
        ];
        ids.sort();
        ids
    };
    let same_number = dupes
        .iter()
        .find(|i| i.certain)
        .expect("the same NHS number is certain");
    let mut expected = [margaret_here, margaret_there];
    expected.sort();
    assert_eq!(pair(same_number), expected);
    assert!(
        same_number.summary.contains("same NHS number"),
        "{}",
        same_number.summary
    );
    assert_eq!(here.store.sync_status().unwrap().to_review, 2);

    // The same NHS number cannot be called two people.
    let e = here
        .store
        .settle_review(
            &same_number.id,
            linkwell_core::sync::ReviewSettlement::DifferentPeople,
        )
        .unwrap_err();
    assert!(e.to_string().contains("same NHS number"), "{e}");

    // Peggy is someone else: recorded on her record, as a change to send, and the flag goes.
    let likely = dupes.iter().find(|i| !i.certain).unwrap();
    let before = here.log_len();
    here.store
        .settle_review(
            &likely.id,
            linkwell_core::sync::ReviewSettlement::DifferentPeople,
        )
        .unwrap();
    assert_eq!(
        here.log_len(),
        before + 1,
        "the decision is a change that syncs"
    );
    let flagged = likely.person.as_ref().unwrap().id;
    let other = likely.other_person.as_ref().unwrap().id;
    let distinct: String = here
        .store
        .conn()
        .query_row(
            "SELECT distinct_from FROM person WHERE id = ?1",
            [flagged.to_string()],
            |r| r.get(0),
        )
        .unwrap();
    assert!(distinct.contains(&other.to_string()), "{distinct}");
    let left = here.store.review_items().unwrap();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!(here.store.sync_status().unwrap().to_review, 1);

    // Pulling the same page again (a lost reply) flags nothing twice.
    here.store.apply_remote(own, &pulled).unwrap();
    assert_eq!(here.store.review_items().unwrap().len(), 1);
}
