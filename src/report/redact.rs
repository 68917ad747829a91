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

    /// Whether `fragment` (a string literal of a REPL line, say) is part of a
    /// known secret: the line may have built it (`secret(a + b)`).
    pub fn is_part_of_secret(&self, fragment: &str) -> bool {
        if fragment.len() < MIN_REDACTED_LEN {
            return false;
        }
        let secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        secrets.iter().any(|s| s.contains(fragment))
    }

    /// How many forms are known; grows when a secret is registered.
    pub fn len(&self) -> usize {
        self.secrets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Redact for Redactor {
    fn register(&self, text: &str) {
        if text.len() < MIN_REDACTED_LEN {
            return;
        }
        let mut secrets = self.secrets.lock().unwrap_or_else(|e| e.into_inner());
        let forms = std::iter::once(text.to_string()).chain(super::variants::of(text));
        for form in forms {
            let form = zeroize::Zeroizing::new(form);
            if !secrets.contains(&form) {
                secrets.push(form);
            }
        }
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
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

    #[test]
    fn masks_the_common_encodings_of_a_secret() {
        let r = Redactor::new();
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        r.register(secret);
        for shown in [
            secret.to_uppercase(),
            secret.to_lowercase(),
            // printf %s "$s" | xxd -p
            secret
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
            // echo "$s" | base64 (with its newline), and inside a JSON document
            "d0phbHJYVXRuRkVNSS9LN01ERU5HK2JQeFJmaUNZRVhBTVBMRUtFWQo=".to_string(),
            "eyJrZXkiOiJ3SmFsclhVdG5GRU1JL0s3TURFTkcrYlB4UmZpQ1lFWEFNUExFS0VZIn0=".to_string(),
        ] {
            let out = r.redact(&format!("out: {shown}"));
            assert!(out.contains(MASK), "not masked: {shown} -> {out}");
            assert!(out.len() < shown.len(), "mostly left: {out}");
        }
    }

    #[test]
    fn masks_each_line_of_a_multi_line_secret() {
        let r = Redactor::new();
        r.register("line-one-secret\nline-two-secret");
        let out = r.redact("only the second: line-two-secret");
        assert_eq!(out, format!("only the second: {MASK}"));
    }
}
