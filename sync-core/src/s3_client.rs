//! Builds the aws-sdk-s3 client from [`StorageConfig`] and [`AuthConfig`].

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::Client;

use crate::config::{AuthConfig, CredentialSource, StorageConfig};

/// An S3 client for the configured bucket's endpoint, region and credentials.
pub async fn build_s3_client(storage: &StorageConfig, auth: &AuthConfig) -> Client {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).region(Region::new(storage.region.clone()));
    match auth.credentials {
        CredentialSource::DefaultChain => {
            if let Some(profile) = &auth.profile {
                loader = loader.profile_name(profile);
            }
        }
    }
    let shared = loader.load().await;
    let mut s3 =
        aws_sdk_s3::config::Builder::from(&shared).force_path_style(storage.force_path_style);
    if let Some(endpoint) = &storage.endpoint {
        s3 = s3.endpoint_url(endpoint);
    }
    Client::from_conf(s3.build())
}
