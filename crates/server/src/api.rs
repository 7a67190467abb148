//! The HTTP routes under `/v1`: thin handlers that extract, call one function of
//! the crate, and answer JSON or an [`AppError`].

use axum::extract::rejection::QueryRejection;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sync_core::conflict::{Conflict, ResolutionChoice};
use sync_core::protocol::{
    EnrollRequest, Enrollment, PullResponse, PushRequest, PushResponse, SignInRequest, SignedIn,
};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::auth::{self, Session};
use crate::conflicts::{self, ConflictFilter, ConflictList, Resolved};
use crate::error::{ApiJson, AppError};
use crate::history::{self, History, RestoreRequest, Restored};
use crate::updates;

/// Every endpoint of the API: method, path (axum's syntax) and handler. The router
/// is built from this table and the OpenAPI document is checked against it, so the
/// two cannot drift apart.
fn endpoints() -> Vec<(&'static str, &'static str, MethodRouter<AppState>)> {
    vec![
        ("GET", "/v1/health", get(health)),
        ("GET", "/v1/openapi.json", get(openapi)),
        ("GET", "/metrics", get(metrics)),
        ("POST", "/v1/enroll", post(enroll)),
        ("POST", "/v1/sessions", post(sign_in)),
        ("DELETE", "/v1/sessions/current", delete(sign_out)),
        ("POST", "/v1/push", post(push)),
        ("POST", "/v1/pull", post(pull)),
        ("GET", "/v1/live", get(live)),
        ("GET", "/v1/conflicts", get(list_conflicts)),
        ("GET", "/v1/conflicts/{id}", get(get_conflict)),
        ("POST", "/v1/conflicts/{id}/resolve", post(resolve_conflict)),
        ("GET", "/v1/records/{entity}/{id}/history", get(record_history)),
        ("POST", "/v1/records/{entity}/{id}/restore", post(restore_record)),
        ("GET", "/v1/updates/{target}/{arch}/{bundle}/{current_version}", get(update_check)),
        ("GET", "/v1/updates/files/{file}", get(update_download)),
    ]
}

/// Every route the router serves, as `(method, path)`.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    endpoints().into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// The API's router with its layers: body limit, gzip both ways, timeout, tracing.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, (_, path, handler)| router.route(path, handler))
        .method_not_allowed_fallback(wrong_method)
        .fallback(no_route)
        // The limit applies to the body as handlers read it, after decompression, so
        // a small gzip bomb cannot expand past it.
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestDecompressionLayer::new())
        .layer(middleware::from_fn(json_errors))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(config.request_timeout, timeout))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Cuts a request that takes longer than `limit` with 408 `{code: "timeout"}`; the
/// handler's future is dropped, so a transaction still open rolls back (one that
/// committed stays, and the device's retry is answered from the idempotency
/// table). A live stream is not cut: its response (the headers) is ready at once.
async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request took longer than {} s and was cut: retry it (a retried push never applies twice)",
                limit.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

async fn no_route() -> AppError {
    AppError::not_found("no such endpoint: the API lives under /v1")
}

async fn wrong_method(method: Method, uri: Uri) -> AppError {
    AppError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}: the Allow header lists the methods it takes", uri.path()),
    )
}

/// The last gate of every answer: an error that a layer below the handlers made
/// (an unsupported `Content-Encoding`, a range past an installer's end, …) has no
/// JSON body of its own; it gets `{code, message}` like every other error, its
/// status and headers (`Allow`, `Content-Range`, `Retry-After`) kept.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let (code, message) = status_error(status);
    let answer = AppError::new(status, code, message).into_response();
    let (answer_parts, body) = answer.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(header::CONTENT_TYPE, answer_parts.headers[header::CONTENT_TYPE].clone());
    Response::from_parts(parts, body)
}

