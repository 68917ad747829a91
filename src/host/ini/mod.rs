//! INI files such as `~/.aws/credentials`, edited line by line.
//!
//! `rust-ini` reads and validates, but it drops comments on write, so edits are
//! made on the text: setting a section replaces that section's lines as a
//! whole (no stale key survives) and every other byte stays as it was. The
//! pure planners that edit the text are in `plan.rs`.

mod plan;

use super::fs::{self, AttrOpts, Content, WriteOpts};
use super::{Ctx, ErrorKind, HostError, HostResult, Outcome};
use crate::secret::MASK;

use plan::{masked, plan_set};
pub use plan::{plan_remove_section, plan_set_section};

/// One value; `secret` when it came from a `Secret` or its key is named like one.
#[derive(Clone, PartialEq, Eq)]
pub struct IniValue {
    pub text: String,
    pub secret: bool,
}

impl std::fmt::Debug for IniValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.secret {
            f.write_str(MASK)
        } else {
            write!(f, "{:?}", self.text)
        }
    }
}

impl IniValue {
    pub fn plain(text: impl Into<String>) -> Self {
        IniValue {
            text: text.into(),
            secret: false,
        }
    }
    pub fn secret(text: impl Into<String>) -> Self {
        IniValue {
            text: text.into(),
            secret: true,
        }
    }
}

pub type Entries = Vec<(String, IniValue)>;
/// Sections in file order; keys before any header are under `""`.
pub type Sections = Vec<(String, Entries)>;

/// Keys whose values are treated as secrets when read.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["secret", "password", "token"]
        .iter()
        .any(|w| k.contains(w))
}

/// Section and key names: nothing a reader could split or trim differently.
pub fn validate_name(what: &str, name: &str) -> HostResult<()> {
    let rule = "it must not be empty, contain '[', ']', '=', ':' or a line break, or start or end with a space";
    let bad = name.is_empty()
        || name.trim() != name
        || name.contains(['[', ']', '=', '\n', '\r', '\0'])
        || (what == "key" && (name.contains(':') || name.starts_with(['#', ';'])));
    if bad {
        return Err(HostError::invalid(format!(
            "INI {what} name '{}' is not valid: {rule}",
            name.escape_debug()
        ))
        .with_hint(format!("choose another {what} name, e.g. alation_auth")));
    }
    Ok(())
}

fn validate_value(key: &str, v: &IniValue) -> HostResult<()> {
    let shown = if v.secret {
        MASK.to_string()
    } else {
        v.text.escape_debug().to_string()
    };
    if v.text.contains(['\n', '\r', '\0']) || v.text.trim() != v.text {
        return Err(HostError::invalid(format!(
            "INI value of '{key}' ('{shown}') is not valid: it must be one line without leading or trailing spaces"
        ))
        .with_hint("remove the line break or the surrounding spaces"));
    }
    Ok(())
}

/// Options matching what the AWS SDKs read: no quote or escape processing.
fn parse_opts() -> ini::ParseOption {
    ini::ParseOption {
        enabled_quote: false,
        enabled_escape: false,
        ..Default::default()
    }
}

enum Line<'a> {
    Blank,
    Comment,
    Header(&'a str),
    Entry,
}

fn classify<'a>(label: &str, n: usize, line: &'a str) -> HostResult<Line<'a>> {
    let t = line.trim();
    if t.is_empty() {
        return Ok(Line::Blank);
    }
    if t.starts_with(['#', ';']) {
        return Ok(Line::Comment);
    }
    if let Some(rest) = t.strip_prefix('[') {
        if let Some(name) = rest.strip_suffix(']') {
            return Ok(Line::Header(name.trim()));
        }
    } else if t.contains(['=', ':']) && !t.starts_with(['=', ':']) {
        return Ok(Line::Entry);
    }
    Err(malformed(
        label,
        n,
        "expected '[section]', 'key = value', a comment or a blank line",
    ))
}

fn malformed(label: &str, line: usize, why: &str) -> HostError {
    HostError::new(
        ErrorKind::InvalidInput,
        format!("{label}:{line}: not a valid INI line: {why}; the file was not changed"),
    )
    .with_hint(format!(
        "fix line {line} of {label} by hand, then run again"
    ))
}

