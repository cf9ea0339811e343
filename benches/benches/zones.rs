//! Placeholder: filled in by the zones work.
fn main() {}
