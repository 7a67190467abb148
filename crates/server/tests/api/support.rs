//! The test harness: the real server on port 0 over a temp-dir SQLite file, and
//! devices that enroll, sign in, push and pull over real HTTP.

use std::collections::BTreeMap;

use chrono::Utc;
use frontdesk_server::auth::{self, NewUser};
use frontdesk_server::store::Backend;
use frontdesk_server::{AppState, Config, Store};
use serde_json::{Value, json};
use sync_core::domain::Role;
use sync_core::protocol::{
    Change, Cursor, DEVICE_HEADER, Enrollment, FieldChange, Mutation, MutationResult, Operation, Outcome, PullResponse,
    PushResponse, SignedIn,
};
use sync_core::{Clock, EntityKind};
use tempfile::TempDir;
use tokio::sync::oneshot;
use uuid::Uuid;

/// A PostgreSQL server to test against, from `DATABASE_URL` (see
/// `scripts/test-postgres.sh`); without it the tests run on SQLite.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
}

/// A new empty database on the server of `admin` for one test, so tests run in
/// parallel without seeing each other's rows. The cluster is thrown away whole.
pub async fn fresh_postgres_database(admin: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!("fd_test_{}", Uuid::now_v7().simple());
    let pool = sqlx::AnyPool::connect(admin).await.expect("connect to DATABASE_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("create a test database");
    pool.close().await;
    let (scheme, rest) = admin.split_once("://").expect("a URL");
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let query = tail.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
    format!("{scheme}://{authority}/{name}{query}")
}

/// The password of every test user.
pub const PASSWORD: &str = "correct horse battery";

/// A running server with two properties: `P1` (manager, desk, desk2, house) and
/// `P2` (boss).
pub struct Server {
    pub base: String,
    pub store: Store,
    /// The database URL, for a second server process on the same database.
    pub database_url: String,
    stop: Option<oneshot::Sender<()>>,
    _dir: TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Server {
    pub async fn start() -> Server {
        Self::start_with(Config::default()).await
    }

    /// A server with other limits than the defaults.
    pub async fn start_with(config: Config) -> Server {
        let dir = tempfile::tempdir().expect("a temp dir for the database");
        let (url, backend) = match postgres_admin_url() {
            Some(admin) => (fresh_postgres_database(&admin).await, Backend::Postgres),
            None => (format!("sqlite://{}", dir.path().join("frontdesk.sqlite3").display()), Backend::Sqlite),
        };
        let store = Store::open(&url).await.expect("the store opens and migrates");
        assert_eq!(store.backend(), backend, "the tests run on the backend they were asked for");
        let now = Utc::now();
        for (code, users) in [
            (
                "P1",
                &[
                    ("manager", Role::Manager),
                    ("desk", Role::FrontDesk),
                    ("desk2", Role::FrontDesk),
                    ("house", Role::Housekeeping),
                ][..],
            ),
            ("P2", &[("boss", Role::Manager)][..]),
        ] {
            auth::create_property(&store, code, &format!("Hotel {code}"), "Europe/Lisbon", "EUR", now)
                .await
                .expect("property created");
            for (username, role) in users {
                let user =
                    NewUser { property_code: code, username, display_name: username, role: *role, password: PASSWORD };
                auth::create_user(&store, &user, now).await.expect("user created");
            }
        }
        let (base, stop) = serve(store.clone(), config).await;
        Server { base, store, database_url: url, stop: Some(stop), _dir: dir }
    }

    /// Stops the server and starts a new one (a fresh process: new clock, new
    /// fan-out) on the same database, with the wall clock `now`; devices must move
    /// to the new [`Server::base`].
    pub async fn restart(&mut self, config: Config, now: fn() -> chrono::DateTime<Utc>) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let mut state = AppState::new(self.store.clone(), config);
        state.now = now;
        let (base, stop) = serve_state(state).await;
        self.base = base;
        self.stop = Some(stop);
    }

    /// Another server on the same database, as a second process behind a load
    /// balancer would be (its own store, clock and live fan-out).
    pub async fn second_instance(&self, config: Config) -> Instance {
        let store = Store::open(&self.database_url).await.expect("the second store opens");
        let (base, stop) = serve(store, config).await;
        Instance { base, stop: Some(stop) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Enrolls a new device to `property` and signs `username` in on it.
    pub async fn device(&self, property: &str, username: &str) -> Device {
        let http = reqwest::Client::new();
        let code = auth::create_enrollment_code(&self.store, property, chrono::Duration::hours(1), Utc::now())
            .await
            .expect("enrollment code");
        let response = http
            .post(self.url("/v1/enroll"))
            .json(&json!({"code": code, "device_name": format!("{username}'s PC")}))
            .send()
            .await
            .expect("enroll request");
        assert_eq!(response.status(), 200, "a fresh code enrolls a device");
        let enrollment: Enrollment = response.json().await.expect("enrollment body");
        let response = http
            .post(self.url("/v1/sessions"))
            .header(DEVICE_HEADER, format!("{}:{}", enrollment.device_id, enrollment.device_secret))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .expect("sign-in request");
        assert_eq!(response.status(), 200, "the right password signs {username} in");
        let session: SignedIn = response.json().await.expect("session body");
        Device {
            base: self.base.clone(),
            clock: Clock::new(enrollment.device_id),
            http,
            enrollment,
            session,
            counter: 0,
        }
    }

    /// Rows of a table, to check what a request wrote (or did not).
    pub async fn count(&self, table: &str) -> i64 {
        // Records of the property directory (property, staff, devices) are written
        // by the admin path and enrollment; counts are of the hotel's data.
        let sql = match table {
            "records" => "SELECT COUNT(*) AS n FROM records WHERE entity NOT IN ('property', 'staff_user', 'device')",
            "change_log" => {
                "SELECT COUNT(*) AS n FROM change_log WHERE entity NOT IN ('property', 'staff_user', 'device')"
            }
            "applied_mutations" => "SELECT COUNT(*) AS n FROM applied_mutations",
            "conflicts" => "SELECT COUNT(*) AS n FROM conflicts",
            other => panic!("no count for table {other}"),
        };
        use sqlx::Row;
        sqlx::query(sql).fetch_one(self.store.pool()).await.expect("count query").try_get("n").expect("count column")
    }
}

/// Serves `store` on a fresh port; returns the base URL and the stop switch.
async fn serve(store: Store, config: Config) -> (String, oneshot::Sender<()>) {
    serve_state(AppState::new(store, config)).await
}

async fn serve_state(state: AppState) -> (String, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready, listening) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        let _ = ready.send(());
        frontdesk_server::serve(listener, state, shutdown).await.expect("the server runs");
    });
    let _ = listening.await;
    (base, stop)
}

