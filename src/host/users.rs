//! Users and groups by name or numeric id.

use nix::unistd::{Gid, Group, Uid, User};

use super::{ErrorKind, HostError, HostResult};

/// A resolved account: numeric id plus the name, when the id has one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: u32,
    pub name: Option<String>,
}

impl std::fmt::Display for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(n) => f.write_str(n),
            None => write!(f, "{}", self.id),
        }
    }
}

fn lookup_failed(what: &str, spec: &str, e: nix::Error) -> HostError {
    HostError::new(
        ErrorKind::Failed,
        format!("cannot look up {what} '{spec}': {e}"),
    )
}

fn check_spec(what: &str, spec: &str) -> HostResult<()> {
    if spec.is_empty() || spec.trim() != spec || spec.contains(['\n', ':', '\0']) {
        return Err(HostError::invalid(format!(
            "{what} '{spec}' is not valid: give a {what} name such as 'root' or a numeric id"
        )));
    }
    Ok(())
}

/// Looks up a user by name, or by numeric id (which need not have a name).
pub fn user(spec: &str) -> HostResult<Account> {
    check_spec("user", spec)?;
    if let Ok(id) = spec.parse::<u32>() {
        let name = User::from_uid(Uid::from_raw(id))
            .map_err(|e| lookup_failed("user", spec, e))?
            .map(|u| u.name);
        return Ok(Account { id, name });
    }
    match User::from_name(spec).map_err(|e| lookup_failed("user", spec, e))? {
        Some(u) => Ok(Account {
            id: u.uid.as_raw(),
            name: Some(u.name),
        }),
        None => Err(
            HostError::not_found(format!("user '{spec}' does not exist on this host"))
                .with_hint("check the spelling, or create the user first (useradd)"),
        ),
    }
}

/// Looks up a group by name, or by numeric id.
pub fn group(spec: &str) -> HostResult<Account> {
    check_spec("group", spec)?;
    if let Ok(id) = spec.parse::<u32>() {
        let name = Group::from_gid(Gid::from_raw(id))
            .map_err(|e| lookup_failed("group", spec, e))?
            .map(|g| g.name);
        return Ok(Account { id, name });
    }
    match Group::from_name(spec).map_err(|e| lookup_failed("group", spec, e))? {
        Some(g) => Ok(Account {
            id: g.gid.as_raw(),
            name: Some(g.name),
        }),
        None => {
            let hint = if spec == "alationdocker" {
                "; is the Alation Agent installed?"
            } else {
                "; check the spelling, or create it first (groupadd)"
            };
            Err(HostError::not_found(format!(
                "group '{spec}' does not exist on this host{hint}"
            )))
        }
    }
}

/// The name of a user id, or the number as text.
pub fn user_name(uid: u32) -> String {
    match User::from_uid(Uid::from_raw(uid)) {
        Ok(Some(u)) => u.name,
        _ => uid.to_string(),
    }
}

/// The name of a group id, or the number as text.
pub fn group_name(gid: u32) -> String {
    match Group::from_gid(Gid::from_raw(gid)) {
        Ok(Some(g)) => g.name,
        _ => gid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_root_by_name_and_id() {
        assert_eq!(user("root").unwrap().id, 0);
        assert_eq!(user("0").unwrap().name.as_deref(), Some("root"));
        assert_eq!(group("0").unwrap().id, 0);
    }

    #[test]
    fn missing_group_names_it() {
        let e = group("alationdocker-nope").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
        assert!(e.message.contains("'alationdocker-nope' does not exist"));
        assert!(
            user("no-such-user-xyz")
                .unwrap_err()
                .message
                .contains("'no-such-user-xyz'")
        );
        assert!(group("").is_err());
    }
}
