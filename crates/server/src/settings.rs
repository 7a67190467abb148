//! The server's settings: the TOML file of a deployment (`--config
//! /etc/frontdesk/server.toml`, documented key by key in `server.example.toml`),
//! the command line and the environment, merged into what `serve` runs with.
//!
//! Precedence, highest first: a flag, its environment variable, the file, the
//! default. The file is read by hand from a TOML table rather than derived with
//! serde, so that every refusal names the key at fault as it is written in the
//! file (`limits.rate_limit must be a whole number from 1 to 100000, got "fast"`),
//! and an unknown key (a typo) is refused instead of silently ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::Config;
use crate::limits::RateLimit;

/// The settings of one source (the file, or the command line with its
/// environment): each is `None` when that source does not set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `server.listen`: the address to listen on.
    pub listen: Option<SocketAddr>,
    /// `server.log_level`: a tracing filter (`info`, `frontdesk_server=debug`, …).
    pub log_level: Option<String>,
    /// `server.public_url`: the address the desks reach the server at, for the URLs
    /// it hands out (update downloads).
    pub public_url: Option<String>,
    /// `database.url`: `sqlite://PATH` or `postgres://…`.
    pub database: Option<String>,
    /// `database.live_channel`: the PostgreSQL `NOTIFY` channel of the deployment.
    pub live_channel: Option<String>,
    /// `tls.cert`: PEM certificate chain, server certificate first.
    pub tls_cert: Option<PathBuf>,
    /// `tls.key`: PEM private key of the certificate.
    pub tls_key: Option<PathBuf>,
    /// `sessions.session_hours`: lifetime of a staff session.
    pub session_hours: Option<u32>,
    /// `sessions.enrollment_code_hours`: default lifetime of an enrollment code.
    pub enrollment_code_hours: Option<u32>,
    /// `limits.request_timeout_secs`: longest a request may take (408 past it).
    pub request_timeout_secs: Option<u32>,
    /// `limits.max_body_mib`: largest request body after decompression (413 past it).
    pub max_body_mib: Option<u32>,
    /// `limits.max_batch`: most mutations in one push.
    pub max_batch: Option<u32>,
    /// `limits.rate_limit`: requests per second of one device, sustained.
    pub rate_limit: Option<u32>,
    /// `limits.rate_burst`: requests one device may make in a burst.
    pub rate_burst: Option<u32>,
    /// `limits.header_read_timeout_secs`: longest a client may take to send a
    /// request's headers (and an idle HTTP/1 connection to start its next request).
    pub header_read_timeout_secs: Option<u32>,
    /// `limits.idle_timeout_secs`: longest a connection may send and receive nothing.
    pub idle_timeout_secs: Option<u32>,
    /// `limits.live_streams_per_device`: most live streams one device may hold open.
    pub live_streams_per_device: Option<u32>,
    /// `updates.dir`: the folder of app releases offered to the desks.
    pub updates_dir: Option<PathBuf>,
}

/// A certificate and its key, for HTTPS served by the server itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// What `serve` runs with, every default applied and every value checked.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    pub listen: SocketAddr,
    pub database: String,
    /// HTTPS when set; plain HTTP (behind a reverse proxy) when not.
    pub tls: Option<TlsFiles>,
    pub log_level: String,
    /// The API's limits and lifetimes.
    pub api: Config,
}

/// A refused setting: the source, the key (as written in the file) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {}{message}", key.as_ref().map(|k| format!("{k} ")).unwrap_or_default())]
pub struct SettingsError {
    /// The file's path, or "settings" when the values came from several sources.
    pub source_name: String,
    /// The key at fault (`limits.rate_limit`), when one is.
    pub key: Option<String>,
    pub message: String,
}

