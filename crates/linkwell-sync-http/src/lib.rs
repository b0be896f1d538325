//! The HTTP transport of the core's sync engine: blocking `ureq` over rustls, JSON bodies,
//! the protocol and schema versions in headers on every request and a bearer token.
//!
//! Kept out of linkwell-core so the core knows nothing of HTTP (CI checks it).

use linkwell_core::sync::{SyncTransport, TransportError};
use linkwell_protocol::{
    EnrolRequest, EnrolResponse, ErrorBody, PROTOCOL_HEADER, PROTOCOL_VERSION, PullRequest,
    PullResponse, PushRequest, PushResponse, SCHEMA_HEADER,
};
use std::time::Duration;

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
        let certs = ureq::tls::parse_pem(pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TransportError::BadResponse(format!("certificate file: {e}")))?;
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
            .build();
        Ok(Self::build(base, Some(tls)))
    }

    fn build(base: &str, tls: Option<ureq::tls::TlsConfig>) -> HttpTransport {
        let mut cfg = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(120)));
        if let Some(tls) = tls {
            cfg = cfg.tls_config(tls);
        }
        HttpTransport {
            base: base.trim_end_matches('/').to_string(),
            agent: cfg.build().into(),
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
            .map_err(|e| TransportError::Unreachable(e.to_string()))?;
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

impl SyncTransport for HttpTransport {
    /// A TCP connection to the server's host and port: each resolved address in turn, within
    /// 3 seconds in all (the name lookup itself is the system's and not bounded here).
    fn reachable(&mut self) -> Result<(), TransportError> {
        use std::net::ToSocketAddrs as _;
        let unreachable = |e: String| TransportError::Unreachable(e);
        let uri: ureq::http::Uri = self.base.parse().map_err(|e| unreachable(format!("{e}")))?;
        let host = uri
            .host()
            .ok_or_else(|| unreachable("the server address has no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let https = uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"));
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut last = format!("{host} has no address");
        for addr in (host, port)
            .to_socket_addrs()
            .map_err(|e| unreachable(e.to_string()))?
        {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
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
pub fn connector() -> linkwell_core::gate::Connector {
    let pem = std::env::var_os("LINKWELL_CA_CERT").and_then(|p| std::fs::read(p).ok());
    Box::new(
        move |url| match pem.as_deref().map(|p| HttpTransport::with_ca_pem(url, p)) {
            Some(Ok(t)) => Box::new(t),
            _ => Box::new(HttpTransport::new(url)),
        },
    )
}
