//! End-to-end tests of the engine against the local stack (moto + Garage on 127.0.0.1): ingest,
//! uploads with faults and credentials, previews, the gallery, sign-in tokens. One binary for the
//! crate; one module per area. The `lightbox` binary's own tests are the CLI crate's.
//! `upload_job` needs no server: the engine's per-file upload against the in-memory transfer.

mod auth_credentials;
mod auth_tokens;
mod fault_proxy;
mod folders;
mod gallery;
mod index;
mod index_stations;
mod ingest;
mod preview;
mod preview_catchup;
mod smoke;
mod support;
mod upload;
mod upload_credentials;
mod upload_engine;
mod upload_faults;
mod upload_guard;
mod upload_job;
mod upload_orphans;
mod zip_import;