/// A second server process on a [`Server`]'s database.
pub struct Instance {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// An enrolled device with a signed-in member of staff.
pub struct Device {
    pub base: String,
    pub http: reqwest::Client,
    pub enrollment: Enrollment,
    pub session: SignedIn,
    pub clock: Clock,
    counter: u64,
}

impl Device {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn property(&self) -> Uuid {
        self.enrollment.property_id
    }

    pub fn token(&self) -> &str {
        &self.session.token
    }

    /// A mutation of this device's user with base/value pairs.
    pub fn mutation(
        &mut self,
        entity: EntityKind,
        record_id: Uuid,
        op: Operation,
        base_version: Option<u64>,
        changes: &[(&str, Value, Value)],
    ) -> Mutation {
        self.counter += 1;
        let now_ms = u64::try_from(Utc::now().timestamp_millis()).expect("after 1970");
        Mutation {
            id: Uuid::now_v7(),
            idempotency_key: format!("{}-{}", self.enrollment.device_id, self.counter),
            entity,
            record_id,
            op,
            base_version,
            changes: changes
                .iter()
                .map(|(field, base, value)| {
                    ((*field).to_owned(), FieldChange { base: base.clone(), value: value.clone() })
                })
                .collect::<BTreeMap<_, _>>(),
            hlc: self.clock.tick(now_ms),
            device_id: self.enrollment.device_id,
            user_id: self.session.user.id,
        }
    }

    /// An insert of a new record with `fields` (an object).
    pub fn insert(&mut self, entity: EntityKind, id: Uuid, fields: Value) -> Mutation {
        let Value::Object(fields) = fields else {
            panic!("insert fields must be an object");
        };
        let changes: Vec<(&str, Value, Value)> =
            fields.iter().map(|(k, v)| (k.as_str(), Value::Null, v.clone())).collect();
        self.mutation(entity, id, Operation::Insert, None, &changes)
    }

