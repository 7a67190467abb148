//! The HTTP routes under `/v1`: thin handlers that extract, call one function of
//! the crate, and answer JSON or an [`AppError`].

use axum::extract::rejection::QueryRejection;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
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
        .fallback(no_route)
        // The limit applies to the body as handlers read it, after decompression, so
        // a small gzip bomb cannot expand past it.
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestDecompressionLayer::new())
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
    ApiJson(request): ApiJson<EnrollRequest>,
) -> Result<Json<Enrollment>, AppError> {
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
    auth::sign_out(&state.store, &session).await?;
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

async fn live(State(state): State<AppState>, session: Session) -> impl IntoResponse {
    let receiver = state.live.subscribe(session.property_id);
    let lasts = (session.expires_at - (state.now)()).to_std().unwrap_or_default();
    crate::live::stream(state.live.closed(), receiver, state.metrics.clone(), state.config.live_keep_alive, lasts)
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
    headers: HeaderMap,
    Path(platform): Path<updates::Platform>,
) -> Result<Response, AppError> {
    updates::check(&state, device.device_id, &headers, &platform).await
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
