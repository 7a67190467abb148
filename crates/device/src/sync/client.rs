//! The HTTP client of the sync server's API (`/v1`).
//!
//! Every failure is sorted into what the worker can do about it: a network
//! failure or a server fault is retried with backoff, a refused credential stops
//! syncing until someone signs in again, and a refused request is reported with
//! the server's own code and message.

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use reqwest::{RequestBuilder, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use sync_core::conflict::{Conflict, ResolutionChoice};
use sync_core::protocol::{
    ApiError, DEVICE_HEADER, EnrollRequest, Enrollment, PullRequest, PullResponse, PushRequest, PushResponse,
    RecordHistory, SignInRequest, SignedIn,
};
use sync_core::schema::EntityKind;
use uuid::Uuid;

/// Why a request to the server failed, by what can be done about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// The server could not be reached or did not answer in time: retry later.
    #[error("the server cannot be reached: {0}")]
    Network(String),
    /// The server failed on its side (5xx): retry later.
    #[error("the server had a problem: {0}")]
    Server(String),
    /// The session or device credential was refused: sign in again.
    #[error("{message}")]
    Auth { code: String, message: String },
    /// The server refused the request as it was (4xx).
    #[error("{message}")]
    Refused { code: String, message: String },
    /// The server answered something this build cannot read.
    #[error("the server's answer could not be read: {0}")]
    Protocol(String),
}

impl RemoteError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, RemoteError::Network(_) | RemoteError::Server(_))
    }
}

/// The server's answer to a sign-in while wrong passwords lock the account or device.
pub const SIGN_IN_LOCKED: &str = "sign_in_locked";

