//! File modes as operators write them: `"540"` or `"0540"`.

use std::fmt;

use crate::host::{HostError, HostResult};

/// Permission bits, including setuid/setgid/sticky (`0o7777` at most).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMode(u32);

impl FileMode {
    pub fn from_bits(bits: u32) -> Self {
        FileMode(bits & 0o7777)
    }

    pub const fn from_bits_const(bits: u32) -> Self {
        FileMode(bits & 0o7777)
    }

    pub fn bits(self) -> u32 {
        self.0
    }

    /// Parses 3 or 4 octal digits. Symbolic forms (`u=rx`) are refused on
    /// purpose: one spelling keeps playbooks easy to compare.
    pub fn parse(text: &str) -> HostResult<Self> {
        let ok = (3..=4).contains(&text.len()) && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
        if !ok {
            return Err(HostError::invalid(format!(
                "mode '{text}' is not valid: use 3 or 4 octal digits (each 0-7), e.g. \"540\" or \"0750\""
            )));
        }
        u32::from_str_radix(text, 8)
            .map(FileMode)
            .map_err(|_| HostError::invalid(format!("mode '{text}' is not valid octal")))
    }

    /// Refuses setuid, setgid and sticky bits unless the call asked for them
    /// (`special_bits: true`). On a folder, setgid (new files inherit the
    /// group) and sticky (only owners may remove entries) are everyday modes
    /// and allowed; setuid means nothing there and is refused like on a file.
    pub fn check_special(self, dir: bool, allowed: bool) -> HostResult<()> {
        let refused = if dir { 0o4000 } else { 0o7000 };
        let bits = self.0 & refused;
        if bits == 0 || allowed {
            return Ok(());
        }
        let names: Vec<&str> = [(0o4000, "setuid"), (0o2000, "setgid"), (0o1000, "sticky")]
            .iter()
            .filter(|(b, _)| bits & b != 0)
            .map(|(_, n)| *n)
            .collect();
        let shown = format!("{:o}", self.0);
        let listed = match names.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.concat(),
        };
        Err(HostError::invalid(format!(
            "mode '{shown}' sets the {listed} bit{} on a {}: runbook refuses special bits unless the call passes special_bits: true",
            if names.len() > 1 { "s" } else { "" },
            if dir { "directory" } else { "file" }
        ))
        .with_hint(format!(
            "use mode \"{:o}\" without them, or pass special_bits: true if they are meant",
            self.0 & !refused
        )))
    }
}

impl fmt::Display for FileMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04o}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_three_and_four_digits() {
        assert_eq!(FileMode::parse("540").unwrap().bits(), 0o540);
        assert_eq!(FileMode::parse("0540").unwrap().bits(), 0o540);
        assert_eq!(FileMode::parse("2750").unwrap().bits(), 0o2750);
        assert_eq!(FileMode::parse("540").unwrap().to_string(), "0540");
    }

    #[test]
    fn special_bits_need_asking_for() {
        let m = |t: &str| FileMode::parse(t).unwrap();
        let e = m("7777").check_special(false, false).unwrap_err();
        assert!(
            e.message.contains("'7777'") && e.message.contains("setuid, setgid and sticky bits"),
            "{}",
            e.message
        );
        assert!(e.message.contains("special_bits: true"), "{}", e.message);
        assert!(e.hint.unwrap().contains("\"777\""));
        assert!(m("7777").check_special(false, true).is_ok());
        assert!(m("0640").check_special(false, false).is_ok());
        assert!(m("2750").check_special(true, false).is_ok());
        assert!(m("1777").check_special(true, false).is_ok());
        assert!(m("4755").check_special(true, false).is_err());
    }

    #[test]
    fn refuses_other_forms_naming_input_and_rule() {
        for bad in ["999", "rwx", "", "54", "07777", "u=rx", " 540", "0x1ff"] {
            let e = FileMode::parse(bad).unwrap_err();
            assert!(e.message.contains(&format!("'{bad}'")), "{}", e.message);
            assert!(e.message.contains("octal digits"), "{}", e.message);
        }
    }
}
