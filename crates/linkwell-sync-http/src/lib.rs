//! The HTTP transport of the core's sync engine: blocking `ureq` over rustls, JSON bodies,
//! the protocol and schema versions in headers on every request and a bearer token.
//!
//! Also the [`FeedSource`] that fetches an Open Referral UK feed's pages over the same stack
//! (the organisation's CA, the proxy variables).
//!
//! Kept out of linkwell-core so the core knows nothing of HTTP (CI checks it).

use linkwell_core::records::oruk::feed::{FeedError, FeedSource};
use linkwell_core::sync::{SyncTransport, TransportError};
use linkwell_protocol::{
    EnrolRequest, EnrolResponse, ErrorBody, PROTOCOL_HEADER, PROTOCOL_VERSION, PullRequest,
    PullResponse, PushRequest, PushResponse, SCHEMA_HEADER,
};
use std::time::{Duration, Instant};

/// Largest response read (a full pull page is well under this).
const MAX_RESPONSE: u64 = 128 * 1024 * 1024;

/// Talks to a `linkwell-server` at a base URL such as `https://sync.example.nhs.uk`.
pub struct HttpTransport {
    base: String,
    agent: ureq::Agent,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl HttpTransport {
    /// A transport trusting the usual web roots.
    pub fn new(base: &str) -> HttpTransport {
        Self::build(base, None)
    }

    /// A transport that also trusts the PEM certificate(s) given (an organisation's own CA).
    pub fn with_ca_pem(base: &str, pem: &[u8]) -> Result<HttpTransport, TransportError> {
        let tls = tls_with_ca(pem).map_err(TransportError::BadResponse)?;
        Ok(Self::build(base, Some(tls)))
    }

    fn build(base: &str, tls: Option<ureq::tls::TlsConfig>) -> HttpTransport {
        HttpTransport {
            base: base.trim_end_matches('/').to_string(),
            agent: agent(tls, Duration::from_secs(120)),
        }
    }

    fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: Option<&str>,
        body: &impl serde::Serialize,
    ) -> Result<T, TransportError> {
        let bytes =
            serde_json::to_vec(body).map_err(|e| TransportError::BadResponse(e.to_string()))?;
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header(SCHEMA_HEADER, linkwell_core::SCHEMA_VERSION.to_string())
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let mut resp = req
            .send(&bytes[..])
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(limit) => TransportError::TooLarge(limit),
                e => TransportError::Unreachable(e.to_string()),
            })?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body)
                .map_err(|e| TransportError::BadResponse(e.to_string()));
        }
        let body = serde_json::from_slice::<ErrorBody>(&body).unwrap_or_else(|_| ErrorBody {
            code: "http".into(),
            message: format!("the server answered {status}"),
            expected_seq: None,
        });
        if status >= 500 && body.code == "http" {
            // A proxy or a server starting up: temporary.
            return Err(TransportError::Unreachable(body.message));
        }
        Err(TransportError::Refused { status, body })
    }
}

/// TLS trusting the usual web roots and the PEM certificate(s) given (an organisation's CA).
fn tls_with_ca(pem: &[u8]) -> Result<ureq::tls::TlsConfig, String> {
    let certs = ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate file: {e}"))?;
    Ok(ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
        .build())
}

/// An agent with the proxy from the environment (ureq's default), statuses as answers, and
/// `whole` as the limit on each request.
fn agent(tls: Option<ureq::tls::TlsConfig>, whole: Duration) -> ureq::Agent {
    let mut cfg = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(whole));
    if let Some(tls) = tls {
        cfg = cfg.tls_config(tls);
    }
    cfg.build().into()
}

/// Largest feed page read (an 800-service v1 page is a few megabytes).
const MAX_FEED_PAGE: u64 = 64 * 1024 * 1024;

/// Fetches Open Referral UK feed pages over HTTPS (or HTTP to this computer, as the core
/// allows), through the proxy the environment names.
pub struct HttpFeedSource {
    agent: ureq::Agent,
}

impl HttpFeedSource {
    /// Trusting the usual web roots; each page within `per_page`.
    pub fn new(per_page: Duration) -> HttpFeedSource {
        HttpFeedSource {
            agent: agent(None, per_page),
        }
    }

