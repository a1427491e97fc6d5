//! The shared index's check: which mode is in force and what the other would change, and in
//! the shared mode, that this machine's credentials can read the table (one GetItem of a key
//! that never exists, a read every station's role has).

use std::path::Path;

use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;
use aws_sdk_dynamodb::types::AttributeValue;

use super::probe::short_error;
use super::verdict::Check;
use sync_core::config::{Config, StorageConfig};

const NAME: &str = "index";

/// What the shared mode adds, in a studio's words.
const SHARED_MODE_GIVES: &str = "every station consults one DynamoDB table before uploading: \
    a name is never claimed twice (the loser is renamed), a photo an admin deleted is not sent \
    again from any station, and the same photo is not sent twice";

pub async fn index_check(config: &Config, storage: &StorageConfig, state_dir: &Path) -> Check {
    let Some(index) =
        sync_core::index::build_index_table(&config.index, storage, &config.auth, state_dir).await
    else {
        return Check::ok(
            NAME,
            format!(
                "one-station mode: no [index] table, so this station's catalog is its only \
                 truth. With one (Terraform's index_table output, `[index] table`), \
                 {SHARED_MODE_GIVES}"
            ),
        );
    };
    // `C#` and 64 zeros: a content key no SHA-256 will give.
    let probe = format!("C#{}", "0".repeat(64));
    let read = index
        .client()
        .get_item()
        .table_name(index.table())
        .key("pk", AttributeValue::S(probe))
        .send()
        .await;
    match read {
        Ok(_) => Check::ok(
            NAME,
            format!(
                "shared mode: table {} in {} answers; {SHARED_MODE_GIVES}",
                index.table(),
                index.region()
            ),
        ),
        Err(e)
            if e.as_service_error().and_then(|s| s.code()) == Some("ResourceNotFoundException") =>
        {
            Check::fail(
                NAME,
                format!(
                    "the shared index table {} does not exist in {}",
                    index.table(),
                    index.region()
                ),
                "fix [index] table (Terraform's index_table output) and [index] region, or \
                 remove [index] for one-station mode",
            )
        }
        Err(e) => Check::fail(
            NAME,
            format!(
                "cannot read the shared index table {}: {}",
                index.table(),
                short_error(&e)
            ),
            "the credentials need dynamodb:GetItem on the table (infra/modules/index grants it \
             to every station's role); check [index] region and endpoint",
        ),
    }
}
