//! The community directory in Open Referral UK (ORUK): import of a feed saved to a file (v3
//! UK-profile `/services` pages and full records, a v3 list or single record, the older v1
//! `content[]` pages) and export as a v3 `/services` page of full records.
//!
//! An import is one transaction ([`Store::write`]): a record that cannot be used is skipped
//! with its id and the reason, and everything else lands together or not at all. Each
//! imported service keeps the feed's values as last imported (`feed_snapshot`), so a
//! re-import updates in place by the feed's id, tells a local edit from a feed change, keeps
//! the local edit and lists the feed's newer value for review (`feed_differs`).

mod export;
pub mod feed;
mod map;

use crate::error::{CoreError, Result};
use crate::store::{self, Store, Writer, today};
use linkwell_protocol::{EntityKind, Operation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What an import did, for the worker (and `--json` for scripts).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ImportReport {
    /// What the file was read as, e.g. "ORUK v3 /services page".
    pub format: String,
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: Vec<Skipped>,
    /// Services imported before that this feed no longer lists: marked, never deleted.
    pub no_longer_listed: Vec<Unlisted>,
    /// Feed values not taken because the team had edited the field here.
    pub feed_differs: Vec<FeedDiffers>,
    /// Things about the file as a whole, e.g. counts that disagree with its contents.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Skipped {
    /// The feed's id for the record, when it had one.
    pub id: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Unlisted {
    pub service_id: Uuid,
    pub feed_id: String,
    pub name: String,
    /// The day an import first found it missing.
    pub since: String,
}

/// One field where the team's edit was kept over a different value in the feed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct FeedDiffers {
    pub service_id: Uuid,
    pub name: String,
    pub field: String,
    pub local: Value,
    pub feed: Value,
}

/// The fields of a service an import sets from the feed (and compares on re-import).
pub(crate) const FEED_FIELDS: &[&str] = &[
    "name",
    "description",
    "provider_id",
    "categories",
    "tags",
    "schedules",
    "schedule_note",
    "venue",
    "address",
    "postcode",
    "uprn",
    "latitude",
    "longitude",
    "cost",
    "free",
    "step_free",
    "hearing_loop",
    "contact_name",
    "contact_phone",
    "contact_email",
    "website",
    "min_age",
    "max_age",
    "eligibility",
    "accessibility",
    "languages",
    "last_verified_on",
    "status",
];

/// A feed record mapped to Linkwell's fields, before it is matched with the directory.
pub(crate) struct Mapped {
    pub feed_id: String,
    pub provider: Option<map::Organisation>,
    /// Fields the record does not carry at all (not blank: absent), left as they are on
    /// re-import.
    pub absent: Vec<&'static str>,
    /// Every [`FEED_FIELDS`] entry but `provider_id`, which is resolved when writing.
    pub fields: Map<String, Value>,
}

/// The services a file holds, and whether it is the whole feed.
pub(crate) struct Feed {
    pub format: &'static str,
    pub records: Vec<Value>,
    /// Only a whole feed can say a service is no longer listed (one page of ten cannot).
    pub complete: bool,
    pub notes: Vec<String>,
    /// A `/services` page's envelope (None for a list or a single record).
    pub paging: Option<Paging>,
}

/// What a page says of its place in the feed. Pages are numbered from 1 in v3 and, in
/// many v1 feeds, from 0.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paging {
    pub number: Option<i64>,
    pub total_pages: Option<i64>,
    pub first: Option<bool>,
    pub last: Option<bool>,
}

impl Store {
    /// Imports an ORUK feed saved as JSON text. Refuses a file that is not JSON or not ORUK
    /// (nothing written); otherwise imports every usable record in one transaction.
    pub fn import_oruk(&mut self, text: &str) -> Result<ImportReport> {
        let mut feed = map::parse_feed(text)?;
        if let Some(p) = feed.paging.filter(|_| !feed.complete) {
            feed.notes.push(format!(
                "This is page {} of {} of the feed: services missing from it were not marked as \
                 no longer listed",
                p.number.map_or("?".into(), |n| n.to_string()),
                p.total_pages.map_or("several".into(), |t| t.to_string())
            ));
        }
        let mut report = ImportReport {
            format: feed.format.to_string(),
            notes: std::mem::take(&mut feed.notes),
            ..ImportReport::default()
        };
        let mut seen = HashSet::new();
        self.import_records(&feed.records, &mut seen, feed.complete, &mut report)?;
        Ok(report)
    }