    /// An update of fields from the values the device last saw.
    pub fn update(
        &mut self,
        entity: EntityKind,
        id: Uuid,
        base_version: u64,
        changes: &[(&str, Value, Value)],
    ) -> Mutation {
        self.mutation(entity, id, Operation::Update, Some(base_version), changes)
    }

    /// A sign-in on this device with its credential: the raw answer.
    pub async fn sign_in(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/v1/sessions"))
            .header(DEVICE_HEADER, format!("{}:{}", self.enrollment.device_id, self.enrollment.device_secret))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("sign-in request")
    }

    /// A GET with this device's session.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).bearer_auth(self.token()).send().await.expect("GET request")
    }

    /// A POST of JSON with this device's session.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http.post(self.url(path)).bearer_auth(self.token()).json(body).send().await.expect("POST request")
    }

    /// Opens the live stream on `base` (this device's server, or another instance).
    pub async fn live_on(&self, base: &str) -> LiveStream {
        let response =
            self.http.get(format!("{base}/v1/live")).bearer_auth(self.token()).send().await.expect("live request");
        assert_eq!(response.status(), 200, "a signed-in device opens the live stream");
        assert_eq!(
            response.headers().get("content-type").and_then(|v| v.to_str().ok()),
            Some("text/event-stream"),
            "the live stream is server-sent events"
        );
        LiveStream { response, buffer: String::new() }
    }

    pub async fn push_raw(&self, body: &Value) -> reqwest::Response {
        self.http.post(self.url("/v1/push")).bearer_auth(self.token()).json(body).send().await.expect("push request")
    }

    pub async fn push(&self, mutations: &[Mutation]) -> PushResponse {
        let response = self.push_raw(&json!({"protocol": 1, "mutations": mutations})).await;
        let status = response.status();
        let text = response.text().await.expect("push body");
        assert_eq!(status, 200, "a well-formed push is answered per mutation: {text}");
        serde_json::from_str(&text).expect("a push response")
    }

    /// Pushes one mutation and returns its result.
    pub async fn push_one(&self, mutation: Mutation) -> MutationResult {
        let mut response = self.push(&[mutation]).await;
        assert_eq!(response.results.len(), 1, "one result per mutation");
        response.results.remove(0)
    }

    pub async fn pull_raw(&self, body: &Value) -> reqwest::Response {
        self.http.post(self.url("/v1/pull")).bearer_auth(self.token()).json(body).send().await.expect("pull request")
    }

    pub async fn pull(&self, cursor: Option<Cursor>, limit: Option<u32>) -> PullResponse {
        let response = self.pull_raw(&json!({"protocol": 1, "cursor": cursor, "limit": limit})).await;
        let status = response.status();
        let text = response.text().await.expect("pull body");
        assert_eq!(status, 200, "a pull with a valid cursor succeeds: {text}");
        serde_json::from_str(&text).expect("a pull response")
    }

    /// Every change of the hotel's data visible to this device (the directory of
    /// property, staff and devices left out), following `has_more`.
    pub async fn pull_all(&self) -> Vec<Change> {
        self.pull_everything().await.into_iter().filter(|c| !is_directory(c.entity)).collect()
    }

    /// The cursor at the end of the log now (to page through what comes after).
    pub async fn cursor_now(&self) -> Cursor {
        let mut cursor = None;
        loop {
            let page = self.pull(cursor, Some(1000)).await;
            cursor = Some(page.cursor);
            if !page.has_more {
                return page.cursor;
            }
        }
    }

    /// Every change visible to this device, following `has_more`.
    pub async fn pull_everything(&self) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.pull(cursor, Some(100)).await;
            changes.extend(page.changes);
            cursor = Some(page.cursor);
            if !page.has_more {
                return changes;
            }
        }
    }
}

/// Asserts an outcome is applied (or merged) and returns the record's version.
pub fn version_of(result: &MutationResult, why: &str) -> u64 {
    match &result.outcome {
        Outcome::Applied { version } | Outcome::Merged { version, .. } => *version,
        other => panic!("{why}: expected the mutation applied, got {other:?}"),
    }
}

