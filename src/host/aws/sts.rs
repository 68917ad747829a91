//! `sts`: who the configured credentials belong to.

use std::future::Future;
use std::time::Duration;

use serde::Serialize;

use super::config::Clients;
use super::error::sdk_error;
use crate::host::wait::Poll;
use crate::host::{Ctx, ErrorKind, HostError, HostResult};

/// The caller, as `GetCallerIdentity` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub user_id: String,
    /// `aws`, `aws-cn`, `aws-us-gov` …, from the caller's ARN.
    pub partition: String,
}

/// The caller's identity, asked once per set of clients.
pub async fn whoami(clients: &Clients) -> HostResult<Identity> {
    if let Some(i) = clients.identity.borrow().clone() {
        return Ok(i);
    }
    let id = caller_identity(clients).await?;
    *clients.identity.borrow_mut() = Some(id.clone());
    Ok(id)
}

/// Always asks STS (verification must not trust a cached answer).
pub async fn caller_identity(clients: &Clients) -> HostResult<Identity> {
    let out = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| sdk_error("sts:GetCallerIdentity", None, &clients.net, e))?;
    let arn = out.arn().unwrap_or_default().to_string();
    let partition = arn.split(':').nth(1).unwrap_or("aws").to_string();
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        user_id: out.user_id().unwrap_or_default().to_string(),
        partition,
        arn,
    })
}

/// Runs `op` again while it fails with `access_denied`, for up to `wait`,
/// backing off exponentially: IAM takes a few seconds to accept a new key.
/// Shows progress and honours cancellation.
pub async fn retry_while_denied<T, F, Fut>(
    ctx: &Ctx,
    what: &str,
    wait: Duration,
    mut op: F,
) -> HostResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = HostResult<T>>,
{
    let mut poll = Poll::new(ctx, what, wait);
    let mut delay = Duration::from_millis(500);
    loop {
        match op().await {
            Err(e) if e.kind == ErrorKind::AccessDenied && poll.elapsed() + delay <= wait => {
                poll.pause(delay).await?;
                delay = (delay * 2).min(Duration::from_secs(8));
            }
            Err(e) if e.kind == ErrorKind::AccessDenied && !wait.is_zero() => {
                return Err(HostError {
                    message: format!(
                        "{} (still denied after {}s of waiting for IAM to propagate)",
                        e.message,
                        poll.elapsed().as_secs()
                    ),
                    ..e
                });
            }
            other => return other,
        }
    }
}

/// The identity of `profile` from `credentials_file` only (not the session's),
/// retrying `access_denied` for up to `wait` while IAM propagates a new key.
pub async fn whoami_as(
    ctx: &Ctx,
    profile: &str,
    credentials_file: Option<&std::path::Path>,
    region: Option<&str>,
    wait: Duration,
    no_proxy: bool,
) -> HostResult<Identity> {
    let clients =
        super::config::verification_clients(profile, credentials_file, region, no_proxy).await?;
    retry_while_denied(ctx, "waiting for IAM to accept the new key", wait, || {
        caller_identity(&clients)
    })
    .await
}

/// Names the caller in an `access_denied` error, so the operator knows which
/// identity lacks the permission. Asks STS only on that error path (and at
/// most once per set of clients); `GetCallerIdentity` needs no permission.
pub async fn with_identity<T>(clients: &Clients, result: HostResult<T>) -> HostResult<T> {
    match result {
        Err(e) if e.kind == ErrorKind::AccessDenied && clients.known_identity().is_none() => {
            match whoami(clients).await {
                Ok(id) => Err(HostError {
                    message: format!("{} [identity: {}]", e.message, id.arn),
                    ..e
                }),
                Err(_) => Err(e),
            }
        }
        other => other,
    }
}
