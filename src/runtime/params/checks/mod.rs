//! Syntax checks for typed parameters (`type = "region"` …): each names the
//! rule a value breaks and how to fix it, in one message.

mod arn;
mod duration;
mod mode;
mod names;
mod path;
mod region;

pub use region::is_region;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    Region,
    /// `special`: setuid, setgid and sticky bits allowed (header `special_bits = true`).
    Mode {
        special: bool,
    },
    Duration,
    Arn,
    /// `*` or an ARN, as in an IAM policy's Resource.
    IamResource,
    ProfileName,
    IamUserName,
    IamPolicyName,
    AccessKeyId,
    SecretId,
    GroupName,
    ContainerName,
    UnitName,
    Path,
    AbsolutePath,
}

impl Check {
    pub const ALL: &'static [Check] = &[
        Check::Region,
        Check::Mode { special: false },
        Check::Duration,
        Check::Arn,
        Check::IamResource,
        Check::ProfileName,
        Check::IamUserName,
        Check::IamPolicyName,
        Check::AccessKeyId,
        Check::SecretId,
        Check::GroupName,
        Check::ContainerName,
        Check::UnitName,
        Check::Path,
        Check::AbsolutePath,
    ];

    pub fn parse(s: &str) -> Option<Check> {
        Check::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Check::Region => "region",
            Check::Mode { .. } => "mode",
            Check::Duration => "duration",
            Check::Arn => "arn",
            Check::IamResource => "iam_resource",
            Check::ProfileName => "profile_name",
            Check::IamUserName => "iam_user_name",
            Check::IamPolicyName => "iam_policy_name",
            Check::AccessKeyId => "access_key_id",
            Check::SecretId => "secret_id",
            Check::GroupName => "group_name",
            Check::ContainerName => "container_name",
            Check::UnitName => "unit_name",
            Check::Path => "path",
            Check::AbsolutePath => "absolute_path",
        }
    }

    /// `Err` holds the whole message: the value, the rule, the fix.
    pub fn check(self, text: &str) -> Result<(), String> {
        match self {
            Check::Region => region::check(text),
            Check::Mode { special } => mode::check(text, special),
            Check::Duration => duration::check(text),
            Check::Arn => arn::check(text),
            Check::IamResource if text == "*" => Ok(()),
            Check::IamResource => {
                arn::check(text).map_err(|m| format!("{m}; or use * for every resource"))
            }
            Check::ProfileName => names::profile(text),
            Check::IamUserName => names::iam_user(text),
            Check::IamPolicyName => names::iam_policy(text),
            Check::AccessKeyId => names::access_key_id(text),
            Check::SecretId => names::secret_id(text),
            Check::GroupName => names::group(text),
            Check::ContainerName => names::container(text),
            Check::UnitName => names::unit(text),
            Check::Path => path::check(text, false),
            Check::AbsolutePath => path::check(text, true),
        }
    }
}

/// `'text'` for a message, with control characters escaped so a newline in a
/// value cannot forge an output line.
pub(crate) fn quoted(text: &str) -> String {
    format!("'{}'", text.escape_debug())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_name_parses_back() {
        for c in Check::ALL {
            assert_eq!(Check::parse(c.as_str()), Some(*c));
        }
        assert_eq!(Check::parse("strin"), None);
    }

    #[test]
    fn iam_resource_takes_a_star_or_an_arn() {
        assert!(Check::IamResource.check("*").is_ok());
        let e = Check::IamResource.check("secret").unwrap_err();
        assert!(e.contains("use *"), "{e}");
    }
}