/// Defaults, also documented in `server.example.toml` and the README.
pub mod defaults {
    pub const LISTEN: &str = "127.0.0.1:8787";
    pub const LOG_LEVEL: &str = "info";
    pub const SESSION_HOURS: u32 = 12;
    pub const ENROLLMENT_CODE_HOURS: u32 = 24;
    pub const REQUEST_TIMEOUT_SECS: u32 = 30;
    pub const MAX_BODY_MIB: u32 = 8;
    pub const MAX_BATCH: u32 = 1000;
    pub const RATE_LIMIT: u32 = 100;
    pub const RATE_BURST: u32 = 300;
    pub const HEADER_READ_TIMEOUT_SECS: u32 = 10;
    pub const IDLE_TIMEOUT_SECS: u32 = 120;
    pub const LIVE_STREAMS_PER_DEVICE: u32 = 4;
}

/// The accepted range of each number, shared by the file and the flags.
pub mod ranges {
    use std::ops::RangeInclusive;
    pub const SESSION_HOURS: RangeInclusive<u32> = 1..=24 * 90;
    pub const ENROLLMENT_CODE_HOURS: RangeInclusive<u32> = 1..=24 * 30;
    pub const REQUEST_TIMEOUT_SECS: RangeInclusive<u32> = 1..=3600;
    pub const MAX_BODY_MIB: RangeInclusive<u32> = 1..=1024;
    pub const MAX_BATCH: RangeInclusive<u32> = 1..=100_000;
    pub const RATE_LIMIT: RangeInclusive<u32> = 1..=100_000;
    pub const RATE_BURST: RangeInclusive<u32> = 1..=1_000_000;
    pub const HEADER_READ_TIMEOUT_SECS: RangeInclusive<u32> = 1..=300;
    /// At least the live stream's keep-alive interval (15 s), or every idle desk's
    /// stream would be cut between two keep-alives.
    pub const IDLE_TIMEOUT_SECS: RangeInclusive<u32> = 20..=86_400;
    pub const LIVE_STREAMS_PER_DEVICE: RangeInclusive<u32> = 1..=100;
}

/// Every key of the file, by section.
const SECTIONS: &[(&str, &[&str])] = &[
    ("server", &["listen", "log_level", "public_url"]),
    ("database", &["url", "live_channel"]),
    ("tls", &["cert", "key"]),
    ("sessions", &["session_hours", "enrollment_code_hours"]),
    (
        "limits",
        &[
            "request_timeout_secs",
            "max_body_mib",
            "max_batch",
            "rate_limit",
            "rate_burst",
            "header_read_timeout_secs",
            "idle_timeout_secs",
            "live_streams_per_device",
        ],
    ),
    ("updates", &["dir"]),
];

