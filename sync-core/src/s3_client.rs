//! Builds the aws-sdk-s3 client from [`StorageConfig`] and [`AuthConfig`].
//!
//! Credentials come from the default AWS chain (an IAM role on a server) or, with
//! `auth.credentials = "cognito"`, from the identity pool for the signed-in user
//! (`crate::auth::identity_credentials`), refreshed by the SDK's cache before expiry.

use std::path::Path;

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::Client;

use crate::config::{AuthConfig, CredentialSource, StorageConfig};
use crate::credential_expiry::{self, CredentialExpiry};

/// An S3 client for the configured bucket's endpoint, region and credentials. With
/// `cognito` credentials the signed-in user's refresh token is looked up for
/// `state_dir` (the config's `state_dir()`).
///
/// With `cognito` credentials and a broken `[auth.cognito]` section, the client is
/// built anyway and each request fails with the reason (say, "not signed in").
pub async fn build_s3_client(
    storage: &StorageConfig,
    auth: &AuthConfig,
    state_dir: &Path,
) -> Client {
    build_tracked_s3_client(storage, auth, state_dir).await.0
}

/// [`build_s3_client`], with a handle on its credentials' expiry (which presigned URLs must
/// not outlive).
pub async fn build_tracked_s3_client(
    storage: &StorageConfig,
    auth: &AuthConfig,
    state_dir: &Path,
) -> (Client, CredentialExpiry) {
    let (shared, expiry) =
        credential_expiry::track(shared_sdk_config(&storage.region, auth, state_dir).await);
    let mut s3 =
        aws_sdk_s3::config::Builder::from(&shared).force_path_style(storage.force_path_style);
    if let Some(endpoint) = &storage.endpoint {
        s3 = s3.endpoint_url(endpoint);
    }
    (Client::from_conf(s3.build()), expiry)
}

/// The SDK settings every Lightbox AWS client shares: `region` and the configured
/// credentials (the S3 client here, the shared index's DynamoDB client in
/// `crate::index::client`).
pub(crate) async fn shared_sdk_config(
    region: &str,
    auth: &AuthConfig,
    state_dir: &Path,
) -> aws_config::SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(region.to_owned()));
    match auth.credentials {
        CredentialSource::DefaultChain => {
            if let Some(profile) = &auth.profile {
                loader = loader.profile_name(profile);
            }
        }
        CredentialSource::Cognito => {
            loader = loader.credentials_provider(cognito_credentials(auth, state_dir).await);
        }
    }
    loader.load().await
}

/// The identity-pool provider, or one that explains on every request why there is none.
async fn cognito_credentials(auth: &AuthConfig, state_dir: &Path) -> SharedCredentialsProvider {
    let built = match crate::auth::session::Auth::from_config(&auth.cognito, state_dir).await {
        Ok(a) => a.identity_credentials().await,
        Err(e) => Err(e),
    };
    match built {
        Ok(provider) => SharedCredentialsProvider::new(provider),
        Err(e) => SharedCredentialsProvider::new(crate::auth::identity_credentials::Unavailable(
            e.to_string(),
        )),
    }
}