    /// Imports one feed's (or one page's) records in one transaction, adding to `report`.
    /// `seen` holds the feed ids met so far (earlier pages of the same feed included): a
    /// record whose id was seen is skipped as a duplicate. When `complete`, the services
    /// imported before that `seen` does not hold are marked as no longer listed.
    pub(crate) fn import_records(
        &mut self,
        records: &[Value],
        seen: &mut HashSet<String>,
        complete: bool,
        report: &mut ImportReport,
    ) -> Result<()> {
        let mut mapped = Vec::new();
        for raw in records {
            match map::service(raw, today()) {
                Err(skip) => {
                    // Still listed by the feed, even if unusable this time.
                    seen.extend(skip.id.clone());
                    report.skipped.push(skip);
                }
                Ok(m) if !seen.insert(m.feed_id.clone()) => report.skipped.push(Skipped {
                    id: Some(m.feed_id),
                    reason: "The same id appears earlier in the feed; the first one was kept"
                        .into(),
                }),
                Ok(m) => mapped.push(m),
            }
        }
        self.write(|w| {
            let existing = imported_services(w.conn())?;
            let mut providers = Providers::load(w.conn())?;
            for m in mapped {
                let id = m.feed_id.clone();
                if let Err(reason) = upsert(w, &existing, &mut providers, m, report)? {
                    report.skipped.push(Skipped {
                        id: Some(id),
                        reason,
                    });
                }
            }
            if complete {
                mark_unlisted(w, &existing, seen, report)?;
            }
            Ok(())
        })?;
        tracing::info!(
            added = report.added,
            updated = report.updated,
            unchanged = report.unchanged,
            skipped = report.skipped.len(),
            "directory import"
        );
        Ok(())
    }

    /// Marks what a feed read through page by page no longer lists (one transaction).
    pub(crate) fn mark_unlisted_after(
        &mut self,
        seen: &HashSet<String>,
        report: &mut ImportReport,
    ) -> Result<()> {
        self.write(|w| {
            let existing = imported_services(w.conn())?;
            mark_unlisted(w, &existing, seen, report)
        })
    }

    /// The team's directory as an ORUK v3 `/services` page whose contents are full records.
    pub fn export_oruk(&self) -> Result<Value> {
        export::page(self.conn())
    }

    /// Every field where the team's edit was kept over a newer value from the feed.
    pub fn directory_feed_differs(&self) -> Result<Vec<FeedDiffers>> {
        let mut out = Vec::new();
        for s in imported_services(self.conn())?.values() {
            out.extend(stored_differs(s));
        }
        Ok(out)
    }
}

/// Services that came from a feed, by the feed's id.
fn imported_services(conn: &rusqlite::Connection) -> Result<HashMap<String, Map<String, Value>>> {
    let rows = store::load_where(
        conn,
        EntityKind::Service,
        "feed_id IS NOT NULL AND redirect_to IS NULL AND ?1 = ?1",
        "",
        "rowid",
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|m| Some((m.get("feed_id")?.as_str()?.to_string(), m)))
        .collect())
}

fn text_of<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str)
}

fn service_id(m: &Map<String, Value>) -> Result<Uuid> {
    text_of(m, "id")
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| CoreError::Corrupt("service without a record id".into()))
}

fn stored_differs(m: &Map<String, Value>) -> Vec<FeedDiffers> {
    text_of(m, "feed_differs")
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default()
}

/// The directory's organisations by name (lower case), so a feed's organisation is matched
/// with the one already there instead of added twice.
struct Providers(HashMap<String, Uuid>);

impl Providers {
    fn load(conn: &rusqlite::Connection) -> Result<Self> {
        let rows = store::load_where(conn, EntityKind::Provider, "?1 = ?1", "", "rowid")?;
        Ok(Providers(
            rows.iter()
                .filter_map(|m| {
                    let id = Uuid::parse_str(text_of(m, "id")?).ok()?;
                    Some((text_of(m, "name")?.to_lowercase(), id))
                })
                .collect(),
        ))
    }

    fn resolve(&mut self, w: &mut Writer<'_>, org: &map::Organisation) -> Result<Uuid> {
        if let Some(id) = self.0.get(&org.name.to_lowercase()) {
            return Ok(*id);
        }
        let id = w.new_id();
        let mut p = Map::new();
        p.insert("name".into(), org.name.clone().into());
        p.insert("website".into(), org.website.clone().into());
        p.insert("phone".into(), Value::Null);
        p.insert("email".into(), org.email.clone().into());
        w.record(EntityKind::Provider, id, Operation::Create, p)?;
        self.0.insert(org.name.to_lowercase(), id);
        Ok(id)
    }
}

