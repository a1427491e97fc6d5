//! The DynamoDB client for the shared index, built like the S3 client
//! ([`crate::s3_client`]): the same credentials (default chain or the signed-in user's
//! identity-pool credentials), the bucket's region unless `[index] region` says otherwise,
//! and `[index] endpoint` for the local stack.

use std::path::Path;

use aws_sdk_dynamodb::config::retry::RetryConfig;

use crate::config::{AuthConfig, IndexConfig, StorageConfig};

/// The shared index: a DynamoDB client and the table it reads and writes.
#[derive(Debug, Clone)]
pub struct IndexTable {
    client: aws_sdk_dynamodb::Client,
    table: String,
    region: String,
}

impl IndexTable {
    /// `client` on `table` (in `region`, named in errors).
    #[must_use]
    pub fn new(client: aws_sdk_dynamodb::Client, table: String, region: String) -> Self {
        Self {
            client,
            table,
            region,
        }
    }

    /// The DynamoDB client.
    #[must_use]
    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// The table's name.
    #[must_use]
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The table's region.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }
}

/// The configured index table, or `None` when `[index] table` is not set (no shared index).
///
/// The SDK's own retries are off: every index call goes through the project's
/// [`crate::retry::Retrier`], as S3's transfers do (see [`crate::retry`]).
pub async fn build_index_table(
    index: &IndexConfig,
    storage: &StorageConfig,
    auth: &AuthConfig,
    state_dir: &Path,
) -> Option<IndexTable> {
    let table = index.table.clone()?;
    let region = index
        .region
        .clone()
        .unwrap_or_else(|| storage.region.clone());
    let auth = match &index.profile {
        Some(profile) => AuthConfig {
            profile: Some(profile.clone()),
            ..auth.clone()
        },
        None => auth.clone(),
    };
    let shared = crate::s3_client::shared_sdk_config(&region, &auth, state_dir).await;
    let mut conf =
        aws_sdk_dynamodb::config::Builder::from(&shared).retry_config(RetryConfig::disabled());
    if let Some(endpoint) = &index.endpoint {
        conf = conf.endpoint_url(endpoint);
    }
    let client = aws_sdk_dynamodb::Client::from_conf(conf.build());
    Some(IndexTable::new(client, table, region))
}
