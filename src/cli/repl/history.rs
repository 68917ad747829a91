//! What of a REPL session may be kept (history file, `:save` draft): no line
//! that holds a secret's text, or that built one — a literal typed on an earlier
//! line and passed to `secret()` later, or split over `+`. Such lines are
//! dropped as soon as the secret exists, and `:history off` keeps nothing.

use crate::host::Redact;
use crate::report::Redactor;

/// The string literals of a Rhai input ("…", `…`, '…'), roughly: enough to
/// find the text of a secret typed into it.
pub fn literals(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if matches!(c, '"' | '`' | '\'') {
            let mut lit = String::new();
            let mut escaped = false;
            for d in chars.by_ref() {
                if escaped {
                    lit.push(d);
                    escaped = false;
                } else if d == '\\' {
                    escaped = true;
                } else if d == c {
                    break;
                } else {
                    lit.push(d);
                }
            }
            out.push(lit);
        }
    }
    out
}

/// The input holds a known secret, calls `secret("…")` literally, or has a
/// literal that is part of a known secret.
pub fn unsafe_to_keep(redactor: &Redactor, text: &str) -> bool {
    redactor.redact(text) != text
        || calls_secret(text)
        || literals(text).iter().any(|l| redactor.is_part_of_secret(l))
}

/// `secret("…")` typed literally (not `ask_secret(…)`): the line holds the text.
pub fn calls_secret(text: &str) -> bool {
    text.match_indices("secret(").any(|(i, _)| {
        !text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// What a draft shows instead of an input it cannot keep.
pub const LEFT_OUT: &str = "// (an input holding or building a secret was left out)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_that_later_became_a_secret_is_unsafe() {
        let r = Redactor::new();
        let line1 = r#"let a = "wJalrXUtn"; let b = "FEMI/K7MDENG";"#;
        assert!(!unsafe_to_keep(&r, line1));
        r.register("wJalrXUtnFEMI/K7MDENG");
        assert!(unsafe_to_keep(&r, line1), "split over +");
        assert!(unsafe_to_keep(&r, r#"let k = "wJalrXUtnFEMI/K7MDENG";"#));
        assert!(!unsafe_to_keep(&r, r#"let p = "default";"#));
    }

    #[test]
    fn a_literal_secret_call_is_unsafe_a_prompt_is_not() {
        let r = Redactor::new();
        assert!(unsafe_to_keep(&r, r#"let s = secret("hunter22");"#));
        assert!(!unsafe_to_keep(&r, r#"let s = ask_secret("token");"#));
    }
}