impl Settings {
    /// Reads the settings file at `path`.
    pub fn from_file(path: &Path) -> Result<Settings, SettingsError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|err| SettingsError {
            source_name: name.clone(),
            key: None,
            message: format!("cannot read: {err}"),
        })?;
        Self::from_toml(&text, &name)
    }

    /// Reads settings from the text of a file; `source_name` names it in errors.
    /// Relative paths (`tls.cert`, `tls.key`) are kept as written.
    pub fn from_toml(text: &str, source_name: &str) -> Result<Settings, SettingsError> {
        let refuse = |key: &str, message: String| SettingsError {
            source_name: source_name.to_owned(),
            key: (!key.is_empty()).then(|| key.to_owned()),
            message,
        };
        let table: toml::Table = toml::from_str(text)
            .map_err(|err| refuse("", format!("is not valid TOML: {}", err.to_string().trim_end())))?;
        for (section, value) in &table {
            let Some((_, keys)) = SECTIONS.iter().find(|(name, _)| name == section) else {
                let known: Vec<String> = SECTIONS.iter().map(|(name, _)| format!("[{name}]")).collect();
                return Err(refuse(
                    section,
                    format!("is not a section of the settings (they are {})", known.join(", ")),
                ));
            };
            let toml::Value::Table(entries) = value else {
                return Err(refuse(section, format!("must be a section ([{section}]), got {}", value.type_str())));
            };
            for key in entries.keys() {
                if !keys.contains(&key.as_str()) {
                    return Err(refuse(
                        &format!("{section}.{key}"),
                        format!("is not a setting (the keys of [{section}] are {})", keys.join(", ")),
                    ));
                }
            }
        }
        let get = |section: &str, key: &str| table.get(section).and_then(|s| s.get(key));
        let text = |section: &str, key: &str| -> Result<Option<String>, SettingsError> {
            match get(section, key) {
                None => Ok(None),
                Some(toml::Value::String(value)) if !value.trim().is_empty() => Ok(Some(value.clone())),
                Some(toml::Value::String(_)) => Err(refuse(&format!("{section}.{key}"), "must not be empty".into())),
                Some(other) => Err(refuse(
                    &format!("{section}.{key}"),
                    format!("must be a string in quotes, got {}", shown(other)),
                )),
            }
        };
        let number = |section: &str, key: &str, range: std::ops::RangeInclusive<u32>| {
            let name = format!("{section}.{key}");
            match get(section, key) {
                None => Ok(None),
                Some(toml::Value::Integer(n)) => u32::try_from(*n)
                    .ok()
                    .filter(|n| range.contains(n))
                    .map(Some)
                    .ok_or_else(|| refuse(&name, out_of_range(&range, &n.to_string()))),
                Some(other) => Err(refuse(&name, out_of_range(&range, &shown(other)))),
            }
        };
        let listen = text("server", "listen")?
            .map(|value| {
                value.parse::<SocketAddr>().map_err(|_| {
                    refuse(
                        "server.listen",
                        format!("must be an address and port like \"0.0.0.0:8787\", got \"{value}\""),
                    )
                })
            })
            .transpose()?;
        let log_level = text("server", "log_level")?;
        if let Some(level) = &log_level {
            check_log_level(level).map_err(|message| refuse("server.log_level", message))?;
        }
        let public_url = text("server", "public_url")?;
        if let Some(url) = &public_url {
            check_public_url(url).map_err(|message| refuse("server.public_url", message))?;
        }
        let database = text("database", "url")?;
        if let Some(url) = &database {
            check_database_url(url).map_err(|message| refuse("database.url", message))?;
        }
        let live_channel = text("database", "live_channel")?;
        if let Some(channel) = &live_channel {
            check_live_channel(channel).map_err(|message| refuse("database.live_channel", message))?;
        }
        Ok(Settings {
            listen,
            log_level,
            public_url,
            database,
            live_channel,
            tls_cert: text("tls", "cert")?.map(PathBuf::from),
            tls_key: text("tls", "key")?.map(PathBuf::from),
            session_hours: number("sessions", "session_hours", ranges::SESSION_HOURS)?,
            enrollment_code_hours: number("sessions", "enrollment_code_hours", ranges::ENROLLMENT_CODE_HOURS)?,
            request_timeout_secs: number("limits", "request_timeout_secs", ranges::REQUEST_TIMEOUT_SECS)?,
            max_body_mib: number("limits", "max_body_mib", ranges::MAX_BODY_MIB)?,
            max_batch: number("limits", "max_batch", ranges::MAX_BATCH)?,
            rate_limit: number("limits", "rate_limit", ranges::RATE_LIMIT)?,
            rate_burst: number("limits", "rate_burst", ranges::RATE_BURST)?,
            header_read_timeout_secs: number("limits", "header_read_timeout_secs", ranges::HEADER_READ_TIMEOUT_SECS)?,
            idle_timeout_secs: number("limits", "idle_timeout_secs", ranges::IDLE_TIMEOUT_SECS)?,
            live_streams_per_device: number("limits", "live_streams_per_device", ranges::LIVE_STREAMS_PER_DEVICE)?,
            updates_dir: text("updates", "dir")?.map(PathBuf::from),
        })
    }

    /// These settings, with `lower`'s filling what these leave unset.
    pub fn or(self, lower: Settings) -> Settings {
        Settings {
            listen: self.listen.or(lower.listen),
            log_level: self.log_level.or(lower.log_level),
            database: self.database.or(lower.database),
            live_channel: self.live_channel.or(lower.live_channel),
            tls_cert: self.tls_cert.or(lower.tls_cert),
            tls_key: self.tls_key.or(lower.tls_key),
            session_hours: self.session_hours.or(lower.session_hours),
            enrollment_code_hours: self.enrollment_code_hours.or(lower.enrollment_code_hours),
            request_timeout_secs: self.request_timeout_secs.or(lower.request_timeout_secs),
            max_body_mib: self.max_body_mib.or(lower.max_body_mib),
            max_batch: self.max_batch.or(lower.max_batch),
            rate_limit: self.rate_limit.or(lower.rate_limit),
            rate_burst: self.rate_burst.or(lower.rate_burst),
            header_read_timeout_secs: self.header_read_timeout_secs.or(lower.header_read_timeout_secs),
            idle_timeout_secs: self.idle_timeout_secs.or(lower.idle_timeout_secs),
            live_streams_per_device: self.live_streams_per_device.or(lower.live_streams_per_device),
            public_url: self.public_url.or(lower.public_url),
            updates_dir: self.updates_dir.or(lower.updates_dir),
        }
    }

    /// The log filter: `RUST_LOG` (given as `env`) wins over these settings.
    pub fn log_filter(&self, env: Option<String>) -> String {
        env.filter(|v| !v.trim().is_empty())
            .or_else(|| self.log_level.clone())
            .unwrap_or_else(|| defaults::LOG_LEVEL.to_owned())
    }

    /// The database URL, required by every command.
    pub fn database_url(&self) -> Result<String, SettingsError> {
        self.database.clone().ok_or_else(|| SettingsError {
            source_name: "settings".into(),
            key: Some("database.url".into()),
            message: "is not set: give --database, FRONTDESK_DATABASE, or database.url in the --config file".into(),
        })
    }

    /// What `serve` runs with: defaults applied, the settings that go together checked.
    pub fn resolve(self) -> Result<ServeSettings, SettingsError> {
        let refuse = |key: &str, message: &str| SettingsError {
            source_name: "settings".into(),
            key: Some(key.into()),
            message: message.into(),
        };
        let database = self.database_url()?;
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(refuse("tls.key", "is not set while tls.cert is: give both for HTTPS, or neither"));
            }
            (None, Some(_)) => {
                return Err(refuse("tls.cert", "is not set while tls.key is: give both for HTTPS, or neither"));
            }
        };
        let rate_limit = self.rate_limit.unwrap_or(defaults::RATE_LIMIT);
        let rate_burst = self.rate_burst.unwrap_or(defaults::RATE_BURST.max(rate_limit));
        if rate_burst < rate_limit {
            return Err(refuse(
                "limits.rate_burst",
                &format!(
                    "({rate_burst}) must be at least limits.rate_limit ({rate_limit}): a burst below the rate refuses steady traffic"
                ),
            ));
        }
        let api = Config {
            session_ttl: chrono::Duration::hours(i64::from(self.session_hours.unwrap_or(defaults::SESSION_HOURS))),
            max_batch: usize::try_from(self.max_batch.unwrap_or(defaults::MAX_BATCH)).unwrap_or(usize::MAX),
            max_body_bytes: usize::try_from(self.max_body_mib.unwrap_or(defaults::MAX_BODY_MIB))
                .unwrap_or(usize::MAX)
                .saturating_mul(1024 * 1024),
            request_timeout: Duration::from_secs(u64::from(
                self.request_timeout_secs.unwrap_or(defaults::REQUEST_TIMEOUT_SECS),
            )),
            live_channel: self.live_channel.unwrap_or_else(|| crate::live::DEFAULT_CHANNEL.to_owned()),
            rate_limit: RateLimit { per_second: rate_limit, burst: rate_burst },
            updates_dir: self.updates_dir,
            https: tls.is_some(),
            public_url: self.public_url.map(|url| url.trim_end_matches('/').to_owned()),
            header_read_timeout: secs(self.header_read_timeout_secs, defaults::HEADER_READ_TIMEOUT_SECS),
            idle_timeout: secs(self.idle_timeout_secs, defaults::IDLE_TIMEOUT_SECS),
            live_streams_per_device: usize::try_from(
                self.live_streams_per_device.unwrap_or(defaults::LIVE_STREAMS_PER_DEVICE),
            )
            .unwrap_or(usize::MAX),
            ..Config::default()
        };
        Ok(ServeSettings {
            listen: self
                .listen
                .unwrap_or_else(|| defaults::LISTEN.parse().unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8787)))),
            database,
            tls,
            log_level: self.log_level.unwrap_or_else(|| defaults::LOG_LEVEL.to_owned()),
            api,
        })
    }
}

