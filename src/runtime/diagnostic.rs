//! Script errors as operators read them: `file:line:col`, the source line, a
//! caret and a hint, with the chain of calls and imports that led there.

use rhai::{EvalAltResult, ParseError, Position};

use super::Sources;
use crate::bindings::globals::runtime_value_message;
use crate::report::Style;

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub snippet: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub message: String,
    pub location: Option<Location>,
    pub hint: Option<String>,
    /// How execution got there: outermost call first.
    pub notes: Vec<String>,
}

pub fn locate(file: &str, pos: Position, sources: &Sources) -> Option<Location> {
    let line = pos.line()?;
    let column = pos.position().unwrap_or(1);
    let snippet = sources
        .get(file)
        .and_then(|t| t.lines().nth(line - 1).map(str::to_string));
    Some(Location {
        file: file.to_string(),
        line,
        column,
        snippet,
    })
}

fn at(file: &str, pos: Position) -> String {
    match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
        (Some(l), None) => format!("{file}:{l}"),
        _ => file.to_string(),
    }
}

/// Rhai's messages end in " (line N, position M)"; the location is shown separately.
fn strip_position(text: &str) -> String {
    let first = text.lines().next().unwrap_or_default();
    match first.rfind(" (line ") {
        Some(i) if first.ends_with(')') => first[..i].to_string(),
        _ => first.to_string(),
    }
}

fn hint_for(err: &EvalAltResult) -> Option<String> {
    Some(match err {
        EvalAltResult::ErrorFunctionNotFound(sig, _) if sig.contains("::") => {
            "`runbook doc` lists the host modules and their functions".into()
        }
        EvalAltResult::ErrorFunctionNotFound(..) => {
            "check the name and the number and types of the arguments; `runbook doc` lists host functions".into()
        }
        EvalAltResult::ErrorVariableNotFound(..) => "declare it with `let` before use (variables are strict)".into(),
        EvalAltResult::ErrorModuleNotFound(..) => {
            "put NAME.rhai in a --lib folder, in RUNBOOK_PATH, or next to the playbook".into()
        }
        EvalAltResult::ErrorRuntime(v, _) => {
            return v.read_lock::<rhai::Map>().and_then(|m| m.get("hint").map(|h| h.to_string()));
        }
        other => return super::limits::Limits::from_env().hint(other),
    })
}

/// Builds the diagnostic for a runtime error raised while running `main_source`.
/// `last_host_call` is where the last host-module call was made: the place of a
/// host error, which Rhai leaves without a position.
pub fn from_eval(
    err: &EvalAltResult,
    main_source: &str,
    sources: &Sources,
    last_host_call: Option<(String, Position)>,
) -> Diagnostic {
    let mut notes = Vec::new();
    let mut current = main_source.to_string();
    let mut err = err;
    // Host errors carry no position of their own: fall back to the innermost call site.
    let mut last_call: Option<(String, Position)> = None;
    loop {
        match err {
            EvalAltResult::ErrorInFunctionCall(name, src, inner, pos) => {
                last_call = Some((current.clone(), *pos));
                if !name.starts_with("anon$") {
                    let defined = if src.is_empty() || *src == current {
                        String::new()
                    } else {
                        format!(" (defined in {src})")
                    };
                    notes.push(format!(
                        "in a call to '{name}'{defined} at {}",
                        at(&current, *pos)
                    ));
                }
                if !src.is_empty() {
                    current = src.clone();
                }
                err = inner;
            }
            EvalAltResult::ErrorInModule(name, inner, pos) => {
                last_call = Some((current.clone(), *pos));
                notes.push(format!(
                    "in module {name}, imported at {}",
                    at(&current, *pos)
                ));
                current = name.clone();
                err = inner;
            }
            _ => break,
        }
    }
    let message = match err {
        EvalAltResult::ErrorRuntime(v, _) => runtime_value_message(v),
        EvalAltResult::ErrorTerminated(..) => "interrupted".into(),
        EvalAltResult::ErrorParsing(p, _) => strip_position(&p.to_string()),
        EvalAltResult::ErrorFunctionNotFound(sig, _) => super::rhai_types::function_not_found(sig)
            .unwrap_or_else(|| strip_position(&err.to_string())),
        other => strip_position(&other.to_string()),
    };
    let location = locate(&current, err.position(), sources)
        .or_else(|| {
            // A host error: where the last host call was made, in whichever file.
            let (file, pos) = last_host_call?;
            let file = if file.is_empty() {
                main_source.to_string()
            } else {
                file
            };
            locate(&file, pos, sources)
        })
        .or_else(|| last_call.and_then(|(file, pos)| locate(&file, pos, sources)));
    Diagnostic {
        message,
        location,
        hint: hint_for(err),
        notes,
    }
}

pub fn from_parse(err: &ParseError, file: &str, sources: &Sources) -> Diagnostic {
    Diagnostic {
        message: strip_position(&err.err_type().to_string()),
        location: locate(file, err.position(), sources),
        hint: parse_hint(err.err_type()),
        notes: Vec::new(),
    }
}

/// What Rhai's bare message leaves out: the rule broken and the way out.
fn parse_hint(err: &rhai::ParseErrorType) -> Option<String> {
    match err {
        rhai::ParseErrorType::ExprTooDeep => Some(
            "the code nests expressions, blocks or closures deeper than the engine allows (256 levels, 128 inside a function): split it with variables or functions".into(),
        ),
        _ => None,
    }
}

impl Diagnostic {
    pub fn plain(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            location: None,
            hint: None,
            notes: Vec::new(),
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn render(&self, style: Style) -> String {
        let mut out = format!("{} {}\n", style.error("error:"), self.message);
        if let Some(loc) = &self.location {
            out.push_str(&format!("  --> {}:{}:{}\n", loc.file, loc.line, loc.column));
            if let Some(src) = &loc.snippet {
                let num = loc.line.to_string();
                let pad = " ".repeat(num.len());
                let caret_pad: String = src
                    .chars()
                    .take(loc.column.saturating_sub(1))
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                out.push_str(&format!(
                    "{pad} |\n{num} | {src}\n{pad} | {caret_pad}{}\n",
                    style.error("^")
                ));
            }
        }
        for note in self.notes.iter().rev() {
            out.push_str(&format!("  = note: {note}\n"));
        }
        if let Some(h) = &self.hint {
            out.push_str(&format!("  = hint: {h}\n"));
        }
        out
    }
}