/// The rooms, type and guest most scenarios start from.
pub struct Hotel {
    pub room_type: Uuid,
    /// Rooms 305, 306, 307.
    pub rooms: [Uuid; 3],
    pub guest: Uuid,
}

/// The usual scene of a domain test: a server, P1's manager and a front-desk device
/// signed in, and the hotel the manager seeded.
pub struct Scene {
    pub server: Server,
    pub manager: Device,
    pub desk: Device,
    pub hotel: Hotel,
}

impl Scene {
    pub async fn new() -> Scene {
        let server = Server::start().await;
        let mut manager = server.device("P1", "manager").await;
        let desk = server.device("P1", "desk").await;
        let hotel = seed_hotel(&mut manager).await;
        Scene { server, manager, desk, hotel }
    }
}

/// Seeds a room type, three rooms and a guest through a manager's device.
pub async fn seed_hotel(manager: &mut Device) -> Hotel {
    let room_type = Uuid::now_v7();
    let rooms = [Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7()];
    let guest = Uuid::now_v7();
    let mut batch =
        vec![manager.insert(EntityKind::RoomType, room_type, json!({"code": "DBL", "name": "Double", "capacity": 2}))];
    for (id, number) in rooms.iter().zip(["305", "306", "307"]) {
        batch.push(manager.insert(
            EntityKind::Room,
            *id,
            json!({"number": number, "room_type_id": room_type, "floor": 3, "cleaning": "clean",
                   "occupancy": "vacant", "availability": "available"}),
        ));
    }
    batch.push(manager.insert(EntityKind::Guest, guest, guest_fields("Sarah", "Johnson", "sarah@example.org")));
    let response = manager.push(&batch).await;
    for result in &response.results {
        version_of(result, "seeding the hotel applies every record");
    }
    Hotel { room_type, rooms, guest }
}

pub fn guest_fields(first: &str, last: &str, email: &str) -> Value {
    json!({"first_name": first, "last_name": last, "email": email, "phone": "+351 210 000 000",
           "preferences": [], "notes": [], "tags": []})
}

pub fn reservation_fields(hotel: &Hotel, room: Uuid, arrival: &str, departure: &str, confirmation: &str) -> Value {
    json!({"confirmation": confirmation, "guest_id": hotel.guest, "guest_name": "Sarah Johnson",
           "room_type_id": hotel.room_type, "room_id": room, "arrival": arrival, "departure": departure,
           "adults": 2, "children": 0, "rate_code": "BAR", "source": "phone", "special_requests": [],
           "notes": [], "status": "confirmed"})
}

/// A live stream being read: server-sent events split at blank lines.
pub struct LiveStream {
    response: reqwest::Response,
    buffer: String,
}

/// One server-sent event, or a comment (`event` empty, `data` the comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

impl LiveStream {
    /// The next event or comment, if one comes within `within` (none at the end of
    /// the stream).
    pub async fn next(&mut self, within: std::time::Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent { event: String::new(), data: String::new() };
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event.event = name.trim().to_owned();
                    } else if let Some(data) = line.strip_prefix("data:") {
                        event.data = data.trim().to_owned();
                    } else if let Some(comment) = line.strip_prefix(':') {
                        event.data = comment.trim().to_owned();
                    }
                }
                return Some(event);
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await.ok()?;
            // The end of the stream is `None` too.
            let chunk = chunk.expect("the live stream reads")?;
            self.buffer.push_str(std::str::from_utf8(&chunk).expect("events are UTF-8"));
        }
    }

    /// The sequence of the next `change` event within `within`, skipping keep-alives.
    pub async fn next_change(&mut self, within: std::time::Duration) -> Option<u64> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next(left).await?;
            if event.event == "change" {
                let data: Value = serde_json::from_str(&event.data).expect("change data is JSON");
                return Some(data["seq"].as_u64().expect("a change carries its seq"));
            }
        }
    }
}

/// Whether the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    postgres_admin_url().is_some()
}

/// Whether records of `kind` are the property's directory (property, staff,
/// devices), written by the admin path rather than by the tests' pushes.
pub fn is_directory(kind: EntityKind) -> bool {
    matches!(kind, EntityKind::Property | EntityKind::StaffUser | EntityKind::Device)
}
