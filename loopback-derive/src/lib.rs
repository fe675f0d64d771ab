//! `#[derive(Model)]`.
