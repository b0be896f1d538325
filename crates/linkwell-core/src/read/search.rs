//! Full-text search over people, notes and the directory (SQLite FTS5). The index is kept in
//! step with every applied change, in the same transaction.

use crate::domain::vocabulary::{FiveWays, ServiceCategory};
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
            // Numbers are indexed as stored, spaced as the app shows them and without spaces,
            // so an NHS number, phone or postcode is found however it is typed.
            let row = conn
                .prepare_cached("SELECT given_name || ' ' || family_name || COALESCE(' (' || preferred_name || ')', ''),
                            concat_ws(' ', given_name, family_name, preferred_name, nhs_number,
                                substr(nhs_number, 1, 3) || ' ' || substr(nhs_number, 4, 3) || ' ' || substr(nhs_number, 7),
                                postcode, replace(postcode, ' ', ''), phone, replace(phone, ' ', ''), email, gp_practice)
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
                .prepare_cached("SELECT name, concat_ws(' ', name, description, venue, postcode, lead), categories, five_ways FROM service WHERE id = ?1 AND status != 'closed'")?
                .query_row([id.to_string()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                })
                .optional()?;
            // Categories and Five Ways are stored as codes: index their words, which are what
            // a worker types and what a snippet shows.
            let doc = row.map(|(name, text, categories, five_ways)| {
                let words = labels::<ServiceCategory>(&categories, ServiceCategory::label)
                    .chain(labels::<FiveWays>(&five_ways, FiveWays::label));
                let body = std::iter::once(text).chain(words.map(str::to_string));
                (name, body.collect::<Vec<_>>().join(" "))
            });
            put(conn, "service", id, None, doc)
        }
        _ => Ok(()),
    }
}

/// The labels of a stored JSON array of vocabulary codes (unknown codes are left out).
fn labels<'a, T: serde::de::DeserializeOwned + 'a>(
    json: &str,
    label: fn(T) -> &'static str,
) -> impl Iterator<Item = &'static str> + 'a {
    serde_json::from_str::<Vec<serde_json::Value>>(json)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| serde_json::from_value::<T>(v).ok())
        .map(label)
}

/// Every search index rebuilt from the records (after the way a kind is indexed changed).
pub(crate) fn reindex_all(conn: &Connection) -> Result<()> {
    for (kind, table) in [
        (EntityKind::Person, "person"),
        (EntityKind::Service, "service"),
    ] {
        let ids: Vec<Uuid> = conn
            .prepare(&format!("SELECT id FROM {table}"))?
            .query_map([], |r| crate::store::id_at(r, 0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in ids {
            reindex(conn, kind, id)?;
        }
    }
    Ok(())
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

/// Turns what a worker typed into a safe FTS5 query: every word must match, as a prefix. Typed
/// with spaces a number or postcode is also tried joined up ("943 476 5919", "ng11 6ja").
fn fts_query(text: &str) -> Option<String> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .collect();
    if words.is_empty() {
        return None;
    }
    let all = words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ");
    let joined = words.concat();
    if words.len() > 1 && joined.chars().any(|c| c.is_ascii_digit()) {
        return Some(format!("({all}) OR \"{joined}\"*"));
    }
    Some(all)
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
                // A person's indexed text is every form of their numbers: the title says who,
                // and repeating those numbers under it only shows more than was asked for.
                snippet: if k == "person" {
                    String::new()
                } else {
                    r.get(3)?
                },
            })
        })?;
        for row in rows {
            hits.push(row?);
        }
        if k == "person" {
            let left = limit.saturating_sub(hits.len() as u32) as usize;
            let close = close_names(conn, text, &hits)?;
            hits.extend(close.into_iter().take(left));
        }
    }
    Ok(hits)
}

/// People whose name is a small typo away from what was typed ("thornbry" for Thornbury),
/// closest first, leaving out those the index already found. Caseloads are hundreds of people,
/// so comparing every name is quick; the index cannot match misspellings.
fn close_names(conn: &Connection, text: &str, found: &[SearchHit]) -> Result<Vec<SearchHit>> {
    let typed: Vec<String> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_lowercase)
        .collect();
    if typed.is_empty() || text.chars().any(|c| c.is_ascii_digit()) {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(
        "SELECT id, given_name, family_name, preferred_name FROM person ORDER BY family_name, given_name",
    )?;
    let people = stmt.query_map([], |r| {
        Ok((
            crate::store::id_at(r, 0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    let mut close = Vec::new();
    for row in people {
        let (id, given, family, preferred) = row?;
        if found.iter().any(|h| h.id == id) {
            continue;
        }
        let names: Vec<String> = [Some(&given), Some(&family), preferred.as_ref()]
            .into_iter()
            .flatten()
            .flat_map(|n| n.split(|c: char| !c.is_alphabetic()))
            .filter(|n| !n.is_empty())
            .map(str::to_lowercase)
            .collect();
        let distance = typed.iter().try_fold(0, |sum, word| {
            let best = names.iter().map(|n| name_distance(word, n)).min()?;
            (best <= allowed_typos(word)).then_some(sum + best)
        });
        if let Some(d) = distance {
            let title = match &preferred {
                Some(p) => format!("{given} {family} ({p})"),
                None => format!("{given} {family}"),
            };
            close.push((
                d,
                SearchHit {
                    kind: "person".into(),
                    id,
                    person_id: Some(id),
                    title,
                    snippet: String::new(),
                },
            ));
        }
    }
    close.sort_by_key(|(d, _)| *d);
    Ok(close.into_iter().map(|(_, h)| h).collect())
}

/// One slip in a short word, two in a long one.
fn allowed_typos(word: &str) -> usize {
    if word.chars().count() >= 8 { 2 } else { 1 }
}

/// Edits (insert, delete, change, swap of neighbours) from the typed word to the name, or to
/// the start of it when the name is longer (so a half-typed name still matches).
pub(crate) fn name_distance(typed: &str, name: &str) -> usize {
    let a: Vec<char> = typed.chars().collect();
    let b: Vec<char> = name.chars().collect();
    // Optimal string alignment distance; the last row's minimum over prefixes of `name` at
    // least as long as `typed` less one lets a prefix match.
    let mut rows = vec![(0..=b.len()).collect::<Vec<_>>()];
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (rows[i - 1][j] + 1)
                .min(row[j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(rows[i - 2][j - 2] + 1);
            }
        }
        rows.push(row);
    }
    let last = &rows[a.len()];
    let from = a.len().saturating_sub(1).min(b.len());
    last[from..].iter().copied().min().unwrap_or(usize::MAX)
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
        assert_eq!(
            fts_query("943 476").as_deref(),
            Some("(\"943\"* \"476\"*) OR \"943476\"*")
        );
    }

    #[test]
    fn small_typos_are_close_and_prefixes_count() {
        use super::name_distance;
        assert_eq!(name_distance("thornbry", "thornbury"), 1);
        assert_eq!(name_distance("margret", "margaret"), 1);
        assert_eq!(name_distance("marg", "margaret"), 0);
        assert!(name_distance("smith", "hill") > 1);
    }
}