fn secs(value: Option<u32>, default: u32) -> Duration {
    Duration::from_secs(u64::from(value.unwrap_or(default)))
}

/// A value as the file wrote it, for an error message.
fn shown(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => format!("\"{text}\""),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(n) => n.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        other => format!("a {}", other.type_str()),
    }
}

fn out_of_range(range: &std::ops::RangeInclusive<u32>, got: &str) -> String {
    format!("must be a whole number from {} to {}, got {got}", range.start(), range.end())
}

/// A tracing filter the server can use (`info`, `warn,frontdesk_server=debug`).
pub fn check_log_level(level: &str) -> Result<(), String> {
    tracing_subscriber::EnvFilter::try_new(level)
        .map(drop)
        .map_err(|err| format!("is not a log filter like \"info\" or \"warn,frontdesk_server=debug\": {err}"))
}

/// A URL the store can open: `sqlite://PATH`, `sqlite:PATH` or `postgres://…`.
pub fn check_database_url(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(())
    } else {
        Err(format!(
            "must start with sqlite:// (one property on one machine) or postgres:// (several processes), got \"{}\"",
            url.split_once("://").map_or(url, |(scheme, _)| scheme)
        ))
    }
}

/// The address desks reach the server at: `http://` or `https://`, a host, an
/// optional port and path prefix, nothing else.
pub fn check_public_url(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|rest| rest.split('/').next().unwrap_or_default());
    let plain = url.bytes().all(|b| b.is_ascii_graphic()) && !url.contains(['?', '#', '@']);
    match host {
        Some(host) if !host.is_empty() && plain => Ok(()),
        _ => Err(format!(
            "must be the address the desks reach this server at, like \"https://frontdesk.hotel.example\" \
             (http:// or https://, no query or credentials), got \"{url}\""
        )),
    }
}

