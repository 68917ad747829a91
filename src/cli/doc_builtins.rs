//! The Rhai built-ins a playbook uses most, for `runbook doc`. The engine's
//! metadata lists hundreds of operator overloads; this is the short list a
//! site engineer looks for, with the Rhai book for the rest.

pub const BOOK: &str = "https://rhai.rs/book/";

/// (signature, one line).
pub const BUILTINS: &[(&str, &str)] = &[
    (
        "print(x)",
        "Writes a line of output (the script's own `print` level)",
    ),
    (
        "type_of(x)",
        "The type of a value: \"string\", \"i64\", \"map\", \"array\", \"()\"",
    ),
    ("x.to_string()", "Any value as text"),
    (
        "parse_int(s)",
        "Text as an integer; parse_float(s) for decimals",
    ),
    (
        "x.to_json()",
        "A map or array as JSON (secrets masked, unknowns as \"(known after apply)\")",
    ),
    ("parse_json(text)", "JSON text as a map, array or value"),
    (
        "s.len()",
        "Characters in a string, items in an array, keys in a map",
    ),
    ("s.contains(x)", "Substring, array item or map key present"),
    (
        "s.starts_with(p) / s.ends_with(p)",
        "Prefix and suffix tests",
    ),
    ("s.index_of(p)", "Position of a substring, -1 when absent"),
    ("s.sub_string(start, len)", "Part of a string"),
    ("s.split(sep)", "A string cut into an array of strings"),
    (
        "s.trim() / s.replace(a, b)",
        "In place: change the variable, return ()",
    ),
    (
        "s.to_upper() / s.to_lower()",
        "A new upper- or lower-case string",
    ),
    (
        "a.push(x) / a.pop()",
        "Add to or take from the end of an array",
    ),
    (
        "a.map(|x| ..) / a.filter(|x| ..)",
        "A new array from each item, or the items that pass",
    ),
    ("a.sort() / a.reverse()", "Reorder an array in place"),
    (
        "a.reduce(|acc, x| ..)",
        "Fold an array into one value (there is no join: reduce with +)",
    ),
    (
        "m.keys() / m.values()",
        "A map's keys or values as an array",
    ),
    (
        "m.remove(key)",
        "Remove a key from a map, returning its value",
    ),
    ("f.call(args..)", "Call a closure held in a variable"),
    (
        "a ?? b / a?.b",
        "Default for (), and property access that gives () on ()",
    ),
    (
        "try { } catch (e) { }",
        "Catch an error; a host error is a map with kind, message, hint",
    ),
    (
        "import \"m\" as m / export",
        "Use a site module (--lib DIR); export a module variable",
    ),
];

/// The section as the listing shows it.
pub fn listing() -> String {
    let mut out = format!("\nRhai built-ins (the rest: {BOOK})\n");
    for (sig, line) in BUILTINS {
        out.push_str(&format!("  {sig:<60} {line}\n"));
    }
    out
}

/// The section of the Markdown reference.
pub fn markdown() -> String {
    let mut out = format!(
        "\n## Rhai built-ins\n\nThe language's own functions a playbook uses most; \
         [the Rhai book]({BOOK}) has them all, and \
         [Rhai for site engineers](rhai-for-site-engineers.md) has examples.\n\n\
         | Built-in | What it does |\n| --- | --- |\n"
    );
    for (sig, line) in BUILTINS {
        out.push_str(&format!("| `{sig}` | {} |\n", line.replace('|', "\\|")));
    }
    out
}
