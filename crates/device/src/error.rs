//! The one error type of the device crate, serialised for the UI as `{code, message}`.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use sync_core::invariants::RuleBreach;
use sync_core::validate::Invalid;

/// Why an operation or a query did not happen. On every error of an operation,
/// nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is wrong (a missing name, departure before arrival...).
    #[error("{message}")]
    InvalidInput { field: Option<String>, message: String },
    /// A record the operation needs is not on this device.
    #[error("{0}")]
    NotFound(String),
    /// A rule of the hotel would be broken (a dirty room at check-in, a double booking...).
    #[error("{message}")]
    RuleBroken { message: String, breach: Option<Box<RuleBreach>> },
    /// The record can no longer be changed (a checked-out or cancelled stay, a posting).
    #[error("{0}")]
    ReadOnly(String),
    /// The signed-in user's role may not do this.
    #[error("{0}")]
    NotAllowed(String),
    /// The local database failed; the message is for support staff.
    #[error("{0}")]
    Storage(String),
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The code programs act on; mirrored in the UI's TypeScript.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::NotFound(_) => "not_found",
            Error::RuleBroken { .. } => "rule_broken",
            Error::ReadOnly(_) => "read_only",
            Error::NotAllowed(_) => "not_allowed",
            Error::Storage(_) => "storage",
        }
    }

    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::InvalidInput { field: Some(field.to_owned()), message: message.into() }
    }

    pub(crate) fn rule(message: impl Into<String>) -> Self {
        Error::RuleBroken { message: message.into(), breach: None }
    }

    pub(crate) fn breach(breach: RuleBreach) -> Self {
        Error::RuleBroken { message: breach.describe(), breach: Some(Box::new(breach)) }
    }

    pub(crate) fn storage(context: &str, err: impl std::fmt::Display) -> Self {
        Error::Storage(format!("the local database failed while {context}: {err}"))
    }
}

impl From<Invalid> for Error {
    fn from(invalid: Invalid) -> Self {
        Error::InvalidInput { field: invalid.field, message: invalid.message }
    }
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::RowNotFound => Error::NotFound("the record was not found on this device".into()),
            other => Error::Storage(format!("the local database failed: {other}")),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        Error::Storage(format!("the local database could not be upgraded: {err}"))
    }
}

impl Serialize for Error {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Error", 4)?;
        out.serialize_field("code", self.code())?;
        out.serialize_field("message", &self.to_string())?;
        match self {
            Error::InvalidInput { field, .. } => out.serialize_field("field", field)?,
            Error::RuleBroken { breach, .. } => out.serialize_field("breach", breach)?,
            _ => {}
        }
        out.end()
    }
}
