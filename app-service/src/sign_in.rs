//! The sign-in screen's steps over [`sync_core::auth::user_pool`]: the Cognito challenge between
//! two calls is kept here, so the UI only ever sends what the user typed.

use qrcode::QrCode;
use qrcode::render::svg;

use crate::ipc::{ErrorCode, IpcError, PasswordPolicyView, SignInStep, TotpSetup};
use sync_core::auth::password_policy::PasswordPolicy;
use sync_core::auth::user_pool::{Challenge, SignInStep as PoolStep, Tokens, TotpEnrolment};

/// What the next sign-in call needs from the last one.
#[derive(Debug, Default)]
pub enum Pending {
    /// No sign-in under way.
    #[default]
    Nothing,
    NewPassword(Challenge),
    Totp(Challenge),
    TotpSetup(Challenge),
    /// `begin_totp_setup` was called; the first code finishes it.
    Enrolling(TotpEnrolment),
}

/// Where one step of the user pool leaves the sign-in.
#[derive(Debug)]
pub enum Outcome {
    /// Signed in: keep the tokens and start.
    Done(Tokens),
    /// Ask the user for the next thing; keep `Pending` for that call.
    Ask(SignInStep, Pending),
}

/// The UI's step for a user-pool step.
#[must_use]
pub fn outcome(step: PoolStep, policy: &PasswordPolicy) -> Outcome {
    match step {
        PoolStep::Done(tokens) => Outcome::Done(tokens),
        PoolStep::NewPasswordRequired(c) => Outcome::Ask(
            SignInStep::NewPasswordRequired {
                policy: policy_view(policy),
            },
            Pending::NewPassword(c),
        ),
        PoolStep::SoftwareTokenMfa(c) => Outcome::Ask(SignInStep::TotpRequired, Pending::Totp(c)),
        PoolStep::MfaSetup(c) => Outcome::Ask(SignInStep::TotpSetupRequired, Pending::TotpSetup(c)),
    }
}

/// The error for a step called out of turn (say, a code with no sign-in under way).
#[must_use]
pub fn out_of_turn(expected: &str) -> IpcError {
    IpcError::new(
        ErrorCode::SessionExpired,
        format!(
            "there is no sign-in waiting for {expected} (it expired or the app restarted): \
             start again with your user name and password"
        ),
    )
}

/// The pool's password policy as flags and one plain sentence per rule.
#[must_use]
pub fn policy_view(policy: &PasswordPolicy) -> PasswordPolicyView {
    let mut rules = vec![format!("At least {} characters.", policy.minimum_length)];
    for (on, rule) in [
        (
            policy.require_uppercase,
            "At least one capital letter (A-Z).",
        ),
        (policy.require_lowercase, "At least one small letter (a-z)."),
        (policy.require_numbers, "At least one digit (0-9)."),
        (
            policy.require_symbols,
            "At least one symbol, such as ! ? # % & * or a space.",
        ),
    ] {
        if on {
            rules.push(rule.to_owned());
        }
    }
    PasswordPolicyView {
        min_length: u64::try_from(policy.minimum_length).unwrap_or(u64::MAX),
        require_uppercase: policy.require_uppercase,
        require_lowercase: policy.require_lowercase,
        require_numbers: policy.require_numbers,
        require_symbols: policy.require_symbols,
        rules,
    }
}

/// The enrolment as the UI shows it: the secret, its URI and that URI as a QR code.
///
/// # Errors
/// `internal` when the URI does not fit a QR code (it always does: it is short).
pub fn totp_setup(enrolment: &TotpEnrolment) -> Result<TotpSetup, IpcError> {
    let uri = enrolment.otpauth_uri.expose();
    Ok(TotpSetup {
        secret: enrolment.secret.expose().to_owned(),
        otpauth_uri: uri.to_owned(),
        qr_svg: qr_svg(uri)?,
    })
}

/// `text` as an SVG QR code, dark on light, at least 200 px wide.
///
/// # Errors
/// `internal` when `text` is too long for a QR code.
pub fn qr_svg(text: &str) -> Result<String, IpcError> {
    let code = QrCode::new(text.as_bytes()).map_err(|e| {
        IpcError::new(
            ErrorCode::Internal,
            format!("cannot draw the QR code ({e}); type the secret into the app instead"),
        )
    })?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_reads_as_one_sentence_per_rule() {
        let view = policy_view(&PasswordPolicy::default());
        assert_eq!(view.min_length, 12);
        assert_eq!(view.rules.len(), 5, "length plus four character classes");
        assert!(view.rules[0].contains("12 characters"));
        let lax = policy_view(&PasswordPolicy {
            minimum_length: 8,
            require_uppercase: false,
            require_lowercase: false,
            require_numbers: false,
            require_symbols: false,
        });
        assert_eq!(
            lax.rules,
            ["At least 8 characters."],
            "rules that are off are not shown"
        );
    }

    #[test]
    fn the_qr_code_is_an_svg_document() {
        let svg = qr_svg("otpauth://totp/Lightbox:admin?secret=JBSWY3DPEHPK3PXP&issuer=Lightbox")
            .expect("fits");
        assert!(svg.contains("<svg"), "{}", &svg[..80.min(svg.len())]);
        assert!(svg.contains("#000000"), "dark modules are drawn");
    }
}
