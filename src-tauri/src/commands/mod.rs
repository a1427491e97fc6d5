//! One module per screen area; each command is a wrapper over `sync_core`.

pub mod app;
