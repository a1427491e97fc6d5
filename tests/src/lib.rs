//! Test support for Lightbox: the local stack fixture, and image files built in memory
//! ([`image_fixtures`]).
//!
//! [`stack()`] starts the local stack (moto + Garage on 127.0.0.1) through
//! `scripts/stack.sh up`, or finds it running, and describes it. Each test then
//! takes its own bucket or key prefix, so tests run in parallel. There is no
//! silent skip: when the stack cannot be started, the test fails and says why.

pub mod fault_proxy;
pub mod image_fixtures;
pub mod stack;

pub use stack::{Stack, stack, unique_name};
