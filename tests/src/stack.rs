//! The local stack as seen by tests: endpoints, keys, pool ids, and clients for them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_s3::config::Credentials;
use serde::Deserialize;

/// What `scripts/provision.py` wrote to `stack.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct StackInfo {
    pub region: String,
    pub moto: MotoInfo,
    pub garage: GarageInfo,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MotoInfo {
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub bucket: String,
    /// The shared index's DynamoDB table (`SPEC["index_table"]` in scripts/provision.py).
    pub index_table: String,
    pub cognito: CognitoInfo,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CognitoInfo {
    pub region: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub identity_pool_id: String,
    pub issuer: String,
    pub jwks_url: String,
    pub admin_username: String,
    pub admin_temporary_password: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GarageInfo {
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub bucket: String,
}

/// The running local stack.
#[derive(Debug)]
pub struct Stack {
    pub dir: PathBuf,
    pub info: StackInfo,
}

/// The repository root (where `scripts/` is).
#[must_use]
pub fn repo_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Start the local stack or find it running. Panics with the script's output
/// when it cannot: a test that needs the stack must not pass without it.
pub fn stack() -> &'static Stack {
    static STACK: OnceLock<Stack> = OnceLock::new();
    STACK.get_or_init(|| {
        let script = repo_root().join("scripts/stack.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("up")
            .output()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", script.display()));
        assert!(
            out.status.success(),
            "the local stack could not be started ({}), so this test cannot run.\n\
             Run `scripts/stack.sh up` to see why.\n--- stderr ---\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        let path = dir.join("stack.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("stack is up but {} is unreadable: {e}", path.display()));
        let info = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not what provision.py writes: {e}", path.display()));
        Stack { dir, info }
    })
}

/// A name unique to this process and call, usable as an S3 bucket name or prefix
/// (lowercase, digits and dashes, at most 63 characters).
#[must_use]
pub fn unique_name(hint: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let hint: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(30)
        .collect();
    format!("{hint}-{}-{n}-{nanos:x}", std::process::id())
}

impl Stack {
    fn sdk_config(&self, endpoint: &str, key: &str, secret: &str) -> aws_config::SdkConfig {
        self.sdk_config_signed(
            endpoint,
            Credentials::new(key, secret, None, None, "lightbox-local-stack"),
        )
    }

    fn sdk_config_signed(&self, endpoint: &str, credentials: Credentials) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.info.region.clone()))
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_s3::config::SharedCredentialsProvider::new(
                credentials,
            ))
            .build()
    }

    /// An S3 client for Garage (verifies signatures and checksums).
    #[must_use]
    pub fn garage_s3(&self) -> aws_sdk_s3::Client {
        let g = &self.info.garage;
        let shared = self.sdk_config(&g.endpoint, &g.access_key_id, &g.secret_access_key);
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// An S3 client config for Garage's key aimed at `endpoint` (say, a fault
    /// proxy in front of Garage), for a test to adjust (retries, timeouts).
    #[must_use]
    pub fn garage_s3_config_via(&self, endpoint: &str) -> aws_sdk_s3::config::Builder {
        let g = &self.info.garage;
        let shared = self.sdk_config(endpoint, &g.access_key_id, &g.secret_access_key);
        aws_sdk_s3::config::Builder::from(&shared).force_path_style(true)
    }

    /// An S3 client for Garage's key aimed at `endpoint`.
    #[must_use]
    pub fn garage_s3_via(&self, endpoint: &str) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(self.garage_s3_config_via(endpoint).build())
    }

    /// Credentials with the policies of moto's IAM role `role` (say `lightbox-studio-daemon`),
    /// as an instance profile hands the daemon its role's credentials. Requests signed with
    /// them meet that role's policies (moto enforces IAM here). moto cannot evaluate the
    /// role's own trust policy (a service principal: it fails with 500), so, as
    /// `tests/iam_enforcement.py` does, the role's inline policies are copied onto a new role
    /// that the stack's admin may assume, and that one is assumed.
    pub fn moto_role_credentials(&self, role: &str) -> Credentials {
        let me = self.moto_admin_cli(&["sts", "get-caller-identity"]);
        let copy = crate::unique_name("role");
        let trust = serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": me["Arn"]}, "Action": "sts:AssumeRole"}]});
        self.moto_admin_cli(&[
            "iam",
            "create-role",
            "--role-name",
            &copy,
            "--assume-role-policy-document",
            &trust.to_string(),
        ]);
        let names = self.moto_admin_cli(&["iam", "list-role-policies", "--role-name", role]);
        for name in names["PolicyNames"].as_array().into_iter().flatten() {
            let name = name.as_str().expect("a policy name");
            let policy = self.moto_admin_cli(&[
                "iam",
                "get-role-policy",
                "--role-name",
                role,
                "--policy-name",
                name,
            ]);
            let document = match &policy["PolicyDocument"] {
                serde_json::Value::String(text) => text.clone(),
                document => document.to_string(),
            };
            self.moto_admin_cli(&[
                "iam",
                "put-role-policy",
                "--role-name",
                &copy,
                "--policy-name",
                name,
                "--policy-document",
                &document,
            ]);
        }
        let assumed = self.moto_admin_cli(&[
            "sts",
            "assume-role",
            "--role-arn",
            &format!("arn:aws:iam::123456789012:role/{copy}"),
            "--role-session-name",
            "lightbox-tests",
        ]);
        let field = |name: &str| {
            assumed["Credentials"][name]
                .as_str()
                .unwrap_or_else(|| panic!("assume-role gave no {name}: {assumed}"))
                .to_owned()
        };
        Credentials::new(
            field("AccessKeyId"),
            field("SecretAccessKey"),
            Some(field("SessionToken")),
            None,
            "lightbox-tests-role",
        )
    }

    /// aws-cli against moto with the stack's admin key: its JSON output, or a panic with what
    /// it printed.
    fn moto_admin_cli(&self, args: &[&str]) -> serde_json::Value {
        let m = &self.info.moto;
        let out = Command::new(self.venv_bin("aws"))
            .env("AWS_ACCESS_KEY_ID", &m.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &m.secret_access_key)
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_DEFAULT_REGION", &self.info.region)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .args(["--endpoint-url", &m.endpoint, "--output", "json"])
            .args(args)
            .output()
            .expect("aws-cli runs");
        assert!(
            out.status.success(),
            "aws {args:?} as the stack admin: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }

    /// An S3 client for moto.
    #[must_use]
    pub fn moto_s3(&self) -> aws_sdk_s3::Client {
        self.moto_s3_via(&self.info.moto.endpoint)
    }

    /// An S3 client for moto that signs with `credentials` (say, a role's:
    /// [`Stack::moto_role_credentials`]).
    #[must_use]
    pub fn moto_s3_as(&self, credentials: Credentials) -> aws_sdk_s3::Client {
        let shared = self.sdk_config_signed(&self.info.moto.endpoint, credentials);
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(true)
                .build(),
        )
    }

    /// An S3 client for moto's key aimed at `endpoint` (say, a proxy in front of moto).
    #[must_use]
    pub fn moto_s3_via(&self, endpoint: &str) -> aws_sdk_s3::Client {
        let m = &self.info.moto;
        let shared = self.sdk_config(endpoint, &m.access_key_id, &m.secret_access_key);
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// The shared index on moto's DynamoDB, through `endpoint` (moto's, or a fault proxy in
    /// front of it), with the SDK's own retries off as `sync_core::index::build_index_table`
    /// builds it: every retry is the retry policy's.
    #[must_use]
    pub fn moto_index_via(&self, endpoint: &str) -> sync_core::index::IndexTable {
        let m = &self.info.moto;
        let shared = self.sdk_config(endpoint, &m.access_key_id, &m.secret_access_key);
        let conf = aws_sdk_dynamodb::config::Builder::from(&shared)
            .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
            .build();
        sync_core::index::IndexTable::new(
            aws_sdk_dynamodb::Client::from_conf(conf),
            m.index_table.clone(),
            self.info.region.clone(),
        )
    }

    /// A Cognito user pool client for moto (admin and user APIs).
    #[must_use]
    pub fn cognito_idp(&self) -> aws_sdk_cognitoidentityprovider::Client {
        let m = &self.info.moto;
        aws_sdk_cognitoidentityprovider::Client::new(&self.sdk_config(
            &m.endpoint,
            &m.access_key_id,
            &m.secret_access_key,
        ))
    }

    /// A new, empty Garage bucket for one test.
    ///
    /// # Panics
    /// When Garage refuses to create it (the stack is broken).
    pub async fn fresh_garage_bucket(&self, hint: &str) -> String {
        let name = unique_name(hint);
        self.garage_s3()
            .create_bucket()
            .bucket(&name)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "Garage refused to create bucket {name}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(e)
                )
            });
        name
    }

    /// `export` lines (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, LIGHTBOX_CONFIG)
    /// as pairs, for running `lightbox` or aws-cli against the stack.
    #[must_use]
    pub fn env_vars(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(self.dir.join("stack.env")).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    /// The project's Python venv `bin/` (aws-cli, boto3), for checking from outside.
    #[must_use]
    pub fn venv_bin(&self, tool: &str) -> PathBuf {
        let out = Command::new("bash")
            .arg("-c")
            .arg(". scripts/common.sh && printf %s \"$VENV_DIR\"")
            .current_dir(repo_root())
            .output()
            .expect("bash runs");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
            .join("bin")
            .join(tool)
    }
}