/// Adds or updates one service. The inner error is a reason to skip it (a value the wire
/// rules refuse), decided before anything of it is written.
fn upsert(
    w: &mut Writer<'_>,
    existing: &HashMap<String, Map<String, Value>>,
    providers: &mut Providers,
    mut m: Mapped,
    report: &mut ImportReport,
) -> Result<std::result::Result<(), String>> {
    if let Err(p) = linkwell_protocol::fields::check_payload(EntityKind::Service, &m.fields) {
        return Ok(Err(format!(
            "Its {} could not be used: it {}",
            p.field, p.message
        )));
    }
    let provider_id = match &m.provider {
        Some(org) => Some(providers.resolve(w, org)?.to_string()),
        None => None,
    };
    m.fields.insert("provider_id".into(), provider_id.into());
    match existing.get(&m.feed_id) {
        None => {
            let snapshot = serde_json::to_string(&m.fields)?;
            let mut p = m.fields;
            p.insert("five_ways".into(), Value::Array(Vec::new()));
            p.insert("taking_new_members".into(), true.into());
            p.insert("feed_id".into(), m.feed_id.into());
            p.insert("feed_snapshot".into(), snapshot.into());
            let id = w.new_id();
            w.record(EntityKind::Service, id, Operation::Create, p)?;
            report.added += 1;
        }
        Some(cur) => {
            m.fields.retain(|k, _| !m.absent.contains(&k.as_str()));
            let (changes, differs) = merge(cur, &m.fields)?;
            let visible = changes.keys().any(|k| FEED_FIELDS.contains(&k.as_str()));
            if visible {
                report.updated += 1;
            } else {
                report.unchanged += 1;
            }
            report.feed_differs.extend(differs);
            if !changes.is_empty() {
                w.record(
                    EntityKind::Service,
                    service_id(cur)?,
                    Operation::Update,
                    changes,
                )?;
            }
        }
    }
    Ok(Ok(()))
}

/// What a re-import changes in a service, and the feed values a local edit was kept over.
/// A field is the team's edit when it differs from the feed's value as last imported.
fn merge(
    cur: &Map<String, Value>,
    feed: &Map<String, Value>,
) -> Result<(Map<String, Value>, Vec<FeedDiffers>)> {
    let base: Map<String, Value> = text_of(cur, "feed_snapshot")
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    let mut next_base = base.clone();
    next_base.extend(feed.iter().map(|(k, v)| (k.clone(), v.clone())));
    let snapshot = serde_json::to_string(&next_base)?;
    let earlier = stored_differs(cur);
    let name = text_of(cur, "name").unwrap_or_default().to_string();
    let id = service_id(cur)?;
    let mut changes = Map::new();
    let mut differs = Vec::new();
    for (k, new) in feed {
        let local = cur.get(k).unwrap_or(&Value::Null);
        if k == "last_verified_on" {
            // Checked here or by the feed: the later date stands.
            if new.as_str() > local.as_str() {
                changes.insert(k.clone(), new.clone());
            }
            continue;
        }
        let edited = base.get(k).is_some_and(|b| b != local);
        if !edited {
            if local != new {
                changes.insert(k.clone(), new.clone());
            }
        } else if local != new
            && (base.get(k) != Some(new) || earlier.iter().any(|d| &d.field == k))
        {
            differs.push(FeedDiffers {
                service_id: id,
                name: name.clone(),
                field: k.clone(),
                local: local.clone(),
                feed: new.clone(),
            });
        }
    }
    if text_of(cur, "feed_snapshot") != Some(snapshot.as_str()) {
        changes.insert("feed_snapshot".into(), snapshot.into());
    }
    let differs_text = if differs.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&differs)?)
    };
    if text_of(cur, "feed_differs") != differs_text.as_deref() {
        changes.insert("feed_differs".into(), differs_text.into());
    }
    if !cur
        .get("feed_unlisted_on")
        .unwrap_or(&Value::Null)
        .is_null()
    {
        changes.insert("feed_unlisted_on".into(), Value::Null);
    }
    Ok((changes, differs))
}

/// Marks the services this (whole) feed no longer lists; they stay in the directory.
fn mark_unlisted(
    w: &mut Writer<'_>,
    existing: &HashMap<String, Map<String, Value>>,
    seen: &HashSet<String>,
    report: &mut ImportReport,
) -> Result<()> {
    let mut gone: Vec<_> = existing
        .iter()
        .filter(|(fid, _)| !seen.contains(*fid))
        .collect();
    gone.sort_by(|a, b| a.0.cmp(b.0));
    for (fid, s) in gone {
        let id = service_id(s)?;
        let since = match text_of(s, "feed_unlisted_on") {
            Some(d) => d.to_string(),
            None => {
                let d = today().to_string();
                let mut m = Map::new();
                m.insert("feed_unlisted_on".into(), d.clone().into());
                w.record(EntityKind::Service, id, Operation::Update, m)?;
                d
            }
        };
        report.no_longer_listed.push(Unlisted {
            service_id: id,
            feed_id: fid.clone(),
            name: text_of(s, "name").unwrap_or_default().to_string(),
            since,
        });
    }
    Ok(())
}
