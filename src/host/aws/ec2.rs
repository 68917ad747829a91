//! `ec2`: which instance profile an instance has, and giving it one.
//!
//! Only the three association calls are used, so the client is made from
//! the session's SDK config when needed rather than kept with the others.

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{
    Filter, IamInstanceProfileAssociationState, IamInstanceProfileSpecification,
};
use serde::Serialize;

use super::config::Clients;
use super::error::sdk_error;
use crate::host::{Ctx, ErrorKind, HostError, HostResult, Outcome, Planned, deferred_change};

/// An instance's current association with an instance profile.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Association {
    pub id: String,
    pub instance_id: String,
    pub profile_arn: String,
    /// The profile's name: the last part of its ARN.
    pub profile_name: String,
    pub state: String,
}

fn client(clients: &Clients) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&clients.config)
}

fn fail<E>(clients: &Clients, action: &str, e: SdkError<E, HttpResponse>) -> HostError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    // EC2's codes are `InvalidInstanceID.NotFound` and the like.
    let not_found = e
        .code()
        .is_some_and(|c| c.ends_with(".NotFound") || c.ends_with(".Malformed"));
    let mut err = sdk_error(action, clients.known_identity().as_deref(), &clients.net, e);
    if not_found {
        err.kind = ErrorKind::NotFound;
    }
    err
}

/// The name in `arn:…:instance-profile/<path>/<name>`.
pub fn profile_name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The instance's association that is in force (associated or associating), or `None`.
pub async fn association(clients: &Clients, instance_id: &str) -> HostResult<Option<Association>> {
    let out = client(clients)
        .describe_iam_instance_profile_associations()
        .filters(
            Filter::builder()
                .name("instance-id")
                .values(instance_id)
                .build(),
        )
        .send()
        .await
        .map_err(|e| fail(clients, "ec2:DescribeIamInstanceProfileAssociations", e))?;
    Ok(out
        .iam_instance_profile_associations()
        .iter()
        .filter(|a| a.instance_id() == Some(instance_id))
        .filter(|a| {
            matches!(
                a.state(),
                Some(IamInstanceProfileAssociationState::Associated)
                    | Some(IamInstanceProfileAssociationState::Associating)
                    | None
            )
        })
        .map(|a| {
            let arn = a
                .iam_instance_profile()
                .and_then(|p| p.arn())
                .unwrap_or_default()
                .to_string();
            Association {
                id: a.association_id().unwrap_or_default().to_string(),
                instance_id: instance_id.to_string(),
                profile_name: profile_name_of(&arn).to_string(),
                profile_arn: arn,
                state: a
                    .state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            }
        })
        .next())
}

/// What to do about an instance's association; pure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssociationPlan {
    Keep,
    Associate,
    /// The instance has another profile and replacing it was allowed.
    Replace {
        association_id: String,
        other: String,
    },
    /// The instance has another profile: stop, naming it.
    Refuse {
        other: String,
    },
}

pub fn plan_association(
    current: Option<&Association>,
    profile: &str,
    replace: bool,
) -> AssociationPlan {
    match current {
        None => AssociationPlan::Associate,
        Some(a) if a.profile_name == profile => AssociationPlan::Keep,
        Some(a) if replace => AssociationPlan::Replace {
            association_id: a.id.clone(),
            other: a.profile_name.clone(),
        },
        Some(a) => AssociationPlan::Refuse {
            other: a.profile_name.clone(),
        },
    }
}

