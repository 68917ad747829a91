//! The `Secret` type: a string that never prints itself.
//!
//! Display and Debug show a mask; the text is zeroized on drop. Only code that
//! writes a file, feeds a child's stdin or builds AWS credentials calls
//! [`Secret::expose`]. Independently, every known secret is registered with the
//! reporter's redactor so that a copy that escaped anyway is masked on output.

use std::fmt;
use zeroize::Zeroizing;

/// What a secret looks like wherever it is shown.
pub const MASK: &str = "********";

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(text: impl Into<String>) -> Self {
        Secret(Zeroizing::new(text.into()))
    }

    /// The plain text. Callers are the few sinks allowed to consume a secret.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_debug_mask_the_text() {
        let s = Secret::new("hunter2");
        assert_eq!(s.to_string(), MASK);
        assert_eq!(format!("{s:?}"), "Secret(********)");
        assert!(!format!("{s} {s:?} {s:#?}").contains("hunter2"));
        assert_eq!(s.expose(), "hunter2");
    }
}
