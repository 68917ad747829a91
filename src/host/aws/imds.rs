//! `imds`: what the EC2 instance metadata service (IMDSv2) says about this
//! host, through the SDK's own client, so `AWS_EC2_METADATA_SERVICE_ENDPOINT`
//! and the token handshake work exactly as they will for the Agent's add-on.

use std::time::Duration;

use aws_config::imds::client::Client as ImdsClient;
use aws_config::imds::credentials::ImdsCredentialsProvider;
use aws_config::{BehaviorVersion, Region};
use serde::Serialize;

use super::config::{Clients, with_net};
use super::net::Net;
use crate::host::{ErrorKind, HostError, HostResult};

/// Why runbook's EC2 variant cannot run on a host without IMDS.
pub const NOT_EC2: &str = "this host is not an EC2 instance: use secrets-manager-iam-user";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceIdentity {
    pub instance_id: String,
    pub region: String,
}

/// A client that gives up fast: a host that is not on EC2 has no IMDS, and
/// waiting for its default retries would stall the prerequisites step.
fn client() -> ImdsClient {
    ImdsClient::builder()
        .max_attempts(2)
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(2))
        .build()
}

async fn get(c: &ImdsClient, path: &str) -> HostResult<String> {
    c.get(path)
        .await
        .map(|s| s.as_ref().trim().to_string())
        .map_err(|e| {
            HostError::new(
                ErrorKind::Unavailable,
                format!("the instance metadata service did not answer {path}: {e}"),
            )
        })
}

/// True when `AWS_EC2_METADATA_DISABLED` turns IMDS off, as the SDK's
/// credential provider reads it: then runbook does not ask IMDS either.
pub fn disabled() -> bool {
    std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The instance id and region, or `None` when no IMDSv2 answers (or IMDS is
/// disabled).
pub async fn identity() -> HostResult<Option<InstanceIdentity>> {
    if disabled() {
        return Ok(None);
    }
    let c = client();
    let Ok(instance_id) = get(&c, "/latest/meta-data/instance-id").await else {
        return Ok(None);
    };
    let region = get(&c, "/latest/meta-data/placement/region").await?;
    Ok(Some(InstanceIdentity {
        instance_id,
        region,
    }))
}

/// The role whose credentials IMDS hands out, or `None` when the instance has
/// no instance profile (IMDS answers 404).
pub async fn role() -> HostResult<Option<String>> {
    if disabled() {
        return Ok(None);
    }
    let c = client();
    match c.get("/latest/meta-data/iam/security-credentials/").await {
        Ok(s) => Ok(s
            .as_ref()
            .lines()
            .next()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())),
        Err(aws_config::imds::client::error::ImdsError::ErrorResponse(r))
            if r.response().status().as_u16() == 404 =>
        {
            Ok(None)
        }
        Err(e) => Err(HostError::new(
            ErrorKind::Unavailable,
            format!("the instance metadata service did not name a role: {e}"),
        )),
    }
}

/// Clients that authenticate with the instance's own credentials, from IMDS
/// only: the default chain would prefer credentials in the environment or a
/// profile, and the point is to prove what the add-on will get.
pub async fn instance_clients(region: &str) -> HostResult<Clients> {
    let provider = ImdsCredentialsProvider::builder()
        .imds_client(client())
        .build();
    // The CA bundle, proxy and timeouts are the session's, as for any AWS call.
    let net = Net::load(None, false).await?;
    let config = with_net(aws_config::defaults(BehaviorVersion::latest()), &net)?
        .credentials_provider(provider)
        .region(Region::new(region.to_string()))
        .load()
        .await;
    Ok(Clients::new(config, net))
}

/// What the instance's own credentials proved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceCheck {
    pub arn: String,
    pub account: String,
    pub role: String,
    /// The test secret was read (`false` when none was given).
    pub secret_read: bool,
}

/// True when `arn` is an STS assumed-role ARN of `role`.
pub fn is_assumed_role(arn: &str, role: &str) -> bool {
    arn.split_once(":assumed-role/")
        .is_some_and(|(_, rest)| rest.split('/').next() == Some(role))
}

/// Proves the instance's credentials, as IMDS gives them, act as `role`, and
/// can read `test_secret` when given. Waits up to `wait` while IMDS has none
/// yet or IAM has not propagated the role: both are normal right after the
/// profile was associated.
pub async fn verify_instance(
    ctx: &crate::host::Ctx,
    region: &str,
    role: &str,
    test_secret: Option<&str>,
    wait: Duration,
) -> HostResult<InstanceCheck> {
    let mut poll =
        crate::host::wait::Poll::new(ctx, "waiting for the instance's credentials", wait);
    let mut delay = Duration::from_millis(500);
    loop {
        let attempt = async {
            let clients = instance_clients(region).await?;
            let id = super::sts::caller_identity(&clients).await?;
            if !is_assumed_role(&id.arn, role) {
                return Err(HostError::new(
                    ErrorKind::AccessDenied,
                    format!(
                        "the instance's credentials act as {}, not as the role {role}",
                        id.arn
                    ),
                ));
            }
            let mut secret_read = false;
            if let Some(s) = test_secret {
                let out = clients
                    .secrets
                    .get_secret_value()
                    .secret_id(s)
                    .send()
                    .await
                    .map_err(|e| {
                        super::error::sdk_error(
                            "secretsmanager:GetSecretValue",
                            Some(&id.arn),
                            &clients.net,
                            e,
                        )
                    })
                    .map_err(|mut e| {
                        e.message = format!("secret '{s}': {}", e.message);
                        e
                    })?;
                if let Some(text) = out.secret_string() {
                    ctx.redactor.register(text);
                }
                secret_read = true;
            }
            Ok(InstanceCheck {
                arn: id.arn,
                account: id.account,
                role: role.to_string(),
                secret_read,
            })
        };
        match attempt.await {
            Err(e)
                if matches!(
                    e.kind,
                    ErrorKind::AccessDenied | ErrorKind::Unavailable | ErrorKind::Failed
                ) && poll.elapsed() + delay <= wait =>
            {
                poll.pause(delay).await?;
                delay = (delay * 2).min(Duration::from_secs(8));
            }
            Err(e) => {
                return Err(HostError {
                    message: format!(
                        "{} (after {}s of waiting for the instance's credentials)",
                        e.message,
                        poll.elapsed().as_secs()
                    ),
                    ..e
                });
            }
            Ok(c) => return Ok(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assumed_role_arn_names_its_role() {
        let arn = "arn:aws:sts::123456789012:assumed-role/alation-agent-i-1/i-1";
        assert!(is_assumed_role(arn, "alation-agent-i-1"));
        assert!(!is_assumed_role(arn, "alation-agent"));
        assert!(!is_assumed_role(
            "arn:aws:iam::123456789012:user/alation-agent-i-1",
            "alation-agent-i-1"
        ));
    }
}
