//! Tab completion, hints and continuation for the REPL: module names, their
//! functions, global functions, variables in scope, file paths in strings.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

#[derive(Default)]
pub struct ReplHelper {
    /// Module name -> function names.
    pub modules: BTreeMap<String, BTreeSet<String>>,
    pub globals: BTreeSet<String>,
    pub variables: BTreeSet<String>,
    files: FilenameCompleter,
}

/// True when `pos` is inside a double-quoted or back-quoted string literal.
fn inside_string(line: &str, pos: usize) -> bool {
    let mut open: Option<char> = None;
    let mut escaped = false;
    for c in line[..pos].chars() {
        match (open, c) {
            (Some(_), '\\') if !escaped => {
                escaped = true;
                continue;
            }
            (Some(q), c) if c == q && !escaped => open = None,
            (None, '"' | '`') => open = Some(c),
            _ => {}
        }
        escaped = false;
    }
    open.is_some()
}

impl ReplHelper {
    pub fn new(modules: BTreeMap<String, BTreeSet<String>>, globals: BTreeSet<String>) -> Self {
        ReplHelper {
            modules,
            globals,
            variables: BTreeSet::new(),
            files: FilenameCompleter::new(),
        }
    }

    /// Candidates for the word before the cursor (pure, for tests).
    pub fn candidates(&self, word: &str) -> Vec<String> {
        if let Some((module, rest)) = word.rsplit_once("::") {
            return self
                .modules
                .get(module)
                .into_iter()
                .flatten()
                .filter(|f| f.starts_with(rest))
                .map(|f| format!("{module}::{f}"))
                .collect();
        }
        let mut out: Vec<String> = self
            .modules
            .keys()
            .filter(|m| m.starts_with(word))
            .map(|m| format!("{m}::"))
            .collect();
        out.extend(self.globals.iter().filter(|g| g.starts_with(word)).cloned());
        out.extend(
            self.variables
                .iter()
                .filter(|v| v.starts_with(word))
                .cloned(),
        );
        out.sort();
        out.dedup();
        out
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if inside_string(line, pos) {
            return self.files.complete_path(line, pos);
        }
        let start = line[..pos]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_' || *c == ':')
            .last()
            .map(|(i, _)| i)
            .unwrap_or(pos);
        let word = &line[start..pos];
        let pairs = self
            .candidates(word)
            .into_iter()
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {
    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}\x1b[0m"))
    }
}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_modules_functions_globals_and_variables() {
        let mut modules = BTreeMap::new();
        modules.insert(
            "fs".to_string(),
            ["chmod", "chown", "write"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        );
        let mut h = ReplHelper::new(
            modules,
            ["step", "secret"].iter().map(|s| s.to_string()).collect(),
        );
        h.variables.insert("stuff".into());
        assert_eq!(h.candidates("fs::ch"), vec!["fs::chmod", "fs::chown"]);
        assert_eq!(h.candidates("f"), vec!["fs::"]);
        assert_eq!(h.candidates("st"), vec!["step", "stuff"]);
    }

    #[test]
    fn knows_when_the_cursor_is_in_a_string() {
        assert!(inside_string("fs::read(\"/et", 13));
        assert!(!inside_string("fs::read(\"/etc\") + x", 19));
        assert!(inside_string(r#"print("a \" b"#, 13));
    }
}
