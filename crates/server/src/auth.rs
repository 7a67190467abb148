//! Who is calling: device enrollment, staff sign-in, session tokens, and the admin
//! actions of the CLI that set them up.
//!
//! Secrets that are random (device secrets, enrollment codes, session tokens) are
//! stored as SHA-256 digests: they carry 128+ bits of entropy, so a slow hash would
//! only add latency to every request. Staff passwords, which people choose, are
//! hashed with argon2id.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;
use sync_core::EntityKind;
use sync_core::domain::Role;
use sync_core::protocol::{DEVICE_HEADER, EnrollRequest, Enrollment, SignInRequest, SignedIn, UserInfo};
use uuid::Uuid;

use crate::AppState;
use crate::admin::{self, AdminTx};
use crate::error::AppError;
use crate::store::{Store, millis};

/// Hex of SHA-256 of `secret`.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// 256 random bits as hex.
pub fn random_secret() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// A code a person types: 12 characters without look-alikes, in groups of four.
pub fn random_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = rand::random::<[u8; 12]>();
    let chars: Vec<char> = bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")
}

/// Normalises a typed code: case and separators do not matter.
fn normalise_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// An argon2id PHC string of `password`.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|err| AppError::internal(format_args!("password salt: {err}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| AppError::internal(format_args!("password hashing: {err}")))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// The wire name of a role.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Manager => "manager",
        Role::FrontDesk => "front_desk",
        Role::Housekeeping => "housekeeping",
        Role::Maintenance => "maintenance",
    }
}

/// A role from its wire name.
pub fn parse_role(name: &str) -> Option<Role> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

// ---- admin actions (CLI) -----------------------------------------------------------

/// Why an admin action failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("no property has the code `{0}`")]
    UnknownProperty(String),
    #[error("{0}")]
    Database(#[from] sqlx::Error),
}

impl From<AppError> for AdminError {
    fn from(err: AppError) -> Self {
        AdminError::Invalid(err.message)
    }
}

fn unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Creates a property; returns its id.
pub async fn create_property(
    store: &Store,
    code: &str,
    name: &str,
    timezone: &str,
    currency: &str,
    now: DateTime<Utc>,
) -> Result<Uuid, AdminError> {
    if code.is_empty() || code.len() > 16 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(AdminError::Invalid("the code must be 1 to 16 letters, digits or dashes".into()));
    }
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AdminError::Invalid("the currency must be an ISO 4217 code like EUR".into()));
    }
    if name.trim().is_empty() || timezone.trim().is_empty() {
        return Err(AdminError::Invalid("the name and the time zone must not be empty".into()));
    }
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        return Err(AdminError::Invalid(format!(
            "`{timezone}` is not an IANA time zone (like Europe/Lisbon): the property's \"today\" depends on it"
        )));
    }
    let id = Uuid::now_v7();
    let mut write = store.begin_write().await?;
    let result = sqlx::query(
        "INSERT INTO properties (id, code, name, timezone, currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_string())
    .bind(code)
    .bind(name)
    .bind(timezone)
    .bind(currency)
    .bind(millis(now))
    .execute(&mut *write.tx)
    .await;
    match result {
        Ok(_) => {}
        Err(err) if unique_violation(&err) => {
            return Err(AdminError::Invalid(format!("a property with code `{code}` exists")));
        }
        Err(err) => return Err(err.into()),
    }
    // The property reaches devices as a record too.
    let mut tx = AdminTx::within(write, store, id, now).await?;
    tx.upsert(EntityKind::Property, id, admin::property_fields(code, name, timezone, currency)).await?;
    tx.commit(crate::live::DEFAULT_CHANNEL).await?;
    Ok(id)
}

async fn property_id(store: &Store, code: &str) -> Result<Uuid, AdminError> {
    let row = sqlx::query("SELECT id FROM properties WHERE code = $1")
        .bind(code)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| AdminError::UnknownProperty(code.to_owned()))?;
    let id: String = row.try_get("id")?;
    Uuid::parse_str(&id).map_err(|err| AdminError::Invalid(format!("stored property id: {err}")))
}

/// A new staff member.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub property_code: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub password: &'a str,
}

