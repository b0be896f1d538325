//! The HTTP API: `POST /v1/enrol`, `POST /v1/push`, `POST /v1/pull`, `GET /v1/whoami` and
//! an unauthenticated `GET /health` that says only whether the database answers. Every `/v1`
//! request carries the protocol and schema versions; every request but enrolment carries a
//! device's bearer token, checked before its body is read; each endpoint reads at most its own body limit, and at most
//! [`MAX_CONCURRENT_REQUESTS`] are handled at once.
//! Built by [`router`] so the handlers are tested without sockets.

use crate::metrics::METRICS;
use crate::storage::{DeviceCtx, Storage, StorageError, now_ms};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use linkwell_protocol::{
    EnrolRequest, ErrorBody, MutationResult, PROTOCOL_HEADER, PROTOCOL_VERSION, PullRequest,
    PushRequest, SCHEMA_HEADER, WhoAmIResponse,
};
use std::sync::Arc;

/// The oldest client schema the server accepts (the first schema with sync state).
pub const MIN_CLIENT_SCHEMA: u32 = 2;

/// Largest push body: a batch of changes, each field bounded (`linkwell_protocol::fields`).
pub const PUSH_BODY_LIMIT: usize = 32 * 1024 * 1024;
/// Largest pull or enrolment body: a cursor, or a one-time code.
pub const SMALL_BODY_LIMIT: usize = 4 * 1024;
/// Requests handled at once; more wait for a turn (their bodies unread meanwhile), so memory
/// stays bounded however many arrive.
pub const MAX_CONCURRENT_REQUESTS: usize = 16;

#[derive(Clone)]
pub struct AppState {
    pub storage: Arc<dyn Storage>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

/// An HTTP error with a body the client shows in the person's words.
#[derive(Debug)]
pub struct ApiError(StatusCode, ErrorBody);

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError(
            status,
            ErrorBody {
                code: code.into(),
                message: message.into(),
                expected_seq: None,
            },
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The code is one of the server's own words, never what a client sent.
        METRICS.refusals.with_label_values(&[&self.1.code]).inc();
        (self.0, Json(self.1)).into_response()
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        let msg = e.to_string();
        match e {
            StorageError::Unauthorised => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorised", msg)
            }
            StorageError::Revoked => ApiError::new(StatusCode::FORBIDDEN, "revoked", msg),
            StorageError::CloneSuspected => {
                ApiError::new(StatusCode::FORBIDDEN, "clone_suspected", msg)
            }
            StorageError::BadCode => ApiError::new(StatusCode::FORBIDDEN, "bad_code", msg),
            StorageError::Gap { expected } => {
                let mut err = ApiError::new(StatusCode::CONFLICT, "sequence_gap", msg);
                err.1.expected_seq = Some(expected);
                err
            }
            StorageError::Cloned { .. } => {
                ApiError::new(StatusCode::CONFLICT, "cloned_device", msg)
            }
            StorageError::Batch(_) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", msg),
            StorageError::Unavailable(_) => {
                tracing::error!(error = %e, "database unreachable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the server cannot reach its database just now; nothing was stored and nothing was lost on the laptop — sync again shortly",
                )
            }
            StorageError::NotSetUp => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_set_up", msg)
            }
            // Administration mistakes never come from a device's request; if one did, it
            // is the server's fault, like a damaged database.
            StorageError::NewerSchema
            | StorageError::Upgrade(_)
            | StorageError::NoSuchTeam(_)
            | StorageError::BadRole(_)
            | StorageError::NoSuchWorker(_)
            | StorageError::NoSuchDevice(_)
            | StorageError::NoSuchQuarantinedChange(_)
            | StorageError::NoSuchPerson(_)
            | StorageError::Db(_)
            | StorageError::Pg(_)
            | StorageError::BadDatabaseUrl(_)
            | StorageError::Json(_)
            | StorageError::Corrupt(_) => {
                tracing::error!(error = %e, "storage error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not store this; nothing was lost on the laptop — try again later",
                )
            }
        }
    }
}

/// Checks the client's protocol and schema versions: an old client is told to update.
pub fn check_versions(protocol: u32, schema: u32) -> Result<(), ApiError> {
    if protocol < PROTOCOL_VERSION || schema < MIN_CLIENT_SCHEMA {
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "please_update",
            "this version of Linkwell is too old for the server: please update Linkwell, then sync again (your changes are kept on this laptop)",
        ));
    }
    if protocol > PROTOCOL_VERSION {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "server_too_old",
            "the server is older than this version of Linkwell: ask your administrator to update it (your changes are kept on this laptop)",
        ));
    }
    Ok(())
}

fn header_u32(h: &HeaderMap, name: &str) -> u32 {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; try again",
        )),
    }
}

/// Versions from the headers, then the bearer token: the device, or a refusal.
async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<DeviceCtx, ApiError> {
    check_versions(
        header_u32(headers, PROTOCOL_HEADER),
        header_u32(headers, SCHEMA_HEADER),
    )?;
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token)
        .ok_or_else(|| ApiError::from(StorageError::Unauthorised))?
        .to_string();
    let storage = state.storage.clone();
    blocking(move || storage.authenticate(&token)).await
}

