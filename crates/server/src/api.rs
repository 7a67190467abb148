//! The HTTP routes under `/v1`: thin handlers that extract, call one function of
//! the crate, and answer JSON or an [`AppError`].

use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sync_core::conflict::{Conflict, ResolutionChoice};
use sync_core::protocol::{PullResponse, PushRequest, PushResponse};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::auth::{self, EnrollRequest, Enrollment, Session, SignInRequest, SignedIn};
use crate::conflicts::{self, ConflictFilter, ConflictList, Resolved};
use crate::error::{ApiJson, AppError};

/// The API's router with its layers: body limit, gzip both ways, timeout, tracing.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/enroll", post(enroll))
        .route("/v1/sessions", post(sign_in))
        .route("/v1/sessions/current", delete(sign_out))
        .route("/v1/push", post(push))
        .route("/v1/pull", post(pull))
        .route("/v1/conflicts", get(list_conflicts))
        .route("/v1/conflicts/{id}", get(get_conflict))
        .route("/v1/conflicts/{id}/resolve", post(resolve_conflict))
        .fallback(no_route)
        // The limit applies to the body as handlers read it, after decompression, so
        // a small gzip bomb cannot expand past it.
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(RequestDecompressionLayer::new())
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, config.request_timeout))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
) -> Result<Json<PullResponse>, AppError> {
    crate::pull::pull(&state, &session, body).await.map(Json)
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
