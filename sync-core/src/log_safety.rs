//! Which log events may be written whatever `LIGHTBOX_LOG` says: the AWS SDK's signing and
//! runtime crates and the HTTP stack log requests at debug and trace (the signer's request with
//! its `x-amz-security-token`, Cognito's auth bodies, the wire), so their targets are held at
//! `info` even when someone sets `LIGHTBOX_LOG=trace`. The binaries (`lightbox`, the desktop
//! app) add [`allowed`] as a global filter next to the `EnvFilter`.

use tracing::Level;

/// Crates whose debug and trace events may carry credentials, tokens or request bodies.
const WIRE_CRATES: &[&str] = &[
    "aws_sigv4",
    "aws_runtime",
    "aws_config",
    "aws_credential_types",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
    "tower",
];
/// Crate-name prefixes held down the same way (`aws_smithy_runtime`, `aws_sdk_s3`, ...).
const WIRE_PREFIXES: &[&str] = &["aws_smithy_", "aws_sdk_"];

/// Whether `target` belongs to one of the wire crates (pure).
#[must_use]
pub fn is_wire_target(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or(target);
    WIRE_CRATES.contains(&krate) || WIRE_PREFIXES.iter().any(|p| krate.starts_with(p))
}

/// Whether an event of `level` at `target` may be logged at all: wire crates only at `info`
/// and above, everything else as the filter says (pure).
#[must_use]
pub fn allowed(target: &str, level: &Level) -> bool {
    !is_wire_target(target) || *level <= Level::INFO
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_targets_are_held_at_info() {
        let cases = [
            ("aws_sigv4::http_request::sign", Level::TRACE, false),
            (
                "aws_smithy_runtime::client::orchestrator",
                Level::DEBUG,
                false,
            ),
            (
                "aws_sdk_cognitoidentityprovider::config",
                Level::TRACE,
                false,
            ),
            ("hyper_util::client::legacy::pool", Level::TRACE, false),
            (
                "aws_smithy_runtime::client::orchestrator",
                Level::WARN,
                true,
            ),
            ("sync_core::engine::upload", Level::TRACE, true),
            ("lightbox::daemon", Level::DEBUG, true),
            ("hyperion", Level::TRACE, true),
        ];
        for (target, level, ok) in cases {
            assert_eq!(allowed(target, &level), ok, "{target} at {level}");
        }
    }
}
