//! The bridge's HTTP handling, kept apart from `main` so it is tested without a process.
//!
//! Why tiny_http rather than axum: the bridge serves one browser on loopback, one request at
//! a time, against a `Store` that owns a single SQLite connection. A blocking server on one
//! thread fits that exactly, with no async runtime, a handful of dependencies and a short
//! build on a two-core machine.
//!
//! The bridge holds a [`Gate`], as the desktop shell does: nothing about any person is served
//! until a worker unlocks a profile, and idle time locks it again (checked between requests).
//!
//! Routes: `POST /api/<method>` with the JSON arguments as body and the token in
//! `Authorization: Bearer <token>`; everything else is a static file from the UI folder
//! (unknown paths fall back to `index.html`, so reloading a screen works).

use linkwell_core::app::api::ErrorBody;
use linkwell_core::app::gate::Gate;
use rand::Rng;
use serde_json::{Value, json};
use std::path::{Component, Path, PathBuf};
use tiny_http::{Header, Method, Request, Response, Server};

/// The Content-Security-Policy for the UI: nothing from anywhere but the bridge itself.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/// A fresh random token: 32 hex characters, new at every launch.
pub fn new_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

pub struct Bridge {
    server: Server,
    gate: Gate,
    ui: PathBuf,
    token: String,
    port: u16,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// An HTTP answer before it is written: status, content type and body.
#[derive(Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Answer {
    fn json(status: u16, v: &Value) -> Answer {
        Answer {
            status,
            content_type: "application/json; charset=utf-8",
            body: serde_json::to_vec(v).unwrap_or_default(),
        }
    }
}

/// The HTTP status for a core error code.
pub fn status_for(code: &str) -> u16 {
    match code {
        "invalid" => 422,
        "not_found" => 404,
        "not_allowed" | "sync_failed" | "not_initialised" | "newer_schema" => 409,
        "not_a_database" | "locked" => 423,
        "wrong_passphrase" => 403,
        "try_again_later" => 429,
        _ => 500,
    }
}

