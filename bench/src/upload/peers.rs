//! The command line each tool gets for a run, in two modes:
//!
//! - **matched**: the same request shape for every tool: `concurrency` files at once,
//!   `concurrency` parts at once per file where the tool has that knob, parts of
//!   `part_size_mib`, and multipart from `part_size_mib` up;
//! - **defaults**: each tool as it ships (only endpoint and credentials given).
//!
//! Pure: building a command line does no I/O, so the table below is tested.

use std::path::{Path, PathBuf};

use super::measure::Invocation;
use super::target::Target;

/// A client under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Lightbox,
    S5cmd,
    Rclone,
    AwsCli,
}

impl Tool {
    pub const ALL: [Self; 4] = [Self::Lightbox, Self::S5cmd, Self::Rclone, Self::AwsCli];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Lightbox => "lightbox",
            Self::S5cmd => "s5cmd",
            Self::Rclone => "rclone",
            Self::AwsCli => "aws-cli",
        }
    }

    /// Parse a name from the command line.
    ///
    /// # Errors
    /// When the name is not a tool.
    pub fn parse(name: &str) -> anyhow::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                anyhow::anyhow!("unknown tool {name:?}: use lightbox, s5cmd, rclone or aws-cli")
            })
    }
}

/// How the tools are configured for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Matched {
        concurrency: usize,
        part_size_mib: u64,
    },
    Defaults,
}

impl Mode {
    #[must_use]
    pub fn label(self) -> String {
        match self {
            Self::Matched {
                concurrency,
                part_size_mib,
            } => {
                format!("matched: {concurrency} at once, {part_size_mib} MiB parts, originals only")
            }
            Self::Defaults => "each tool's defaults".to_owned(),
        }
    }
}

/// Paths of the programs.
#[derive(Debug, Clone)]
pub struct Programs {
    pub lightbox: PathBuf,
    pub s5cmd: PathBuf,
    pub rclone: PathBuf,
    pub aws: PathBuf,
}

/// Where one run keeps its private files (configs, Lightbox's state).
#[derive(Debug, Clone)]
pub struct RunDir(pub PathBuf);

/// Files a tool needs written before it runs (path, contents).
pub type SetupFiles = Vec<(PathBuf, String)>;

