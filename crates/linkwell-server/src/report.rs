//! The organisation's figures, from the server's own records: every record's current field
//! values (what every laptop converges on) of the kinds `linkwell_report::records` reads,
//! through the same mapping the laptop uses, into the same pure figures. The server holds no
//! rule of its own for them: not the follow-up rule (`linkwell_domain::follow_up`), not the
//! suppression (`linkwell_report`). Only aggregates leave: small numbers suppressed, no
//! names, no free text, no NHS numbers.
//!
//! `linkwell-server report evaluation` writes them; `POST /v1/report` answers them to a
//! supervisor's or an administrator's device ([`router`]).

use crate::storage::{DeviceCtx, SqliteStorage, StorageError};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::NaiveDate;
use linkwell_protocol::{EntityKind, ErrorBody};
use linkwell_report::records::{READS, Records};
use linkwell_report::{DEFAULT_THRESHOLD, Evaluation, Period, Scope, Table};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// The roles that may fetch the organisation's figures over the API.
pub const REPORT_ROLES: [&str; 2] = ["supervisor", "admin"];

/// The reports there are.
pub const REPORTS: &[&str] = &["evaluation"];

/// Why a report was not made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("There is no report called \"{0}\". Reports: evaluation.")]
    UnknownReport(String),
    #[error("{0}")]
    Period(#[from] linkwell_report::ReportError),
    #[error("only a supervisor or an administrator can fetch the organisation's figures")]
    NotAllowed,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A request for the organisation's figures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationReportRequest {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day the data is as of; defaults to today.
    #[serde(default)]
    pub on: Option<NaiveDate>,
}

/// The organisation's figures and their tables (the same shapes a laptop's Reports screen
/// shows, from linkwell-report).
#[derive(Debug, Clone, Serialize)]
pub struct OrganisationReport {
    pub evaluation: Evaluation,
    pub tables: Vec<Table>,
}

/// Every record a report reads, as its current values, organisation-wide.
pub fn records(storage: &SqliteStorage) -> Result<Records, StorageError> {
    let mut out = Records::default();
    for w in storage.report_workers()? {
        let mut m = serde_json::Map::new();
        m.insert("id".into(), Value::String(w.id.to_string()));
        m.insert("name".into(), Value::String(w.name));
        out.workers.push(m);
    }
    for (kind, fields) in READS {
        if *kind == "worker" {
            // The server's own list (sent to laptops as they enrol and pull), not a stream kind.
            continue;
        }
        let Some(entity) = EntityKind::parse(kind) else {
            continue;
        };
        let mut list = Vec::new();
        for (id, mut all) in storage.current_records(entity)? {
            let mut m = serde_json::Map::new();
            m.insert("id".into(), Value::String(id.to_string()));
            for f in *fields {
                if let Some(v) = all.remove(*f) {
                    m.insert((*f).to_string(), v);
                }
            }
            list.push(m);
        }
        if let Some(slot) = out.of_kind(kind) {
            *slot = list;
        }
    }
    Ok(out)
}

/// The organisation's evaluation over `period`, small numbers suppressed.
pub fn organisation(
    storage: &SqliteStorage,
    req: &OrganisationReportRequest,
) -> Result<OrganisationReport, ReportError> {
    if !REPORTS.contains(&req.name.as_str()) {
        return Err(ReportError::UnknownReport(req.name.clone()));
    }
    let period = Period::new(req.from, req.to)?;
    let on = req.on.unwrap_or_else(|| chrono::Local::now().date_naive());
    let input =
        linkwell_report::records::input(&records(storage)?, Scope::Organisation, period, on, None);
    let evaluation = linkwell_report::evaluation(&input, DEFAULT_THRESHOLD);
    let tables = linkwell_report::tables(&evaluation);
    Ok(OrganisationReport { evaluation, tables })
}

/// Whether the device's worker may fetch the organisation's figures.
pub fn allowed(storage: &SqliteStorage, ctx: &DeviceCtx) -> Result<bool, StorageError> {
    Ok(storage
        .report_workers()?
        .iter()
        .any(|w| w.id == ctx.worker_id && w.active && REPORT_ROLES.contains(&w.role.as_str())))
}

fn refuse(status: StatusCode, code: &str, message: String) -> Response {
    let body = ErrorBody {
        code: code.into(),
        message,
        expected_seq: None,
    };
    (status, Json(body)).into_response()
}

async fn report(
    State(storage): State<Arc<SqliteStorage>>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Response {
    let ctx = match crate::api::authenticate_device(storage.clone(), &headers).await {
        Ok(ctx) => ctx,
        Err(e) => return e.into_response(),
    };
    let body = match axum::body::to_bytes(body, crate::api::SMALL_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "the request is larger than this server accepts here".into(),
            );
        }
    };
    let req: OrganisationReportRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("the report request could not be read: {e}"),
            );
        }
    };
    let answer = tokio::task::spawn_blocking(move || {
        if !allowed(&storage, &ctx)? {
            return Err(ReportError::NotAllowed);
        }
        organisation(&storage, &req)
    })
    .await;
    match answer {
        Ok(Ok(r)) => Json(r).into_response(),
        Ok(Err(e @ ReportError::NotAllowed)) => {
            refuse(StatusCode::FORBIDDEN, "not_allowed", e.to_string())
        }
        Ok(Err(e @ (ReportError::UnknownReport(_) | ReportError::Period(_)))) => {
            refuse(StatusCode::BAD_REQUEST, "bad_request", e.to_string())
        }
        Ok(Err(ReportError::Storage(e))) => crate::api::ApiError::from(e).into_response(),
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; try again".into(),
        ),
    }
}

/// `POST /v1/report`: the organisation's figures for a supervisor's or an administrator's
/// device (aggregates only; a link worker's or health coach's device is refused).
pub fn router(storage: Arc<SqliteStorage>) -> Router {
    Router::new()
        .route("/v1/report", post(report))
        // A report reads every record: two at a time at most, so sync is never starved.
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(2))
        .with_state(storage)
}
