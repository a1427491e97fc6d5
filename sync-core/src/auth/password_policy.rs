//! The user pool's password policy, checked locally before a new password is sent,
//! so that the user reads every unmet rule at once instead of Cognito's one-line refusal.

use serde::{Deserialize, Serialize};

/// The symbols Cognito counts for `RequireSymbols`.
pub const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/// Mirrors the pool's `PasswordPolicy`. The defaults are the policy that `infra/`
/// and the local stack (`scripts/provision.py`) give the studio's pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    pub minimum_length: usize,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            minimum_length: 12,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
        }
    }
}

impl PasswordPolicy {
    /// Every rule `password` breaks, in words, or an empty list when it complies.
    #[must_use]
    pub fn unmet_rules(&self, password: &str) -> Vec<String> {
        let mut unmet = Vec::new();
        let length = password.chars().count();
        if length < self.minimum_length {
            unmet.push(format!(
                "at least {} characters (this one has {length})",
                self.minimum_length
            ));
        }
        let checks = [
            (
                self.require_uppercase,
                "an upper-case letter (A-Z)",
                password.chars().any(|c| c.is_ascii_uppercase()),
            ),
            (
                self.require_lowercase,
                "a lower-case letter (a-z)",
                password.chars().any(|c| c.is_ascii_lowercase()),
            ),
            (
                self.require_numbers,
                "a digit (0-9)",
                password.chars().any(|c| c.is_ascii_digit()),
            ),
            (
                self.require_symbols,
                "a symbol such as ! @ # % ^ * - _ = +",
                password.chars().any(|c| SYMBOLS.contains(c)),
            ),
        ];
        for (required, rule, present) in checks {
            if required && !present {
                unmet.push(rule.to_owned());
            }
        }
        unmet
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_is_reported_on_its_own() {
        let policy = PasswordPolicy::default();
        let cases: [(&str, &[&str]); 6] = [
            ("Correct-Horse-9", &[]),
            ("Short-1a", &["at least 12 characters (this one has 8)"]),
            ("correct-horse-9", &["an upper-case letter (A-Z)"]),
            ("CORRECT-HORSE-9", &["a lower-case letter (a-z)"]),
            ("Correct-Horse-x", &["a digit (0-9)"]),
            ("CorrectHorse99", &["a symbol such as ! @ # % ^ * - _ = +"]),
        ];
        for (password, want) in cases {
            assert_eq!(policy.unmet_rules(password), want, "for {password:?}");
        }
    }

    #[test]
    fn a_weak_password_lists_every_unmet_rule() {
        let unmet = PasswordPolicy::default().unmet_rules("abc");
        assert_eq!(unmet.len(), 4, "length, upper, digit, symbol: {unmet:?}");
    }

    #[test]
    fn a_lax_policy_accepts_what_it_does_not_require() {
        let policy = PasswordPolicy {
            minimum_length: 6,
            require_uppercase: false,
            require_lowercase: true,
            require_numbers: false,
            require_symbols: false,
        };
        assert!(
            policy.unmet_rules("simple").is_empty(),
            "only length and lower-case are asked for"
        );
    }
}
