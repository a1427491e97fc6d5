//! What an operator sees of a running daemon: `/health` and Prometheus `/metrics` on a
//! loopback address (`[daemon] listen`), fed by the engine's event bus.
//!
//! - [`DaemonMetrics`] turns engine events into counters and a latency histogram (no
//!   I/O; time is passed in);
//! - [`serve`] answers HTTP on the configured address until cancelled.

mod metrics;
mod server;

pub use metrics::DaemonMetrics;
pub use server::{QueueProbe, serve};
