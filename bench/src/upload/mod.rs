//! Upload throughput: Lightbox next to s5cmd, rclone and aws-cli on the same Garage,
//! the same files and the same settings, run alternately (A B A B) and reported as
//! medians and ratios (`bench/upload.sh`).

pub mod dataset;
pub mod measure;
pub mod peers;
pub mod report;
pub mod server;
pub mod target;
