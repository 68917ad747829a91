//! The redactor: replaces every known secret string in text that leaves the process.

use std::sync::Mutex;

use crate::host::Redact;
use crate::secret::MASK;

/// Secrets shorter than this are not searched for in output: masking every
/// `a` or `42` would garble the report while protecting nothing real.
pub const MIN_REDACTED_LEN: usize = 4;

#[derive(Default)]
pub struct Redactor {
    secrets: Mutex<Vec<zeroize::Zeroizing<String>>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Redact for Redactor {
    fn register(&self, text: &str) {
        if text.len() < MIN_REDACTED_LEN {
            return;
        }
        let mut secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        if !secrets.iter().any(|s| s.as_str() == text) {
            secrets.push(zeroize::Zeroizing::new(text.to_string()));
            // Longest first, so a secret that contains another is masked whole.
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    fn redact(&self, text: &str) -> String {
        let secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_string();
        for s in secrets.iter() {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), MASK);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_registered_secret() {
        let r = Redactor::new();
        r.register("wJalrXUtnFEMI/K7MDENG");
        r.register("abc"); // too short to search for
        let out = r.redact("key=wJalrXUtnFEMI/K7MDENG and again wJalrXUtnFEMI/K7MDENG abc");
        assert_eq!(out, "key=******** and again ******** abc");
    }
}
