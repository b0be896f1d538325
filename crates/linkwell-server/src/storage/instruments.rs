//! The organisation's instrument settings: licences and follow-up schedules, set by an
//! administrator (`linkwell-server instrument ...`) and sent to every laptop as shared changes
//! in the stream, so a laptop learns them at its next sync.

use super::{Result, ServerStorage, append_server_change, now_ms, org_id};
use linkwell_protocol::{EntityKind, Mutation, Operation};
use serde_json::{Map, Value};
use uuid::Uuid;

impl ServerStorage {
    /// Appends one organisation-wide record (a licence or a schedule) for every laptop.
    pub fn add_instrument_setting(
        &self,
        kind: EntityKind,
        payload: &Map<String, Value>,
    ) -> Result<Uuid> {
        debug_assert!(matches!(
            kind,
            EntityKind::InstrumentLicence | EntityKind::FollowUpSchedule
        ));
        self.write(|tx| {
            org_id(tx)?;
            let id = Uuid::now_v7();
            append_server_change(
                tx,
                (kind, id, Operation::Create),
                payload,
                now_ms(),
                (None, None),
            )?;
            Ok(id)
        })
    }

    /// Every licence and schedule recorded, oldest first.
    pub fn instrument_settings(&self) -> Result<Vec<Mutation>> {
        Ok(self
            .stream()?
            .into_iter()
            .map(|(_, m)| m)
            .filter(|m| {
                matches!(
                    m.entity,
                    EntityKind::InstrumentLicence | EntityKind::FollowUpSchedule
                )
            })
            .collect())
    }
}
