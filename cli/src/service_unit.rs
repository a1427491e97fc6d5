//! The systemd unit that runs `lightbox run` as a service (`lightbox service install`).
//! Pure: the text is built here, written by the binary.

use std::path::Path;

/// Where the unit is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitScope {
    /// `/etc/systemd/system/lightbox.service`, run as a dedicated system user.
    System,
    /// `~/.config/systemd/user/lightbox.service`, run as the logged-in user.
    User,
}

/// What the unit needs to know.
#[derive(Debug, Clone)]
pub struct UnitParams<'a> {
    pub scope: UnitScope,
    /// Absolute path of the `lightbox` binary.
    pub binary: &'a Path,
    /// Absolute path of the config file the service reads.
    pub config: &'a Path,
    /// For [`UnitScope::System`]: the account it runs as.
    pub system_user: &'a str,
}

/// The unit file's text.
#[must_use]
pub fn systemd_unit(p: &UnitParams<'_>) -> String {
    let (wanted_by, account, hardening) = match p.scope {
        UnitScope::System => (
            "multi-user.target",
            format!(
                "User={u}\nGroup={u}\nStateDirectory=lightbox\n",
                u = p.system_user
            ),
            // The catalog lives in the StateDirectory; watched folders stay readable.
            "NoNewPrivileges=yes\nProtectSystem=full\nProtectHome=read-only\nPrivateTmp=yes\n",
        ),
        UnitScope::User => ("default.target", String::new(), "NoNewPrivileges=yes\n"),
    };
    let state = match p.scope {
        UnitScope::System => "Environment=LIGHTBOX_STATE_DIR=/var/lib/lightbox\n",
        UnitScope::User => "",
    };
    format!(
        "# Written by `lightbox service install`. Edit the config, not this file:\n\
         # {config}\n\
         [Unit]\n\
         Description=Lightbox: upload camera folders to the studio's S3 bucket\n\
         Documentation=https://github.com/lightbox-studio/lightbox/blob/main/docs/daemon.md\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         Type=exec\n\
         ExecStart={binary} --config {config} run\n\
         # `systemctl reload lightbox`: re-read the settings (docs/daemon.md).\n\
         ExecReload=/bin/kill -HUP $MAINPID\n\
         {account}{state}\
         Environment=LIGHTBOX_LOG=info\n\
         Environment=LIGHTBOX_LOG_FORMAT=json\n\
         # SIGTERM checkpoints in-flight uploads; give it time before SIGKILL.\n\
         KillSignal=SIGTERM\n\
         TimeoutStopSec=45\n\
         Restart=on-failure\n\
         RestartSec=5\n\
         {hardening}\
         \n\
         [Install]\n\
         WantedBy={wanted_by}\n",
        binary = p.binary.display(),
        config = p.config.display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_unit_runs_the_daemon_as_its_own_user_with_json_logs() {
        let unit = systemd_unit(&UnitParams {
            scope: UnitScope::System,
            binary: Path::new("/usr/local/bin/lightbox"),
            config: Path::new("/etc/lightbox/config.toml"),
            system_user: "lightbox",
        });
        for line in [
            "ExecStart=/usr/local/bin/lightbox --config /etc/lightbox/config.toml run",
            "User=lightbox",
            "StateDirectory=lightbox",
            "Environment=LIGHTBOX_STATE_DIR=/var/lib/lightbox",
            "Environment=LIGHTBOX_LOG_FORMAT=json",
            "WantedBy=multi-user.target",
            "Restart=on-failure",
            "ExecReload=/bin/kill -HUP $MAINPID",
        ] {
            assert!(
                unit.lines().any(|l| l == line),
                "missing `{line}` in:\n{unit}"
            );
        }
    }

    #[test]
    fn user_unit_has_no_account_lines() {
        let unit = systemd_unit(&UnitParams {
            scope: UnitScope::User,
            binary: Path::new("/home/a/.cargo/bin/lightbox"),
            config: Path::new("/home/a/.config/lightbox/config.toml"),
            system_user: "ignored",
        });
        assert!(
            !unit.contains("User=") && !unit.contains("StateDirectory"),
            "{unit}"
        );
        assert!(unit.contains("WantedBy=default.target"));
    }
}
