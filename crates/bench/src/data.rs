//! The benchmark's data files (`shared/bench/data/*.jsonl.gz`) and the setup files
//! derived from them.

use std::io::{Read, Write};
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

/// One reservation line of the data (the fields the benchmark uses).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub id: String,
    pub guest_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub room_number: Option<String>,
    pub room_type: String,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub adults: u32,
    pub children: u32,
    pub status: String,
    pub rate_code: String,
    pub source: String,
    pub loyalty_id: Option<String>,
    #[serde(default)]
    pub special_requests: Vec<String>,
    pub notes: Option<String>,
}

/// The text of a `.jsonl.gz` file.
pub fn text(file: &Path) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).map_err(|e| e.to_string())?;
    Ok(text)
}

/// The lines of a `.jsonl.gz` file.
pub fn read(file: &Path) -> Result<Vec<Line>, String> {
    text(file)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| e.to_string()))
        .collect()
}

/// Splits "Ada Horvat" into first and last name.
pub fn split_name(name: &str) -> (String, String) {
    match name.trim().rsplit_once(' ') {
        Some((first, last)) => (first.to_owned(), last.to_owned()),
        None => (name.trim().to_owned(), "-".to_owned()),
    }
}

/// The id the server's import gives the reservation of a data line
/// (`frontdesk_server::admin::stable_id(property, "bench/<id>")`).
pub fn server_id(property: Uuid, line_id: &str) -> Uuid {
    Uuid::new_v5(&property, format!("bench/{line_id}").as_bytes())
}

/// Writes JSON values as a gzipped JSON Lines file.
pub fn write_gz(file: &Path, values: &[serde_json::Value]) -> Result<(), String> {
    let out = std::fs::File::create(file).map_err(|e| e.to_string())?;
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    for value in values {
        writeln!(gz, "{value}").map_err(|e| e.to_string())?;
    }
    gz.finish().map_err(|e| e.to_string())?;
    Ok(())
}
