//! `secrets`: read a secret, or describe it, in the region where it lives —
//! optionally as another identity, to prove that freshly written credentials work.

use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

use serde::Serialize;

use super::config::{Aws, AwsSettings, Clients, verification_clients};
use super::error::sdk_error;
use super::iam::timestamp;
use super::policy::region_of_arn;
use super::sts::retry_while_denied;
use crate::host::{Ctx, HostError, HostResult};
use crate::secret::Secret;

/// How long verification waits for IAM to accept a new key, by default.
pub const DEFAULT_PROPAGATION_WAIT: Duration = Duration::from_secs(60);

/// Whose credentials and which region a Secrets Manager call uses.
#[derive(Clone, Debug, Default)]
pub struct SecretOpts {
    /// A profile to authenticate as, read only from `credentials_file`.
    pub profile: Option<String>,
    /// Defaults to `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub credentials_file: Option<PathBuf>,
    /// Else the region inside an ARN `id`, else the configured region.
    pub region: Option<String>,
    /// How long to retry `access_denied` with a profile (IAM propagation);
    /// `None` means [`DEFAULT_PROPAGATION_WAIT`].
    pub wait: Option<Duration>,
}

impl SecretOpts {
    /// Verification of credentials (a profile or file given) is skipped in
    /// check mode: the key it would test may be one the run has not made yet.
    pub fn skipped_in(&self, mode: crate::host::Mode) -> bool {
        mode.is_check() && self.verifying()
    }

    pub fn verifying(&self) -> bool {
        self.profile.is_some() || self.credentials_file.is_some()
    }
}

enum Who {
    Session(Rc<Clients>),
    Verify(Box<Clients>, String),
}

impl Who {
    fn clients(&self) -> &Clients {
        match self {
            Who::Session(c) => c,
            Who::Verify(c, _) => c,
        }
    }

    fn identity(&self) -> Option<String> {
        match self {
            Who::Session(c) => c.known_identity(),
            Who::Verify(_, label) => Some(label.clone()),
        }
    }
}

async fn clients_for(
    aws: &Aws,
    settings: &AwsSettings,
    id: &str,
    opts: &SecretOpts,
) -> HostResult<Who> {
    // Secrets Manager is regional: use the secret's region.
    let region = opts
        .region
        .clone()
        .or_else(|| region_of_arn(id).map(str::to_string));
    if opts.verifying() {
        let profile = opts.profile.clone().unwrap_or_else(|| "default".into());
        let c = verification_clients(
            &profile,
            opts.credentials_file.as_deref(),
            region.as_deref(),
            settings.no_proxy,
        )
        .await?;
        let label = match &opts.credentials_file {
            Some(f) => format!("profile {profile} of {}", f.display()),
            None => format!("profile {profile}"),
        };
        return Ok(Who::Verify(Box::new(c), label));
    }
    let settings = match region {
        Some(r) => AwsSettings {
            region: Some(r),
            ..settings.clone()
        },
        None => settings.clone(),
    };
    Ok(Who::Session(aws.clients(&settings).await?))
}

/// The secret's current string value. With a profile or credentials file,
/// `access_denied` is retried for a bounded time since IAM accepts new keys
/// only after a few seconds.
pub async fn get_value(
    ctx: &Ctx,
    aws: &Aws,
    settings: &AwsSettings,
    id: &str,
    opts: &SecretOpts,
) -> HostResult<Secret> {
    if id.trim().is_empty() {
        return Err(HostError::invalid("secret id is empty"));
    }
    let who = clients_for(aws, settings, id, opts).await?;
    let wait = if opts.verifying() {
        opts.wait.unwrap_or(DEFAULT_PROPAGATION_WAIT)
    } else {
        Duration::ZERO
    };
    let out = retry_while_denied(
        ctx,
        "waiting for IAM to accept the new key",
        wait,
        || async {
            who.clients()
                .secrets
                .get_secret_value()
                .secret_id(id)
                .send()
                .await
                .map_err(|e| {
                    sdk_error(
                        "secretsmanager:GetSecretValue",
                        who.identity().as_deref(),
                        &who.clients().net,
                        e,
                    )
                })
        },
    )
    .await
    .map_err(|mut e| {
        // Name the secret: the SDK's message does not.
        e.message = format!("secret '{id}': {}", e.message);
        if e.kind == crate::host::ErrorKind::NotFound && e.hint.is_none() {
            e.hint = Some(format!(
                "check the name or ARN and the region ({}); a secret is found only in its own region",
                opts.region.as_deref().unwrap_or("the configured one")
            ));
        }
        e
    })?;
    let Some(text) = out.secret_string() else {
        return Err(HostError::invalid(format!(
            "secret {id} holds binary data; only string secrets are supported"
        )));
    };
    let secret = Secret::new(text);
    ctx.redactor.register(secret.expose());
    Ok(secret)
}

/// What `describe` tells about a secret, never its value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SecretInfo {
    pub arn: String,
    pub name: String,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub created: Option<String>,
    pub last_changed: Option<String>,
    pub rotation_enabled: bool,
}

/// The secret's metadata, or `None` when it does not exist.
pub async fn describe(
    aws: &Aws,
    settings: &AwsSettings,
    id: &str,
    opts: &SecretOpts,
) -> HostResult<Option<SecretInfo>> {
    let who = clients_for(aws, settings, id, opts).await?;
    let out = match who
        .clients()
        .secrets
        .describe_secret()
        .secret_id(id)
        .send()
        .await
    {
        Ok(o) => o,
        Err(e) => {
            let e = sdk_error(
                "secretsmanager:DescribeSecret",
                who.identity().as_deref(),
                &who.clients().net,
                e,
            );
            return if e.kind == crate::host::ErrorKind::NotFound {
                Ok(None)
            } else {
                Err(e)
            };
        }
    };
    Ok(Some(SecretInfo {
        arn: out.arn().unwrap_or_default().to_string(),
        name: out.name().unwrap_or_default().to_string(),
        description: out.description().map(str::to_string),
        kms_key_id: out.kms_key_id().map(str::to_string),
        created: out.created_date().map(timestamp),
        last_changed: out.last_changed_date().map(timestamp),
        rotation_enabled: out.rotation_enabled().unwrap_or(false),
    }))
}
