//! Reading objects and making buckets, panicking with the SDK's full error.

/// `key` in `bucket`; panics with the SDK's full error.
pub async fn get_object(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> aws_sdk_s3::operation::get_object::GetObjectOutput {
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GetObject {key}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        })
}

/// The bytes of `key` in `bucket`; panics with the SDK's full error.
pub async fn get_object_bytes(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let object = get_object(client, bucket, key).await;
    object
        .body
        .collect()
        .await
        .expect("read the object body")
        .into_bytes()
        .to_vec()
}

/// A new bucket on moto (any moto client: the stack's or a test's own).
pub async fn moto_bucket(client: &aws_sdk_s3::Client, hint: &str) -> String {
    let bucket = crate::unique_name(hint);
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "moto refused to create bucket {bucket}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        });
    bucket
}
