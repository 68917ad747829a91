//! Paths: no control characters (a newline in a path forges output lines and
//! breaks files that list paths); `absolute_path` also starts with '/'.

use super::quoted;

pub fn check(text: &str, absolute: bool) -> Result<(), String> {
    if text.is_empty() {
        return Err("the path is empty: give a file or folder path".into());
    }
    if text.chars().any(char::is_control) {
        return Err(format!(
            "{} is not a usable path: it holds a newline or another control character; rename the file or give another path",
            quoted(text)
        ));
    }
    if absolute && !text.starts_with('/') {
        return Err(format!(
            "{} is not an absolute path: start it with '/', e.g. /root/{}",
            quoted(text),
            text.trim_start_matches("./")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_paths_and_refuses_control_characters() {
        assert!(check("auth.tar.gz", false).is_ok());
        assert!(check("/etc/hydra/auth/.aws", true).is_ok());
        assert!(check("", false).unwrap_err().contains("empty"));
        assert!(check("a\nb", false).unwrap_err().contains("control"));
        let e = check("./handover.ini", true).unwrap_err();
        assert!(e.contains("/root/handover.ini"), "{e}");
    }
}