/// The invocation of `tool` uploading every file in `src` to `target`.
#[must_use]
pub fn invocation(
    tool: Tool,
    mode: Mode,
    programs: &Programs,
    src: &Path,
    target: &Target,
    run: &RunDir,
) -> (Invocation, SetupFiles) {
    let keys = vec![
        ("AWS_ACCESS_KEY_ID".to_owned(), target.access_key_id.clone()),
        (
            "AWS_SECRET_ACCESS_KEY".to_owned(),
            target.secret_access_key.clone(),
        ),
        ("AWS_REGION".to_owned(), target.region.clone()),
        ("AWS_DEFAULT_REGION".to_owned(), target.region.clone()),
    ];
    let src_s = src.display().to_string();
    let s3_url = format!("s3://{}/bench/", target.bucket);
    let mut files = SetupFiles::new();
    let mut env = keys;
    let (program, args) = match tool {
        Tool::Lightbox => {
            let config = run.0.join("lightbox.toml");
            files.push((
                config.clone(),
                format!(
                    "[storage]\nbucket = {:?}\nregion = {:?}\nendpoint = {:?}\nforce_path_style = true\n",
                    target.bucket, target.region, target.endpoint
                ),
            ));
            env.push(("LIGHTBOX_CONFIG".to_owned(), config.display().to_string()));
            env.push((
                "LIGHTBOX_STATE_DIR".to_owned(),
                run.0.join("state").display().to_string(),
            ));
            let mut args = vec!["push".to_owned()];
            if let Mode::Matched {
                concurrency,
                part_size_mib,
            } = mode
            {
                env.push((
                    "LIGHTBOX_UPLOAD__MAX_REQUESTS_IN_FLIGHT".to_owned(),
                    concurrency.to_string(),
                ));
                env.push((
                    "LIGHTBOX_UPLOAD__MULTIPART_THRESHOLD_MIB".to_owned(),
                    part_size_mib.to_string(),
                ));
                // The same work as the peers: originals only. (Lightbox's defaults, the other
                // mode, make a thumbnail and a screen preview of every photo after its upload.)
                env.push(("LIGHTBOX_PREVIEWS__ENABLED".to_owned(), "false".to_owned()));
                args.extend(["--concurrency".to_owned(), concurrency.to_string()]);
                args.extend(["--part-size-mib".to_owned(), part_size_mib.to_string()]);
            }
            args.push(src_s);
            (programs.lightbox.clone(), args)
        }
        Tool::S5cmd => {
            let mut args = vec!["--endpoint-url".to_owned(), target.endpoint.clone()];
            if let Mode::Matched { concurrency, .. } = mode {
                args.extend(["--numworkers".to_owned(), concurrency.to_string()]);
            }
            args.push("cp".to_owned());
            if let Mode::Matched {
                concurrency,
                part_size_mib,
            } = mode
            {
                args.extend(["--concurrency".to_owned(), concurrency.to_string()]);
                args.extend(["--part-size".to_owned(), part_size_mib.to_string()]);
            }
            args.extend([format!("{src_s}/*"), s3_url]);
            (programs.s5cmd.clone(), args)
        }
        Tool::Rclone => {
            // No config file: the remote is given on the command line.
            let config = run.0.join("rclone.conf");
            files.push((config.clone(), String::new()));
            env.push(("RCLONE_CONFIG".to_owned(), config.display().to_string()));
            let mut args = vec![
                "copy".to_owned(),
                src_s,
                format!(":s3:{}/bench", target.bucket),
                "--s3-provider=Other".to_owned(),
                format!("--s3-endpoint={}", target.endpoint),
                "--s3-env-auth=true".to_owned(),
                format!("--s3-region={}", target.region),
                "--s3-force-path-style=true".to_owned(),
                "--s3-no-check-bucket".to_owned(),
            ];
            if let Mode::Matched {
                concurrency,
                part_size_mib,
            } = mode
            {
                args.push(format!("--transfers={concurrency}"));
                args.push(format!("--s3-upload-concurrency={concurrency}"));
                args.push(format!("--s3-chunk-size={part_size_mib}Mi"));
                args.push(format!("--s3-upload-cutoff={part_size_mib}Mi"));
            }
            (programs.rclone.clone(), args)
        }
        Tool::AwsCli => {
            let config = run.0.join("aws-config");
            let mut text = "[default]\ns3 =\n  addressing_style = path\n".to_owned();
            if let Mode::Matched {
                concurrency,
                part_size_mib,
            } = mode
            {
                text.push_str(&format!(
                    "  max_concurrent_requests = {concurrency}\n  multipart_chunksize = {part_size_mib}MB\n  multipart_threshold = {part_size_mib}MB\n"
                ));
            }
            files.push((config.clone(), text));
            env.push(("AWS_CONFIG_FILE".to_owned(), config.display().to_string()));
            env.push((
                "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
                "/dev/null".to_owned(),
            ));
            let args = vec![
                "s3".to_owned(),
                "cp".to_owned(),
                "--recursive".to_owned(),
                "--only-show-errors".to_owned(),
                "--endpoint-url".to_owned(),
                target.endpoint.clone(),
                src_s,
                s3_url,
            ];
            (programs.aws.clone(), args)
        }
    };
    (Invocation { program, args, env }, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> (Programs, Target, RunDir) {
        let programs = Programs {
            lightbox: "/bin/lightbox".into(),
            s5cmd: "/bin/s5cmd".into(),
            rclone: "/bin/rclone".into(),
            aws: "/bin/aws".into(),
        };
        let target = Target {
            endpoint: "http://127.0.0.1:3900".into(),
            region: "us-east-1".into(),
            access_key_id: "GK1".into(),
            secret_access_key: "s".into(),
            bucket: "b1".into(),
        };
        (programs, target, RunDir("/run/1".into()))
    }

    #[test]
    fn matched_mode_gives_every_tool_the_same_shape() {
        let (p, t, r) = fixture();
        let m = Mode::Matched {
            concurrency: 8,
            part_size_mib: 16,
        };
        let line = |tool| {
            invocation(tool, m, &p, Path::new("/data"), &t, &r)
                .0
                .display()
        };
        assert_eq!(
            line(Tool::Lightbox),
            "lightbox push --concurrency 8 --part-size-mib 16 /data"
        );
        assert_eq!(
            line(Tool::S5cmd),
            "s5cmd --endpoint-url http://127.0.0.1:3900 --numworkers 8 cp --concurrency 8 --part-size 16 '/data/*' s3://b1/bench/"
        );
        let rclone = line(Tool::Rclone);
        for flag in [
            "--transfers=8",
            "--s3-upload-concurrency=8",
            "--s3-chunk-size=16Mi",
            "--s3-upload-cutoff=16Mi",
        ] {
            assert!(rclone.contains(flag), "{rclone} lacks {flag}");
        }
        let (_, files) = invocation(Tool::AwsCli, m, &p, Path::new("/data"), &t, &r);
        assert!(
            files[0].1.contains("max_concurrent_requests = 8"),
            "aws-cli config: {}",
            files[0].1
        );
        assert!(files[0].1.contains("multipart_chunksize = 16MB"));
    }

    #[test]
    fn lightbox_gets_a_private_state_dir_and_matched_thresholds() {
        let (p, t, r) = fixture();
        let m = Mode::Matched {
            concurrency: 4,
            part_size_mib: 32,
        };
        let (inv, files) = invocation(Tool::Lightbox, m, &p, Path::new("/d"), &t, &r);
        let env = |k: &str| inv.env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(env("LIGHTBOX_STATE_DIR").as_deref(), Some("/run/1/state"));
        assert_eq!(
            env("LIGHTBOX_UPLOAD__MULTIPART_THRESHOLD_MIB").as_deref(),
            Some("32")
        );
        assert_eq!(
            env("LIGHTBOX_PREVIEWS__ENABLED").as_deref(),
            Some("false"),
            "matched: originals only, as the peers"
        );
        assert!(files[0].1.contains("bucket = \"b1\""), "{}", files[0].1);
    }

    #[test]
    fn defaults_mode_sets_no_tuning() {
        let (p, t, r) = fixture();
        let line = invocation(Tool::S5cmd, Mode::Defaults, &p, Path::new("/d"), &t, &r)
            .0
            .display();
        assert!(
            !line.contains("--numworkers") && !line.contains("--part-size"),
            "{line}"
        );
        assert_eq!(
            invocation(Tool::Lightbox, Mode::Defaults, &p, Path::new("/d"), &t, &r)
                .0
                .display(),
            "lightbox push /d"
        );
    }
}