/// Creates a staff user; returns their id.
pub async fn create_user(store: &Store, user: &NewUser<'_>, now: DateTime<Utc>) -> Result<Uuid, AdminError> {
    let property = property_id(store, user.property_code).await?;
    if user.username.is_empty() || user.username.len() > 64 {
        return Err(AdminError::Invalid("the username must be 1 to 64 characters".into()));
    }
    if user.password.chars().count() < 8 {
        return Err(AdminError::Invalid("the password must have at least 8 characters".into()));
    }
    let hash = hash_password(user.password)?;
    let id = Uuid::now_v7();
    let mut write = store.begin_write().await?;
    let result = sqlx::query(
        "INSERT INTO staff_users (id, property_id, username, display_name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id.to_string())
    .bind(property.to_string())
    .bind(user.username)
    .bind(user.display_name)
    .bind(role_name(user.role))
    .bind(hash)
    .bind(millis(now))
    .execute(&mut *write.tx)
    .await;
    match result {
        Ok(_) => {}
        Err(err) if unique_violation(&err) => {
            return Err(AdminError::Invalid(format!("the property already has a user `{}`", user.username)));
        }
        Err(err) => return Err(err.into()),
    }
    // The staff list reaches devices as records (without the password hash).
    let mut tx = AdminTx::within(write, store, property, now).await?;
    let record = admin::staff_fields(user.username, user.display_name, role_name(user.role), true);
    tx.upsert(EntityKind::StaffUser, id, record).await?;
    tx.commit(crate::live::DEFAULT_CHANNEL).await?;
    Ok(id)
}

/// Makes a one-time enrollment code for a device of the property, valid `ttl`.
pub async fn create_enrollment_code(
    store: &Store,
    property_code: &str,
    ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    new_enrollment_code(store, property_code, ttl, false, now).await
}

/// Makes a property-wide enrollment code for a rollout: it enrolls any number of
/// devices (a provisioning file on a desk image) until it expires or
/// [`revoke_enrollment_code`] withdraws it.
pub async fn create_rollout_code(
    store: &Store,
    property_code: &str,
    ttl: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    new_enrollment_code(store, property_code, ttl, true, now).await
}

async fn new_enrollment_code(
    store: &Store,
    property_code: &str,
    ttl: chrono::Duration,
    reusable: bool,
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    let property = property_id(store, property_code).await?;
    let code = random_code();
    sqlx::query(
        "INSERT INTO enrollment_codes (code_hash, property_id, expires_at, created_at, reusable) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest(&normalise_code(&code)))
    .bind(property.to_string())
    .bind(millis(now + ttl))
    .bind(millis(now))
    .bind(i64::from(reusable))
    .execute(store.pool())
    .await?;
    Ok(code)
}

/// Withdraws an enrollment code of the property (a provisioning file that leaked,
/// a rollout that is over): no device enrolls with it any more. Devices it already
/// enrolled keep working (revoke them one by one with [`revoke_device`]).
pub async fn revoke_enrollment_code(store: &Store, property_code: &str, code: &str) -> Result<(), AdminError> {
    let property = property_id(store, property_code).await?;
    let done = sqlx::query("UPDATE enrollment_codes SET revoked = 1 WHERE code_hash = $1 AND property_id = $2")
        .bind(digest(&normalise_code(code)))
        .bind(property.to_string())
        .execute(store.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AdminError::Invalid(format!("property {property_code} has no enrollment code `{}`", code.trim())));
    }
    Ok(())
}

/// One enrolled device of a property, as the admin lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub id: Uuid,
    pub name: String,
    /// The prefix of its provisional confirmation numbers.
    pub prefix: String,
    pub enrolled_at: DateTime<Utc>,
    pub revoked: bool,
    /// Revoked with `--wipe`: told to erase its local data at its next request.
    pub wipe: bool,
}

/// The property's devices, in the order they enrolled.
pub async fn list_devices(store: &Store, property_code: &str) -> Result<Vec<DeviceInfo>, AdminError> {
    let property = property_id(store, property_code).await?;
    let rows = sqlx::query(
        "SELECT id, name, prefix, enrolled_at, revoked, wipe FROM devices WHERE property_id = $1 ORDER BY enrolled_at, id",
    )
    .bind(property.to_string())
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            Ok(DeviceInfo {
                id: Uuid::parse_str(&id).map_err(|err| AdminError::Invalid(format!("stored device id: {err}")))?,
                name: row.try_get("name")?,
                prefix: row.try_get("prefix")?,
                enrolled_at: DateTime::from_timestamp_millis(row.try_get("enrolled_at")?).unwrap_or_default(),
                revoked: row.try_get::<i64, _>("revoked")? != 0,
                wipe: row.try_get::<i64, _>("wipe")? != 0,
            })
        })
        .collect()
}

