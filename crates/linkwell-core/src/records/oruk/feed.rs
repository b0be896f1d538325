//! Importing a feed from its address, page by page: the v3 `/services?page=N` pages
//! (`contents`, `total_pages`, `first_page`/`last_page`) and the v1 ones (`content`,
//! `totalPages`, `first`/`last`). The bytes come through a [`FeedSource`] the shell gives
//! (HTTP lives outside the core, as for sync).
//!
//! Each page is one transaction. A page that cannot be fetched or read stops the import with
//! its number; the pages before it stay imported and where it stopped is kept (locally, beside
//! the drafts), so importing the same address again carries on from that page. Services the
//! feed no longer lists are marked only once every page has been read.

use super::{ImportReport, map};
use crate::error::{CoreError, Result};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;

/// Why a page could not be fetched, as the shell's transport saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("the feed took too long to answer")]
    TimedOut,
    #[error("the feed could not be reached ({0})")]
    Unreachable(String),
    #[error("the feed's server answered {0}")]
    Status(u16),
    #[error("the page is larger than {0} bytes")]
    TooLarge(u64),
}

/// Fetches one page of a feed: the whole body at `url` (which already names the page).
pub trait FeedSource {
    fn fetch(&mut self, url: &str) -> std::result::Result<Vec<u8>, FeedError>;
}

/// What a feed import did: the import report over every page read (across a stop and the
/// import that carried on), and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FeedImportReport {
    pub url: String,
    /// Pages imported, counted over a stop and the import that carried on.
    pub pages_read: u32,
    /// As the feed says, when it says.
    pub total_pages: Option<u32>,
    /// The page this import carried on from, when an earlier one had stopped.
    pub resumed_from: Option<u32>,
    /// The page that could not be read, when the import stopped before the end.
    pub stopped_at: Option<u32>,
    /// Why it stopped, in the worker's words, naming the page.
    pub error: Option<String>,
    pub report: ImportReport,
}

/// Said after each page, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedProgress {
    pub page: u32,
    pub total_pages: Option<u32>,
    pub services: usize,
}

/// A feed import that stopped and can be carried on, for the Directory screen.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StoppedFeedImport {
    pub url: String,
    /// The page it stopped at, where importing the same address again carries on.
    pub next_page: u32,
    pub total_pages: Option<u32>,
    pub pages_read: u32,
}

/// Where an import stands, kept after every page: one at a time (a new address replaces it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct FeedState {
    url: String,
    next_page: u32,
    total_pages: Option<u32>,
    /// Feed ids of the pages read so far (to find duplicates and what is no longer listed).
    seen: Vec<String>,
    /// A digest of the last page's ids, to tell a page that repeats it.
    last_page: Option<String>,
    report: ImportReport,
    pages_read: u32,
}

const STATE_KEY: &str = "job.directory-feed-import";

/// More pages than any council publishes: a feed that never says it has ended stops here.
const MAX_PAGES: u32 = 10_000;

