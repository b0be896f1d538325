//! Drafts: what a worker has typed into a form but not saved, kept in the encrypted database
//! so that a closed window, a crash or an auto-lock never loses it — and so that unsaved note
//! text never sits in the web view's own (unencrypted) storage. A draft is not a record: it is
//! local to this laptop, never synced and not in the change log.

use crate::error::{CoreError, Result};
use crate::store::Store;
use rusqlite::{OptionalExtension, params};
use serde_json::{Map, Value};

const MAX_KEY: usize = 200;
const MAX_DRAFT_BYTES: usize = 256 * 1024;

fn check_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= MAX_KEY
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "key",
            "A draft needs a short name of letters, digits, dots and dashes",
        ))
    }
}

impl Store {
    /// Keeps the text fields of a form as a draft, replacing the previous draft of that form.
    /// A draft with no text in it is discarded instead.
    pub fn save_draft(&mut self, key: &str, fields: &Map<String, Value>) -> Result<()> {
        check_key(key)?;
        // Text, ticked boxes and groups of ticked boxes: what a form holds.
        let form_value = |v: &Value| match v {
            Value::String(_) | Value::Bool(_) => true,
            Value::Array(items) => items.iter().all(Value::is_string),
            _ => false,
        };
        if let Some((name, _)) = fields.iter().find(|(_, v)| !form_value(v)) {
            return Err(CoreError::invalid(
                name.clone(),
                "A draft keeps text and ticked boxes only",
            ));
        }
        let any_text = fields
            .values()
            .any(|v| v.as_str().is_some_and(|s| !s.trim().is_empty()));
        if !any_text {
            return self.discard_draft(key);
        }
        let body = serde_json::to_string(fields)?;
        if body.len() > MAX_DRAFT_BYTES {
            return Err(CoreError::invalid(
                "fields",
                "This draft is too long to keep (more than 256 KB of text)",
            ));
        }
        let tx = self.conn_mut().transaction()?;
        tx.execute(
            "INSERT INTO draft (key, fields, saved_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET fields = excluded.fields, saved_at = excluded.saved_at",
            params![key, body, chrono::Utc::now().to_rfc3339()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The draft of a form, if one was kept.
    pub fn draft(&self, key: &str) -> Result<Option<Map<String, Value>>> {
        check_key(key)?;
        let body: Option<String> = self
            .conn()
            .query_row("SELECT fields FROM draft WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?;
        body.map(|b| serde_json::from_str(&b).map_err(CoreError::from))
            .transpose()
    }

    /// Keeps where a long job stands (a feed import's next page) beside the drafts: local to
    /// this laptop, encrypted, never synced, not in the change log.
    pub(crate) fn keep_job_state(&mut self, key: &str, state: &Map<String, Value>) -> Result<()> {
        check_key(key)?;
        self.conn().execute(
            "INSERT INTO draft (key, fields, saved_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET fields = excluded.fields, saved_at = excluded.saved_at",
            params![
                key,
                serde_json::to_string(state)?,
                chrono::Utc::now().to_rfc3339()
            ],
        )?;
        Ok(())
    }

    pub fn discard_draft(&mut self, key: &str) -> Result<()> {
        check_key(key)?;
        self.conn()
            .execute("DELETE FROM draft WHERE key = ?1", [key])?;
        Ok(())
    }
}