/// The code and message of an error that only has its status.
fn status_error(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND => ("not_found", "nothing is found at this address"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the body is larger than the server accepts"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "the body's content type or encoding is not one the server reads (JSON, gzip)")
        }
        StatusCode::RANGE_NOT_SATISFIABLE => {
            ("range_not_satisfiable", "the requested byte range is past the file's end")
        }
        status if status.is_server_error() => {
            ("internal", "the server failed to handle the request; it was logged, and nothing of it was saved")
        }
        _ => ("bad_request", "the request is not one this endpoint takes"),
    }
}

/// `GET /v1/health` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub protocol: u16,
}

async fn health(State(state): State<AppState>) -> Result<Json<Health>, AppError> {
    sqlx::query("SELECT 1 AS one").fetch_one(state.store.pool()).await?;
    Ok(Json(Health { status: "ok".into(), protocol: sync_core::PROTOCOL_VERSION }))
}

async fn enroll(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ApiJson(request): ApiJson<EnrollRequest>,
) -> Result<Json<Enrollment>, AppError> {
    state.enroll_throttle.check(peer.ip(), &state.metrics)?;
    auth::enroll(&state.store, &request, (state.now)()).await.map(Json)
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<SignInRequest>,
) -> Result<Json<SignedIn>, AppError> {
    auth::sign_in(&state, &headers, request, (state.now)()).await.map(Json)
}

async fn sign_out(State(state): State<AppState>, session: Session) -> Result<StatusCode, AppError> {
    auth::sign_out(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn push(
    State(state): State<AppState>,
    session: Session,
    ApiJson(request): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, AppError> {
    crate::push::push(&state, &session, request).await.map(Json)
}

async fn pull(
    State(state): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<PullResponse<Box<serde_json::value::RawValue>>>, AppError> {
    let started = std::time::Instant::now();
    let page = crate::pull::pull(&state, &session, body).await;
    state.metrics.pull_seconds.observe(started.elapsed().as_secs_f64());
    page.map(Json)
}

async fn live(State(state): State<AppState>, session: Session) -> Result<impl IntoResponse, AppError> {
    crate::live::stream(&state, session)
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], state.metrics.render())
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], crate::openapi::DOCUMENT)
}

async fn record_history(
    State(state): State<AppState>,
    session: Session,
    Path((entity, id)): Path<(String, String)>,
) -> Result<Json<History>, AppError> {
    let (entity, id) = history::parse_path(&entity, &id)?;
    history::history(&state, &session, entity, id).await.map(Json)
}

async fn restore_record(
    State(state): State<AppState>,
    session: Session,
    Path((entity, id)): Path<(String, String)>,
    ApiJson(request): ApiJson<RestoreRequest>,
) -> Result<Json<Restored>, AppError> {
    let (entity, id) = history::parse_path(&entity, &id)?;
    history::restore(&state, &session, entity, id, &request).await.map(Json)
}

async fn update_check(
    State(state): State<AppState>,
    device: auth::DeviceCaller,
    Path(platform): Path<updates::Platform>,
) -> Result<Response, AppError> {
    updates::check(&state, device.device_id, &platform).await
}

async fn update_download(
    State(state): State<AppState>,
    _device: auth::DeviceCaller,
    Path(file): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    updates::download(&state, &file, request).await
}

async fn list_conflicts(
    State(state): State<AppState>,
    session: Session,
    filter: Result<Query<ConflictFilter>, QueryRejection>,
) -> Result<Json<ConflictList>, AppError> {
    let Query(filter) = filter.map_err(|err| AppError::bad_request("bad_query", err.body_text()))?;
    conflicts::list(&state, &session, &filter).await.map(Json)
}

async fn get_conflict(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
) -> Result<Json<Conflict>, AppError> {
    let id = conflicts::parse_id(&id)?;
    conflicts::get(&state, &session, id).await.map(Json)
}

async fn resolve_conflict(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    ApiJson(choice): ApiJson<ResolutionChoice>,
) -> Result<Json<Resolved>, AppError> {
    let id = conflicts::parse_id(&id)?;
    conflicts::resolve(&state, &session, id, choice).await.map(Json)
}