/// A client of one sync server.
#[derive(Debug, Clone)]
pub struct ServerClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl ServerClient {
    /// A client of the server at `base_url` (e.g. `http://127.0.0.1:8780`).
    pub fn new(base_url: &str) -> Result<Self, RemoteError> {
        let base = base_url.trim().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(RemoteError::Refused {
                code: "invalid_server_address".into(),
                message: format!("`{base}` is not a server address: it must start with http:// or https://"),
            });
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|err| RemoteError::Network(err.to_string()))?;
        Ok(ServerClient { http, base, token: None })
    }

    /// The same client, sending `token` as its session.
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The server's address.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Whether the server answers its health probe.
    pub async fn health(&self) -> Result<(), RemoteError> {
        let response = self
            .http
            .get(format!("{}/v1/health", self.base))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(network)?;
        check(response).await.map(drop)
    }

    /// Enrolls this device with a one-time code.
    pub async fn enroll(&self, code: &str, device_name: &str) -> Result<Enrollment, RemoteError> {
        let body = EnrollRequest { code: code.to_owned(), device_name: device_name.to_owned() };
        self.send(self.http.post(format!("{}/v1/enroll", self.base)), &body).await
    }

    /// Signs a member of staff in on this enrolled device.
    pub async fn sign_in(
        &self,
        device_id: Uuid,
        device_secret: &str,
        username: &str,
        password: &str,
    ) -> Result<SignedIn, RemoteError> {
        let body = SignInRequest { username: username.to_owned(), password: password.to_owned() };
        let request = self
            .http
            .post(format!("{}/v1/sessions", self.base))
            .header(DEVICE_HEADER, format!("{device_id}:{device_secret}"));
        self.send(request, &body).await
    }

    /// Ends the current session on the server.
    pub async fn sign_out(&self) -> Result<(), RemoteError> {
        let response = self.authorised(self.http.delete(format!("{}/v1/sessions/current", self.base))).send().await;
        check(response.map_err(network)?).await.map(drop)
    }

    /// Pushes a batch of mutations.
    pub async fn push(&self, request: &PushRequest) -> Result<PushResponse, RemoteError> {
        self.send(self.authorised(self.http.post(format!("{}/v1/push", self.base))), request).await
    }

    /// Pulls a page of changes.
    pub async fn pull(&self, request: &PullRequest) -> Result<PullResponse, RemoteError> {
        self.send(self.authorised(self.http.post(format!("{}/v1/pull", self.base))), request).await
    }

    /// Pulls a page of changes, each record kept as the JSON text it came in.
    pub async fn pull_text(&self, request: &PullRequest) -> Result<PullResponse<Box<RawValue>>, RemoteError> {
        self.send(self.authorised(self.http.post(format!("{}/v1/pull", self.base))), request).await
    }

    /// Resolves a conflict on the server; the chosen values become a logged change
    /// that every desk pulls.
    pub async fn resolve_conflict(&self, id: Uuid, choice: &ResolutionChoice) -> Result<(), RemoteError> {
        let url = format!("{}/v1/conflicts/{id}/resolve", self.base);
        let _: serde_json::Value = self.send(self.authorised(self.http.post(url)), choice).await?;
        Ok(())
    }

    /// The property's open conflicts, as the server has them.
    pub async fn open_conflicts(&self) -> Result<Vec<Conflict>, RemoteError> {
        let response = self.authorised(self.http.get(format!("{}/v1/conflicts?status=open", self.base))).send().await;
        let response = check(response.map_err(network)?).await?;
        let bytes = response.bytes().await.map_err(network)?;
        #[derive(serde::Deserialize)]
        struct ConflictList {
            conflicts: Vec<Conflict>,
        }
        let list: ConflictList =
            serde_json::from_slice(&bytes).map_err(|err| RemoteError::Protocol(err.to_string()))?;
        Ok(list.conflicts)
    }

    /// Every version of a record as the server's change log holds it (redacted for
    /// the signed-in role).
    pub async fn record_history(&self, entity: EntityKind, id: Uuid) -> Result<RecordHistory, RemoteError> {
        let url = format!("{}/v1/records/{}/{id}/history", self.base, entity.as_str());
        let response = self.authorised(self.http.get(url)).timeout(Duration::from_secs(10)).send().await;
        let response = check(response.map_err(network)?).await?;
        let bytes = response.bytes().await.map_err(network)?;
        serde_json::from_slice(&bytes).map_err(|err| RemoteError::Protocol(err.to_string()))
    }

    /// Opens the server's live stream: one item per change-log growth of the
    /// property (the sequence number reached). It ends when the connection does.
    pub async fn live(&self) -> Result<impl Stream<Item = Result<u64, RemoteError>> + use<>, RemoteError> {
        let response = self
            .authorised(self.http.get(format!("{}/v1/live", self.base)))
            // A live stream stays open: only connecting is bounded.
            .timeout(Duration::from_secs(24 * 3_600))
            .send()
            .await
            .map_err(network)?;
        let events = check(response).await?.bytes_stream().eventsource();
        Ok(events.filter_map(|event| {
            std::future::ready(match event {
                Ok(event) if event.event == "change" => {
                    #[derive(serde::Deserialize)]
                    struct Notice {
                        seq: u64,
                    }
                    Some(
                        serde_json::from_str::<Notice>(&event.data)
                            .map(|notice| notice.seq)
                            .map_err(|err| RemoteError::Protocol(err.to_string())),
                    )
                }
                Ok(_) => None,
                Err(err) => Some(Err(RemoteError::Network(err.to_string()))),
            })
        }))
    }

    fn authorised(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn send<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        body: &B,
    ) -> Result<T, RemoteError> {
        let response = request.json(body).send().await.map_err(network)?;
        let response = check(response).await?;
        let bytes = response.bytes().await.map_err(network)?;
        serde_json::from_slice(&bytes).map_err(|err| RemoteError::Protocol(err.to_string()))
    }
}

fn network(err: reqwest::Error) -> RemoteError {
    if err.is_decode() {
        RemoteError::Protocol(err.to_string())
    } else {
        RemoteError::Network(err.without_url().to_string())
    }
}

/// Sorts a non-success answer into a [`RemoteError`].
async fn check(response: reqwest::Response) -> Result<reqwest::Response, RemoteError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.bytes().await.unwrap_or_default();
    let ApiError { code, message } = serde_json::from_slice(&body).unwrap_or_else(|_| ApiError {
        code: format!("http_{}", status.as_u16()),
        message: String::from_utf8_lossy(&body).chars().take(200).collect(),
    });
    Err(match status {
        StatusCode::UNAUTHORIZED => RemoteError::Auth { code, message },
        // Not a busy server to retry (nor to sign in offline past): the account or the
        // desk is locked after wrong passwords, and the message says for how long.
        StatusCode::TOO_MANY_REQUESTS if code == SIGN_IN_LOCKED => RemoteError::Refused { code, message },
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => RemoteError::Server(message),
        status if status.is_server_error() => RemoteError::Server(format!("{code}: {message}")),
        _ => RemoteError::Refused { code, message },
    })
}