/// Checks a feed's address: `https://`, or `http://` to this computer only (for tests and a
/// feed served locally). Answers it trimmed.
pub fn check_feed_url(url: &str) -> Result<String> {
    let bad = |why: &str| CoreError::invalid("url", why);
    let url = url.trim();
    if url.is_empty() {
        return Err(bad("Type the feed's address, starting https://"));
    }
    let lower = url.to_ascii_lowercase();
    let (https, rest) = if let Some(rest) = lower.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = lower.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(bad(
            "A feed's address starts https:// (for example https://example.org/api/services)",
        ));
    };
    if url.chars().any(char::is_whitespace) {
        return Err(bad("A feed's address has no spaces in it"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(bad(
            "Leave the user name and password out of the feed's address",
        ));
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() {
        return Err(bad("The feed's address has no server name after https://"));
    }
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !https && !loopback {
        return Err(bad(
            "Use the feed's https:// address: plain http:// is only for a feed on this computer",
        ));
    }
    Ok(url.to_string())
}

/// The address of page `n`: the feed's address with its `page` parameter set to `n`.
pub fn page_url(url: &str, n: u32) -> String {
    let url = url.split('#').next().unwrap_or(url);
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && p.split('=').next() != Some("page"))
        .collect();
    let page = format!("page={n}");
    params.push(&page);
    format!("{path}?{}", params.join("&"))
}

fn page_digest(records: &[Value]) -> String {
    let mut h = Sha256::new();
    for r in records {
        h.update(r.get("id").map(Value::to_string).unwrap_or_default());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

fn as_page(n: Option<i64>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

impl Store {
    /// The feed import that stopped and can be carried on, if any.
    pub fn stopped_feed_import(&self) -> Result<Option<StoppedFeedImport>> {
        Ok(self.feed_state()?.map(|s| StoppedFeedImport {
            url: s.url,
            next_page: s.next_page,
            total_pages: s.total_pages,
            pages_read: s.pages_read,
        }))
    }

    fn feed_state(&self) -> Result<Option<FeedState>> {
        let Some(state) = self.draft(STATE_KEY)? else {
            return Ok(None);
        };
        // Kept by an older build in another shape: start that feed afresh.
        Ok(serde_json::from_value(Value::Object(state)).ok())
    }

    /// Imports the feed at `url` page by page through `source`, calling `progress` after
    /// each page. Carries on from where an earlier import of the same address stopped,
    /// unless `restart`. A page that cannot be fetched or read ends it with `stopped_at`
    /// set (the pages before it stay imported); only a bad address or the database failing
    /// is an error.
    pub fn import_oruk_feed(
        &mut self,
        url: &str,
        source: &mut dyn FeedSource,
        restart: bool,
        progress: &mut dyn FnMut(FeedProgress),
    ) -> Result<FeedImportReport> {
        let url = check_feed_url(url)?;
        let resume = match self.feed_state()? {
            Some(p) if p.url == url && !restart => Some(p),
            _ => None,
        };
        let resumed_from = resume.as_ref().map(|p| p.next_page);
        let mut state = resume.unwrap_or_else(|| FeedState {
            url: url.clone(),
            next_page: 1,
            total_pages: None,
            seen: Vec::new(),
            last_page: None,
            report: ImportReport::default(),
            pages_read: 0,
        });
        let mut seen: HashSet<String> = state.seen.iter().cloned().collect();
        let stop = loop {
            let n = state.next_page;
            match self.import_feed_page(&mut state, &mut seen, source)? {
                PageOutcome::More(services) => progress(FeedProgress {
                    page: n,
                    total_pages: state.total_pages,
                    services,
                }),
                PageOutcome::Last(services) => {
                    if services > 0 {
                        progress(FeedProgress {
                            page: n,
                            total_pages: state.total_pages,
                            services,
                        });
                    }
                    break None;
                }
                PageOutcome::Failed(why) => break Some((n, why)),
            }
        };
        if let Some((n, why)) = &stop {
            tracing::warn!(page = n, "directory feed import stopped");
            state.seen = seen.into_iter().collect();
            state.seen.sort();
            self.keep_job_state(STATE_KEY, &state_map(&state)?)?;
            let of = state
                .total_pages
                .map(|t| format!(" of {t}"))
                .unwrap_or_default();
            return Ok(FeedImportReport {
                url,
                pages_read: state.pages_read,
                total_pages: state.total_pages,
                resumed_from,
                stopped_at: Some(*n),
                error: Some(format!(
                    "Page {n}{of} could not be read: {why}. {} Import the same address again to carry on from page {n}.",
                    match state.pages_read {
                        0 => "Nothing was imported.".to_string(),
                        1 => "The page before it is imported.".to_string(),
                        p => format!("The {p} pages before it are imported."),
                    }
                )),
                report: state.report,
            });
        }
        self.mark_unlisted_after(&seen, &mut state.report)?;
        self.discard_draft(STATE_KEY)?;
        Ok(FeedImportReport {
            url,
            pages_read: state.pages_read,
            total_pages: state.total_pages,
            resumed_from,
            stopped_at: None,
            error: None,
            report: state.report,
        })
    }

    /// Fetches, reads and imports page `state.next_page`, moving `state` on when it lands.
    fn import_feed_page(
        &mut self,
        state: &mut FeedState,
        seen: &mut HashSet<String>,
        source: &mut dyn FeedSource,
    ) -> Result<PageOutcome> {
        let n = state.next_page;
        if n > MAX_PAGES {
            return Ok(PageOutcome::Last(0));
        }
        let bytes = match source.fetch(&page_url(&state.url, n)) {
            Ok(b) => b,
            Err(e) => return Ok(PageOutcome::Failed(e.to_string())),
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return Ok(PageOutcome::Failed("it is not text".into()));
        };
        let feed = match map::parse_feed(&text) {
            Ok(f) => f,
            Err(e) => {
                let why = e.to_string();
                let why = why.split_once(": ").map_or(why.as_str(), |(_, w)| w);
                return Ok(PageOutcome::Failed(why.trim_end_matches('.').to_string()));
            }
        };
        if state.report.format.is_empty() {
            state.report.format = format!("{} by page", feed.format);
        }
        let Some(paging) = feed.paging else {
            // A list or a single record at that address: the whole feed at once.
            self.import_records(&feed.records, seen, false, &mut state.report)?;
            state.report.notes.extend(feed.notes);
            state.pages_read += 1;
            return Ok(PageOutcome::Last(feed.records.len()));
        };
        if let Some(t) = as_page(paging.total_pages) {
            state.total_pages = Some(t);
        }
        let digest = page_digest(&feed.records);
        if feed.records.is_empty() || state.last_page.as_deref() == Some(digest.as_str()) {
            // An empty page, or one that repeats the last (a feed that ignores `page`): the end.
            return Ok(PageOutcome::Last(0));
        }
        self.import_records(&feed.records, seen, false, &mut state.report)?;
        state.pages_read += 1;
        state.last_page = Some(digest);
        state.next_page = n + 1;
        // Kept after every page, so a crash or a lost connection carries on from the next.
        state.seen = seen.iter().cloned().collect();
        self.keep_job_state(STATE_KEY, &state_map(state)?)?;
        if paging.is_last(n) {
            Ok(PageOutcome::Last(feed.records.len()))
        } else {
            Ok(PageOutcome::More(feed.records.len()))
        }
    }
}

enum PageOutcome {
    /// Imported this many services; more pages follow.
    More(usize),
    /// The feed ends here (this many services imported from this page).
    Last(usize),
    /// The page could not be fetched or read, for this reason.
    Failed(String),
}

fn state_map(state: &FeedState) -> Result<Map<String, Value>> {
    match serde_json::to_value(state)? {
        Value::Object(m) => Ok(m),
        _ => Err(CoreError::Corrupt(
            "feed import state is not an object".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feed_address_is_https_or_http_to_this_computer() {
        for ok in [
            "https://example.org/api/services",
            "  HTTPS://Example.org/services?per_page=50 ",
            "http://127.0.0.1:8080/services",
            "http://localhost/services",
            "http://[::1]:9000/services",
        ] {
            assert!(check_feed_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "example.org/services",
            "ftp://example.org/feed.json",
            "http://example.org/services",
            "http://127.0.0.1.example.org/services",
            "https://user:secret@example.org/services",
            "https://",
            "https://example.org/my services",
        ] {
            let e = check_feed_url(bad).unwrap_err();
            assert_eq!(e.fields(), vec!["url"], "{bad}");
        }
    }

    #[test]
    fn the_page_parameter_is_set_and_the_rest_of_the_address_kept() {
        assert_eq!(
            page_url("https://x.org/services", 2),
            "https://x.org/services?page=2"
        );
        assert_eq!(
            page_url("https://x.org/services?per_page=50&page=7#top", 3),
            "https://x.org/services?per_page=50&page=3"
        );
        assert_eq!(
            page_url("https://x.org/services?pages=1", 1),
            "https://x.org/services?pages=1&page=1"
        );
    }
}
