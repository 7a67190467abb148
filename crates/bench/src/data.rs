//! The benchmark's data files (`shared/bench/data/*.jsonl.gz`) and the setup files
//! derived from them.

use std::io::{Read, Write};
use std::path::Path;

use sync_core::import::{self, ReservationLine};
use uuid::Uuid;

/// The text of a `.jsonl.gz` file.
pub fn text(file: &Path) -> Result<String, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).map_err(|e| e.to_string())?;
    Ok(text)
}

/// The reservations of a `.jsonl.gz` file.
pub fn read(file: &Path) -> Result<Vec<ReservationLine>, String> {
    let lines = import::parse(&text(file)?).map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(lines.into_iter().map(|(_, line)| line).collect())
}

/// The id the server's import gives the reservation of a data line.
pub fn server_id(property: Uuid, line_id: &str) -> Uuid {
    import::reservation_id(property, line_id)
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
