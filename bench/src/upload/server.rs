//! The S3 server's side of a run: Garage's own CPU time (its process in `/proc`), and a wait
//! until it has finished the background work an earlier run left it (block reference counts,
//! table sync after the previous bucket was emptied), so that no run pays for the one before.
//!
//! Garage shares this machine's two cores with the client, so the server CPU a tool causes per
//! GiB shows how much of the wall time is the server's, and why the wall-clock ratios crowd
//! around 1.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The server process, by pid.
#[derive(Debug, Clone)]
pub struct ServerProcess {
    pid: u32,
    ticks_per_sec: f64,
}

/// How long [`ServerProcess::quiesce`] watches the server at a time.
const QUIET_WINDOW: Duration = Duration::from_millis(500);
/// The server counts as idle below this share of one core over a [`QUIET_WINDOW`].
const QUIET_SHARE: f64 = 0.03;

impl ServerProcess {
    /// The local stack's Garage (`<stack dir>/garage.pid`, written by `scripts/stack.sh`).
    ///
    /// # Errors
    /// When the pid file is missing or the process is not Garage.
    pub fn garage(stack_dir: &Path) -> Result<Self> {
        let pid_file = stack_dir.join("garage.pid");
        let pid: u32 = std::fs::read_to_string(&pid_file)
            .with_context(|| format!("read {}", pid_file.display()))?
            .trim()
            .parse()
            .with_context(|| format!("{} holds no pid", pid_file.display()))?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .with_context(|| format!("Garage (pid {pid}) is not running: scripts/stack.sh up"))?;
        if comm.trim() != "garage" {
            bail!(
                "pid {pid} from {} is {comm:?}, not garage",
                pid_file.display()
            );
        }
        let ticks = Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .context("run getconf CLK_TCK")?;
        let ticks_per_sec: f64 = String::from_utf8_lossy(&ticks.stdout)
            .trim()
            .parse()
            .context("getconf CLK_TCK printed no number")?;
        Ok(Self { pid, ticks_per_sec })
    }

    /// User + system CPU seconds the server has used since it started (every thread).
    ///
    /// # Errors
    /// When `/proc/<pid>/stat` cannot be read or parsed (the server stopped).
    pub fn cpu_secs(&self) -> Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .with_context(|| format!("read /proc/{}/stat: did Garage stop?", self.pid))?;
        let ticks = cpu_ticks(&stat).with_context(|| format!("unexpected stat line {stat:?}"))?;
        #[allow(clippy::cast_precision_loss)] // ticks far below 2^52
        Ok(ticks as f64 / self.ticks_per_sec)
    }

    /// Wait until the server uses under 3 % of a core over half a second, at most `limit`.
    /// Returns how long it took, or `None` when it was still busy at `limit` (the run goes
    /// ahead: the report says so through its figures, not by hanging).
    ///
    /// # Errors
    /// When the server's CPU time cannot be read.
    pub fn quiesce(&self, limit: Duration) -> Result<Option<Duration>> {
        let started = Instant::now();
        loop {
            let before = self.cpu_secs()?;
            std::thread::sleep(QUIET_WINDOW);
            let used = self.cpu_secs()? - before;
            if used < QUIET_SHARE * QUIET_WINDOW.as_secs_f64() {
                return Ok(Some(started.elapsed()));
            }
            if started.elapsed() >= limit {
                return Ok(None);
            }
        }
    }
}

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line. The command name (field 2)
/// is in parentheses and may hold spaces, so the fields are counted after its closing `)`.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11); // field 3 is the first after ')'
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Flush every dirty page to disk (`sync`), so that the writes of the run before (Garage's
/// blocks and metadata) are not written back during the next one.
///
/// # Errors
/// When `sync` cannot run.
pub fn flush_dirty_pages() -> Result<()> {
    let status = Command::new("sync").status().context("run sync")?;
    if !status.success() {
        bail!("sync failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime_after_the_command_name() {
        // A real line's shape, with a command name holding a space and a parenthesis.
        let line = "4242 (tokio (rt) 1) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
                    700 55 0 0 20 0 9 0 123456 1000000 2000 18446744073709551615";
        assert_eq!(cpu_ticks(line), Some(755), "utime 700 + stime 55");
        assert_eq!(cpu_ticks("4242 (garage) S 1 2"), None, "too short");
    }

    #[test]
    fn this_process_counts_cpu_time() {
        let me = ServerProcess {
            pid: std::process::id(),
            ticks_per_sec: 100.0,
        };
        let before = me.cpu_secs().expect("own stat");
        let spin = Instant::now();
        let mut x = 0_u64;
        while spin.elapsed() < Duration::from_millis(300) {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        }
        std::hint::black_box(x);
        assert!(
            me.cpu_secs().expect("own stat") > before,
            "300 ms of spinning shows as CPU time"
        );
    }
}