/// [`authenticate`] for a route with storage of its own as its state (`crate::report`).
pub async fn authenticate_device<S: Storage>(
    storage: Arc<S>,
    headers: &HeaderMap,
) -> Result<DeviceCtx, ApiError> {
    authenticate(&AppState { storage }, headers).await
}

/// The token of an `Authorization: Bearer <token>` header; the scheme's name is
/// case-insensitive (RFC 9110 §11.1).
pub fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Reads a body of at most `limit` bytes, only once the request is allowed to send one: a
/// larger body is refused without being read further.
async fn read_body(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the request is larger than this server accepts here ({limit} bytes)"),
        )
    })
}

async fn enrol(State(state): State<AppState>, body: Body) -> Result<Response, ApiError> {
    let body = read_body(body, SMALL_BODY_LIMIT).await?;
    let req: EnrolRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the enrolment request could not be read: {e}"),
        )
    })?;
    check_versions(req.protocol_version, req.schema_version)?;
    let storage = state.storage.clone();
    let resp = blocking(move || storage.enrol(&req.code)).await?;
    Ok(Json(resp).into_response())
}

async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let ctx = authenticate(&state, &headers).await?;
    let body = read_body(body, PUSH_BODY_LIMIT).await?;
    let req = decode_push(&body)?;
    let storage = state.storage.clone();
    let n = req.mutations.len();
    let resp = blocking(move || storage.push(&ctx, &req, now_ms())).await?;
    tracing::debug!(mutations = n, "push stored");
    METRICS.pushes.inc();
    for (_, r) in &resp.results {
        let result = match r {
            MutationResult::Applied { .. } => "applied",
            MutationResult::Duplicate { .. } => "duplicate",
            MutationResult::Merged { .. } => "merged",
            MutationResult::Quarantined { .. } => "quarantined",
            MutationResult::Rejected { .. } => "rejected",
        };
        METRICS.mutations.with_label_values(&[result]).inc();
    }
    Ok(Json(resp).into_response())
}

/// Reads a push body: JSON of the right shape and versions this server understands. Shared
/// with the fuzz target, so what is fuzzed is what the handler runs.
pub fn decode_push(body: &[u8]) -> Result<PushRequest, ApiError> {
    let req: PushRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the batch could not be read: {e}"),
        )
    })?;
    check_versions(req.protocol_version, req.schema_version)?;
    Ok(req)
}

async fn pull(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let ctx = authenticate(&state, &headers).await?;
    let body = read_body(body, SMALL_BODY_LIMIT).await?;
    let req: PullRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("the request could not be read: {e}"),
        )
    })?;
    check_versions(req.protocol_version, req.schema_version)?;
    let storage = state.storage.clone();
    let resp = blocking(move || storage.pull(&ctx, &req)).await?;
    METRICS.pulls.inc();
    Ok(Json(resp).into_response())
}

async fn whoami(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let ctx = authenticate(&state, &headers).await?;
    let storage = state.storage.clone();
    let epoch = blocking(move || storage.epoch()).await?;
    Ok(Json(WhoAmIResponse {
        device_id: ctx.device_id,
        worker_id: ctx.worker_id,
        teams: ctx.teams,
        epoch,
    })
    .into_response())
}

/// `ok` while the database answers; 503 `database unreachable` when it does not (so a load
/// balancer sends laptops to another instance).
async fn health(State(state): State<AppState>) -> Response {
    let storage = state.storage.clone();
    match tokio::task::spawn_blocking(move || storage.reachable()).await {
        Ok(true) => "ok".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
}

/// `/metrics`: counts and durations only (see [`crate::metrics`]); the open quarantine is
/// read from the database at each scrape.
async fn metrics(State(state): State<AppState>) -> Response {
    let storage = state.storage.clone();
    if let Ok(Ok(n)) = tokio::task::spawn_blocking(move || storage.quarantine_open()).await {
        METRICS
            .quarantine_open
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        METRICS.render(),
    )
        .into_response()
}

/// Times every request, by route.
async fn track(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let route = crate::metrics::route(req.uri().path());
    let t0 = std::time::Instant::now();
    let resp = next.run(req).await;
    METRICS
        .durations
        .with_label_values(&[route])
        .observe(t0.elapsed().as_secs_f64());
    resp
}

/// The whole API as a router over the given storage.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .route("/v1/enrol", post(enrol))
        .route("/v1/push", post(push))
        .route("/v1/pull", post(pull))
        .route("/v1/whoami", get(whoami))
        // Each handler reads its body itself, with its own limit, after the token is checked.
        .layer(DefaultBodyLimit::max(SMALL_BODY_LIMIT))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            MAX_CONCURRENT_REQUESTS,
        ))
        .layer(axum::middleware::from_fn(track))
        .with_state(state)
}
