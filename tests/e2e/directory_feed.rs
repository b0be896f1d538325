//! `linkwell directory import URL`: a v3 and a v1 feed served page by page from a real HTTP
//! server on loopback, a page that fails, and the import that carries on from it.

use linkwell_e2e::{linkwell_command, linkwell_ok};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Output;
use std::sync::{Arc, Mutex};

fn service(id: &str, name: &str) -> Value {
    json!({"id": id, "name": name, "description": format!("{name}: all welcome.")})
}

/// v3 `/services?page=N`: three pages of two services.
fn v3_page(n: u32) -> Value {
    let contents: Vec<Value> = (1..=2)
        .map(|i| {
            let k = (n - 1) * 2 + i;
            service(&format!("v3-{k}"), &format!("Rushcliffe Walk {k}"))
        })
        .collect();
    json!({
        "total_items": 6, "total_pages": 3, "page_number": n, "size": 2,
        "first_page": n == 1, "last_page": n == 3, "empty": false, "contents": contents
    })
}

/// v1 `content[]` pages with no totals: two pages of services, then an empty page.
fn v1_page(n: u32) -> Value {
    let content: Vec<Value> = if n <= 2 {
        (1..=3)
            .map(|i| {
                let k = (n - 1) * 3 + i;
                service(&format!("{k}"), &format!("Keyworth Craft Group {k}"))
            })
            .collect()
    } else {
        Vec::new()
    };
    json!({"number": n, "size": 3, "content": content})
}

/// A feed that ignores `page`: every page is the same one.
fn same_page() -> Value {
    json!({"number": 1, "content": [service("same-1", "Cotgrave Men's Shed")]})
}

/// What the server answers: a status and a body, or a body cut short (the connection
/// closes before the length it announced).
enum Answer {
    Ok(String),
    Status(u16),
    CutShort(String),
}

/// A feed server on loopback. Each path in `fail_once` fails the first time it is asked for.
struct FeedServer {
    base: String,
    asked: Arc<Mutex<Vec<String>>>,
}

impl FeedServer {
    fn start(fail_once: &[&str]) -> FeedServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let asked = Arc::new(Mutex::new(Vec::new()));
        let failing: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(
            fail_once.iter().map(|s| (*s).to_string()).collect(),
        ));
        let log = Arc::clone(&asked);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut request = String::new();
                let _ = reader.read_line(&mut request);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let target = request.split(' ').nth(1).unwrap_or("/").to_string();
                log.lock().unwrap().push(target.clone());
                let fail = failing.lock().unwrap().remove(&target);
                let answer = answer(&target, fail);
                let mut out = &conn;
                let _ = match answer {
                    Answer::Ok(body) => write!(
                        out,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    ),
                    Answer::Status(s) => write!(
                        out,
                        "HTTP/1.1 {s} Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    ),
                    Answer::CutShort(body) => write!(
                        out,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
                        body.len(),
                        &body[..body.len() / 2]
                    ),
                };
            }
        });
        FeedServer { base, asked }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

fn answer(target: &str, fail: bool) -> Answer {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let page: u32 = query
        .split('&')
        .find_map(|p| p.strip_prefix("page="))
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let body = match path {
        "/v3/services" if page <= 3 => v3_page(page),
        "/v1/services" => v1_page(page),
        "/same/services" => same_page(),
        _ => return Answer::Status(404),
    };
    match (fail, path) {
        (true, "/v3/services") => Answer::Status(503),
        (true, _) => Answer::CutShort(body.to_string()),
        _ => Answer::Ok(body.to_string()),
    }
}

