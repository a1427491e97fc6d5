//! `terraform output -json` of `infra/examples/studio` turned into the app's config.
//!
//! The example's `lightbox` output is one object (region, user pool, app client,
//! identity pool, bucket, Hosted UI domain); [`StudioOutputs::from_terraform_json`]
//! reads it and [`StudioOutputs::to_config_toml`] writes the `[storage]` and
//! `[auth.cognito]` sections of a config file. Pure: no files, no network.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::auth::CognitoConfig;
use crate::config::StorageConfig;

/// The name of the root module output that holds everything the app needs.
pub const OUTPUT_NAME: &str = "lightbox";

/// Where the output is defined, for error messages.
const EXAMPLE: &str = "infra/examples/studio";

/// What the studio's Terraform made, as the app needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudioOutputs {
    pub region: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub identity_pool_id: String,
    pub bucket: String,
    /// Full Hosted UI domain (`<prefix>.auth.<region>.amazoncognito.com`), when one was made.
    pub hosted_ui_domain: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TerraformImportError {
    #[error(
        "this is not JSON ({0}): pass the file written by `terraform output -json lightbox > lightbox.json` in {EXAMPLE} (infra/README.md; the `lightbox` output alone holds no secret)"
    )]
    NotJson(#[source] serde_json::Error),
    #[error(
        "this JSON is not `terraform output -json lightbox` (expected the `lightbox` output's object): \
         run `terraform output -json lightbox > lightbox.json` in {EXAMPLE} (infra/README.md; never \
         save every output, which prints secrets)"
    )]
    NotOutputs,
    #[error(
        "output `{OUTPUT_NAME}` is missing (found: {found}): run `terraform apply` with {EXAMPLE}, \
         or add its `{OUTPUT_NAME}` output to your root module, then `terraform output -json lightbox > lightbox.json` again"
    )]
    MissingOutput { found: String },
    #[error(
        "output `{OUTPUT_NAME}` is not an object with a `value`: it must be the object {EXAMPLE}/outputs.tf defines"
    )]
    NotAnObject,
    #[error(
        "output `{OUTPUT_NAME}` has no `{field}`: apply the current {EXAMPLE} (its `{OUTPUT_NAME}` output sets it) and export again"
    )]
    MissingField { field: &'static str },
    #[error(
        "output `{OUTPUT_NAME}`.{field} must be a non-empty string{or_null}, found {found}: check that output in your root module"
    )]
    WrongType {
        field: &'static str,
        or_null: &'static str,
        found: String,
    },
}

impl StudioOutputs {
    /// Read `terraform output -json` (all outputs), or `terraform output -json lightbox`
    /// (the object alone).
    pub fn from_terraform_json(text: &str) -> Result<Self, TerraformImportError> {
        let doc: Value = serde_json::from_str(text).map_err(TerraformImportError::NotJson)?;
        let Value::Object(top) = doc else {
            return Err(TerraformImportError::NotOutputs);
        };
        let value = if top.contains_key("user_pool_id") {
            &top
        } else {
            let output =
                top.get(OUTPUT_NAME)
                    .ok_or_else(|| TerraformImportError::MissingOutput {
                        found: found_names(&top),
                    })?;
            match output.get("value") {
                Some(Value::Object(value)) => value,
                _ => return Err(TerraformImportError::NotAnObject),
            }
        };
        Ok(Self {
            region: required(value, "region")?,
            user_pool_id: required(value, "user_pool_id")?,
            client_id: required(value, "client_id")?,
            identity_pool_id: required(value, "identity_pool_id")?,
            bucket: required(value, "bucket")?,
            hosted_ui_domain: optional(value, "hosted_ui_domain")?,
        })
    }

    /// The `[storage]` and `[auth.cognito]` sections of a config file, with a header
    /// saying where they came from. Every other setting keeps its default.
    #[must_use]
    pub fn to_config_toml(&self) -> String {
        #[derive(Serialize)]
        struct Auth {
            cognito: CognitoConfig,
        }
        #[derive(Serialize)]
        struct Document {
            storage: StorageConfig,
            auth: Auth,
        }
        let document = Document {
            storage: StorageConfig {
                bucket: self.bucket.clone(),
                region: self.region.clone(),
                ..StorageConfig::default()
            },
            auth: Auth {
                cognito: CognitoConfig {
                    region: Some(self.region.clone()),
                    user_pool_id: Some(self.user_pool_id.clone()),
                    client_id: Some(self.client_id.clone()),
                    identity_pool_id: Some(self.identity_pool_id.clone()),
                    hosted_ui_domain: self.hosted_ui_domain.clone(),
                    ..CognitoConfig::default()
                },
            },
        };
        // Plain strings, bools and tables only: serializing cannot fail.
        let body = toml::to_string_pretty(&document).unwrap_or_default();
        format!(
            "# Written by `lightbox config import-terraform` from the `{OUTPUT_NAME}` output of \
             `terraform output -json`.\n# Other settings keep their defaults; see sync-core/config.example.toml.\n\n{body}"
        )
    }
}

