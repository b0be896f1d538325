//! The laptop's end of the wire rules, with real laptop cores against the server in one
//! process: a pulled value the laptop's rules refuse is held (never written) and the laptop
//! does not say "All synced"; an answer too large for the laptop is asked for again in smaller
//! pages, skipping nothing.

use linkwell_core::Store;
use linkwell_core::records::people::PersonInput;
use linkwell_core::sync::{SyncTransport, TransportError};
use linkwell_protocol::{
    EnrolRequest, EnrolResponse, EntityKind, Hlc, Mutation, Operation, PullRequest, PullResponse,
    PushRequest, PushResponse, ServerChange,
};
use linkwell_server::storage::{SqliteStorage, Storage, StorageError};
use serde_json::json;
use uuid::Uuid;

struct Direct<'a> {
    server: &'a SqliteStorage,
    /// Changes slipped into the next pull answer, as an earlier server that checked no value
    /// would have passed them on.
    inject: Vec<Mutation>,
    /// Most changes an answer may carry before it is too large for the laptop.
    max_changes: Option<usize>,
    /// The page sizes the laptop asked for.
    limits: Vec<u32>,
}

impl<'a> Direct<'a> {
    fn new(server: &'a SqliteStorage) -> Self {
        Direct {
            server,
            inject: Vec::new(),
            max_changes: None,
            limits: Vec::new(),
        }
    }
}

fn refused(e: StorageError) -> TransportError {
    TransportError::BadResponse(e.to_string())
}

impl SyncTransport for Direct<'_> {
    fn enrol(&mut self, req: &EnrolRequest) -> Result<EnrolResponse, TransportError> {
        self.server.enrol(&req.code).map_err(refused)
    }

    fn push(&mut self, token: &str, req: &PushRequest) -> Result<PushResponse, TransportError> {
        let ctx = self.server.authenticate(token).map_err(refused)?;
        self.server
            .push(&ctx, req, linkwell_server::storage::now_ms())
            .map_err(refused)
    }

    fn pull(&mut self, token: &str, req: &PullRequest) -> Result<PullResponse, TransportError> {
        self.limits.push(req.limit);
        let ctx = self.server.authenticate(token).map_err(refused)?;
        let mut resp = self.server.pull(&ctx, req).map_err(refused)?;
        for m in self.inject.drain(..) {
            resp.next_after += 1;
            resp.changes.push(ServerChange {
                server_seq: resp.next_after,
                mutation: m,
            });
        }
        if self.max_changes.is_some_and(|max| resp.changes.len() > max) {
            return Err(TransportError::TooLarge(128 << 20));
        }
        Ok(resp)
    }
}

struct Org {
    _dir: tempfile::TempDir,
    server: SqliteStorage,
    team: Uuid,
}

fn org() -> Org {
    let dir = tempfile::tempdir().unwrap();
    let server = SqliteStorage::open(&dir.path().join("server.db")).unwrap();
    server.init_org("Org").unwrap();
    let team = server.add_team("A", None).unwrap();
    Org {
        _dir: dir,
        server,
        team,
    }
}

fn laptop(o: &Org, name: &str) -> Store {
    let w = o
        .server
        .add_worker(name, "link_worker", &o.team.to_string())
        .unwrap();
    let code = o.server.issue_code(w, 1).unwrap();
    let mut store = Store::open(&o._dir.path().join(format!("{name}.db")), None).unwrap();
    store
        .enrol(&mut Direct::new(&o.server), "direct://", &code)
        .unwrap();
    store
}

fn person(given: &str) -> PersonInput {
    PersonInput {
        given_name: given.into(),
        family_name: "Test".into(),
        ..Default::default()
    }
}

#[test]
fn a_pulled_value_the_laptops_rules_refuse_is_held_and_the_laptop_is_not_all_synced() {
    let o = org();
    let mut a = laptop(&o, "a");
    a.add_person(&person("Ann")).unwrap();
    a.sync(&mut Direct::new(&o.server)).unwrap();
    assert!(a.sync_status().unwrap().all_synced);

    let (device, stranger) = (Uuid::now_v7(), Uuid::now_v7());
    let payload = json!({"team_id": o.team.to_string(), "given_name": "Bad", "family_name": "Date",
        "date_of_birth": "yesterday", "created_on": "2025-01-01"});
    let bad = Mutation {
        mutation_id: Uuid::now_v7(),
        device_id: device,
        worker_id: Uuid::now_v7(),
        device_seq: 1,
        hlc: Hlc {
            wall_ms: 1_700_000_000_000,
            counter: 0,
            device,
        },
        entity: EntityKind::Person,
        entity_id: stranger,
        op: Operation::Create,
        payload_hash: linkwell_protocol::payload_hash(&payload.to_string()),
        payload,
        base_server_seq: 0,
    };
    let mut t = Direct::new(&o.server);
    t.inject.push(bad);
    let report = a.sync(&mut t).unwrap();
    assert_eq!(report.held, 1);
    assert!(
        a.person(stranger).is_err(),
        "the refused value was not written"
    );
    let s = a.sync_status().unwrap();
    assert_eq!((s.held, s.unplaced), (1, 1));
    assert!(
        !s.all_synced,
        "a laptop holding what it cannot place is not all synced"
    );
    // Still honest after a clean sync: the held change stays held, and shown.
    a.sync(&mut Direct::new(&o.server)).unwrap();
    assert!(!a.sync_status().unwrap().all_synced);
}

#[test]
fn an_answer_too_large_for_the_laptop_is_asked_for_in_smaller_pages_skipping_nothing() {
    let o = org();
    let mut a = laptop(&o, "a");
    let mut b = laptop(&o, "b");
    let mut made = Vec::new();
    for i in 0..10 {
        made.push(a.add_person(&person(&format!("P{i}"))).unwrap().id);
    }
    a.sync(&mut Direct::new(&o.server)).unwrap();
    let mut t = Direct::new(&o.server);
    t.max_changes = Some(3);
    b.sync(&mut t).unwrap();
    for id in &made {
        assert!(
            b.person(*id).is_ok(),
            "{id} reached the team's other laptop"
        );
    }
    assert!(b.sync_status().unwrap().all_synced);
    assert!(
        t.limits.iter().any(|l| *l <= 3),
        "asked again smaller: {:?}",
        t.limits
    );
}

#[test]
fn two_laptops_loaded_with_the_same_demo_seed_are_not_taken_for_clones() {
    let o = org();
    let mut a = laptop(&o, "a");
    let mut b = laptop(&o, "b");
    let opts = linkwell_core::demo::DemoOptions {
        seed: 7,
        people: 4,
        sessions: 6,
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
    };
    for l in [&mut a, &mut b] {
        linkwell_core::demo::seed(l, &opts).unwrap();
    }
    let ids = |s: &Store| -> Vec<String> {
        let mut stmt = s
            .conn()
            .prepare("SELECT mutation_id FROM change_log")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let theirs = ids(&b);
    assert!(
        ids(&a).iter().all(|m| !theirs.contains(m)),
        "change ids are random"
    );
    a.sync(&mut Direct::new(&o.server)).unwrap();
    // Every value the demo wrote passes the wire rules: the laptop's rules and the server's
    // are one (only the demo's colleagues, which the server manages, are refused).
    for item in a.review_items().unwrap() {
        let why = item.detail.unwrap_or_default();
        assert!(
            why.contains("managed on the server"),
            "{} refused: {why}",
            item.entity
        );
    }
    b.sync(&mut Direct::new(&o.server))
        .expect("the second laptop syncs: it is not a copy of the first");
    assert!(o.server.devices().unwrap().iter().all(|d| d.5.is_none()));
}
