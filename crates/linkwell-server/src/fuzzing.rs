//! The one entry point fuzzed: a push body as raw bytes, decoded and validated exactly as the
//! HTTP handler does ([`crate::api::decode_push`]), then stored batch by batch. Used by the
//! cargo-fuzz target in `fuzz/` (nightly) and by the stable property test
//! `tests/fuzz_push.rs` that CI runs. Whatever the bytes, the answer is a refusal or per-mutation
//! results, never a panic.

use crate::storage::{DeviceCtx, SqliteStorage, Storage};
use linkwell_protocol::{EntityKind, Hlc, Mutation, Operation, PushRequest};
use uuid::Uuid;

/// A time inside the server's accepted clock window, for pushes.
pub const NOW_MS: u64 = 1_795_000_000_000;

/// A real server store in `dir` with one enrolled device, and a valid one-mutation batch from
/// it as JSON bytes (the seed the fuzzers damage).
pub struct FuzzServer {
    pub storage: SqliteStorage,
    pub ctx: DeviceCtx,
    pub valid_batch: Vec<u8>,
}

impl FuzzServer {
    pub fn new(dir: &std::path::Path) -> FuzzServer {
        let storage = SqliteStorage::open(&dir.join("server.db")).expect("server store");
        storage.init_org("Fuzz").expect("organisation");
        let team = storage.add_team("A", None).expect("team");
        let worker = storage
            .add_worker("W", "link_worker", &team.to_string())
            .expect("worker");
        let code = storage.issue_code(worker, 1).expect("code");
        let enrolled = storage.enrol(&code).expect("enrol");
        let ctx = storage.authenticate(&enrolled.token).expect("token");
        let payload = serde_json::json!({
            "given_name": "Fuzz", "family_name": "Person", "team_id": team.to_string(),
        });
        let mutation = device_mutation(
            (enrolled.device_id, enrolled.worker.id),
            1,
            NOW_MS,
            (EntityKind::Person, Uuid::now_v7(), Operation::Create),
            payload,
        );
        let valid_batch = serde_json::to_vec(&PushRequest {
            protocol_version: linkwell_protocol::PROTOCOL_VERSION,
            schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
            mutations: vec![mutation],
        })
        .expect("batch");
        FuzzServer {
            storage,
            ctx,
            valid_batch,
        }
    }

    /// Pushes raw bytes, then the same batch made to pass the batch checks (see
    /// [`FuzzServer::fixed_up`]); panics only if the store stops answering afterwards.
    pub fn push(&self, body: &[u8]) {
        let _ = push_bytes(&self.storage, &self.ctx, body, NOW_MS);
        if let Some(fixed) = self.fixed_up(body) {
            let _ = push_bytes(&self.storage, &self.ctx, &fixed, NOW_MS);
        }
        self.storage.counts().expect("the store still answers");
    }

    /// A batch that decodes, rewritten to pass the checks a fuzzer cannot (this device's and
    /// worker's ids, the next sequence numbers, each payload's SHA-256), so that its payloads
    /// reach validation, placement and the conflict rules.
    pub fn fixed_up(&self, body: &[u8]) -> Option<Vec<u8>> {
        let mut req: PushRequest = serde_json::from_slice(body).ok()?;
        let last_seq = self
            .storage
            .devices()
            .ok()?
            .into_iter()
            .find(|d| d.0 == self.ctx.device_id)?
            .4;
        for (m, seq) in req.mutations.iter_mut().zip(last_seq + 1..) {
            m.device_id = self.ctx.device_id;
            m.worker_id = self.ctx.worker_id;
            m.hlc.device = self.ctx.device_id;
            m.device_seq = seq;
            if let Some(p) = m.payload.as_object() {
                m.payload_hash = linkwell_protocol::payload_hash(&serde_json::to_string(p).ok()?);
            }
        }
        serde_json::to_vec(&req).ok()
    }
}

/// A mutation as a device sends it, with its payload's hash: from `(device, worker)`, at
/// device sequence `seq` and clock `wall_ms`, doing `(kind, record, op)`. For the tests and
/// the fuzzers.
pub fn device_mutation(
    (device, worker): (Uuid, Uuid),
    seq: u64,
    wall_ms: u64,
    (entity, entity_id, op): (EntityKind, Uuid, Operation),
    payload: serde_json::Value,
) -> Mutation {
    let text = serde_json::to_string(&payload).expect("a JSON value encodes");
    Mutation {
        mutation_id: Uuid::now_v7(),
        device_id: device,
        worker_id: worker,
        device_seq: seq,
        hlc: Hlc {
            wall_ms,
            counter: 0,
            device,
        },
        entity,
        entity_id,
        op,
        payload,
        payload_hash: linkwell_protocol::payload_hash(&text),
        base_server_seq: 0,
    }
}

/// Decodes and stores one push body; `Err` carries the refusal's words.
pub fn push_bytes(
    storage: &dyn Storage,
    ctx: &DeviceCtx,
    body: &[u8],
    now_ms: u64,
) -> Result<linkwell_protocol::PushResponse, String> {
    let req = crate::api::decode_push(body).map_err(|e| format!("{e:?}"))?;
    storage.push(ctx, &req, now_ms).map_err(|e| e.to_string())
}
