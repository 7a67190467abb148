//! The one error type that crosses from a command to the UI.
//!
//! It is serialised as `{ "code", "message", "field", "breach" }` (`field` and `breach`
//! are `null` when absent). Only the failures the UI acts on differently get their own
//! code, mirrored by `ERROR_CODES` in `ui/src/api.ts`; everything else is `internal`, with
//! the details logged on this side rather than shown at the desk.

use std::fmt;

use frontdesk_device::desk::DeskError;
use frontdesk_device::sync::RemoteError;
use frontdesk_device::sync::settings::InvalidSetting;
use serde::Serialize;
use sync_core::invariants::RuleBreach;

/// What went wrong, as a code the UI can branch on; mirrored by `ErrorCode` in `ui/src/api.ts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input is wrong; `field` names the input at fault when one is.
    InvalidInput,
    /// The record asked for does not exist on this device.
    NotFound,
    /// A rule of the hotel would be broken; `breach` says which when known.
    RuleBroken,
    /// The record can no longer be changed.
    ReadOnly,
    /// The signed-in user may not do this, or the credentials were wrong.
    NotAllowed,
    /// The stale-data policy blocks this operation until the desk syncs again.
    StaleBlocked,
    /// The desk is not enrolled with a server yet.
    NotEnrolled,
    /// Nobody is signed in.
    NotSignedIn,
    /// Too many wrong passwords locked the account or the desk; the message says for how long.
    SignInLocked,
    /// Syncing or resolving needs the server and it does not answer; local work goes on.
    ServerUnreachable,
    /// The local database failed.
    Storage,
    /// Anything the receptionist cannot fix.
    Internal,
}

impl ErrorCode {
    /// Every code, in the order of `ERROR_CODES` in `ui/src/api.ts`.
    pub const ALL: [ErrorCode; 12] = [
        Self::InvalidInput,
        Self::NotFound,
        Self::RuleBroken,
        Self::ReadOnly,
        Self::NotAllowed,
        Self::StaleBlocked,
        Self::NotEnrolled,
        Self::NotSignedIn,
        Self::SignInLocked,
        Self::ServerUnreachable,
        Self::Storage,
        Self::Internal,
    ];

    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::NotFound => "not_found",
            Self::RuleBroken => "rule_broken",
            Self::ReadOnly => "read_only",
            Self::NotAllowed => "not_allowed",
            Self::StaleBlocked => "stale_blocked",
            Self::NotEnrolled => "not_enrolled",
            Self::NotSignedIn => "not_signed_in",
            Self::SignInLocked => "sign_in_locked",
            Self::ServerUnreachable => "server_unreachable",
            Self::Storage => "storage",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error returned by a command to the UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// What happened, in words that can be shown to the receptionist.
    pub message: String,
    /// For `invalid_input`: the input field at fault, as the Rust input struct names it.
    pub field: Option<String>,
    /// For `rule_broken`: the broken rule, tagged by `rule`.
    pub breach: Option<RuleBreach>,
}

