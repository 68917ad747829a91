//! Paths given by scripts must be absolute: a playbook run as root from an
//! arbitrary working directory must not write somewhere unexpected.

use std::path::PathBuf;

use crate::host::{HostError, HostResult};

pub fn absolute(text: &str) -> HostResult<PathBuf> {
    if text.is_empty() {
        return Err(HostError::invalid(
            "path is empty: give an absolute path such as /etc/hydra/auth/.aws/credentials",
        ));
    }
    if text.contains('\0') {
        return Err(HostError::invalid(format!(
            "path '{}' contains a NUL byte: give a plain absolute path",
            text.escape_debug()
        )));
    }
    if !text.starts_with('/') {
        return Err(HostError::invalid(format!(
            "path '{text}' is relative: give an absolute path starting with '/', e.g. /etc/hydra/auth/.aws"
        )));
    }
    Ok(PathBuf::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_relative_and_empty() {
        assert!(absolute("").unwrap_err().message.contains("empty"));
        let e = absolute("etc/x").unwrap_err();
        assert!(e.message.contains("'etc/x'") && e.message.contains("absolute"));
        assert_eq!(absolute("/etc/x").unwrap(), PathBuf::from("/etc/x"));
    }
}