/// Gives the instance the instance profile `profile` (a name). Another profile
/// already there stops the run unless `replace` is set: other software on the
/// host may rely on its role. Refusing happens in check mode too, before
/// anything changed.
pub async fn ensure_association(
    ctx: &Ctx,
    clients: &Clients,
    instance_id: &Planned<String>,
    profile: &str,
    replace: bool,
) -> HostResult<Outcome> {
    let Planned::Known(instance_id) = instance_id else {
        return deferred_change(
            ctx.mode,
            "ec2::ensure_instance_profile",
            format!("associate instance profile {profile}"),
        );
    };
    let current = association(clients, instance_id).await?;
    let spec = || {
        IamInstanceProfileSpecification::builder()
            .name(profile)
            .build()
    };
    match plan_association(current.as_ref(), profile, replace) {
        AssociationPlan::Keep => Ok(Outcome::ok(format!(
            "instance {instance_id} has instance profile {profile}"
        ))),
        AssociationPlan::Refuse { other } => Err(HostError::new(
            ErrorKind::Conflict,
            format!("instance {instance_id} already has the instance profile {other}"),
        )
        .with_hint(
            "other software on this host may rely on it; to replace it with this one, \
             run again with --set replace_instance_profile=true (asks for confirmation)",
        )),
        AssociationPlan::Associate => {
            if ctx.mode.is_apply() {
                client(clients)
                    .associate_iam_instance_profile()
                    .instance_id(instance_id)
                    .iam_instance_profile(spec())
                    .send()
                    .await
                    .map_err(|e| fail(clients, "ec2:AssociateIamInstanceProfile", e))?;
            }
            Ok(Outcome::change(
                ctx.mode,
                format!("associate instance profile {profile} with instance {instance_id}"),
            ))
        }
        AssociationPlan::Replace {
            association_id,
            other,
        } => {
            if ctx.mode.is_apply() {
                client(clients)
                    .replace_iam_instance_profile_association()
                    .association_id(&association_id)
                    .iam_instance_profile(spec())
                    .send()
                    .await
                    .map_err(|e| fail(clients, "ec2:ReplaceIamInstanceProfileAssociation", e))?;
            }
            Ok(Outcome::change(
                ctx.mode,
                format!(
                    "replace instance profile {other} with {profile} on instance {instance_id}"
                ),
            ))
        }
    }
}

/// Removes the instance's association with `profile`; `ok` when it has none.
/// An association with another profile is left alone and reported.
pub async fn disassociate(
    ctx: &Ctx,
    clients: &Clients,
    instance_id: &str,
    profile: &str,
) -> HostResult<Outcome> {
    let Some(a) = association(clients, instance_id).await? else {
        return Ok(Outcome::ok(format!(
            "instance {instance_id} has no instance profile"
        )));
    };
    if a.profile_name != profile {
        return Ok(Outcome::skipped(format!(
            "instance {instance_id} has the instance profile {}, not {profile}: left alone",
            a.profile_name
        )));
    }
    if ctx.mode.is_apply() {
        client(clients)
            .disassociate_iam_instance_profile()
            .association_id(&a.id)
            .send()
            .await
            .map_err(|e| fail(clients, "ec2:DisassociateIamInstanceProfile", e))?;
    }
    Ok(Outcome::change(
        ctx.mode,
        format!("disassociate instance profile {profile} from instance {instance_id}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assoc(profile: &str) -> Association {
        Association {
            id: "iip-assoc-1".into(),
            instance_id: "i-1".into(),
            profile_arn: format!("arn:aws:iam::123456789012:instance-profile/{profile}"),
            profile_name: profile.into(),
            state: "associated".into(),
        }
    }

    #[test]
    fn another_profile_is_refused_unless_replacing_is_allowed() {
        assert_eq!(
            plan_association(None, "mine", false),
            AssociationPlan::Associate
        );
        assert_eq!(
            plan_association(Some(&assoc("mine")), "mine", false),
            AssociationPlan::Keep
        );
        assert_eq!(
            plan_association(Some(&assoc("theirs")), "mine", false),
            AssociationPlan::Refuse {
                other: "theirs".into()
            }
        );
        assert_eq!(
            plan_association(Some(&assoc("theirs")), "mine", true),
            AssociationPlan::Replace {
                association_id: "iip-assoc-1".into(),
                other: "theirs".into()
            }
        );
    }

    #[test]
    fn a_profile_name_is_the_last_part_of_its_arn() {
        assert_eq!(
            profile_name_of("arn:aws:iam::1:instance-profile/a/b/name"),
            "name"
        );
    }
}
