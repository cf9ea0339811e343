//! Placeholder: filled in by the geo work.
fn main() {}
