//! `iam`: managed policies, users, roles, instance profiles, their
//! attachments and access keys.
//!
//! Each operation reads the current state just before it acts, plans, and
//! mutates only in apply mode. In check mode what would be created is
//! [`Planned::Unknown`], so planning continues past it.

mod keys;
mod once;
mod plan;
mod policies;
mod profiles;
pub mod retire;
mod roles;
mod users;

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::primitives::{DateTime, DateTimeFormat};

use super::config::Clients;
use super::error::sdk_error;
use super::sts::Identity;
pub use crate::host::Planned;
use crate::host::{ErrorKind, HostError, HostResult};

pub use keys::{
    AccessKeyInfo, NewAccessKey, access_keys, create_access_key, deactivate_access_key,
    delete_access_key,
};
pub use plan::{CurrentPolicy, PolicyPlan, PolicyVersion, VersionPlan, plan_policy, plan_versions};
pub use policies::{EnsuredPolicy, PolicyInfo, ensure_policy, policy};
pub use profiles::{
    EnsuredInstanceProfile, InstanceProfileInfo, ensure_instance_profile, instance_profile,
};
pub use roles::{
    EnsuredRole, RoleInfo, ec2_trust_policy, ensure_role, ensure_role_policy, role, role_policies,
    trusts_service,
};
pub use users::{
    EnsuredUser, UserInfo, attached_policies, ensure_user, ensure_user_policy, user, user_policies,
};

/// Where to send an operator whose user already holds two keys.
pub const ROTATE_ADVICE: &str = "rotate the key with `runbook run alation-agent/rotate-access-key`, \
     or deactivate and delete a key that is no longer used (iam::delete_access_key(user, id))";

pub(super) fn fail<E>(clients: &Clients, action: &str, e: SdkError<E, HttpResponse>) -> HostError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(action, clients.known_identity().as_deref(), &clients.net, e)
}

pub(super) fn is_not_found(e: &HostError) -> bool {
    e.kind == ErrorKind::NotFound
}

pub fn timestamp(d: &DateTime) -> String {
    d.fmt(DateTimeFormat::DateTime).unwrap_or_default()
}

/// `/`, or `/a/b/`: IAM paths start and end with a slash.
pub(super) fn check_path(path: &str) -> HostResult<()> {
    if path == "/" || (path.starts_with('/') && path.ends_with('/') && !path.contains("//")) {
        Ok(())
    } else {
        Err(HostError::invalid(format!(
            "IAM path '{path}' is not valid: it must start and end with '/', e.g. \"/\" or \"/alation/\""
        )))
    }
}

/// `arn:<partition>:iam::<account>:policy<path><name>`, from the caller's identity.
pub fn policy_arn(identity: &Identity, path: &str, name: &str) -> String {
    format!(
        "arn:{}:iam::{}:policy{path}{name}",
        identity.partition, identity.account
    )
}
