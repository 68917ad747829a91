//! INI files such as `~/.aws/credentials`, edited line by line.
//!
//! `rust-ini` reads and validates, but it drops comments on write, so edits are
//! made on the text: setting a section replaces that section's lines as a
//! whole (no stale key survives) and every other byte stays as it was.

use super::fs::{self, AttrOpts, Content, WriteOpts};
use super::{Ctx, ErrorKind, HostError, HostResult, Outcome};
use crate::secret::MASK;

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
fn spans(label: &str, text: &str, name: &str) -> HostResult<Vec<(usize, usize)>> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    let mut pos = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let end = pos + line.len();
        match classify(label, i + 1, line)? {
            Line::Header(h) => {
                out.extend(cur.take());
                if h == name {
                    cur = Some((pos, end));
                }
            }
            Line::Entry => {
                if let Some(c) = cur.as_mut() {
                    c.1 = end;
                }
            }
            Line::Blank | Line::Comment => {}
        }
        pos = end;
    }
    out.extend(cur);
    Ok(out)
}

fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") { "\r\n" } else { "\n" }
}

fn render(name: &str, entries: &Entries, nl: &str) -> String {
    let mut s = format!("[{name}]{nl}");
    for (k, v) in entries {
        s.push_str(&format!("{k} = {}{nl}", v.text));
    }
    s
}

fn validate_entries(name: &str, entries: &Entries) -> HostResult<()> {
    validate_name("section", name)?;
    let mut seen = std::collections::HashSet::new();
    for (k, v) in entries {
        validate_name("key", k)?;
        validate_value(k, v)?;
        if !seen.insert(k.as_str()) {
            return Err(HostError::invalid(format!(
                "INI key '{k}' is given twice for section '{name}'"
            )));
        }
    }
    Ok(())
}

fn same_values(a: &Entries, b: &Entries) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((ka, va), (kb, vb))| ka == kb && va.text == vb.text)
}

/// Pure planner: the new text of the file with section `name` set to
/// `entries`. Returns the text unchanged when the section already holds
/// exactly these keys and values, in this order (its formatting is kept).
pub fn plan_set_section(
    label: &str,
    text: &str,
    name: &str,
    entries: &Entries,
) -> HostResult<String> {
    plan_set(label, text, name, entries).map(|(t, _)| t)
}

/// [`plan_set_section`], also telling whether the section existed.
fn plan_set(label: &str, text: &str, name: &str, entries: &Entries) -> HostResult<(String, bool)> {
    validate_entries(name, entries)?;
    // One line scan (validation and spans) and one rust-ini parse of the old
    // text; the edit only splices at line boundaries, so re-checking the new
    // block alone is enough (keeps 10k-profile files fast).
    let found = spans(label, text, name)?;
    let doc = ini::Ini::load_from_str_opt(text, parse_opts())
        .map_err(|e| malformed(label, e.line, &e.msg))?;
    let current: Vec<Entries> = doc.section_all(Some(name)).map(entries_of).collect();
    if current.len() == 1 && same_values(&current[0], entries) {
        return Ok((text.to_string(), true));
    }
    let nl = newline(text);
    let block = render(name, entries, nl);
    let check = parse(label, &block)?;
    if check.len() != 1 || check[0].0 != name || !same_values(&check[0].1, entries) {
        return Err(HostError::failed(format!(
            "internal: section '{name}' of {label} would not read back as written; the file was not changed"
        )));
    }
    let new = if let Some(&(start, end)) = found.first() {
        // Replace the first occurrence; later duplicates go, so none of their keys survive.
        let mut out = String::with_capacity(text.len() + block.len());
        out.push_str(&text[..start]);
        out.push_str(&block);
        let mut pos = end;
        for &(s, e) in &found[1..] {
            out.push_str(&text[pos..s]);
            pos = e;
        }
        out.push_str(&text[pos..]);
        out
    } else {
        let mut out = text.to_string();
        if !out.is_empty() {
            if !out.ends_with('\n') {
                out.push_str(nl);
            }
            if !out.trim_end_matches(['\r', '\n']).is_empty()
                && !out.ends_with(&format!("{nl}{nl}"))
            {
                out.push_str(nl);
            }
        }
        out.push_str(&block);
        out
    };
    Ok((new, !found.is_empty()))
}

/// Pure planner: the text without section `name` (every occurrence).
pub fn plan_remove_section(label: &str, text: &str, name: &str) -> HostResult<String> {
    validate_name("section", name)?;
    let found = spans(label, text, name)?;
    ini::Ini::load_from_str_opt(text, parse_opts())
        .map_err(|e| malformed(label, e.line, &e.msg))?;
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (s, e) in found {
        let mut start = s;
        // Also drop the blank separator line in front of it, when there is one.
        let before = &text[..s];
        if let Some(stripped) = before.strip_suffix("\n\n") {
            start = stripped.len() + 1;
        } else if let Some(stripped) = before.strip_suffix("\r\n\r\n") {
            start = stripped.len() + 2;
        }
        let start = start.max(pos);
        out.push_str(&text[pos..start]);
        pos = e;
    }
    out.push_str(&text[pos..]);
    Ok(out)
}

