//! One measured run of a command: wall time, client CPU and peak RSS, taken by
//! `/usr/bin/time` (the same measurement for every tool).

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// A command line with its complete environment (nothing inherited but PATH and HOME,
/// so a stray `AWS_PROFILE` cannot change a tool's behaviour).
#[derive(Debug, Clone)]
pub struct Invocation {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Invocation {
    /// The command as a copy-pasteable line (for the report and the run log).
    #[must_use]
    pub fn display(&self) -> String {
        let name = self.program.file_name().map_or_else(
            || self.program.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        std::iter::once(name)
            .chain(self.args.iter().map(|a| shell_quote(a)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn shell_quote(arg: &str) -> String {
    if arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@".contains(c))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// What one run cost.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Measurement {
    pub wall_secs: f64,
    /// User + system CPU seconds of the client and its children.
    pub cpu_secs: f64,
    pub peak_rss_kib: u64,
}

/// How [`run`] ended without a measurement.
#[derive(Debug)]
pub enum RunError {
    /// Still running after the time limit: killed (its whole process group).
    Hung {
        after: Duration,
    },
    Failed(anyhow::Error),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hung { after } => write!(f, "still running after {after:?}, killed"),
            Self::Failed(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<anyhow::Error> for RunError {
    fn from(e: anyhow::Error) -> Self {
        Self::Failed(e)
    }
}

/// Run `inv` under `/usr/bin/time`, with its output in `log`, for at most `limit` (a peer once
/// hung for minutes on an idle server and held the whole benchmark).
///
/// # Errors
/// [`RunError::Hung`] past `limit`; [`RunError::Failed`] when it cannot start, exits non-zero
/// (the log's tail is in the message), or the timing output cannot be read.
pub fn run(inv: &Invocation, log: &Path, limit: Duration) -> Result<Measurement, RunError> {
    let times = log.with_extension("time");
    let out = std::fs::File::create(log).with_context(|| format!("create {}", log.display()))?;
    let err = out.try_clone().context("duplicate the log handle")?;
    let mut child = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %U %S %M")
        .arg("-o")
        .arg(&times)
        .arg(&inv.program)
        .args(&inv.args)
        .env_clear()
        .envs(inherited_env())
        .envs(inv.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        // Its own process group, so a kill reaches the tool under `time` too.
        .process_group(0)
        .spawn()
        .context(
            "run /usr/bin/time (Debian package `time`; scripts/install-system.sh installs it)",
        )?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().context("wait for the run")? {
            break status;
        }
        if started.elapsed() > limit {
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.wait();
            return Err(RunError::Hung { after: limit });
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    if !status.success() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let tail: String = text
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        return Err(RunError::Failed(anyhow::anyhow!(
            "`{}` failed ({status}); log {}:\n{tail}",
            inv.display(),
            log.display()
        )));
    }
    let text =
        std::fs::read_to_string(&times).with_context(|| format!("read {}", times.display()))?;
    Ok(parse_time_line(&text)
        .with_context(|| format!("unexpected /usr/bin/time output {text:?}"))?)
}

fn inherited_env() -> Vec<(String, String)> {
    ["PATH", "HOME", "TMPDIR"]
        .into_iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_owned(), v)))
        .collect()
}

/// `%e %U %S %M`: elapsed, user, system seconds and peak RSS in KiB (the last line:
/// earlier lines may carry a "Command exited with non-zero status" notice).
fn parse_time_line(text: &str) -> Option<Measurement> {
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let mut f = line.split_whitespace();
    let wall_secs: f64 = f.next()?.parse().ok()?;
    let user: f64 = f.next()?.parse().ok()?;
    let system: f64 = f.next()?.parse().ok()?;
    let peak_rss_kib: u64 = f.next()?.parse().ok()?;
    Some(Measurement {
        wall_secs,
        cpu_secs: user + system,
        peak_rss_kib,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_past_its_limit_is_killed_with_everything_under_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let marker = dir.path().join("still-running");
        // A child of the tool, as s5cmd is a child of `time`: it must die too.
        let inv = Invocation {
            program: "/bin/sh".into(),
            args: vec![
                "-c".to_owned(),
                format!("(sleep 3; touch {}) & wait", marker.display()),
            ],
            env: Vec::new(),
        };
        let outcome = run(
            &inv,
            &dir.path().join("run.log"),
            Duration::from_millis(300),
        );
        assert!(
            matches!(outcome, Err(RunError::Hung { .. })),
            "{:?}",
            outcome.map(|m| m.wall_secs)
        );
        std::thread::sleep(Duration::from_secs(4));
        assert!(!marker.exists(), "the tool's own child was killed with it");
    }

    #[test]
    fn parses_time_output() {
        let m = parse_time_line("12.50 3.25 1.75 26124\n").expect("parses");
        assert_eq!(
            m,
            Measurement {
                wall_secs: 12.5,
                cpu_secs: 5.0,
                peak_rss_kib: 26124
            }
        );
        assert!(parse_time_line("Command exited with non-zero status 1\n").is_none());
    }

    #[test]
    fn quotes_only_what_needs_it() {
        let inv = Invocation {
            program: PathBuf::from("/x/s5cmd"),
            args: vec!["cp".into(), "/data/*".into(), "s3://b/p/".into()],
            env: vec![],
        };
        assert_eq!(inv.display(), "s5cmd cp '/data/*' s3://b/p/");
    }
}
