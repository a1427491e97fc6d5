//! Test support for Lightbox: the local stack fixture, the fault proxy, an engine on a temporary
//! catalog ([`test_engine`]), photo files ([`photos`]), objects and pool users; an in-memory
//! bucket behind the engine's `Transfer` trait ([`memory_transfer`]) and the contract every
//! transfer keeps ([`transfer_contract`]). Image files built in memory are the
//! `lightbox-fixtures` crate.
//!
//! [`stack()`] starts the local stack (moto + Garage on 127.0.0.1) through
//! `scripts/stack.sh up`, or finds it running, and describes it. Each test then
//! takes its own bucket or key prefix, so tests run in parallel. There is no
//! silent skip: when the stack cannot be started, the test fails and says why.

pub mod fault_proxy;
pub mod memory_transfer;
pub mod objects;
pub mod photos;
pub mod pool_users;
pub mod stack;
pub mod test_engine;
pub mod transfer_contract;
pub mod zip_files;

pub use stack::{Stack, stack, unique_name};
