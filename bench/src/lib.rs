//! Benchmark harnesses for Lightbox. Figures and ratios for reports, never asserted
//! in tests (this machine is noisy); the smoke tests only check that they still run.

pub mod upload;