/// Revokes a device of the property, named by id or by its name (a lost tablet, a
/// replaced PC): its credential and every session signed in on it stop working at
/// their next request, and the other desks see it revoked. With `wipe`, that next
/// request is answered `device_wiped` and the desk erases its local copy of the
/// hotel's data (changes it had not synced included: meant for a device in the
/// wrong hands) and shows the enrollment screen. Re-enrolling the machine takes a
/// new enrollment code and makes a new device.
pub async fn revoke_device(
    store: &Store,
    property_code: &str,
    device: &str,
    wipe: bool,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<DeviceInfo, AdminError> {
    let devices = list_devices(store, property_code).await?;
    let wanted = device.trim();
    let matching: Vec<&DeviceInfo> = devices
        .iter()
        .filter(|d| Uuid::parse_str(wanted).is_ok_and(|id| id == d.id) || d.name.eq_ignore_ascii_case(wanted))
        .collect();
    let found = match matching.as_slice() {
        [one] => (*one).clone(),
        [] => {
            let known: Vec<String> = devices.iter().map(|d| format!("{} ({})", d.name, d.id)).collect();
            let known = if known.is_empty() { "none is enrolled".to_owned() } else { known.join(", ") };
            return Err(AdminError::Invalid(format!(
                "property {property_code} has no device `{wanted}`; its devices: {known}"
            )));
        }
        several => {
            return Err(AdminError::Invalid(format!(
                "{} devices are named `{wanted}`: name one by its id ({})",
                several.len(),
                several.iter().map(|d| d.id.to_string()).collect::<Vec<_>>().join(", ")
            )));
        }
    };
    let property = property_id(store, property_code).await?;
    let mut tx = AdminTx::begin(store, property, now).await?;
    let set = if wipe { "SET revoked = 1, wipe = 1" } else { "SET revoked = 1" };
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE devices {set} WHERE id = $1 AND property_id = $2")))
        .bind(found.id.to_string())
        .bind(property.to_string())
        .execute(tx.conn())
        .await?;
    sqlx::query("UPDATE sessions SET revoked = 1 WHERE device_id = $1")
        .bind(found.id.to_string())
        .execute(tx.conn())
        .await?;
    tx.upsert(EntityKind::Device, found.id, admin::device_fields(&found.name, &found.prefix, true)).await?;
    tx.commit(channel).await?;
    Ok(DeviceInfo { revoked: true, wipe: wipe || found.wipe, ..found })
}

// ---- enrollment and sessions (API) ---------------------------------------------------

fn random_prefix() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    rand::random::<[u8; 3]>().iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect()
}

/// Enrolls a device with a one-time code.
pub async fn enroll(store: &Store, request: &EnrollRequest, now: DateTime<Utc>) -> Result<Enrollment, AppError> {
    let name = request.device_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::unprocessable("invalid_body", "device_name must be 1 to 100 characters"));
    }
    let bad_code = || {
        AppError::unauthorized(
            "bad_enrollment_code",
            "the enrollment code is unknown, used, expired or withdrawn: ask for a new one",
        )
    };
    let mut write = store.begin_write().await?;
    // Claimed by one conditional UPDATE, so two devices racing with one code cannot
    // both get it (the second finds it used).
    let row = sqlx::query(
        "UPDATE enrollment_codes SET used_at = $1 WHERE code_hash = $2 AND (used_at IS NULL OR reusable = 1) \
         AND revoked = 0 AND expires_at > $1 RETURNING property_id",
    )
    .bind(millis(now))
    .bind(digest(&normalise_code(&request.code)))
    .fetch_optional(&mut *write.tx)
    .await?
    .ok_or_else(bad_code)?;
    let property: String = row.try_get("property_id")?;
    let device_id = Uuid::now_v7();
    let secret = random_secret();
    let mut prefix = random_prefix();
    for _ in 0..20 {
        let taken = sqlx::query("SELECT 1 AS taken FROM devices WHERE property_id = $1 AND prefix = $2")
            .bind(&property)
            .bind(&prefix)
            .fetch_optional(&mut *write.tx)
            .await?
            .is_some();
        if !taken {
            break;
        }
        prefix = random_prefix();
    }
    sqlx::query(
        "INSERT INTO devices (id, property_id, name, prefix, credential_hash, enrolled_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(device_id.to_string())
    .bind(&property)
    .bind(name)
    .bind(&prefix)
    .bind(digest(&secret))
    .bind(millis(now))
    .execute(&mut *write.tx)
    .await?;
    sqlx::query("UPDATE enrollment_codes SET device_id = $1 WHERE code_hash = $2")
        .bind(device_id.to_string())
        .bind(digest(&normalise_code(&request.code)))
        .execute(&mut *write.tx)
        .await?;
    let property_id = Uuid::parse_str(&property).map_err(AppError::internal)?;
    // The device reaches the property's devices as a record (without its secret).
    let mut tx = AdminTx::within(write, store, property_id, now).await?;
    tx.upsert(EntityKind::Device, device_id, admin::device_fields(name, &prefix, false)).await.map_err(
        |err| match err {
            AdminError::Database(err) => AppError::from(err),
            other => AppError::internal(other),
        },
    )?;
    let property_name: String = sqlx::query("SELECT name FROM properties WHERE id = $1")
        .bind(property_id.to_string())
        .fetch_one(tx.conn())
        .await?
        .try_get("name")?;
    tx.commit(crate::live::DEFAULT_CHANNEL).await?;
    Ok(Enrollment { device_id, device_secret: secret, property_id, property_name, prefix })
}

