//! The organisation's instrument settings: licences and follow-up schedules, set by an
//! administrator (`linkwell-server instrument ...`) and sent to every laptop as shared changes
//! in the stream, so a laptop learns them at its next sync.

use super::{Result, SqliteStorage, append_server_change, now_ms};
use crate::stream;
use linkwell_protocol::{EntityKind, Mutation, Operation};
use serde_json::{Map, Value};
use uuid::Uuid;

impl SqliteStorage {
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
        let mut conn = self.lock();
        Self::org_id(&conn)?;
        let tx = conn.transaction()?;
        let id = Uuid::now_v7();
        append_server_change(
            &tx,
            (kind, id, Operation::Create),
            payload,
            now_ms(),
            (None, None),
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Every licence and schedule recorded, oldest first.
    pub fn instrument_settings(&self) -> Result<Vec<Mutation>> {
        let conn = self.lock();
        Ok(stream::read_all(&conn)?
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
