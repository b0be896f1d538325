//! The fuzz target's entry point ([`linkwell_server::fuzzing::push_bytes`]) on stable Rust, in
//! CI: arbitrary bytes, and valid batches with bytes flipped, inserted and cut, are pushed
//! into a real SQLite server store. Every answer must be a refusal or per-mutation results,
//! never a panic, and the store must stay usable. `cargo fuzz run push_batch` (nightly, in
//! `fuzz/`) explores the same function far longer.

use linkwell_server::fuzzing::FuzzServer;
use proptest::prelude::*;
use std::sync::{Mutex, OnceLock};

struct Fixture {
    _dir: tempfile::TempDir,
    server: FuzzServer,
}

fn fixture() -> std::sync::MutexGuard<'static, Fixture> {
    static F: OnceLock<Mutex<Fixture>> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let server = FuzzServer::new(dir.path());
        Mutex::new(Fixture { _dir: dir, server })
    })
    .lock()
    .unwrap_or_else(|e| e.into_inner())
}

fn push(body: &[u8]) {
    fixture().server.push(body);
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Cut(usize, usize),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
            (any::<usize>(), 0usize..40).prop_map(|(i, n)| Edit::Cut(i, n)),
        ],
        1..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        push(&body);
    }

    #[test]
    fn damaged_valid_batches_never_panic(edits in edits()) {
        let mut body = fixture().server.valid_batch.clone();
        for e in edits {
            let len = body.len().max(1);
            match e {
                Edit::Flip(i, b) => { let i = i % len; if i < body.len() { body[i] ^= b; } }
                Edit::Insert(i, b) => body.insert(i % (body.len() + 1), b),
                Edit::Cut(i, n) => { let i = i % len; let end = (i + n).min(body.len()); body.drain(i.min(end)..end); }
            }
        }
        push(&body);
    }

    #[test]
    fn odd_values_in_well_formed_batches_never_panic(
        // Mostly the next few sequence numbers and clocks near now, so batches get past the gap
        // check into validation and storage; sometimes anything at all.
        seq in prop_oneof![4 => 1u64..6, 1 => any::<u64>()],
        wall in prop_oneof![4 => 1_794_700_000_000u64..1_795_300_000_000, 1 => any::<u64>()],
        base in prop_oneof![4 => 0u64..10, 1 => any::<u64>()],
        entity in "[a-z_]{0,16}", op in "[a-z]{0,8}", field in "[a-z_]{0,12}", value in any::<i64>(),
    ) {
        let valid = fixture().server.valid_batch.clone();
        let mut v: serde_json::Value = serde_json::from_slice(&valid).unwrap();
        let m = &mut v["mutations"][0];
        m["device_seq"] = seq.into();
        // The clock is sent in its encoded text form: put an odd wall time into it.
        if let Some(hlc) = m["hlc"].as_str().map(str::to_string) {
            m["hlc"] = hlc.replacen(|c: char| c.is_ascii_digit(), &wall.to_string(), 1).into();
        }
        m["base_server_seq"] = base.into();
        if !entity.is_empty() { m["entity"] = entity.into(); }
        if !op.is_empty() { m["op"] = op.into(); }
        m["payload"][field] = value.into();
        push(&serde_json::to_vec(&v).unwrap());
    }
}

/// The seed the fuzzers damage is itself a batch the server accepts, so damaged copies reach
/// validation and storage rather than failing on the first byte.
#[test]
fn the_seed_batch_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = FuzzServer::new(dir.path());
    let out = linkwell_server::fuzzing::push_bytes(
        &fresh.storage,
        &fresh.ctx,
        &fresh.valid_batch,
        linkwell_server::fuzzing::NOW_MS,
    )
    .expect("the seed batch is read");
    let (_, result) = &out.results[0];
    assert!(
        matches!(result, linkwell_protocol::MutationResult::Applied { .. }),
        "{result:?}"
    );
}

/// A batch written for another device (as every fuzzer input is: it cannot know the ids or
/// compute the hashes) is refused as it stands, and placed once fixed up, so the fuzzers'
/// payloads reach validation and the conflict rules.
#[test]
fn a_fixed_up_batch_reaches_placement() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = FuzzServer::new(dir.path());
    let mut batch: serde_json::Value = serde_json::from_slice(&fresh.valid_batch).unwrap();
    let stranger = uuid::Uuid::now_v7().to_string();
    let m = &mut batch["mutations"][0];
    m["device_id"] = stranger.clone().into();
    m["device_seq"] = 7.into();
    m["payload"]["given_name"] = "Changed".into();
    let body = serde_json::to_vec(&batch).unwrap();
    let push = |b: &[u8]| {
        linkwell_server::fuzzing::push_bytes(
            &fresh.storage,
            &fresh.ctx,
            b,
            linkwell_server::fuzzing::NOW_MS,
        )
    };
    assert!(push(&body).is_err(), "another device's batch is refused");
    let out = push(&fresh.fixed_up(&body).expect("it decodes")).expect("fixed up");
    let (_, result) = &out.results[0];
    assert!(
        matches!(result, linkwell_protocol::MutationResult::Applied { .. }),
        "{result:?}"
    );
}