fn tokens_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// One API call: checks the token, parses the body and hands it to the core.
pub fn api_call(
    gate: &mut Gate,
    token: &str,
    presented: Option<&str>,
    method: &str,
    body: &[u8],
) -> Answer {
    let ok = presented.is_some_and(|p| tokens_equal(p, token));
    if !ok {
        return Answer::json(
            401,
            &json!({ "code": "unauthorised", "reason": null, "message": "This page is not connected to Linkwell: open the address the bridge printed, with its token.", "field": null, "fields": [] }),
        );
    }
    match gate.call_json(method, body) {
        Ok(v) => Answer::json(200, &v),
        Err(e) => {
            let body = ErrorBody::from(&e);
            if body.code == "internal" {
                // The code and method only: details may hold personal data.
                eprintln!("linkwell-bridge: internal error in {method}");
            }
            // A call that is not JSON or not one of ours is the caller's bug, not a form error.
            let status = if body.field.as_deref() == Some("request") {
                400
            } else {
                status_for(&body.code)
            };
            Answer::json(status, &serde_json::to_value(body).unwrap_or_default())
        }
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "json" => "application/json",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// A static file from the UI folder; `..` and absolute paths are refused.
pub fn static_file(ui: &Path, url_path: &str) -> Answer {
    let rel = url_path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_start_matches('/');
    let rel = Path::new(rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Answer {
            status: 400,
            content_type: "text/plain",
            body: b"bad path".to_vec(),
        };
    }
    let mut path = ui.join(rel);
    if rel.as_os_str().is_empty() || !path.is_file() {
        // Screens are client-side routes: serve the app for them, 404 for missing assets.
        if rel.extension().is_some() {
            return Answer {
                status: 404,
                content_type: "text/plain",
                body: b"not found".to_vec(),
            };
        }
        path = ui.join("index.html");
    }
    match std::fs::read(&path) {
        Ok(body) => Answer {
            status: 200,
            content_type: content_type(&path),
            body,
        },
        Err(_) => Answer {
            status: 404,
            content_type: "text/plain; charset=utf-8",
            body: b"The UI has not been built: run `npm run build` in ui/".to_vec(),
        },
    }
}

impl Bridge {
    /// Listens on 127.0.0.1 only (`port` 0 picks a free port).
    pub fn bind(gate: Gate, port: u16, ui: PathBuf, token: String) -> anyhow::Result<Bridge> {
        let server = Server::http(("127.0.0.1", port))
            .map_err(|e| anyhow::anyhow!("could not listen on 127.0.0.1:{port}: {e}"))?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .unwrap_or(port);
        Ok(Bridge {
            server,
            gate,
            ui,
            token,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address to open, with the token for the UI to pick up.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/?token={}", self.port, self.token)
    }

    /// Serves requests one at a time until the process ends, waking every few seconds to
    /// lock an idle session even when no request comes, and to sync when it is due.
    pub fn serve(mut self) {
        loop {
            match self.server.recv_timeout(std::time::Duration::from_secs(5)) {
                Ok(Some(req)) => self.respond(req),
                Ok(None) => {}
                Err(_) => break,
            }
            self.gate.auto_sync(std::time::Instant::now());
        }
    }

    fn respond(&mut self, mut req: Request) {
        let url = req.url().to_string();
        // Refuse other hosts (DNS rebinding): the page must be on the loopback address.
        let host_ok = req
            .headers()
            .iter()
            .filter(|h| h.field.equiv("Host"))
            .all(|h| {
                let v = h.value.as_str();
                v.starts_with("127.0.0.1:")
                    || v.starts_with("localhost:")
                    || v == "127.0.0.1"
                    || v == "localhost"
            });
        let answer = if !host_ok {
            Answer {
                status: 421,
                content_type: "text/plain",
                body: b"wrong host".to_vec(),
            }
        } else if let Some(method) = url.strip_prefix("/api/") {
            if *req.method() != Method::Post {
                Answer::json(
                    405,
                    &json!({ "code": "invalid", "message": "API calls are POST", "field": null, "fields": [] }),
                )
            } else {
                let presented = req
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Authorization"))
                    .and_then(|h| h.value.as_str().strip_prefix("Bearer ").map(str::to_string));
                // Bodies may carry a passphrase: kept in a zeroizing buffer sized up front.
                let mut body =
                    zeroize::Zeroizing::new(Vec::with_capacity(req.body_length().unwrap_or(0)));
                let _ = std::io::Read::read_to_end(&mut req.as_reader(), &mut body);
                let method = method.split('?').next().unwrap_or("").to_string();
                api_call(
                    &mut self.gate,
                    &self.token,
                    presented.as_deref(),
                    &method,
                    &body,
                )
            }
        } else if *req.method() == Method::Get || *req.method() == Method::Head {
            static_file(&self.ui, &url)
        } else {
            Answer {
                status: 405,
                content_type: "text/plain",
                body: b"method not allowed".to_vec(),
            }
        };
        let mut resp = Response::from_data(answer.body).with_status_code(answer.status);
        for (k, v) in [
            ("Content-Type", answer.content_type),
            ("Content-Security-Policy", CSP),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-store"),
        ] {
            if let Ok(h) = Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                resp.add_header(h);
            }
        }
        let _ = req.respond(resp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use linkwell_core::app::gate::Profiles;
    use linkwell_core::security::vault::KdfParams;

    fn store() -> (tempfile::TempDir, Gate) {
        let d = tempfile::tempdir().unwrap();
        let kdf = KdfParams {
            memory_kib: 8 * 1024,
            passes: 1,
            lanes: 1,
        };
        let g = Gate::with_kdf(Profiles::Single(d.path().join("b.db")), kdf);
        (d, g)
    }

    #[test]
    fn token_is_required() {
        let (_d, mut s) = store();
        assert_eq!(api_call(&mut s, "abc", None, "lock_state", b"").status, 401);
        assert_eq!(
            api_call(&mut s, "abc", Some("abd"), "lock_state", b"").status,
            401
        );
        let ok = api_call(&mut s, "abc", Some("abc"), "lock_state", b"");
        assert_eq!(ok.status, 200);
    }

    #[test]
    fn core_errors_map_to_statuses_with_the_core_words() {
        let (_d, mut s) = store();
        let a = api_call(&mut s, "t", Some("t"), "today", b"{}");
        assert_eq!(
            a.status, 423,
            "nothing is served before a profile is unlocked"
        );
        let setup = br#"{"passphrase":"long enough passphrase","passphrase_again":"long enough passphrase","setup":{"team_name":"T","worker_name":"W","role":"link_worker"}}"#;
        assert_eq!(
            api_call(&mut s, "t", Some("t"), "create_profile", setup).status,
            200
        );
        let a = api_call(
            &mut s,
            "t",
            Some("t"),
            "add_note",
            br#"{"person_id":"0190f5d2-0000-7000-8000-000000000000","body":"hello"}"#,
        );
        assert_eq!(a.status, 404);
        let a = api_call(
            &mut s,
            "t",
            Some("t"),
            "take_referral",
            br#"{"referral":{}}"#,
        );
        assert_eq!(a.status, 422);
        let v: Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(v["code"], "invalid");
        assert!(v["fields"].as_array().unwrap().len() > 1);
        assert_eq!(
            api_call(&mut s, "t", Some("t"), "status", b"{nope").status,
            400
        );
        assert_eq!(api_call(&mut s, "t", Some("t"), "lock", b"").status, 200);
        assert_eq!(api_call(&mut s, "t", Some("t"), "lock", b"{}").status, 200);
        assert_eq!(
            api_call(&mut s, "t", Some("t"), "unlock", b"{nope").status,
            400
        );
        assert_eq!(api_call(&mut s, "t", Some("t"), "today", b"{}").status, 423);
        let wrong = br#"{"passphrase":"not the passphrase"}"#;
        assert_eq!(
            api_call(&mut s, "t", Some("t"), "unlock", wrong).status,
            403
        );
    }

    #[test]
    fn static_files_refuse_traversal_and_fall_back_to_the_app() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("index.html"), "<h1>app</h1>").unwrap();
        assert_eq!(static_file(d.path(), "/../secret").status, 400);
        assert_eq!(static_file(d.path(), "/").body, b"<h1>app</h1>");
        assert_eq!(static_file(d.path(), "/person/123").status, 200);
        assert_eq!(static_file(d.path(), "/missing.js").status, 404);
    }

    #[test]
    fn tokens_are_random_and_long() {
        let a = new_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, new_token());
    }
}
