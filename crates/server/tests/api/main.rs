//! The sync server end to end: the real router on port 0, a real SQLite file in a
//! temp dir, devices that enroll and sign in over HTTP. Modules follow the API:
//! push and pull, conflicts, security (tenancy, roles, sessions), limits, bad input.

mod admin;
mod backup;
mod bad_input;
mod conflicts;
mod connections;
mod deploy;
mod domain;
mod faults;
mod gate;
mod gate_props;
mod history;
mod limits;
mod live;
mod metrics;
mod openapi;
mod push_pull;
mod security;
mod support;
mod throttle;
mod updates;