/// `linkwell --json directory import URL`, with no proxy between it and loopback.
fn import(db: &Path, url: &str) -> (Output, Value) {
    let mut c = linkwell_command(db);
    for v in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(v);
    }
    let out = c
        .args(["--json", "directory", "import", url])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out, report)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn exported_names(db: &Path, dir: &Path) -> Vec<String> {
    let file = dir.join("export.json");
    let _ = std::fs::remove_file(&file);
    linkwell_ok(
        db,
        &["directory", "export", "--out", file.to_str().unwrap()],
    );
    let page: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let mut names: Vec<String> = page["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn a_v3_feed_stops_at_a_failing_page_and_carries_on_from_it_without_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    linkwell_ok(
        &db,
        &["init", "--team", "Rushcliffe", "--name", "Priya Shah"],
    );
    let server = FeedServer::start(&["/v3/services?page=2"]);
    let url = format!("{}/v3/services", server.base);

    let (out, r) = import(&db, &url);
    assert!(!out.status.success(), "a page failed: {r}");
    let err = stderr(&out);
    assert!(err.contains("Page 2 of 3 could not be read"), "{err}");
    assert!(err.contains("503"), "{err}");
    assert!(err.contains("carry on from page 2"), "{err}");
    assert!(err.contains("Page 1 of 3 imported (2 services)"), "{err}");
    assert_eq!(
        (r["stopped_at"].as_u64(), r["pages_read"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(r["report"]["added"], 2, "{r}");
    assert_eq!(
        exported_names(&db, dir.path()).len(),
        2,
        "page 1 stays imported"
    );

    let (out, r) = import(&db, &url);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(r["resumed_from"], 2, "{r}");
    assert_eq!(r["pages_read"], 3, "{r}");
    assert_eq!(r["report"]["added"], 6, "counted over both imports: {r}");
    assert!(r["report"]["skipped"].as_array().unwrap().is_empty(), "{r}");
    let asked = server.asked();
    assert_eq!(
        asked.iter().filter(|a| a.ends_with("page=1")).count(),
        1,
        "page 1 was not fetched again: {asked:?}"
    );
    let names = exported_names(&db, dir.path());
    assert_eq!(names.len(), 6, "no duplicates: {names:?}");
    assert_eq!(names[0], "Rushcliffe Walk 1");

    // Read through: the next import starts afresh and finds nothing new.
    let (out, r) = import(&db, &url);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(r["resumed_from"], Value::Null, "{r}");
    assert_eq!(
        (
            r["report"]["added"].as_u64(),
            r["report"]["unchanged"].as_u64()
        ),
        (Some(0), Some(6))
    );
}

#[test]
fn a_v1_feed_reads_until_an_empty_page_and_a_cut_short_page_is_carried_on_from() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    linkwell_ok(
        &db,
        &["init", "--team", "Rushcliffe", "--name", "Priya Shah"],
    );
    let server = FeedServer::start(&["/v1/services?per_page=3&page=2"]);
    let url = format!("{}/v1/services?per_page=3", server.base);

    let (out, r) = import(&db, &url);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("Page 2 could not be read"), "{err}");
    assert_eq!(r["report"]["added"], 3, "{r}");

    let (out, r) = import(&db, &url);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        (r["pages_read"].as_u64(), r["report"]["added"].as_u64()),
        (Some(2), Some(6)),
        "{r}"
    );
    assert!(
        server
            .asked()
            .iter()
            .any(|a| a == "/v1/services?per_page=3&page=3"),
        "the empty page ended it: {:?}",
        server.asked()
    );
    assert_eq!(exported_names(&db, dir.path()).len(), 6);

    // A feed that answers every page with the same one: read once, then stopped.
    let (out, r) = import(&db, &format!("{}/same/services", server.base));
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        (r["pages_read"].as_u64(), r["report"]["added"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(
        server
            .asked()
            .iter()
            .filter(|a| a.starts_with("/same/"))
            .count(),
        2
    );
    assert_eq!(exported_names(&db, dir.path()).len(), 7);
}

#[test]
fn a_feed_address_must_be_https() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("laptop.db");
    linkwell_ok(
        &db,
        &["init", "--team", "Rushcliffe", "--name", "Priya Shah"],
    );
    let (out, _) = import(&db, "http://example.org/services");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("https://"), "{err}");
}
