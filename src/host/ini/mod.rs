//! INI files such as `~/.aws/credentials`, edited line by line.
//!
//! `rust-ini` reads and validates, but it drops comments on write, so edits are
//! made on the text: setting a section replaces that section's lines as a
//! whole (no stale key survives) and every other byte stays as it was. The
//! pure planners that edit the text are in `plan.rs`.

mod plan;

use super::fs::{self, Allow, AttrOpts, Content, WriteOpts};
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

/// A UTF-8 byte-order mark makes botocore (configparser) and the AWS SDK for
/// Rust fail on the first line ("Expected a profile definition"), so it is
/// refused with what it is, rather than as a bad first line.
fn check_bom(label: &str, text: &str) -> HostResult<()> {
    if !text.starts_with('\u{feff}') {
        return Ok(());
    }
    Err(HostError::invalid(format!(
        "{label} starts with a UTF-8 byte-order mark (bytes EF BB BF), which the AWS SDKs (botocore and the AWS CLI, the SDK for Rust) do not accept: they fail to read the file; the file was not changed"
    ))
    .with_hint(format!(
        "remove the mark, e.g. sed -i '1s/^\\xEF\\xBB\\xBF//' {label} (editors call the encoding \"UTF-8\" rather than \"UTF-8 with BOM\"), then run again"
    )))
}

/// The section headers seen so far (name and line), to refuse a second
/// `[name]`: readers disagree on such a file (botocore and the AWS CLI refuse
/// it, the AWS SDK for Rust merges the two, a map keeps only one), so runbook
/// neither merges nor picks one.
#[derive(Default)]
struct Headers(std::collections::HashMap<String, usize>);

impl Headers {
    fn see(&mut self, label: &str, line: usize, name: &str) -> HostResult<()> {
        match self.0.entry(name.to_string()) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(line);
                Ok(())
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                Err(duplicate_section(label, line, name, *o.get()))
            }
        }
    }
}

fn duplicate_section(label: &str, line: usize, name: &str, first: usize) -> HostError {
    let shown = name.escape_debug();
    HostError::invalid(format!(
        "{label}:{line}: section [{shown}] appears a second time (first at line {first}); runbook does not merge duplicate sections (the AWS CLI refuses such a file, other readers keep only one of them); the file was not changed"
    ))
    .with_hint(format!(
        "merge or rename the duplicate [{shown}] section (lines {first} and {line} of {label}), then run again"
    ))
}

/// Parses with `rust-ini` after our own line check (which gives an exact line
/// number and refuses a duplicate section).
fn load(label: &str, text: &str) -> HostResult<ini::Ini> {
    check_bom(label, text)?;
    let mut headers = Headers::default();
    for (i, line) in text.lines().enumerate() {
        if let Line::Header(name) = classify(label, i + 1, line)? {
            headers.see(label, i + 1, name)?;
        }
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

/// The text of the INI file at `path`, `None` when it does not exist. A
/// symbolic link is refused unless `follow`, like anything but a regular file
/// (before it is opened: a FIFO cannot block); a binary file is named as one.
fn read_text(path: &str, follow: bool, verb: &str) -> HostResult<Option<String>> {
    let p = fs::absolute(path)?;
    let Some(bytes) = fs::open::read_regular(&p, follow, verb)? else {
        return Ok(None);
    };
    let not_text = |at: usize, what: &str| {
        HostError::invalid(format!(
            "{path} is not a text file (byte {at} is {what}): an INI file such as an AWS credentials file is text; is this the right path?"
        ))
    };
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(not_text(at, "NUL"));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|e| not_text(e.utf8_error().valid_up_to(), "not UTF-8"))
}

/// The sections of the file at `path`, or `None` when it does not exist.
/// A symbolic link there is refused unless `follow_symlinks`: an INI file
/// read by a playbook is usually the credentials file it then writes.
pub fn read(path: &str, follow_symlinks: bool) -> HostResult<Option<Sections>> {
    match read_text(path, follow_symlinks, "read")? {
        None => Ok(None),
        Some(text) => parse(path, &text).map(Some),
    }
}

/// Writes the edited text `new` over `old` (as a file holding secrets), with
/// a diff in which secret values are masked.
fn edit(
    ctx: &Ctx,
    path: &str,
    (old, new): (Option<&str>, &str),
    secrets: &[&str],
    opts: &WriteOpts,
    what: String,
) -> HostResult<Outcome> {
    // Credentials files hold secrets: a new one is owner-only unless a mode is given.
    let out = fs::write(ctx, path, Content::secret(new.as_bytes()), opts)?;
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
/// The file counts as holding secrets (see [`fs::write`]), whatever the values.
pub fn set_section(
    ctx: &Ctx,
    path: &str,
    name: &str,
    entries: &Entries,
    attrs: &AttrOpts,
    allow: Allow,
) -> HostResult<Outcome> {
    let old = read_text(path, allow.follow_symlinks, "write")?;
    let text = old.as_deref().unwrap_or("");
    let (new, existed) = plan_set(path, text, name, entries)?;
    let verb = if existed { "replace" } else { "add" };
    let secrets: Vec<&str> = entries
        .iter()
        .filter(|(_, v)| v.secret)
        .map(|(_, v)| v.text.as_str())
        .collect();
    let opts = WriteOpts {
        attrs: attrs.clone(),
        allow,
        ..Default::default()
    };
    edit(
        ctx,
        path,
        (old.as_deref(), &new),
        &secrets,
        &opts,
        format!("{verb} section [{name}]"),
    )
}

/// Removes section `name`; `ok` when the file or the section is absent.
pub fn remove_section(ctx: &Ctx, path: &str, name: &str, allow: Allow) -> HostResult<Outcome> {
    let Some(text) = read_text(path, allow.follow_symlinks, "write")? else {
        validate_name("section", name)?;
        return Ok(Outcome::ok("file absent"));
    };
    let new = plan_remove_section(path, &text, name)?;
    if new == text {
        return Ok(Outcome::ok(format!("section [{name}] absent")));
    }
    let opts = WriteOpts {
        allow,
        ..Default::default()
    };
    edit(
        ctx,
        path,
        (Some(&text), &new),
        &[],
        &opts,
        format!("remove section [{name}]"),
    )
}