    /// Also trusting an organisation's own CA (a council feed behind the NHS network's).
    pub fn with_ca_pem(pem: &[u8], per_page: Duration) -> Result<HttpFeedSource, String> {
        Ok(HttpFeedSource {
            agent: agent(Some(tls_with_ca(pem)?), per_page),
        })
    }
}

/// How long one page may take: a council's server can be slow, but not this slow.
pub const FEED_PAGE_WITHIN: Duration = Duration::from_secs(60);

impl FeedSource for HttpFeedSource {
    fn fetch(&mut self, url: &str) -> Result<Vec<u8>, FeedError> {
        let failed = |e: ureq::Error| match e {
            ureq::Error::Timeout(_) => FeedError::TimedOut,
            ureq::Error::BodyExceedsLimit(limit) => FeedError::TooLarge(limit),
            e => FeedError::Unreachable(e.to_string()),
        };
        let mut resp = self
            .agent
            .get(url)
            .header("accept", "application/json")
            .call()
            .map_err(failed)?;
        let status = resp.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(FeedError::Status(status));
        }
        resp.body_mut()
            .with_config()
            .limit(MAX_FEED_PAGE)
            .read_to_vec()
            .map_err(failed)
    }
}

/// The feed source the desktop app, the bridge and the command line use, also trusting an
/// organisation's own CA when `LINKWELL_CA_CERT` names its PEM file.
pub fn feed_source() -> Box<dyn FeedSource + Send> {
    let pem = std::env::var_os("LINKWELL_CA_CERT").and_then(|p| std::fs::read(p).ok());
    match pem.map(|p| HttpFeedSource::with_ca_pem(&p, FEED_PAGE_WITHIN)) {
        Some(Ok(s)) => Box::new(s),
        _ => Box::new(HttpFeedSource::new(FEED_PAGE_WITHIN)),
    }
}

/// How long the reachability check may take in all, name lookup included.
pub const REACHABLE_WITHIN: Duration = Duration::from_secs(3);

/// Resolves a host within `limit`. The system resolver has no timeout of its own (a laptop on
/// a captive Wi-Fi can wait on it for a minute), so it runs on a thread of its own; a lookup
/// that outlives the limit finishes there and is ignored.
fn lookup_within(
    host: &str,
    port: u16,
    limit: Duration,
) -> Result<Vec<std::net::SocketAddr>, TransportError> {
    use std::net::ToSocketAddrs as _;
    let (tx, rx) = std::sync::mpsc::channel();
    let target = (host.to_string(), port);
    std::thread::Builder::new()
        .name("reachable-lookup".into())
        .spawn(move || {
            let _ = tx.send(
                target
                    .to_socket_addrs()
                    .map(Iterator::collect::<Vec<_>>)
                    .map_err(|e| e.to_string()),
            );
        })
        .map_err(|e| TransportError::Unreachable(e.to_string()))?;
    match rx.recv_timeout(limit) {
        Ok(found) => found.map_err(TransportError::Unreachable),
        Err(_) => Err(TransportError::Unreachable(format!(
            "looking up {host} took longer than {} s",
            limit.as_secs()
        ))),
    }
}

impl SyncTransport for HttpTransport {
    /// A TCP connection to the server's host and port, or to the HTTP proxy the requests
    /// would go through (from `HTTPS_PROXY` and friends, unless `NO_PROXY` names the server):
    /// the name lookup and each resolved address in turn, within 3 seconds in all.
    fn reachable(&mut self) -> Result<(), TransportError> {
        let unreachable = |e: String| TransportError::Unreachable(e);
        let uri: ureq::http::Uri = self.base.parse().map_err(|e| unreachable(format!("{e}")))?;
        let (host, port) = match self.agent.config().proxy() {
            Some(proxy) if !proxy.is_no_proxy(&uri) => (proxy.host().to_string(), proxy.port()),
            _ => {
                let host = uri
                    .host()
                    .ok_or_else(|| unreachable("the server address has no host".into()))?;
                let https = uri
                    .scheme_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case("https"));
                (
                    host.to_string(),
                    uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
                )
            }
        };
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let deadline = Instant::now() + REACHABLE_WITHIN;
        let mut last = format!("{host} has no address");
        for addr in lookup_within(&host, port, REACHABLE_WITHIN)? {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match std::net::TcpStream::connect_timeout(&addr, left) {
                Ok(_) => return Ok(()),
                Err(e) => last = e.to_string(),
            }
        }
        Err(unreachable(last))
    }

    fn enrol(&mut self, req: &EnrolRequest) -> Result<EnrolResponse, TransportError> {
        self.post("/v1/enrol", None, req)
    }

    fn push(&mut self, token: &str, req: &PushRequest) -> Result<PushResponse, TransportError> {
        self.post("/v1/push", Some(token), req)
    }

    fn pull(&mut self, token: &str, req: &PullRequest) -> Result<PullResponse, TransportError> {
        self.post("/v1/pull", Some(token), req)
    }
}

