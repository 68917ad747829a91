//! Pure planners: the new text of an INI file, from the old text and the
//! desired section, with every other byte kept. No I/O.

use super::{
    Entries, Headers, Line, check_bom, classify, entries_of, is_secret_key, malformed, parse,
    parse_opts, validate_name, validate_value,
};
use crate::host::{HostError, HostResult};
use crate::secret::MASK;

fn spans(label: &str, text: &str, name: &str) -> HostResult<Vec<(usize, usize)>> {
    check_bom(label, text)?;
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize)> = None;
    let mut pos = 0;
    let mut headers = Headers::default();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let end = pos + line.len();
        match classify(label, i + 1, line)? {
            Line::Header(h) => {
                headers.see(label, i + 1, h)?;
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
pub(super) fn plan_set(
    label: &str,
    text: &str,
    name: &str,
    entries: &Entries,
) -> HostResult<(String, bool)> {
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
        // One occurrence: `spans` refuses a duplicate section.
        let mut out = String::with_capacity(text.len() + block.len());
        out.push_str(&text[..start]);
        out.push_str(&block);
        out.push_str(&text[end..]);
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

/// Pure planner: the text without section `name` (a file that holds a
/// section twice is refused, as everywhere).
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

pub(super) fn masked(text: &str, secrets: &[&str]) -> String {
    text.lines().map(|l| mask_line(l, secrets) + "\n").collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::ini::{IniValue, parse};

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
    fn a_duplicate_section_is_refused_naming_file_section_and_lines() {
        let text = "[a]\nx=1\n[b]\ny=2\n[ a ]\nz=3\n";
        for err in [
            plan_set_section("/c", text, "a", &e(&[("k", "v")])).unwrap_err(),
            plan_set_section("/c", text, "n", &e(&[("k", "v")])).unwrap_err(),
            plan_remove_section("/c", text, "b").unwrap_err(),
            parse("/c", text).unwrap_err(),
        ] {
            assert!(
                err.message
                    .starts_with("/c:5: section [a] appears a second time (first at line 1)"),
                "{}",
                err.message
            );
            let hint = err.hint.unwrap();
            assert!(
                hint.contains("merge or rename the duplicate [a] section"),
                "{hint}"
            );
        }
        // The same name in another case is another section, as for the AWS SDKs.
        assert_eq!(parse("/c", "[a]\nx=1\n[A]\ny=2\n").unwrap().len(), 2);
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
    fn a_byte_order_mark_is_named_as_such() {
        let text = format!("\u{feff}{FILE}");
        for e in [
            parse("/c", &text).unwrap_err(),
            plan_set_section("/c", &text, "n", &e(&[("k", "v")])).unwrap_err(),
            plan_remove_section("/c", &text, "b").unwrap_err(),
        ] {
            assert!(
                e.message
                    .starts_with("/c starts with a UTF-8 byte-order mark"),
                "{}",
                e.message
            );
            assert!(!e.message.contains("not a valid INI line"), "{}", e.message);
        }
        // Elsewhere than at the start it is just an odd character in a value.
        assert!(parse("/c", "[a]\nk = \u{feff}v\n").is_ok());
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
