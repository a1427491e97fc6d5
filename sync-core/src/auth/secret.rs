//! Secrets (passwords, tokens, TOTP keys) in a wrapper whose `Debug` and `Display`
//! print `<redacted>`, so that no log line or error message can carry one by accident.
//! The text is wiped from memory when dropped.

use zeroize::Zeroizing;

/// A secret string. Read it with [`Secret::expose`], at the one place that sends it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    #[must_use]
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// The secret text, for the request that needs it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_text() {
        let s = Secret::new("hunter2-token".to_owned());
        assert_eq!(format!("{s:?}"), "<redacted>", "Debug must not leak");
        assert_eq!(format!("{s}"), "<redacted>", "Display must not leak");
        assert_eq!(
            format!("{:?}", Some(&s)),
            "Some(<redacted>)",
            "nor inside other types"
        );
        assert_eq!(s.expose(), "hunter2-token", "the sender still gets it");
    }
}