/// The caller of a request made by an enrolled device itself, with its credential and
/// no member of staff (the app's update check, which runs before anyone signs in).
#[derive(Debug, Clone, Copy)]
pub struct DeviceCaller {
    pub device_id: Uuid,
    pub property_id: Uuid,
}

impl FromRequestParts<AppState> for DeviceCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (device_id, property_id) = authenticate_device(&state.store, &parts.headers).await?;
        state.limiter.check(device_id, &state.metrics)?;
        Ok(DeviceCaller { device_id, property_id })
    }
}

/// Checks the device credential header; returns `(device id, property id)`.
async fn authenticate_device(store: &Store, headers: &HeaderMap) -> Result<(Uuid, Uuid), AppError> {
    let missing = || {
        AppError::unauthorized(
            "missing_device",
            format!("send the device credential as `{DEVICE_HEADER}: <device id>:<secret>`"),
        )
    };
    let value = headers.get(DEVICE_HEADER).ok_or_else(missing)?.to_str().map_err(|_| missing())?;
    let (id, secret) = value.split_once(':').ok_or_else(missing)?;
    let bad = || AppError::unauthorized("bad_device", "the device is unknown, revoked or its secret is wrong");
    let id = Uuid::parse_str(id.trim()).map_err(|_| bad())?;
    let row = sqlx::query("SELECT property_id, credential_hash, revoked, wipe FROM devices WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(bad)?;
    let hash: String = row.try_get("credential_hash")?;
    let revoked: i64 = row.try_get("revoked")?;
    if hash != digest(secret.trim()) {
        return Err(bad());
    }
    if row.try_get::<i64, _>("wipe")? != 0 {
        return Err(wiped());
    }
    if revoked != 0 {
        return Err(bad());
    }
    let property: String = row.try_get("property_id")?;
    Ok((id, Uuid::parse_str(&property).map_err(AppError::internal)?))
}

/// The answer to a device an admin revoked with `--wipe`.
fn wiped() -> AppError {
    AppError::unauthorized(
        "device_wiped",
        "this device was removed from the property by its administrator: it must erase its local data",
    )
}

/// Signs a member of staff in on an enrolled device.
pub async fn sign_in(
    state: &AppState,
    headers: &HeaderMap,
    request: SignInRequest,
    now: DateTime<Utc>,
) -> Result<SignedIn, AppError> {
    let (device, property) = authenticate_device(&state.store, headers).await?;
    state.limiter.check(device, &state.metrics)?;
    let guard = &state.sign_in_guard;
    guard.check(device, property, &request.username, now, &state.metrics)?;
    let bad = || {
        guard.failed(device, property, &request.username, now);
        AppError::unauthorized("bad_credentials", "the username or the password is wrong")
    };
    let row = sqlx::query(
        "SELECT id, display_name, role, password_hash FROM staff_users \
         WHERE property_id = $1 AND username = $2 AND active = 1",
    )
    .bind(property.to_string())
    .bind(&request.username)
    .fetch_optional(state.store.pool())
    .await?;
    let Some(row) = row else {
        // Spend the time of a verification anyway, so timing does not tell which
        // usernames exist.
        let password = request.password.clone();
        let _ = tokio::task::spawn_blocking(move || verify_password(&password, DUMMY_HASH)).await;
        return Err(bad());
    };
    let hash: String = row.try_get("password_hash")?;
    let password = request.password.clone();
    let ok =
        tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.map_err(AppError::internal)?;
    if !ok {
        return Err(bad());
    }
    guard.succeeded(property, &request.username);
    let user_id: String = row.try_get("id")?;
    let display_name: String = row.try_get("display_name")?;
    let role: String = row.try_get("role")?;
    let role = parse_role(&role).ok_or_else(|| AppError::internal(format_args!("stored role `{role}`")))?;
    let token = random_secret();
    let expires_at = now + state.config.session_ttl;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, device_id, property_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(digest(&token))
    .bind(&user_id)
    .bind(device.to_string())
    .bind(property.to_string())
    .bind(millis(expires_at))
    .bind(millis(now))
    .execute(state.store.pool())
    .await?;
    Ok(SignedIn {
        token,
        expires_at,
        user: UserInfo {
            id: Uuid::parse_str(&user_id).map_err(AppError::internal)?,
            username: request.username,
            display_name,
        },
        role,
    })
}

/// A valid argon2id hash of a password nobody has, for constant-time misses.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jb3cRAj2OZ29UmYT8nT3yjCS0Ngxtn2VNQX4TJ0rJcI";

/// The caller of an authenticated request: a signed-in member of staff on an
/// enrolled device of one property. Every query of the request is scoped to it.
#[derive(Debug, Clone)]
pub struct Session {
    pub token_hash: String,
    pub user_id: Uuid,
    pub device_id: Uuid,
    pub property_id: Uuid,
    pub role: Role,
    /// When the session ends (a live stream closes then).
    pub expires_at: DateTime<Utc>,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let missing = || {
            AppError::unauthorized(
                "missing_token",
                "sign in and send the session token as `Authorization: Bearer <token>`",
            )
        };
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(missing)?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(missing)?;
        let session = session_of(state, digest(token)).await?;
        state.limiter.check(session.device_id, &state.metrics)?;
        Ok(session)
    }
}

