//! libFuzzer target `plan`: see `targets::plan_mutation`.
#![no_main]

#[allow(dead_code)]
#[path = "../../tests/bad_input/draw.rs"]
mod draw;
#[allow(dead_code)]
#[path = "../../tests/bad_input/targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(|data: &[u8]| targets::plan_mutation(data));
