//! Percentiles of latency samples.

/// The `p`th percentile (nearest rank) of `samples` in milliseconds; 0 when empty.
pub fn percentile_ms(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

/// Rounds to three decimals for the report.
pub fn r3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}
