//! Bundled playbooks and stdlib modules, embedded at build time (see build.rs),
//! and how a name on the command line becomes a script.

use std::path::{Path, PathBuf};

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}

/// A script to run: its display name, where it came from, and its text.
#[derive(Clone, Debug)]
pub struct Script {
    /// What messages call it: a bundled name or the path as given.
    pub name: String,
    /// The file it was read from; `None` for a bundled one.
    pub path: Option<PathBuf>,
    pub source: String,
}

impl Script {
    /// The name diagnostics show for this script's positions.
    pub fn source_name(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None if self.name.starts_with('<') => self.name.clone(),
            None => format!("playbooks/{}.rhai", self.name),
        }
    }

    /// Folder searched for site modules next to the script (an ejected copy).
    pub fn dir(&self) -> Option<&Path> {
        self.path.as_deref().and_then(Path::parent)
    }
}

pub fn playbooks() -> impl Iterator<Item = (&'static str, &'static str)> {
    bundled::PLAYBOOKS.iter().copied()
}

pub fn stdlib(name: &str) -> Option<&'static str> {
    bundled::STDLIB
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
}

pub fn stdlib_modules() -> impl Iterator<Item = (&'static str, &'static str)> {
    bundled::STDLIB.iter().copied()
}

pub fn bundled(name: &str) -> Option<Script> {
    let name = name.strip_suffix(".rhai").unwrap_or(name);
    playbooks().find(|(n, _)| *n == name).map(|(n, s)| Script {
        name: n.to_string(),
        path: None,
        source: s.to_string(),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "no playbook named '{name}'{suggestion}; `runbook list` shows the bundled ones, or give a path to a .rhai file"
    )]
    Unknown { name: String, suggestion: String },
    /// The message names the path.
    #[error("cannot read the script: {0}")]
    Read(String),
}

/// The text of a script file: a regular UTF-8 file only (a FIFO is refused
/// before it is opened, so it cannot block the start), without a leading
/// byte-order mark (which some editors add and Rhai would not parse).
pub fn read_source(path: &Path) -> Result<String, String> {
    let text = crate::host::fs::read_operator_file(path).map_err(|e| e.message)?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// A path that exists (or looks like a path) is read from disk; otherwise the
/// bundled catalog is searched, with the nearest names suggested.
pub fn load(name_or_path: &str) -> Result<Script, LoadError> {
    let path = Path::new(name_or_path);
    let looks_like_path = name_or_path.ends_with(".rhai") || name_or_path.starts_with(['.', '/']);
    if path.is_file() || (looks_like_path && bundled(name_or_path).is_none()) {
        let source = read_source(path).map_err(LoadError::Read)?;
        return Ok(Script {
            name: name_or_path.to_string(),
            path: Some(path.to_path_buf()),
            source,
        });
    }
    bundled(name_or_path).ok_or_else(|| LoadError::Unknown {
        name: name_or_path.to_string(),
        suggestion: suggest(name_or_path),
    })
}

fn suggest(name: &str) -> String {
    let mut scored: Vec<(f64, &str)> = playbooks()
        .map(|(n, _)| {
            let last = n.rsplit('/').next().unwrap_or(n);
            let score = strsim::jaro_winkler(name, n).max(strsim::jaro_winkler(name, last));
            (score, n)
        })
        .filter(|(s, _)| *s > 0.7)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let names: Vec<_> = scored
        .iter()
        .take(3)
        .map(|(_, n)| format!("'{n}'"))
        .collect();
    if names.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", names.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_is_bundled_and_typos_get_suggestions() {
        assert!(bundled("examples/hello").is_some());
        let e = load("examples/helo").unwrap_err().to_string();
        assert!(e.contains("did you mean 'examples/hello'"), "{e}");
    }
}
