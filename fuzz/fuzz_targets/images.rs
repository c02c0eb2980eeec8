//! Fuzz target `images`: the invariants live in tests/support/fuzz_checks.rs, which tests/fuzz_replay.rs also runs.
#![no_main]

#[path = "../../tests/support/fuzz_checks.rs"]
mod fuzz_checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz_checks::images(data));