/// Parses with `rust-ini` after our own line check (which gives an exact line number).
fn load(label: &str, text: &str) -> HostResult<ini::Ini> {
    for (i, line) in text.lines().enumerate() {
        classify(label, i + 1, line)?;
    }
    ini::Ini::load_from_str_opt(text, parse_opts()).map_err(|e| malformed(label, e.line, &e.msg))
}

fn entries_of(props: &ini::Properties) -> Entries {
    props
        .iter()
        .map(|(k, v)| {
            let val = IniValue {
                text: v.to_string(),
                secret: is_secret_key(k),
            };
            (k.to_string(), val)
        })
        .collect()
}

/// Parses and validates; keys of secret-like names come back as secrets.
pub fn parse(label: &str, text: &str) -> HostResult<Sections> {
    let doc = load(label, text)?;
    let mut out: Sections = Vec::new();
    for (name, props) in doc.iter() {
        let entries = entries_of(props);
        let name = name.unwrap_or("").to_string();
        if name.is_empty() && entries.is_empty() {
            continue;
        }
        out.push((name, entries));
    }
    Ok(out)
}

/// The sections of the file at `path`, or `None` when it does not exist.
pub fn read(path: &str) -> HostResult<Option<Sections>> {
    match fs::read(path)? {
        None => Ok(None),
        Some(text) => parse(path, &text).map(Some),
    }
}

/// Byte ranges of every section named `name`: from its header to its last
/// key line. Comments and blank lines after the last key stay outside, since
/// they usually introduce the next section.
fn edit(
    ctx: &Ctx,
    path: &str,
    old: Option<&str>,
    new: &str,
    secrets: &[&str],
    attrs: &AttrOpts,
    what: String,
) -> HostResult<Outcome> {
    let opts = WriteOpts {
        attrs: attrs.clone(),
        backup: false,
        parents: false,
    };
    // Credentials files hold secrets: a new one is owner-only unless a mode is given.
    let out = fs::write(ctx, path, Content::secret(new.as_bytes()), &opts)?;
    if !out.changed() {
        return Ok(Outcome::ok(format!("{what}: as desired")));
    }
    let diff = ctx.diff.then(|| {
        ctx.redactor.redact(&fs::diff::line_diff(
            path,
            old.map(|o| masked(o, secrets)).as_deref(),
            &masked(new, secrets),
            false,
        ))
    });
    let summary = if old == Some(new) {
        out.summary
    } else {
        format!("{what}; {}", out.summary)
    };
    Ok(Outcome {
        summary,
        diff,
        ..out
    })
}

/// Upserts section `name` with exactly `entries`, keeping every other byte.
pub fn set_section(
    ctx: &Ctx,
    path: &str,
    name: &str,
    entries: &Entries,
    attrs: &AttrOpts,
) -> HostResult<Outcome> {
    fs::absolute(path)?;
    let old = fs::read(path)?;
    let text = old.as_deref().unwrap_or("");
    let (new, existed) = plan_set(path, text, name, entries)?;
    let verb = if existed { "replace" } else { "add" };
    let secrets: Vec<&str> = entries
        .iter()
        .filter(|(_, v)| v.secret)
        .map(|(_, v)| v.text.as_str())
        .collect();
    edit(
        ctx,
        path,
        old.as_deref(),
        &new,
        &secrets,
        attrs,
        format!("{verb} section [{name}]"),
    )
}

/// Removes section `name`; `ok` when the file or the section is absent.
pub fn remove_section(ctx: &Ctx, path: &str, name: &str) -> HostResult<Outcome> {
    fs::absolute(path)?;
    let Some(text) = fs::read(path)? else {
        validate_name("section", name)?;
        return Ok(Outcome::ok("file absent"));
    };
    let new = plan_remove_section(path, &text, name)?;
    if new == text {
        return Ok(Outcome::ok(format!("section [{name}] absent")));
    }
    edit(
        ctx,
        path,
        Some(&text),
        &new,
        &[],
        &AttrOpts::default(),
        format!("remove section [{name}]"),
    )
}
