//! A parameter's declared type, and turning text or TOML into a checked value.

use super::ParamValue;
use super::checks::Check;
use crate::secret::Secret;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamType {
    String,
    Int,
    Bool,
    /// A list of strings; each item passes the check when one is declared (`items = "arn"`).
    List(Option<Check>),
    Secret,
    /// A string that must pass a syntax check (`region`, `mode`, `arn` …).
    Checked(Check),
}

/// The type names a header may use, for messages.
pub fn type_names() -> String {
    let mut names = vec!["string", "int", "bool", "list", "secret"];
    names.extend(Check::ALL.iter().map(|c| c.as_str()));
    names.join(", ")
}

impl ParamType {
    pub fn parse(s: &str) -> Option<ParamType> {
        Some(match s {
            "string" => ParamType::String,
            "int" => ParamType::Int,
            "bool" => ParamType::Bool,
            "list" => ParamType::List(None),
            "secret" => ParamType::Secret,
            other => ParamType::Checked(Check::parse(other)?),
        })
    }

    /// The name as written in a header; a checked list shows its item type.
    pub fn name(self) -> String {
        match self {
            ParamType::String => "string".into(),
            ParamType::Int => "int".into(),
            ParamType::Bool => "bool".into(),
            ParamType::List(None) => "list".into(),
            ParamType::List(Some(c)) => format!("list of {}", c.as_str()),
            ParamType::Secret => "secret".into(),
            ParamType::Checked(c) => c.as_str().into(),
        }
    }

    pub fn is_secret(self) -> bool {
        self == ParamType::Secret
    }

    /// A value typed on the command line or in the environment.
    pub fn from_text(self, text: &str) -> Result<ParamValue, String> {
        match self {
            ParamType::String => Ok(ParamValue::String(text.to_string())),
            ParamType::Secret => Ok(ParamValue::Secret(Secret::new(text))),
            ParamType::Checked(c) => c.check(text).map(|()| ParamValue::String(text.into())),
            ParamType::Int => parse_int(text).map(ParamValue::Int),
            ParamType::Bool => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "on" => Ok(ParamValue::Bool(true)),
                "false" | "no" | "0" | "off" => Ok(ParamValue::Bool(false)),
                _ => Err(format!("'{text}' is not a boolean (true or false)")),
            },
            ParamType::List(_) => {
                let t = text.trim();
                if t.starts_with('[') {
                    let doc: toml::Table = toml::from_str(&format!("v = {t}")).map_err(|e| {
                        format!("'{text}' is not a TOML array of strings: {}", e.message())
                    })?;
                    self.from_toml(&doc["v"])
                } else if t.is_empty() {
                    Ok(ParamValue::List(Vec::new()))
                } else {
                    let items: Vec<String> = t.split(',').map(|s| s.trim().to_string()).collect();
                    self.check_items(&items)?;
                    Ok(ParamValue::List(items))
                }
            }
        }
    }

    /// A value from a `--vars` file or a header default.
    pub fn from_toml(self, v: &toml::Value) -> Result<ParamValue, String> {
        use toml::Value as V;
        match (self, v) {
            (ParamType::String, V::String(s)) => Ok(ParamValue::String(s.clone())),
            (ParamType::Secret, V::String(s)) => Ok(ParamValue::Secret(Secret::new(s.clone()))),
            (ParamType::Checked(_), V::String(s)) => self.from_text(s),
            (ParamType::Int, V::Integer(i)) => Ok(ParamValue::Int(*i)),
            (ParamType::Bool, V::Boolean(b)) => Ok(ParamValue::Bool(*b)),
            (ParamType::List(_), V::Array(items)) => {
                let items = items
                    .iter()
                    .map(|i| match i {
                        V::String(s) => Ok(s.clone()),
                        other => Err(format!("list item {other} is not a string")),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.check_items(&items)?;
                Ok(ParamValue::List(items))
            }
            (ParamType::List(_), V::String(s)) => self.from_text(s),
            // A secret's value is never shown, whatever its type.
            (ParamType::Secret, other) => Err(format!(
                "{} was given, expected a secret (a TOML string, e.g. token = \"…\"); the value is not shown",
                with_article(other.type_str())
            )),
            (ParamType::Checked(Check::Mode { .. }), V::Integer(i)) => Err(format!(
                "{i} is an integer; write a mode as a string of octal digits, e.g. mode = \"{i}\""
            )),
            (ty, other) => Err(format!(
                "{} is {}, expected {}",
                describe(other),
                with_article(other.type_str()),
                ty.name()
            )),
        }
    }

    fn check_items(self, items: &[String]) -> Result<(), String> {
        if let ParamType::List(Some(c)) = self {
            for item in items {
                c.check(item).map_err(|m| format!("list item: {m}"))?;
            }
        }
        Ok(())
    }
}

fn parse_int(text: &str) -> Result<i64, String> {
    use std::num::IntErrorKind;
    text.trim()
        .parse()
        .map_err(|e: std::num::ParseIntError| match e.kind() {
            IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => format!(
                "'{}' is out of range: an integer parameter is between {} and {}",
                text.trim(),
                i64::MIN,
                i64::MAX
            ),
            _ => format!("'{text}' is not an integer"),
        })
}

fn with_article(word: &str) -> String {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {word}"),
        _ => format!("a {word}"),
    }
}

fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::String(_) => "the value".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_of_the_wrong_type_is_never_shown() {
        let doc: toml::Table = toml::from_str(
            "i = 12345\nf = 12345.5\na = [\"s3cr3t\", 12345]\nt = { k = \"s3cr3t\" }\nb = true\nd = 1979-05-27",
        )
        .unwrap();
        for (k, v) in &doc {
            let e = ParamType::Secret.from_toml(v).unwrap_err();
            assert!(!e.contains("12345") && !e.contains("s3cr3t"), "{k}: {e}");
            assert!(
                e.contains("expected a secret") && e.contains("not shown"),
                "{k}: {e}"
            );
        }
    }

    #[test]
    fn an_integer_too_large_is_out_of_range() {
        let e = ParamType::Int
            .from_text("99999999999999999999")
            .unwrap_err();
        assert!(e.contains("out of range"), "{e}");
        let e = ParamType::Int.from_text("12a").unwrap_err();
        assert!(e.contains("not an integer"), "{e}");
    }

    #[test]
    fn checked_lists_check_each_item() {
        let ty = ParamType::List(Some(Check::IamResource));
        assert!(
            ty.from_text("*, arn:aws:secretsmanager:us-east-1:123456789012:secret:x")
                .is_ok()
        );
        let e = ty.from_text("*, nope").unwrap_err();
        assert!(e.contains("list item") && e.contains("'nope'"), "{e}");
    }

    #[test]
    fn a_mode_written_as_an_integer_is_told_to_be_a_string() {
        let e = ParamType::Checked(Check::Mode { special: false })
            .from_toml(&toml::Value::Integer(540))
            .unwrap_err();
        assert!(e.contains("mode = \"540\""), "{e}");
    }
}
