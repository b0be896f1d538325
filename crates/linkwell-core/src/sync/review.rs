//! "Changes to review": what sync could not settle alone and a worker should look at — values
//! that lost a conflict, changes the server refused, and people two laptops entered who may be
//! one person. Kept in the local `sync_review` table (never synced: each laptop flags what it
//! received), each item put in a link worker's words here, so every screen says the same.
//!
//! Two people are flagged by the same rule the referral form uses ([`likely_same`]) when a
//! colleague's new person arrives: never merged silently. The flag goes away by itself once
//! anyone decides they are different people (that decision syncs) or the records no longer
//! look alike (a mistyped NHS number corrected).

use super::{SyncError, now_text};
use crate::error::CoreError;
use crate::records::people::{Person, likely_same};
use crate::store::{self, Store};
use linkwell_protocol::{EntityKind, Operation, PersonLink, registry};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

/// The `sync_review.kind` of a possible duplicate person.
const POSSIBLE_DUPLICATE: &str = "possible_duplicate";

/// One "changes to review" item.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReviewItem {
    pub id: String,
    /// A conflict rule, `rejected`, `quarantined` or `possible_duplicate`.
    pub kind: String,
    pub entity: String,
    pub entity_id: String,
    pub field: Option<String>,
    pub kept: Option<Value>,
    pub lost: Option<Value>,
    pub detail: Option<String>,
    pub needs_review: bool,
    /// What happened, in a link worker's words (no values: those are shown beside it).
    pub summary: String,
    /// The person the record belongs to, when it belongs to one and is on this laptop.
    pub person: Option<ReviewPerson>,
    /// For a possible duplicate: the other record.
    pub other_person: Option<ReviewPerson>,
    /// For a possible duplicate: the same NHS number (so "different people" is not offered:
    /// one of the numbers is wrong, or they are one person).
    pub certain: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ReviewPerson {
    pub id: Uuid,
    pub name: String,
    pub date_of_birth: Option<chrono::NaiveDate>,
    pub postcode: Option<String>,
}

/// What a worker decided about an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum ReviewSettlement {
    /// Looked at; nothing more to do here.
    Seen,
    /// A possible duplicate is two different people (recorded on the person, and synced).
    DifferentPeople,
}

impl ReviewPerson {
    fn of(p: &Person) -> ReviewPerson {
        ReviewPerson {
            id: p.id,
            name: p.full_name(),
            date_of_birth: p.date_of_birth,
            postcode: p.postcode.clone(),
        }
    }
}

/// Whether a worker has already decided `a` and `b` are different people.
fn decided_different(a: &Person, b: &Person) -> bool {
    a.distinct_from.contains(&b.id) || b.distinct_from.contains(&a.id)
}

/// Flags each of `arrived` (people just created here from a colleague's laptop) that looks
/// like someone else on this laptop. One pass over the people per pulled page, not one per
/// person, so a new laptop pulling a whole team stays linear.
pub(super) fn flag_possible_duplicates(
    conn: &Connection,
    arrived: &[Uuid],
) -> Result<(), CoreError> {
    if arrived.is_empty() {
        return Ok(());
    }
    let people: Vec<Person> = store::get_where(conn, EntityKind::Person, "?1 = ?1", "", "id")?;
    let mut by_nhs: HashMap<&str, Vec<&Person>> = HashMap::new();
    let mut by_born: HashMap<chrono::NaiveDate, Vec<&Person>> = HashMap::new();
    for p in &people {
        if let Some(n) = p.nhs_number.as_deref() {
            by_nhs.entry(n).or_default().push(p);
        }
        if let Some(d) = p.date_of_birth {
            by_born.entry(d).or_default().push(p);
        }
    }
    let now = now_text();
    for new in people.iter().filter(|p| arrived.contains(&p.id)) {
        let same_nhs = new.nhs_number.as_deref().and_then(|n| by_nhs.get(n));
        let same_born = new.date_of_birth.and_then(|d| by_born.get(&d));
        let candidates = same_nhs.into_iter().chain(same_born).flatten();
        for other in candidates.filter(|o| o.id != new.id) {
            let Some((_, why)) = likely_same(new, other) else {
                continue;
            };
            if decided_different(new, other) {
                continue;
            }
            // One item per pair, whichever of the two arrived second.
            let (a, b) = if new.id < other.id {
                (new.id, other.id)
            } else {
                (other.id, new.id)
            };
            conn.execute(
                "INSERT OR IGNORE INTO sync_review (id, kind, entity, entity_id, kept, detail, needs_review, created_at)
                 VALUES (?1, ?2, 'person', ?3, ?4, ?5, 1, ?6)",
                params![
                    format!("{POSSIBLE_DUPLICATE}:{a}:{b}"),
                    POSSIBLE_DUPLICATE,
                    new.id.to_string(),
                    Value::String(other.id.to_string()).to_string(),
                    why,
                    now
                ],
            )?;
        }
    }
    Ok(())
}

/// The person a record belongs to, following its kind's link up to the person.
fn owner(conn: &Connection, mut kind: EntityKind, mut id: String) -> Option<Uuid> {
    loop {
        match kind.person_link() {
            PersonLink::Own => return Uuid::parse_str(&id).ok(),
            PersonLink::None => return None,
            PersonLink::Via { parent, field, .. } => {
                let table = registry::table(kind).name;
                id = conn
                    .query_row(
                        &format!("SELECT {field} FROM {table} WHERE id = ?1"),
                        [&id],
                        |r| r.get::<_, Option<String>>(0),
                    )
                    .optional()
                    .ok()
                    .flatten()
                    .flatten()?;
                kind = parent;
            }
        }
    }
}

