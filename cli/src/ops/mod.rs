//! What an operator sees of a running daemon: `/health` and Prometheus `/metrics` on a
//! loopback address (`[daemon] listen`), and the same metrics as CloudWatch EMF lines on
//! stdout (`[daemon] emf`), fed by the engine's event bus.
//!
//! - [`DaemonMetrics`] turns engine events into counters and a latency histogram (no
//!   I/O; time is passed in);
//! - [`serve`] answers HTTP on the configured address until cancelled;
//! - [`EmfLines`] turns readings of the metrics into EMF documents (pure), and
//!   [`emf_task`] writes them every interval.

#[cfg(test)]
mod contract;
pub mod emf;
mod emf_task;
mod metrics;
mod server;

pub use emf::EmfLines;
pub use emf_task::{EmfRounds, emf_task};
pub use metrics::{DaemonMetrics, Now};
pub use server::{QueueProbe, serve};