impl AppError {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None, breach: None }
    }

    /// The input `field` is wrong, as `message` says.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self { field: Some(field.to_owned()), ..Self::new(ErrorCode::InvalidInput, message) }
    }

    /// The request is wrong, described by `message`.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// The record described by `message` does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// A failure the receptionist cannot fix; the details are logged here.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    /// The stale-data policy blocks the operation, for the reason given.
    pub fn stale_blocked(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::StaleBlocked, message)
    }

    /// A failure of enrollment, naming the enroll screen's field at fault where one is.
    pub fn from_enrollment(err: DeskError) -> Self {
        match err {
            DeskError::Remote(RemoteError::Network(message)) => {
                Self::invalid_field("server_url", format!("The server cannot be reached at this address ({message})"))
            }
            DeskError::Remote(RemoteError::Refused { code, message }) if code == "invalid_server_address" => {
                Self::invalid_field("server_url", message)
            }
            DeskError::Remote(RemoteError::Auth { code, message } | RemoteError::Refused { code, message })
                if code.contains("enrollment") || code.contains("code") =>
            {
                Self::invalid_field("code", message)
            }
            DeskError::Remote(RemoteError::Refused { message, .. }) if message.to_lowercase().contains("name") => {
                Self::invalid_field("device_name", message)
            }
            DeskError::Remote(RemoteError::Refused { message, .. } | RemoteError::Auth { message, .. }) => {
                Self::invalid_input(message)
            }
            DeskError::AlreadyEnrolled(server) => {
                Self::invalid_input(format!("This desk is already enrolled with {server}"))
            }
            other => other.into(),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

impl From<frontdesk_device::Error> for AppError {
    fn from(err: frontdesk_device::Error) -> Self {
        use frontdesk_device::Error as E;
        let message = err.to_string();
        match err {
            E::InvalidInput { field, .. } => Self { field, ..Self::new(ErrorCode::InvalidInput, message) },
            E::NotFound(_) => Self::new(ErrorCode::NotFound, message),
            E::RuleBroken { breach, .. } => {
                Self { breach: breach.map(|b| *b), ..Self::new(ErrorCode::RuleBroken, message) }
            }
            E::ReadOnly(_) => Self::new(ErrorCode::ReadOnly, message),
            E::NotAllowed(_) => Self::new(ErrorCode::NotAllowed, message),
            E::Storage(_) => {
                tracing::error!("local store: {message}");
                Self::new(ErrorCode::Storage, message)
            }
        }
    }
}

impl From<DeskError> for AppError {
    fn from(err: DeskError) -> Self {
        let message = err.to_string();
        match err {
            DeskError::Store(err) => err.into(),
            DeskError::NotEnrolled | DeskError::Wiped => Self::new(ErrorCode::NotEnrolled, message),
            DeskError::NotSignedIn => Self::new(ErrorCode::NotSignedIn, message),
            DeskError::BadCredentials => Self::new(ErrorCode::NotAllowed, message),
            DeskError::SignInLocked(_) => Self::new(ErrorCode::SignInLocked, message),
            DeskError::AlreadyEnrolled(_) => Self::invalid_input(message),
            DeskError::StaleBlocked(message) => Self::stale_blocked(message),
            DeskError::ServerUnreachable(_) => Self::new(ErrorCode::ServerUnreachable, message),
            DeskError::Setting(err) => err.into(),
            DeskError::Remote(RemoteError::Auth { .. } | RemoteError::Refused { .. }) => {
                Self::new(ErrorCode::NotAllowed, message)
            }
            DeskError::NoOfflineLogin | DeskError::Remote(_) => {
                tracing::warn!("server: {message}");
                Self::internal(message)
            }
        }
    }
}

impl From<InvalidSetting> for AppError {
    fn from(err: InvalidSetting) -> Self {
        Self::invalid_field(&err.setting, err.message)
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use frontdesk_device::Error as DeviceError;
    use serde_json::json;
    use sync_core::invariants::FreeRoom;
    use uuid::Uuid;

    use super::*;

    fn wire(error: impl Into<AppError>) -> serde_json::Value {
        serde_json::to_value(error.into()).expect("AppError has only plain fields")
    }

    #[test]
    fn every_device_error_keeps_its_code_message_field_and_breach() {
        let room = Uuid::from_u128(7);
        let breach = RuleBreach::DoubleBooking {
            room_id: room,
            room_number: "301".into(),
            with: vec![Uuid::from_u128(9)],
            first_night: NaiveDate::from_ymd_opt(2026, 11, 23).expect("a day"),
            last_night: NaiveDate::from_ymd_opt(2026, 11, 24).expect("a day"),
            free_rooms: vec![FreeRoom { room_id: Uuid::from_u128(8), number: "302".into() }],
        };
        let cases = [
            (
                DeviceError::InvalidInput {
                    field: Some("departure".into()),
                    message: "Departure must be after arrival".into(),
                },
                json!({"code": "invalid_input", "message": "Departure must be after arrival", "field": "departure", "breach": null}),
            ),
            (
                DeviceError::InvalidInput { field: None, message: "Nothing to change".into() },
                json!({"code": "invalid_input", "message": "Nothing to change", "field": null, "breach": null}),
            ),
            (
                DeviceError::NotFound("The reservation was not found".into()),
                json!({"code": "not_found", "message": "The reservation was not found", "field": null, "breach": null}),
            ),
            (
                DeviceError::RuleBroken { message: "Room 301 is taken".into(), breach: Some(Box::new(breach.clone())) },
                json!({
                    "code": "rule_broken", "message": "Room 301 is taken", "field": null,
                    "breach": serde_json::to_value(&breach).expect("a breach serialises"),
                }),
            ),
            (
                DeviceError::ReadOnly("The stay is checked out".into()),
                json!({"code": "read_only", "message": "The stay is checked out", "field": null, "breach": null}),
            ),
            (
                DeviceError::NotAllowed("A housekeeping user may not post charges".into()),
                json!({"code": "not_allowed", "message": "A housekeeping user may not post charges", "field": null, "breach": null}),
            ),
            (
                DeviceError::Storage("disk full".into()),
                json!({"code": "storage", "message": "disk full", "field": null, "breach": null}),
            ),
        ];
        for (error, expected) in cases {
            let code = error.code();
            assert_eq!(wire(error), expected, "the UI reads code, message, field and breach of {code}");
        }
    }

    #[test]
    fn a_breach_crosses_tagged_by_rule() {
        let error = DeviceError::RuleBroken {
            message: "Settle the balance first".into(),
            breach: Some(Box::new(RuleBreach::CheckOutWithBalance {
                balance: [("EUR".to_owned(), 12_000)].into_iter().collect(),
            })),
        };
        let json = wire(error);
        assert_eq!(json["breach"]["rule"], "check_out_with_balance", "ui/src/api.ts switches on breach.rule");
        assert_eq!(json["breach"]["balance"]["EUR"], 12_000);
    }

    #[test]
    fn desk_errors_become_the_session_codes() {
        assert_eq!(wire(DeskError::NotEnrolled)["code"], "not_enrolled");
        assert_eq!(wire(DeskError::NotSignedIn)["code"], "not_signed_in");
        assert_eq!(wire(DeskError::BadCredentials)["code"], "not_allowed", "a wrong password is not_allowed");
        let locked =
            wire(DeskError::SignInLocked("Too many wrong passwords for this account: try again in 15 minutes".into()));
        assert_eq!(locked["code"], "sign_in_locked", "a locked account is its own code, not a wrong password");
        assert_eq!(locked["message"], "Too many wrong passwords for this account: try again in 15 minutes");
        let store = DeskError::Store(DeviceError::NotFound("gone".into()));
        assert_eq!(wire(store)["code"], "not_found", "a store error inside a desk error keeps its code");
    }

    #[test]
    fn enrollment_failures_name_the_field_at_fault() {
        let network = AppError::from_enrollment(DeskError::Remote(RemoteError::Network("refused".into())));
        assert_eq!(network.field.as_deref(), Some("server_url"));
        let bad_code = AppError::from_enrollment(DeskError::Remote(RemoteError::Auth {
            code: "bad_enrollment_code".into(),
            message: "The enrollment code is not valid".into(),
        }));
        assert_eq!((bad_code.code, bad_code.field.as_deref()), (ErrorCode::InvalidInput, Some("code")));
        let address = AppError::from_enrollment(DeskError::Remote(RemoteError::Refused {
            code: "invalid_server_address".into(),
            message: "not a server address".into(),
        }));
        assert_eq!(address.field.as_deref(), Some("server_url"));
    }

    #[test]
    fn an_invalid_setting_names_its_field() {
        let json = wire(InvalidSetting {
            setting: "pull_interval".into(),
            message: "must be between 1 second and 1 hour".into(),
        });
        assert_eq!(json["code"], "invalid_input");
        assert_eq!(json["field"], "pull_interval");
    }

    #[test]
    fn codes_are_snake_case_and_match_as_str_and_the_ui() {
        let ui = [
            "invalid_input",
            "not_found",
            "rule_broken",
            "read_only",
            "not_allowed",
            "stale_blocked",
            "not_enrolled",
            "not_signed_in",
            "sign_in_locked",
            "server_unreachable",
            "storage",
            "internal",
        ];
        for (code, wire) in ErrorCode::ALL.into_iter().zip(ui) {
            let json = serde_json::to_value(code).expect("a unit variant always serialises");
            assert_eq!(json, json!(wire), "ui/src/api.ts mirrors the wire name of {code:?}");
            assert_eq!(code.as_str(), wire, "Display and serde must agree for {code:?}");
        }
    }

    #[test]
    fn the_desk_s_refusals_keep_their_codes() {
        let stale = wire(DeskError::StaleBlocked("Room status may be out of date".into()));
        assert_eq!(
            (stale["code"].as_str(), stale["message"].as_str()),
            (Some("stale_blocked"), Some("Room status may be out of date")),
            "the desk applies the stale-data policy; the UI still reads stale_blocked and the policy's words"
        );
        let unreachable = wire(DeskError::ServerUnreachable("connection refused".into()));
        assert_eq!(unreachable["code"], "server_unreachable", "an outage is not a sign-in error");
        let setting =
            wire(DeskError::Setting(InvalidSetting { setting: "pull_interval".into(), message: "too short".into() }));
        assert_eq!(setting["field"], "pull_interval", "a bad setting still names its field");
    }

    #[test]
    fn a_stale_block_is_its_own_code_with_the_policy_message() {
        let json = serde_json::to_value(AppError::stale_blocked("Room status may be out of date")).expect("serialise");
        assert_eq!(
            json,
            json!({"code": "stale_blocked", "message": "Room status may be out of date", "field": null, "breach": null}),
            "the UI prefixes the message with \"Blocked: \""
        );
    }

    #[test]
    fn displays_code_then_message() {
        let error = AppError::invalid_input("departure must be after arrival");
        assert_eq!(error.to_string(), "invalid_input: departure must be after arrival");
    }
}