fn summary(kind: &str, entity: &str, field: Option<&str>, detail: Option<&str>) -> String {
    let what = entity.replace('_', " ");
    let field = field.map(|f| f.replace('_', " ")).unwrap_or_default();
    match kind {
        POSSIBLE_DUPLICATE => format!(
            "A colleague's laptop added someone who may already be here ({}). Open both records: if they are one person, tell your supervisor; if not, say so here.",
            detail.unwrap_or("similar details")
        ),
        "rejected" | "quarantined" => format!(
            "The server did not accept a change to a {what} made on this laptop: {}. What you wrote is kept below.",
            detail.unwrap_or("no reason given")
        ),
        _ => format!(
            "Two people changed the {field} of a {what} at about the same time. The value kept is shown; the other is kept here so nothing is lost."
        ),
    }
}

type Row = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    bool,
);

impl Store {
    /// "Changes to review", newest first: losing values, refusals and possible duplicates
    /// still undecided.
    pub fn review_items(&self) -> Result<Vec<ReviewItem>, SyncError> {
        self.open_items("1 = 1")
    }

    /// How many items need a person (the status bar's count, read every few seconds): a
    /// count for the stored ones, and only the possible duplicates checked against the
    /// people as they are now.
    pub(super) fn to_review_count(&self) -> Result<i64, SyncError> {
        let stored: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM sync_review WHERE needs_review = 1 AND reviewed_at IS NULL AND kind <> ?1",
            [POSSIBLE_DUPLICATE],
            |r| r.get(0),
        )?;
        let duplicates = self.open_items("kind = 'possible_duplicate'")?.len() as i64;
        Ok(stored + duplicates)
    }

    /// The open items matching `filter` (SQL over `sync_review`), in a worker's words.
    fn open_items(&self, filter: &str) -> Result<Vec<ReviewItem>, SyncError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT id, kind, entity, entity_id, field, kept, lost, detail, needs_review FROM sync_review
             WHERE reviewed_at IS NULL AND ({filter}) ORDER BY created_at DESC, id"
        ))?;
        let rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        let mut out = Vec::with_capacity(rows.len());
        for (id, kind, entity, entity_id, field, kept, lost, detail, needs_review) in rows {
            let kept: Option<Value> = parse(kept);
            let person_id =
                EntityKind::parse(&entity).and_then(|k| owner(conn, k, entity_id.clone()));
            let person = person_id.and_then(|p| self.person(p).ok());
            let (mut other_person, mut certain) = (None, false);
            if kind == POSSIBLE_DUPLICATE {
                let other_id = kept
                    .as_ref()
                    .and_then(Value::as_str)
                    .and_then(|s| Uuid::parse_str(s).ok());
                let other = other_id.and_then(|o| self.person(o).ok());
                // Settled elsewhere (a colleague decided, or a number was corrected): not shown.
                let (Some(p), Some(o)) = (&person, &other) else {
                    continue;
                };
                match likely_same(p, o) {
                    Some((c, _)) if !decided_different(p, o) => certain = c,
                    _ => continue,
                }
                other_person = other.as_ref().map(ReviewPerson::of);
            }
            out.push(ReviewItem {
                summary: summary(&kind, &entity, field.as_deref(), detail.as_deref()),
                person: person.as_ref().map(ReviewPerson::of),
                other_person,
                certain,
                id,
                kind,
                entity,
                entity_id,
                field,
                kept,
                lost: parse(lost),
                detail,
                needs_review,
            });
        }
        Ok(out)
    }

    /// Settles one item: seen, or (for a possible duplicate) two different people — recorded
    /// on the person who arrived, so every laptop of the team stops flagging them.
    pub fn settle_review(&mut self, id: &str, how: ReviewSettlement) -> Result<(), CoreError> {
        let items = self.review_items()?;
        let Some(item) = items.into_iter().find(|i| i.id == id) else {
            return Err(CoreError::invalid(
                "id",
                "This item is no longer waiting for review: it may have been settled already",
            ));
        };
        if how == ReviewSettlement::DifferentPeople {
            let (Some(person), Some(other)) = (&item.person, &item.other_person) else {
                return Err(CoreError::invalid(
                    "settlement",
                    "Only two people who may be one can be marked as different people",
                ));
            };
            if item.certain {
                return Err(CoreError::invalid(
                    "settlement",
                    "These records have the same NHS number, so they cannot be different people: correct the number on the record that is wrong",
                ));
            }
            let mut current = self.person(person.id)?;
            current.distinct_from.push(other.id);
            let decided_by = self.actor()?.worker_id;
            let id = item.id.clone();
            return self.write(|w| {
                let mut payload = serde_json::Map::new();
                payload.insert(
                    "distinct_from".into(),
                    serde_json::to_value(&current.distinct_from)?,
                );
                payload.insert(
                    "distinct_decided_by".into(),
                    Value::String(decided_by.to_string()),
                );
                w.record(EntityKind::Person, current.id, Operation::Update, payload)?;
                mark_reviewed(w.conn(), &id)
            });
        }
        self.write(|w| mark_reviewed(w.conn(), id))
    }
}

fn mark_reviewed(conn: &Connection, id: &str) -> Result<(), CoreError> {
    conn.execute(
        "UPDATE sync_review SET reviewed_at = ?2 WHERE id = ?1",
        params![id, now_text()],
    )?;
    Ok(())
}
