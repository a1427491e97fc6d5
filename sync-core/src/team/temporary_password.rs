//! A temporary password for an invitation the admin passes on by hand: one that the pool's
//! policy accepts (each required class present, long enough), random otherwise.

use rand::Rng;
use rand::seq::SliceRandom as _;

use crate::auth::Secret;
use crate::auth::password_policy::PasswordPolicy;

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";
/// Symbols Cognito counts as such, without ones that are easily misread or mistyped.
const SYMBOLS: &[u8] = b"!#%*-_=+?";

/// A password meeting `policy`, at least 16 characters, from `rng` (passed in for tests).
pub fn temporary_password(policy: &PasswordPolicy, rng: &mut impl Rng) -> Secret {
    let mut chars: Vec<u8> = Vec::new();
    let pick = |set: &[u8], rng: &mut dyn rand::RngCore| set[rng.random_range(0..set.len())];
    for (on, set) in [
        (policy.require_uppercase, UPPER),
        (policy.require_lowercase, LOWER),
        (policy.require_numbers, DIGITS),
        (policy.require_symbols, SYMBOLS),
    ] {
        if on {
            chars.push(pick(set, rng));
        }
    }
    let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS].concat();
    let length = policy.minimum_length.max(16);
    while chars.len() < length {
        chars.push(pick(&all, rng));
    }
    chars.shuffle(rng);
    Secret::new(String::from_utf8_lossy(&chars).into_owned())
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng as _;

    use super::*;

    #[test]
    fn every_password_meets_the_policy() {
        let policy = PasswordPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let p = temporary_password(&policy, &mut rng);
            assert!(
                policy.unmet_rules(p.expose()).is_empty(),
                "{:?}",
                policy.unmet_rules(p.expose())
            );
            assert!(p.expose().len() >= 16);
        }
        let long = PasswordPolicy {
            minimum_length: 30,
            ..PasswordPolicy::default()
        };
        assert_eq!(temporary_password(&long, &mut rng).expose().len(), 30);
    }
}