/// The connector the desktop app and the bridge give the core's gate: HTTP(S) to the server,
/// also trusting an organisation's own CA when `LINKWELL_CA_CERT` names its PEM file.
pub fn connector() -> linkwell_core::app::gate::Connector {
    let pem = std::env::var_os("LINKWELL_CA_CERT").and_then(|p| std::fs::read(p).ok());
    Box::new(
        move |url| match pem.as_deref().map(|p| HttpTransport::with_ca_pem(url, p)) {
            Some(Ok(t)) => Box::new(t),
            _ => Box::new(HttpTransport::new(url)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A loopback port nothing listens on.
    fn closed_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    #[test]
    fn a_listening_server_is_reachable_and_a_closed_port_is_not() {
        let live = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", live.local_addr().unwrap());
        assert!(HttpTransport::new(&url).reachable().is_ok());
        let closed = format!("http://127.0.0.1:{}", closed_port());
        let err = HttpTransport::new(&closed).reachable().unwrap_err();
        assert!(matches!(err, TransportError::Unreachable(_)), "{err:?}");
    }

    #[test]
    fn through_a_proxy_the_proxy_is_what_must_be_reachable() {
        let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
        let server = format!("http://127.0.0.1:{}", closed_port());
        let with_proxy = |proxy_url: &str| HttpTransport {
            base: server.clone(),
            agent: ureq::Agent::config_builder()
                .proxy(Some(ureq::Proxy::new(proxy_url).unwrap()))
                .build()
                .into(),
        };
        let live = format!("http://{}", proxy.local_addr().unwrap());
        assert!(with_proxy(&live).reachable().is_ok(), "the proxy answers");
        let dead = format!("http://127.0.0.1:{}", closed_port());
        assert!(with_proxy(&dead).reachable().is_err(), "the proxy is down");
    }

    /// A proxy that is up while the server behind it is down answers 502 (to a forwarded
    /// request, or to the CONNECT of an HTTPS one): that is "offline", retried with backoff,
    /// not a refusal.
    #[test]
    fn a_proxy_answering_for_a_server_that_is_down_means_offline() {
        use std::io::{BufRead, BufReader, Write};
        let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
        std::thread::spawn(move || {
            for conn in proxy.incoming() {
                let Ok(conn) = conn else { continue };
                // Read the whole request, body too, so that closing does not reset it.
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let (mut line, mut body_len) = (String::new(), 0usize);
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    if let Some((name, value)) = line.split_once(':')
                        && name.eq_ignore_ascii_case("content-length")
                    {
                        body_len = value.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let _ = std::io::Read::read_exact(&mut reader, &mut vec![0; body_len]);
                let _ = (&conn).write_all(
                    b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: 11\r\nconnection: close\r\n\r\nBad Gateway",
                );
            }
        });
        for scheme in ["http", "https"] {
            let mut t = HttpTransport {
                base: format!("{scheme}://sync.invalid"),
                agent: ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .proxy(Some(ureq::Proxy::new(&proxy_url).unwrap()))
                    .build()
                    .into(),
            };
            let req = PullRequest {
                protocol_version: PROTOCOL_VERSION,
                schema_version: linkwell_protocol::WIRE_SCHEMA_VERSION,
                epoch: None,
                after_server_seq: 0,
                limit: 1,
            };
            let err = t.pull("lw1_token", &req).unwrap_err();
            let TransportError::Unreachable(why) = &err else {
                panic!("{scheme}: {err:?}");
            };
            // Over plain HTTP the proxy's own answer is what came back.
            assert!(scheme == "https" || why.contains("502"), "{why}");
        }
    }
}
