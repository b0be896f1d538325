//! Full-text search over people, notes and the directory (SQLite FTS5). The index is kept in
//! step with every applied change, in the same transaction.

use crate::error::Result;
use linkwell_protocol::EntityKind;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SearchHit {
    /// "person", "note" or "service".
    pub kind: String,
    /// The person, note or service.
    pub id: Uuid,
    pub person_id: Option<Uuid>,
    pub title: String,
    /// Matching text with the matches in \[brackets\].
    pub snippet: String,
}

/// Re-indexes the record a change touched (a note revision re-indexes its note).
pub(crate) fn reindex(conn: &Connection, entity: EntityKind, id: Uuid) -> Result<()> {
    match entity {
        EntityKind::Person => {
            let row = conn
                .prepare_cached("SELECT given_name || ' ' || family_name || COALESCE(' (' || preferred_name || ')', ''),
                            concat_ws(' ', given_name, family_name, preferred_name, nhs_number, postcode, phone, email, gp_practice)
                     FROM person WHERE id = ?1")?
                .query_row([id.to_string()],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                )
                .optional()?;
            put(conn, "person", id, Some(id), row)
        }
        EntityKind::NoteRevision => {
            let found = conn
                .prepare_cached("SELECT n.id, n.person_id, r.body, r.retracted,
                            COALESCE(p.preferred_name, p.given_name) || ' ' || p.family_name
                     FROM note_revision r JOIN note n ON n.id = r.note_id JOIN person p ON p.id = n.person_id
                     WHERE n.id = (SELECT note_id FROM note_revision WHERE id = ?1)
                     ORDER BY r.written_at DESC, r.rowid DESC LIMIT 1")?
                .query_row([id.to_string()],
                    |r| {
                        Ok((
                            crate::store::id_at(r, 0)?,
                            crate::store::id_at(r, 1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, bool>(3)?,
                            r.get::<_, String>(4)?,
                        ))
                    },
                )
                .optional()?;
            if let Some((note_id, person_id, body, retracted, name)) = found {
                let doc = (!retracted).then(|| (format!("Note about {name}"), body));
                put(conn, "note", note_id, Some(person_id), doc)?;
            }
            Ok(())
        }
        EntityKind::Service => {
            let row = conn
                .prepare_cached("SELECT name, concat_ws(' ', name, description, venue, postcode, categories, five_ways, lead) FROM service WHERE id = ?1 AND status != 'closed'")?
                .query_row([id.to_string()],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                )
                .optional()?;
            put(conn, "service", id, None, row)
        }
        _ => Ok(()),
    }
}

fn table(kind: &str) -> &'static str {
    match kind {
        "person" => "person_search",
        "service" => "service_search",
        _ => "note_search",
    }
}

fn put(
    conn: &Connection,
    kind: &str,
    id: Uuid,
    person_id: Option<Uuid>,
    doc: Option<(String, String)>,
) -> Result<()> {
    let fts = table(kind);
    let key = id.to_string();
    let existing: Option<i64> = conn
        .prepare_cached("SELECT doc_id FROM search_doc WHERE ref_id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    if let Some(doc_id) = existing {
        conn.prepare_cached(&format!("DELETE FROM {fts} WHERE rowid = ?1"))?
            .execute([doc_id])?;
    }
    match doc {
        Some((title, body)) => {
            conn.prepare_cached(&format!(
                "INSERT INTO {fts} (ref_id, person_id, title, body) VALUES (?1, ?2, ?3, ?4)"
            ))?
            .execute(params![key, person_id.map(|p| p.to_string()), title, body])?;
            let doc_id = conn.last_insert_rowid();
            conn.prepare_cached(
                "INSERT OR REPLACE INTO search_doc (ref_id, doc_id) VALUES (?1, ?2)",
            )?
            .execute(params![key, doc_id])?;
        }
        None if existing.is_some() => {
            conn.prepare_cached("DELETE FROM search_doc WHERE ref_id = ?1")?
                .execute([&key])?;
        }
        None => {}
    }
    Ok(())
}

/// Turns what a worker typed into a safe FTS5 query: every word must match, as a prefix.
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Searches people, the directory and notes — in that order. People and services come best
/// match first; notes newest first, which is what a worker looking for "that note about the
/// bus pass" wants, and lets the search stop after `limit` matches instead of ranking them all.
pub fn search(
    conn: &Connection,
    text: &str,
    kind: Option<&str>,
    limit: u32,
) -> Result<Vec<SearchHit>> {
    let Some(q) = fts_query(text) else {
        return Ok(Vec::new());
    };
    let mut hits = Vec::new();
    for k in ["person", "service", "note"] {
        if kind.is_some_and(|want| want != k) {
            continue;
        }
        let left = limit.saturating_sub(hits.len() as u32);
        if left == 0 {
            break;
        }
        let order = if k == "note" { "rowid DESC" } else { "rank" };
        let fts = table(k);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT ref_id, person_id, title, snippet({fts}, 3, '[', ']', '…', 16)
             FROM {fts} WHERE {fts} MATCH ?1 ORDER BY {order} LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![q, left], |r| {
            Ok(SearchHit {
                kind: k.to_string(),
                id: crate::store::id_at(r, 0)?,
                person_id: crate::store::opt_id_at(r, 1)?,
                title: r.get(2)?,
                snippet: r.get(3)?,
            })
        })?;
        for row in rows {
            hits.push(row?);
        }
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn queries_are_quoted_prefixes() {
        assert_eq!(
            fts_query("walk group").as_deref(),
            Some("\"walk\"* \"group\"*")
        );
        assert_eq!(
            fts_query("\"; DROP TABLE--").as_deref(),
            Some("\"DROP\"* \"TABLE\"*")
        );
        assert_eq!(fts_query("  ").as_deref(), None);
        assert_eq!(fts_query("Zoë").as_deref(), Some("\"Zoë\"*"));
    }
}
