//! End-to-end tests against the local stack (moto + Garage on 127.0.0.1).
//! One binary for the crate; one module per area.

mod fault_proxy;
mod smoke;
