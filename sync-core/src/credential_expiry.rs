//! When the credentials an SDK client signs with expire, as its credential cache last loaded
//! them: a presigned URL must not outlive them (it would fail with 403 mid-scroll), and asking
//! the provider again would cost a Cognito or STS call per gallery page.
//!
//! [`track`] wraps the credentials provider of an [`SdkConfig`] in one that records the expiry
//! of every set it hands out. The SDK's identity cache is the only caller of that provider and
//! keeps the last set it loaded, so the recorded expiry is the expiry of the credentials the
//! client signs with now. The SDK exposes no public way to read its cached identity from a
//! client, which is why this is written here.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use jiff::Timestamp;

/// What is known of the current credentials' expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expiry {
    /// No credentials were loaded yet (or the client was not built through [`track`]).
    #[default]
    Unknown,
    /// Credentials were loaded; `None` when they never expire (static keys).
    Known(Option<Timestamp>),
}

/// A handle on the expiry of a client's credentials; clones share it.
#[derive(Debug, Clone, Default)]
pub struct CredentialExpiry(Arc<Mutex<Expiry>>);

impl CredentialExpiry {
    /// The expiry of the credentials loaded last.
    #[must_use]
    pub fn get(&self) -> Expiry {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, expiry: Option<SystemTime>) {
        let at = expiry.and_then(|t| Timestamp::try_from(t).ok());
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Expiry::Known(at);
    }
}

/// `config` with its credentials provider wrapped so that [`CredentialExpiry`] follows it. A
/// config without credentials is returned as it is (the handle stays `Unknown`).
#[must_use]
pub fn track(config: SdkConfig) -> (SdkConfig, CredentialExpiry) {
    let expiry = CredentialExpiry::default();
    let Some(inner) = config.credentials_provider() else {
        return (config, expiry);
    };
    let recording = Recording {
        inner,
        expiry: expiry.clone(),
    };
    let config = config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(recording))
        .build();
    (config, expiry)
}

#[derive(Debug)]
struct Recording {
    inner: SharedCredentialsProvider,
    expiry: CredentialExpiry,
}

impl ProvideCredentials for Recording {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            let credentials = self.inner.provide_credentials().await?;
            self.expiry.record(credentials.expiry());
            Ok(credentials)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_config::BehaviorVersion;
    use aws_credential_types::Credentials;

    use super::*;

    fn config_with(credentials: Credentials) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build()
    }

    #[tokio::test]
    async fn the_expiry_of_the_credentials_handed_out_is_recorded() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let (config, expiry) = track(config_with(Credentials::new(
            "AKID",
            "secret",
            None,
            Some(at),
            "test",
        )));
        assert_eq!(expiry.get(), Expiry::Unknown, "nothing loaded yet");
        let provider = config.credentials_provider().expect("a provider");
        provider.provide_credentials().await.expect("credentials");
        assert_eq!(
            expiry.get(),
            Expiry::Known(Some(
                Timestamp::from_second(1_800_000_000).expect("a valid timestamp")
            ))
        );
    }

    #[tokio::test]
    async fn static_keys_are_known_never_to_expire() {
        let (config, expiry) = track(config_with(Credentials::new(
            "AKID", "secret", None, None, "test",
        )));
        let provider = config.credentials_provider().expect("a provider");
        provider.provide_credentials().await.expect("credentials");
        assert_eq!(expiry.get(), Expiry::Known(None));
    }

    #[test]
    fn a_config_without_credentials_stays_unknown() {
        let (config, expiry) = track(SdkConfig::builder().build());
        assert!(config.credentials_provider().is_none());
        assert_eq!(expiry.get(), Expiry::Unknown);
    }
}
