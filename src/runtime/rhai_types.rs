//! Rhai's "Function not found" signatures in the script's terms: Rhai names
//! argument types as Rust does (`&str | ImmutableString | String`, `i64`),
//! which a playbook author never writes.

/// A type as `type_of()` shows it in a script.
fn user_type(rust: &str) -> String {
    let t = rust.trim().trim_start_matches("&mut ");
    match t {
        "&str | ImmutableString | String" | "&str" | "String" | "ImmutableString" => "string",
        "i64" | "i32" | "INT" => "int",
        "f64" | "f32" | "FLOAT" => "float",
        "()" => "() (nothing)",
        // A host type Rhai knows only by its Rust path: its last segment.
        other => return other.rsplit("::").next().unwrap_or(other).to_string(),
    }
    .to_string()
}

fn article(t: &str) -> String {
    if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {t}")
    } else {
        format!("a {t}")
    }
}

/// `- (&str | ImmutableString | String, i64)` → the message shown to the author,
/// or `None` when the text is not a signature.
pub fn function_not_found(signature: &str) -> Option<String> {
    let (name, rest) = signature.split_once(" (")?;
    let args = rest.strip_suffix(')')?;
    let types: Vec<String> = if args.trim().is_empty() {
        Vec::new()
    } else {
        args.split(", ").map(user_type).collect()
    };
    let operator = !name.is_empty() && !name.chars().any(|c| c.is_alphanumeric() || c == '_');
    Some(match (operator, types.len()) {
        (true, 2) => format!(
            "operator '{name}' does not take {} and {}",
            article(&types[0]),
            article(&types[1])
        ),
        (true, _) => format!("operator '{name}' does not take ({})", types.join(", ")),
        (false, 0) => format!("no function '{name}' takes no arguments"),
        (false, _) => format!("no function '{name}' takes ({})", types.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_operators_and_functions_in_script_terms() {
        assert_eq!(
            function_not_found("- (&str | ImmutableString | String, i64)").unwrap(),
            "operator '-' does not take a string and an int"
        );
        assert_eq!(
            function_not_found("fs::reed (&str | ImmutableString | String, f64, bool)").unwrap(),
            "no function 'fs::reed' takes (string, float, bool)"
        );
        assert_eq!(
            function_not_found("f ()").unwrap(),
            "no function 'f' takes no arguments"
        );
        assert_eq!(
            function_not_found("g (runbook::secret::Secret, ())").unwrap(),
            "no function 'g' takes (Secret, () (nothing))"
        );
        assert!(function_not_found("not a signature").is_none());
    }

    #[test]
    fn a_real_engine_error_is_rendered_without_rust_types() {
        let engine = rhai::Engine::new();
        let err = engine.eval::<rhai::Dynamic>(r#""x" + 1 - 2"#).unwrap_err();
        let rhai::EvalAltResult::ErrorFunctionNotFound(sig, _) = *err else {
            panic!("{err}");
        };
        let text = function_not_found(&sig).unwrap();
        assert!(text.contains("string") && text.contains("int"), "{text}");
        assert!(
            !text.contains("ImmutableString") && !text.contains("i64"),
            "{text}"
        );
    }
}
