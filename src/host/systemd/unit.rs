//! A unit's state as `systemctl show` prints it, and unit names: pure parsers.

use serde::Serialize;

use crate::host::{HostError, HostResult};

/// The properties we read, as `Key=Value` lines. `--value` alone would print
/// bare values in systemd's own property order, not the order asked for, so
/// the keys are kept to make the parse unambiguous.
pub(super) const PROPERTIES: &str =
    "Id,LoadState,ActiveState,SubState,MainPID,ActiveEnterTimestamp,Result,CanReload,NRestarts";

/// A unit's state as `systemctl show` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UnitStatus {
    /// Full name, e.g. `hydra.service`.
    #[serde(rename = "unit")]
    pub id: String,
    /// `loaded`, `not-found`, `masked`, …
    pub load: String,
    /// `active`, `inactive`, `activating`, `deactivating`, `failed`, `reloading`.
    pub active: String,
    /// Type-specific sub-state, e.g. `running`, `exited`, `dead`.
    pub sub: String,
    /// 0 when the unit has no main process.
    pub main_pid: u32,
    /// When the unit last became active, as systemd prints it; `None` if never.
    pub since: Option<String>,
    /// `success`, `exit-code`, `timeout`, …
    pub result: String,
    pub can_reload: bool,
    pub restarts: u32,
}

impl UnitStatus {
    pub fn exists(&self) -> bool {
        self.load != "not-found"
    }

    pub fn is_active(&self) -> bool {
        self.active == "active"
    }

    pub(super) fn describe(&self) -> String {
        let mut s = format!("state {} ({})", self.active, self.sub);
        if !self.result.is_empty() && self.result != "success" {
            s.push_str(&format!(", result {}", self.result));
        }
        if self.main_pid != 0 {
            s.push_str(&format!(", main pid {}", self.main_pid));
        }
        if self.restarts != 0 {
            s.push_str(&format!(", restarted {} times", self.restarts));
        }
        s
    }
}

/// Parses `systemctl show --property=…` output (`Key=Value` lines).
pub fn parse_show(text: &str) -> UnitStatus {
    let mut st = UnitStatus::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key {
            "Id" => st.id = value.into(),
            "LoadState" => st.load = value.into(),
            "ActiveState" => st.active = value.into(),
            "SubState" => st.sub = value.into(),
            "MainPID" => st.main_pid = value.parse().unwrap_or(0),
            // systemd prints "n/a" or nothing for a unit that was never active.
            "ActiveEnterTimestamp" => {
                st.since = (!value.is_empty() && value != "n/a").then(|| value.to_string())
            }
            "Result" => st.result = value.into(),
            "CanReload" => st.can_reload = value == "yes",
            "NRestarts" => st.restarts = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    st
}

/// Checks a unit name before it reaches a command line: systemd's own
/// character set, and never something `systemctl` could read as an option.
pub fn validate_unit(unit: &str) -> HostResult<()> {
    let ok = !unit.is_empty()
        && unit.len() <= 256
        && !unit.starts_with('-')
        && unit
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":_.\\@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(HostError::invalid(format!(
            "'{unit}' is not a valid systemd unit name: use letters, digits and :_.\\@- only, e.g. \"hydra\" or \"hydra.service\""
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::ErrorKind;

    // Captured from `systemctl show --property=… hydra` in the sandbox.
    const ACTIVE: &str = "Id=hydra.service\nLoadState=loaded\nActiveState=active\nSubState=running\n\
MainPID=412\nActiveEnterTimestamp=Sat 2026-11-28 21:40:02 UTC\nResult=success\nCanReload=no\nNRestarts=0\n";
    const MISSING: &str = "Id=nosuch.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n\
MainPID=0\nActiveEnterTimestamp=\nResult=success\nCanReload=no\nNRestarts=0\n";
    const FAILED: &str = "MainPID=0\nId=boom.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\n\
Result=exit-code\nActiveEnterTimestamp=n/a\nCanReload=yes\nNRestarts=3\n";
    #[test]
    fn parses_an_active_unit() {
        let st = parse_show(ACTIVE);
        assert_eq!(st.id, "hydra.service");
        assert!(st.exists() && st.is_active());
        assert_eq!(st.sub, "running");
        assert_eq!(st.main_pid, 412);
        assert_eq!(st.since.as_deref(), Some("Sat 2026-11-28 21:40:02 UTC"));
        assert!(!st.can_reload);
    }

    #[test]
    fn parses_an_unknown_unit() {
        let st = parse_show(MISSING);
        assert!(!st.exists());
        assert_eq!(st.since, None);
    }

    #[test]
    fn parses_in_any_property_order_and_describes_failure() {
        let st = parse_show(FAILED);
        assert_eq!(st.active, "failed");
        assert!(st.can_reload);
        assert_eq!(st.restarts, 3);
        assert_eq!(st.since, None);
        assert_eq!(
            st.describe(),
            "state failed (failed), result exit-code, restarted 3 times"
        );
    }

    #[test]
    fn values_may_contain_equals_signs() {
        let st = parse_show("Id=a.service\nActiveEnterTimestamp=x=y\n");
        assert_eq!(st.since.as_deref(), Some("x=y"));
    }

    #[test]
    fn unit_names_are_checked() {
        for ok in ["hydra", "hydra.service", "getty@tty1.service", "a-b_c:d"] {
            validate_unit(ok).unwrap();
        }
        for bad in ["", "--all", "a b", "a/b", "x;y", "é"] {
            let e = validate_unit(bad).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidInput, "{bad}");
        }
    }
}
