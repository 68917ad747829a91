//! Names other systems define the syntax of: INI/AWS profile sections, IAM
//! users and policies, access key ids, secrets, Unix groups, containers, units.

use super::quoted;

/// Written as `[name]` in an INI file: a bracket or a newline would end the
/// section header early or start another one.
pub fn profile(text: &str) -> Result<(), String> {
    let fix = "use letters, digits, '-', '_' or '.', e.g. alation_auth";
    let bad = |why: &str| {
        Err(format!(
            "{} is not a profile name: {why}; {fix}",
            quoted(text)
        ))
    };
    if text.is_empty() {
        return bad("it is empty");
    }
    if text.contains(['[', ']']) {
        return bad("it holds '[' or ']', which end an INI section header");
    }
    if text.chars().any(char::is_control) {
        return bad("it holds a newline or another control character");
    }
    if text.trim() != text {
        return bad("it starts or ends with a space");
    }
    Ok(())
}

/// IAM's rule for user names and policy names: letters, digits and `+=,.@_-`.
fn iam(text: &str, what: &str, max: usize, example: &str) -> Result<(), String> {
    let ok = (1..=max).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if ok {
        return Ok(());
    }
    Err(format!(
        "{} is not an IAM {what} name: IAM allows 1 to {max} letters, digits and + = , . @ _ -; e.g. {example}",
        quoted(text)
    ))
}

pub fn iam_user(text: &str) -> Result<(), String> {
    iam(text, "user", 64, "alation-agent-myhost")
}

pub fn iam_policy(text: &str) -> Result<(), String> {
    iam(text, "policy", 128, "read_secrets_policy")
}

pub fn access_key_id(text: &str) -> Result<(), String> {
    let ok = (16..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        return Ok(());
    }
    Err(format!(
        "{} is not an access key id: it is 16 to 128 capital letters and digits, e.g. AKIAIOSFODNN7EXAMPLE (see `aws iam list-access-keys`)",
        quoted(text)
    ))
}

/// A Secrets Manager secret's name or ARN.
pub fn secret_id(text: &str) -> Result<(), String> {
    if text.starts_with("arn:") {
        return super::arn::check(text);
    }
    let ok = (1..=512).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b));
    if ok {
        return Ok(());
    }
    Err(format!(
        "{} is not a secret name or ARN: a name is 1 to 512 letters, digits and / _ + = . @ -; e.g. prod/db-password",
        quoted(text)
    ))
}

/// The portable Unix user/group name rule (useradd, groupadd).
pub fn group(text: &str) -> Result<(), String> {
    let mut bytes = text.bytes();
    let ok = text.len() <= 32
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        return Ok(());
    }
    Err(format!(
        "{} is not a group name: up to 32 lowercase letters, digits, '_' and '-', starting with a letter or '_'; e.g. alationdocker",
        quoted(text)
    ))
}

/// Docker's rule for container names.
pub fn container(text: &str) -> Result<(), String> {
    let mut bytes = text.bytes();
    let ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok {
        return Ok(());
    }
    Err(format!(
        "{} is not a container name: Docker allows letters, digits, '_', '.' and '-', starting with a letter or digit; `docker ps -a` lists them",
        quoted(text)
    ))
}

/// systemd's unit name characters (`hydra`, `hydra.service`, `getty@tty1.service`).
pub fn unit(text: &str) -> Result<(), String> {
    let ok = (1..=255).contains(&text.len())
        && !text.starts_with('-')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":_.\\@-".contains(&b));
    if ok {
        return Ok(());
    }
    Err(format!(
        "{} is not a systemd unit name: letters, digits and : _ . \\ @ -, e.g. hydra or hydra.service; `systemctl list-units` lists them",
        quoted(text)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_refuse_what_breaks_an_ini_header() {
        for p in ["alation_auth", "default", "profile prod", "a.b-c"] {
            assert!(profile(p).is_ok(), "{p}");
        }
        for (p, why) in [
            ("a]b", "'['"),
            ("[x", "'['"),
            ("a\nb", "newline"),
            ("a\u{7}b", "control"),
            (" a", "space"),
            ("a ", "space"),
            ("", "empty"),
        ] {
            let e = profile(p).unwrap_err();
            assert!(
                e.contains(why) && e.contains("e.g. alation_auth"),
                "{p:?}: {e}"
            );
        }
        // The value is shown escaped: a newline cannot start a forged line.
        assert!(profile("a\nb").unwrap_err().contains("a\\nb"));
    }

    #[test]
    fn iam_names_follow_iam_rules() {
        assert!(iam_user("alation-agent-host1").is_ok());
        assert!(iam_user("a+b=c,d.e@f_g").is_ok());
        assert!(iam_user(&"u".repeat(65)).unwrap_err().contains("1 to 64"));
        assert!(iam_user("a b").unwrap_err().contains("IAM user"));
        assert!(iam_policy(&"p".repeat(128)).is_ok());
        assert!(iam_policy(&"p".repeat(129)).is_err());
        assert!(
            iam_policy("read/secrets")
                .unwrap_err()
                .contains("IAM policy")
        );
    }

    #[test]
    fn key_ids_secrets_groups_containers_units() {
        assert!(access_key_id("AKIAIOSFODNN7EXAMPLE").is_ok());
        assert!(access_key_id("akia").is_err());
        assert!(secret_id("prod/db-password").is_ok());
        assert!(secret_id("arn:aws:secretsmanager:us-east-1:123456789012:secret:x").is_ok());
        assert!(secret_id("a b").is_err());
        assert!(group("alationdocker").is_ok());
        assert!(group("Staff").is_err());
        assert!(container("auth").is_ok());
        assert!(container("-x").is_err());
        assert!(unit("hydra.service").is_ok());
        assert!(unit("hy dra").is_err());
    }
}
