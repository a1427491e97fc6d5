//! One module per screen; each command is a wrapper over `app_service::DesktopCore`.

pub mod activity;
pub mod app;
pub mod auth;
pub mod folders;
pub mod gallery;
pub mod settings;
pub mod team;
