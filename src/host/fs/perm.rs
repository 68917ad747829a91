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
    fn refuses_other_forms_naming_input_and_rule() {
        for bad in ["999", "rwx", "", "54", "07777", "u=rx", " 540", "0x1ff"] {
            let e = FileMode::parse(bad).unwrap_err();
            assert!(e.message.contains(&format!("'{bad}'")), "{}", e.message);
            assert!(e.message.contains("octal digits"), "{}", e.message);
        }
    }
}
