//! Full-text search over people, notes and the directory (SQLite FTS5). The index is kept in
//! step with every applied change, in the same transaction.

use crate::error::Result;
use linkwell_protocol::EntityKind;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// "person", "note" or "service".
    pub kind: String,
    /// The person, note or service.
    pub id: Uuid,
    pub person_id: Option<Uuid>,
    pub title: String,
    /// Matching text with the matches in [brackets].
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

fn put(
    conn: &Connection,
    kind: &str,
    id: Uuid,
    person_id: Option<Uuid>,
    doc: Option<(String, String)>,
) -> Result<()> {
    let key = id.to_string();
    let existing: Option<i64> = conn
        .prepare_cached("SELECT doc_id FROM search_doc WHERE ref_id = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    if let Some(doc_id) = existing {
        conn.prepare_cached("DELETE FROM search_index WHERE rowid = ?1")?
            .execute([doc_id])?;
    }
    match doc {
        Some((title, body)) => {
            conn.prepare_cached(
                "INSERT INTO search_index (kind, ref_id, person_id, title, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![kind, key, person_id.map(|p| p.to_string()), title, body])?;
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

/// Searches people, notes and the directory: people first, then services, then notes, each
/// best match first.
pub fn search(
    conn: &Connection,
    text: &str,
    kind: Option<&str>,
    limit: u32,
) -> Result<Vec<SearchHit>> {
    let Some(q) = fts_query(text) else {
        return Ok(Vec::new());
    };
    let mut stmt = conn.prepare_cached(
        "SELECT kind, ref_id, person_id, title, snippet(search_index, 4, '[', ']', '…', 16)
         FROM search_index WHERE search_index MATCH ?1 AND (?2 IS NULL OR kind = ?2)
         ORDER BY CASE kind WHEN 'person' THEN 0 WHEN 'service' THEN 1 ELSE 2 END, rank LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![q, kind, limit], |r| {
        Ok(SearchHit {
            kind: r.get(0)?,
            id: crate::store::id_at(r, 1)?,
            person_id: crate::store::opt_id_at(r, 2)?,
            title: r.get(3)?,
            snippet: r.get(4)?,
        })
    })?;
    rows.collect::<Result<_, _>>().map_err(Into::into)
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
