//! Rhai values printed for people: maps and arrays indented, secrets masked,
//! placeholders shown as `(known after apply)`.

use rhai::Dynamic;

use crate::host::Unknown;
use crate::secret::{MASK, Secret};

/// The value as `eval` and the REPL print it: with `raw`, a string result is
/// its bare text (no quotes, no escapes), the way `jq -r` prints, so a shell
/// script can use it; anything else is shown as [`pretty`] shows it.
pub fn shown(value: &Dynamic, raw: bool) -> String {
    match value.clone().into_string() {
        Ok(s) if raw => s,
        _ => pretty(value),
    }
}

pub fn pretty(value: &Dynamic) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out
}

fn write_value(out: &mut String, value: &Dynamic, indent: usize) {
    let pad = "  ".repeat(indent + 1);
    let end_pad = "  ".repeat(indent);
    if value.is::<Secret>() {
        out.push_str(MASK);
    } else if value.is::<Unknown>() {
        out.push_str(&Unknown.to_string());
    } else if value.is_string() {
        out.push_str(&format!(
            "{:?}",
            value.clone().into_string().unwrap_or_default()
        ));
    } else if let Some(map) = value.read_lock::<rhai::Map>() {
        if map.is_empty() {
            out.push_str("#{}");
            return;
        }
        out.push_str("#{\n");
        for (k, v) in map.iter() {
            out.push_str(&format!("{pad}{k}: "));
            write_value(out, v, indent + 1);
            out.push_str(",\n");
        }
        out.push_str(&format!("{end_pad}}}"));
    } else if let Some(arr) = value.read_lock::<rhai::Array>() {
        if arr.is_empty() {
            out.push_str("[]");
            return;
        }
        let simple = arr.iter().all(|v| !v.is_map() && !v.is_array()) && arr.len() <= 8;
        if simple {
            let items: Vec<String> = arr.iter().map(pretty).collect();
            out.push_str(&format!("[{}]", items.join(", ")));
            return;
        }
        out.push_str("[\n");
        for v in arr.iter() {
            out.push_str(&pad);
            write_value(out, v, indent + 1);
            out.push_str(",\n");
        }
        out.push_str(&format!("{end_pad}]"));
    } else if value.is_unit() {
        out.push_str("()");
    } else {
        out.push_str(&value.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secrets_inside_structures() {
        let mut m = rhai::Map::new();
        m.insert("id".into(), "AKIA".into());
        m.insert("secret".into(), Dynamic::from(Secret::new("wJalrXUtnFEMI")));
        m.insert("arn".into(), Dynamic::from(Unknown));
        let text = pretty(&m.into());
        assert!(text.contains("secret: ********"), "{text}");
        assert!(text.contains("arn: (known after apply)"), "{text}");
        assert!(!text.contains("wJalr"));
    }
}