/// A PostgreSQL channel name: a plain identifier.
pub fn check_live_channel(channel: &str) -> Result<(), String> {
    let plain = channel.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && channel.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if plain && channel.len() <= 63 {
        Ok(())
    } else {
        Err(format!(
            "must be a plain identifier (letters, digits, _; at most 63 characters, not starting with a digit), got \"{channel}\""
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> SettingsError {
        Settings::from_toml(text, "server.toml").expect_err("the file is refused")
    }

    #[test]
    fn the_example_file_reads_and_sets_every_key() {
        let text = include_str!("../deploy/server.example.toml");
        let settings = Settings::from_toml(text, "server.example.toml").expect("the example file is valid");
        // Every key of every section is written (commented values are the defaults,
        // the ones set are what the .deb ships): an example without some key would
        // leave an operator guessing.
        for (section, keys) in SECTIONS {
            for key in *keys {
                assert!(text.contains(&format!("{key} =")), "server.example.toml documents {section}.{key}");
            }
        }
        assert!(settings.database.is_some(), "the example names a database");
        settings.resolve().expect("the example resolves");
    }

    #[test]
    fn a_full_file_sets_every_value() {
        let text = r#"
            [server]
            listen = "0.0.0.0:443"
            log_level = "warn,frontdesk_server=debug"
            public_url = "https://frontdesk.hotel.example/"
            [database]
            url = "postgres://frontdesk@db/frontdesk"
            live_channel = "chain_changes"
            [tls]
            cert = "/etc/frontdesk/tls/cert.pem"
            key = "/etc/frontdesk/tls/key.pem"
            [sessions]
            session_hours = 8
            enrollment_code_hours = 48
            [limits]
            request_timeout_secs = 10
            max_body_mib = 16
            max_batch = 500
            rate_limit = 50
            rate_burst = 150
            header_read_timeout_secs = 5
            idle_timeout_secs = 60
            live_streams_per_device = 2
            [updates]
            dir = "/var/lib/frontdesk/updates"
        "#;
        let served = Settings::from_toml(text, "server.toml").expect("valid").resolve().expect("resolves");
        assert_eq!(served.listen, "0.0.0.0:443".parse().expect("addr"));
        assert_eq!(served.database, "postgres://frontdesk@db/frontdesk");
        assert_eq!(served.tls.as_ref().map(|t| t.cert.as_path()), Some(Path::new("/etc/frontdesk/tls/cert.pem")));
        assert_eq!(served.log_level, "warn,frontdesk_server=debug");
        assert_eq!(served.api.live_channel, "chain_changes");
        assert_eq!(served.api.session_ttl, chrono::Duration::hours(8));
        assert_eq!(served.api.request_timeout, Duration::from_secs(10));
        assert_eq!(served.api.max_body_bytes, 16 * 1024 * 1024);
        assert_eq!(served.api.max_batch, 500);
        assert_eq!(served.api.rate_limit, RateLimit { per_second: 50, burst: 150 });
        assert_eq!(served.api.updates_dir.as_deref(), Some(Path::new("/var/lib/frontdesk/updates")));
        assert_eq!(
            served.api.public_url.as_deref(),
            Some("https://frontdesk.hotel.example"),
            "without its trailing slash, so paths join it cleanly"
        );
        assert_eq!(served.api.header_read_timeout, Duration::from_secs(5));
        assert_eq!(served.api.idle_timeout, Duration::from_secs(60));
        assert_eq!(served.api.live_streams_per_device, 2);
    }

    #[test]
    fn an_empty_file_with_a_database_gets_the_defaults() {
        let served = Settings::from_toml("[database]\nurl = \"sqlite:///tmp/x.sqlite3\"\n", "server.toml")
            .expect("valid")
            .resolve()
            .expect("resolves");
        assert_eq!(served.listen.to_string(), defaults::LISTEN);
        assert!(served.tls.is_none(), "plain HTTP unless a certificate is given");
        assert_eq!(served.api.rate_limit, Config::default().rate_limit, "the same defaults as the library's");
        assert_eq!(served.api.max_body_bytes, Config::default().max_body_bytes);
        assert_eq!(served.api.session_ttl, Config::default().session_ttl);
        assert_eq!(served.api.request_timeout, Config::default().request_timeout);
        assert_eq!(served.api.header_read_timeout, Config::default().header_read_timeout);
        assert_eq!(served.api.idle_timeout, Config::default().idle_timeout);
        assert_eq!(served.api.live_streams_per_device, Config::default().live_streams_per_device);
        assert_eq!(served.api.public_url, None, "unset: the listen address is used, never a request's Host");
    }

    #[test]
    fn a_bad_value_is_refused_with_its_key() {
        for (text, key, says) in [
            ("[limits]\nrate_limit = \"fast\"", "limits.rate_limit", "whole number from 1"),
            ("[limits]\nrate_limit = 0", "limits.rate_limit", "got 0"),
            ("[limits]\nmax_batch = -5", "limits.max_batch", "got -5"),
            ("[limits]\nmax_body_mib = 4096", "limits.max_body_mib", "to 1024"),
            ("[limits]\nrequest_timeout_secs = 1.5", "limits.request_timeout_secs", "got 1.5"),
            ("[sessions]\nsession_hours = 0", "sessions.session_hours", "from 1"),
            ("[server]\nlisten = \"8787\"", "server.listen", "address and port"),
            ("[server]\nlisten = 8787", "server.listen", "string in quotes"),
            ("[server]\nlog_level = \"info,[[\"", "server.log_level", "log filter"),
            ("[database]\nurl = \"mysql://db/x\"", "database.url", "\"mysql\""),
            ("[database]\nurl = \"\"", "database.url", "empty"),
            ("[database]\nlive_channel = \"my channel\"", "database.live_channel", "identifier"),
            ("[tls]\ncert = 3", "tls.cert", "string"),
            ("[server]\npublic_url = \"frontdesk.hotel.example\"", "server.public_url", "https://"),
            ("[server]\npublic_url = \"https://x.example/?a=1\"", "server.public_url", "no query"),
            ("[limits]\nidle_timeout_secs = 5", "limits.idle_timeout_secs", "from 20"),
            ("[limits]\nlive_streams_per_device = 0", "limits.live_streams_per_device", "from 1"),
        ] {
            let err = refused(text);
            assert_eq!(err.key.as_deref(), Some(key), "{text:?} is refused for {key}: {err}");
            let shown = err.to_string();
            assert!(shown.starts_with(&format!("server.toml: {key} ")), "the message names file and key: {shown}");
            assert!(shown.contains(says), "{shown} says {says}");
        }
    }

    #[test]
    fn an_unknown_key_or_section_is_refused_with_its_name() {
        let err = refused("[limits]\nrate_limt = 5");
        assert_eq!(err.key.as_deref(), Some("limits.rate_limt"), "a typo is named: {err}");
        assert!(err.message.contains("rate_limit"), "and the known keys are listed: {err}");
        let err = refused("[limit]\nrate_limit = 5");
        assert_eq!(err.key.as_deref(), Some("limit"), "{err}");
        let err = refused("listen = \"0.0.0.0:1\"");
        assert_eq!(err.key.as_deref(), Some("listen"), "a key outside any section is refused: {err}");
    }

    #[test]
    fn broken_toml_says_where() {
        let err = refused("[server]\nlisten = \"0.0.0.0:1\n");
        assert!(err.message.contains("line 2"), "the line of the syntax error is given: {err}");
    }

    #[test]
    fn settings_that_go_together_are_checked_together() {
        let with = |text: &str| Settings::from_toml(text, "server.toml").expect("valid").resolve();
        let db = "[database]\nurl = \"sqlite:///tmp/x.sqlite3\"\n";
        let err = with(&format!("{db}[tls]\ncert = \"c.pem\"\n")).expect_err("a certificate without its key");
        assert_eq!(err.key.as_deref(), Some("tls.key"), "{err}");
        let err = with(&format!("{db}[tls]\nkey = \"k.pem\"\n")).expect_err("a key without its certificate");
        assert_eq!(err.key.as_deref(), Some("tls.cert"), "{err}");
        let err = with(&format!("{db}[limits]\nrate_limit = 50\nrate_burst = 10\n")).expect_err("burst below rate");
        assert_eq!(err.key.as_deref(), Some("limits.rate_burst"), "{err}");
        let err = with("[server]\nlisten = \"0.0.0.0:1\"\n").expect_err("no database");
        assert_eq!(err.key.as_deref(), Some("database.url"), "{err}");
        assert!(err.message.contains("--database"), "and how to give it: {err}");
        let served = with(&format!("{db}[limits]\nrate_limit = 500\n")).expect("a rate over the default burst");
        assert_eq!(served.api.rate_limit.burst, 500, "the default burst grows to the rate");
    }

    #[test]
    fn flags_and_environment_override_the_file() {
        let file = Settings::from_toml(
            "[server]\nlisten = \"0.0.0.0:8787\"\nlog_level = \"debug\"\n[database]\nurl = \"sqlite:///a\"\n\
             [limits]\nrate_limit = 10\nrate_burst = 20\n",
            "server.toml",
        )
        .expect("valid");
        let command_line = Settings {
            listen: Some("127.0.0.1:9000".parse().expect("addr")),
            rate_burst: Some(40),
            ..Settings::default()
        };
        let merged = command_line.or(file);
        assert_eq!(merged.log_filter(Some("trace".into())), "trace", "RUST_LOG wins over everything");
        assert_eq!(merged.log_filter(None), "debug", "then the settings");
        let served = merged.resolve().expect("resolves");
        assert_eq!(served.listen.port(), 9000, "the flag wins over the file");
        assert_eq!(served.database, "sqlite:///a", "the file fills what the flags leave out");
        assert_eq!(served.api.rate_limit, RateLimit { per_second: 10, burst: 40 });
    }
}