fn found_names(top: &Map<String, Value>) -> String {
    if top.is_empty() {
        "no outputs".to_owned()
    } else {
        top.keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn required(
    value: &Map<String, Value>,
    field: &'static str,
) -> Result<String, TerraformImportError> {
    match value.get(field) {
        None => Err(TerraformImportError::MissingField { field }),
        Some(v) => string(v, field, "").map(str::to_owned),
    }
}

fn optional(
    value: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, TerraformImportError> {
    match value.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => string(v, field, " or null").map(|s| Some(s.to_owned())),
    }
}

fn string<'a>(
    v: &'a Value,
    field: &'static str,
    or_null: &'static str,
) -> Result<&'a str, TerraformImportError> {
    match v.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(s),
        _ => Err(TerraformImportError::WrongType {
            field,
            or_null,
            found: v.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    const SAMPLE: &str = include_str!("../../infra/examples/studio/terraform-output.example.json");

    fn sample_value() -> Value {
        let doc: Value = serde_json::from_str(SAMPLE).expect("the sample is JSON");
        doc[OUTPUT_NAME]["value"].clone()
    }

    #[test]
    fn the_sample_output_becomes_a_config_the_app_accepts() {
        let outputs = StudioOutputs::from_terraform_json(SAMPLE).expect("the sample imports");
        let config = Config::from_toml_str(&outputs.to_config_toml())
            .expect("the written TOML parses as Config (deny_unknown_fields)");
        assert_eq!(
            config.storage.bucket, "acme-studio-photos",
            "bucket from the output"
        );
        assert_eq!(
            config.storage.region, "eu-west-1",
            "bucket region is the output's region"
        );
        assert!(
            config.storage.endpoint.is_none(),
            "Terraform targets AWS, not a custom endpoint"
        );
        let c = &config.auth.cognito;
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.user_pool_id.as_deref(), Some("eu-west-1_AbCdEf123"));
        assert_eq!(c.client_id.as_deref(), Some("4example5client6id7abcdefgh"));
        assert_eq!(
            c.identity_pool_id.as_deref(),
            Some("eu-west-1:11111111-2222-3333-4444-555555555555")
        );
        assert_eq!(c.hosted_ui_domain, None, "null in the output: no Hosted UI");
        assert_eq!(
            config.upload,
            Config::default().upload,
            "settings Terraform does not know keep their defaults"
        );
    }

    #[test]
    fn the_object_alone_and_a_hosted_ui_domain_are_accepted() {
        let mut value = sample_value();
        value["hosted_ui_domain"] = Value::from("acme-photos.auth.eu-west-1.amazoncognito.com");
        let outputs = StudioOutputs::from_terraform_json(&value.to_string())
            .expect("`terraform output -json lightbox` (the object alone) imports too");
        let config = Config::from_toml_str(&outputs.to_config_toml()).expect("parses");
        assert_eq!(
            config.auth.cognito.hosted_ui_domain.as_deref(),
            Some("acme-photos.auth.eu-west-1.amazoncognito.com")
        );
    }

    #[test]
    fn the_secret_outputs_are_not_copied_into_the_config() {
        let toml = StudioOutputs::from_terraform_json(SAMPLE)
            .expect("imports")
            .to_config_toml();
        assert!(
            !toml.contains("example-not-real"),
            "the admin's temporary password must never land in a config file: {toml}"
        );
    }

    /// (what is wrong, the JSON, words the error must contain)
    #[test]
    fn bad_input_is_refused_with_what_to_do() {
        let without = |field: &str| {
            let mut v = sample_value();
            v.as_object_mut().expect("object").remove(field);
            serde_json::json!({ "lightbox": { "value": v } }).to_string()
        };
        let with = |field: &str, bad: Value| {
            let mut v = sample_value();
            v[field] = bad;
            serde_json::json!({ "lightbox": { "value": v } }).to_string()
        };
        let cases: Vec<(&str, String, &[&str])> = vec![
            (
                "not JSON",
                "region = 1".to_owned(),
                &[
                    "not JSON",
                    "terraform output -json lightbox > lightbox.json",
                ],
            ),
            (
                "a list",
                "[]".to_owned(),
                &[
                    "not `terraform output -json lightbox`",
                    "> lightbox.json",
                    "infra/README.md",
                ],
            ),
            (
                "no lightbox output",
                r#"{"other": {"value": 1}}"#.to_owned(),
                &[
                    "output `lightbox` is missing",
                    "found: other",
                    "terraform apply",
                ],
            ),
            ("no outputs at all", "{}".to_owned(), &["no outputs"]),
            (
                "value is a string",
                r#"{"lightbox": {"value": "x"}}"#.to_owned(),
                &["not an object"],
            ),
            ("missing bucket", without("bucket"), &["has no `bucket`"]),
            (
                "missing client_id",
                without("client_id"),
                &["has no `client_id`"],
            ),
            (
                "region is a number",
                with("region", Value::from(1)),
                &["lightbox`.region must be a non-empty string", "found 1"],
            ),
            (
                "empty identity pool",
                with("identity_pool_id", Value::from("")),
                &["identity_pool_id must be a non-empty string"],
            ),
            (
                "hosted UI domain is a list",
                with("hosted_ui_domain", serde_json::json!([])),
                &["hosted_ui_domain must be a non-empty string or null"],
            ),
        ];
        for (what, json, words) in cases {
            let err = StudioOutputs::from_terraform_json(&json)
                .expect_err(what)
                .to_string();
            for w in words {
                assert!(err.contains(w), "{what}: the message says {w:?}: {err}");
            }
        }
    }
}