/// The session of a token (by its digest) if it still holds: not expired, not signed
/// out, its user active, its device neither revoked nor wiped. A request checks it
/// once; a live stream checks it again as it runs.
pub async fn session_of(state: &AppState, token_hash: String) -> Result<Session, AppError> {
    let row = sqlx::query(
        "SELECT s.user_id, s.device_id, s.property_id, s.expires_at, s.revoked, u.role, u.active, d.revoked AS device_revoked, d.wipe \
         FROM sessions s JOIN staff_users u ON u.id = s.user_id JOIN devices d ON d.id = s.device_id \
         WHERE s.token_hash = $1",
    )
    .bind(&token_hash)
    .fetch_optional(state.store.pool())
    .await?
    .ok_or_else(|| AppError::unauthorized("invalid_token", "the session token is unknown: sign in again"))?;
    if row.try_get::<i64, _>("wipe")? != 0 {
        return Err(wiped());
    }
    let expires_at: i64 = row.try_get("expires_at")?;
    if expires_at <= millis((state.now)()) {
        return Err(AppError::unauthorized("expired_token", "the session has expired: sign in again"));
    }
    let revoked = row.try_get::<i64, _>("revoked")? != 0
        || row.try_get::<i64, _>("device_revoked")? != 0
        || row.try_get::<i64, _>("active")? == 0;
    if revoked {
        return Err(AppError::unauthorized("revoked_token", "the session was signed out or revoked: sign in again"));
    }
    let uuid = |column: &str| -> Result<Uuid, AppError> {
        let text: String = row.try_get(column)?;
        Uuid::parse_str(&text).map_err(AppError::internal)
    };
    let role: String = row.try_get("role")?;
    Ok(Session {
        user_id: uuid("user_id")?,
        device_id: uuid("device_id")?,
        property_id: uuid("property_id")?,
        role: parse_role(&role).ok_or_else(|| AppError::internal(format_args!("stored role `{role}`")))?,
        expires_at: DateTime::from_timestamp_millis(expires_at).unwrap_or_default(),
        token_hash,
    })
}

/// Revokes the caller's session; its live streams on this process end now (on other
/// processes, at their next check of the session).
pub async fn sign_out(state: &AppState, session: &Session) -> Result<(), AppError> {
    sqlx::query("UPDATE sessions SET revoked = 1 WHERE token_hash = $1")
        .bind(&session.token_hash)
        .execute(state.store.pool())
        .await?;
    state.live.signed_out(&session.token_hash);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(verify_password("correct horse", &hash), "the password it was made from");
        assert!(!verify_password("wrong horse", &hash), "another password");
        assert!(!verify_password("correct horse", "not a hash"), "garbage never verifies");
        assert!(PasswordHash::new(DUMMY_HASH).is_ok(), "the dummy hash must parse so misses cost a verification");
    }

    #[test]
    fn codes_are_typed_loosely_and_secrets_are_long() {
        let code = random_code();
        assert_eq!(code.len(), 14, "three groups of four with two dashes: {code}");
        assert_eq!(normalise_code(&code.to_lowercase().replace('-', " ")), normalise_code(&code));
        assert_eq!(random_secret().len(), 64, "256 bits in hex");
        assert!(sync_core::ids::is_device_prefix(&random_prefix()), "a prefix valid for confirmation numbers");
    }
}
