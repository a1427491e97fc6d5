//! The desktop app's service layer against the local stack (one binary for the crate): sign-in
//! with every challenge, folders, an upload to done, the gallery, roles, and a daemon that owns
//! the catalog.

mod desktop;
mod team;
