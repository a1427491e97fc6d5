//! The desktop window's content security policy: images only from the app itself and from the
//! configured bucket (its S3 endpoint, and the bucket's virtual-host domain on AWS), so a
//! presigned preview loads and nothing else does.

use sync_core::config::StorageConfig;

/// The origins the gallery's presigned URLs point at.
#[must_use]
pub fn image_origins(storage: &StorageConfig) -> Vec<String> {
    if let Some(endpoint) = storage
        .endpoint
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let origin = origin_of(endpoint);
        let mut origins = vec![origin.clone()];
        if !storage.force_path_style && !storage.bucket.is_empty() {
            // Virtual-host style on a custom endpoint: https://bucket.host[:port]
            if let Some((scheme, host)) = origin.split_once("://") {
                origins.push(format!("{scheme}://{}.{host}", storage.bucket));
            }
        }
        return origins;
    }
    let region = &storage.region;
    let mut origins = vec![format!("https://s3.{region}.amazonaws.com")];
    if !storage.bucket.is_empty() {
        origins.push(format!(
            "https://{}.s3.{region}.amazonaws.com",
            storage.bucket
        ));
        origins.push(format!("https://{}.s3.amazonaws.com", storage.bucket));
    }
    origins
}

/// `scheme://host[:port]` of `url` (no path).
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// The whole policy: scripts and styles from the app, IPC, and images from the bucket.
#[must_use]
pub fn content_security_policy(storage: &StorageConfig) -> String {
    let images = image_origins(storage).join(" ");
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob: {images}; connect-src ipc: http://ipc.localhost; \
         object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both policies, the one set at start and the static fallback in `tauri.conf.json` (used
    /// when the config cannot be read), forbid plugins, `<base>` and form posts.
    #[test]
    fn both_policies_forbid_objects_base_and_forms() {
        let conf: serde_json::Value =
            serde_json::from_str(include_str!("../../src-tauri/tauri.conf.json"))
                .expect("tauri.conf.json is JSON");
        let fallback = conf["app"]["security"]["csp"]
            .as_str()
            .expect("a static fallback CSP")
            .to_owned();
        let started = content_security_policy(&StorageConfig::default());
        for policy in [fallback, started] {
            for directive in ["object-src 'none'", "base-uri 'none'", "form-action 'none'"] {
                assert!(
                    policy.contains(directive),
                    "{directive} missing from {policy}"
                );
            }
        }
    }

    #[test]
    fn a_local_endpoint_is_the_only_image_origin_with_path_style() {
        let storage = StorageConfig {
            bucket: "lightbox-dev".into(),
            endpoint: Some("http://127.0.0.1:3900/".into()),
            force_path_style: true,
            ..StorageConfig::default()
        };
        assert_eq!(image_origins(&storage), ["http://127.0.0.1:3900"]);
        let csp = content_security_policy(&storage);
        assert!(
            csp.contains("img-src 'self' data: blob: http://127.0.0.1:3900;"),
            "{csp}"
        );
        assert!(!csp.contains("img-src *"), "never any host");
    }

    #[test]
    fn aws_allows_the_regional_endpoint_and_the_bucket_domain() {
        let storage = StorageConfig {
            bucket: "studio-photos".into(),
            region: "eu-central-1".into(),
            ..StorageConfig::default()
        };
        assert_eq!(
            image_origins(&storage),
            [
                "https://s3.eu-central-1.amazonaws.com",
                "https://studio-photos.s3.eu-central-1.amazonaws.com",
                "https://studio-photos.s3.amazonaws.com",
            ]
        );
    }
}
