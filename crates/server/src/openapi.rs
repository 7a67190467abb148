//! The OpenAPI document of the API, served at `GET /v1/openapi.json`.
//!
//! Written by hand in `openapi.json` (the wire types live in `sync_core`, which
//! stays free of HTTP and documentation dependencies) and embedded at build time;
//! the API tests check that every route of [`crate::api::ROUTES`] is in it and that
//! sample answers validate against its schemas.

/// The document, as served.
pub const DOCUMENT: &str = include_str!("../openapi.json");