/// Masks the values of secret-named keys and every given secret text in a line.
fn mask_line(line: &str, secrets: &[&str]) -> String {
    let mut l = line.to_string();
    if let Some((k, _)) = line.split_once(['=', ':']) {
        if is_secret_key(k.trim()) && !line.trim_start().starts_with(['#', ';', '[']) {
            l = format!("{}= {MASK}", k);
        }
    }
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        l = l.replace(s, MASK);
    }
    l
}

fn masked(text: &str, secrets: &[&str]) -> String {
    text.lines().map(|l| mask_line(l, secrets) + "\n").collect()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn e(pairs: &[(&str, &str)]) -> Entries {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), IniValue::plain(*v)))
            .collect()
    }

    const FILE: &str = "# credentials\n[default]\naws_access_key_id=AKIA1\naws_secret_access_key = s1\n\n; next one\n[b]\nk=v\n";

    #[test]
    fn replaces_a_section_whole_and_keeps_the_rest() {
        let new =
            plan_set_section("/c", FILE, "default", &e(&[("aws_access_key_id", "AKIA2")])).unwrap();
        assert_eq!(
            new,
            "# credentials\n[default]\naws_access_key_id = AKIA2\n\n; next one\n[b]\nk=v\n"
        );
    }

    #[test]
    fn same_values_keep_the_text_as_is() {
        let same = e(&[
            ("aws_access_key_id", "AKIA1"),
            ("aws_secret_access_key", "s1"),
        ]);
        assert_eq!(
            plan_set_section("/c", FILE, "default", &same).unwrap(),
            FILE
        );
    }

    #[test]
    fn appends_a_new_section_after_a_blank_line() {
        let new = plan_set_section("/c", "[a]\nx=1", "n", &e(&[("k", "v")])).unwrap();
        assert_eq!(new, "[a]\nx=1\n\n[n]\nk = v\n");
        assert_eq!(
            plan_set_section("/c", "", "n", &e(&[("k", "v")])).unwrap(),
            "[n]\nk = v\n"
        );
    }

    #[test]
    fn duplicates_are_merged_into_one() {
        let text = "[a]\nx=1\n[b]\ny=2\n[a]\nz=3\n";
        let new = plan_set_section("/c", text, "a", &e(&[("k", "v")])).unwrap();
        assert_eq!(new, "[a]\nk = v\n[b]\ny=2\n");
    }

    #[test]
    fn removes_a_section() {
        let new = plan_remove_section("/c", FILE, "b").unwrap();
        assert_eq!(
            new,
            "# credentials\n[default]\naws_access_key_id=AKIA1\naws_secret_access_key = s1\n\n; next one\n"
        );
        assert_eq!(plan_remove_section("/c", FILE, "zz").unwrap(), FILE);
    }

    #[test]
    fn refuses_bad_names_and_values() {
        for bad in ["a]b", "a\nb", "", " a", "a=b", "[x"] {
            let err = plan_set_section("/c", "", bad, &e(&[("k", "v")])).unwrap_err();
            assert!(err.message.contains("section name"), "{}", err.message);
        }
        assert!(plan_set_section("/c", "", "s", &e(&[("a:b", "v")])).is_err());
        assert!(plan_set_section("/c", "", "s", &e(&[("k", "v\nx")])).is_err());
        let secret: Entries = vec![("k".into(), IniValue::secret(" hunter2"))];
        let err = plan_set_section("/c", "", "s", &secret).unwrap_err();
        assert!(!err.message.contains("hunter2"));
    }

    #[test]
    fn malformed_files_are_refused_with_the_line() {
        let err =
            plan_set_section("/c", "[a]\nx=1\ngarbage line\n", "a", &e(&[("k", "v")])).unwrap_err();
        assert!(err.message.starts_with("/c:3:"), "{}", err.message);
        assert!(plan_set_section("/c", "[a\n", "a", &e(&[])).is_err());
    }

    #[test]
    fn secret_named_keys_read_as_secrets() {
        let s = parse("/c", FILE).unwrap();
        assert_eq!(s[0].0, "default");
        assert!(!s[0].1[0].1.secret);
        assert!(s[0].1[1].1.secret);
        assert_eq!(
            mask_line("aws_secret_access_key = s1", &[]),
            "aws_secret_access_key = ********"
        );
    }
}
