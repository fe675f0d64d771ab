//! Compile-fail tests for `#[derive(Model)]`: each file under `tests/ui/<category>/` shows one
//! diagnostic, and its `.stderr` pins the message and the token it points at.
//!
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test derive_ui`, then
//! read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
}
