//! The one error type that crosses from a command to the UI.
//!
//! It is serialised as `{ "code": ..., "message": ... }`. Only the failures the UI acts on
//! differently get their own code; everything else is `internal`, with the details logged
//! on this side rather than shown at the desk.

use std::fmt;

use serde::Serialize;

/// What went wrong, as a code the UI can branch on; mirrored by `ErrorCode` in `ui/src/api.ts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request broke a rule; the message says which, in words for the receptionist.
    InvalidInput,
    /// The record asked for does not exist on this device.
    NotFound,
    /// Anything the receptionist cannot fix.
    Internal,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::NotFound => "not_found",
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppError {
    /// What kind of failure this is.
    pub code: ErrorCode,
    /// What happened, in words that can be shown to the receptionist.
    pub message: String,
}

impl AppError {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// The request broke a rule, described by `message`.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// The record described by `message` does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    /// A failure the receptionist cannot fix.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn serialises_as_code_and_message_only() {
        let error = AppError::not_found("no reservation with confirmation number 4711");
        let json = serde_json::to_value(&error).expect("AppError has only plain fields");
        assert_eq!(
            json,
            json!({ "code": "not_found", "message": "no reservation with confirmation number 4711" }),
            "the UI's toAppError reads exactly `code` and `message`"
        );
    }

    #[test]
    fn codes_are_snake_case_and_match_as_str() {
        for (code, wire) in [
            (ErrorCode::InvalidInput, "invalid_input"),
            (ErrorCode::NotFound, "not_found"),
            (ErrorCode::Internal, "internal"),
        ] {
            let json = serde_json::to_value(code).expect("a unit variant always serialises");
            assert_eq!(json, json!(wire), "ui/src/api.ts mirrors the wire name of {code:?}");
            assert_eq!(code.as_str(), wire, "Display and serde must agree for {code:?}");
        }
    }

    #[test]
    fn displays_code_then_message() {
        let error = AppError::invalid_input("departure must be after arrival");
        assert_eq!(error.to_string(), "invalid_input: departure must be after arrival");
    }
}
