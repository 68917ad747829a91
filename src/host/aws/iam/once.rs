//! Calls that create something (`CreateAccessKey`, `CreatePolicyVersion`,
//! `CreateUser`) are never retried blindly: when the connection breaks after
//! IAM acted, a second call makes a second key (whose secret is lost with
//! the first answer) or a second version. The SDK's retries are off for
//! them; after a failure whose outcome is unknown the caller looks at what
//! exists, and calls again only when the first call verifiably did nothing.
//! A throttled call verifiably did nothing: it is made again after a pause.

use std::time::Duration;

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use super::Clients;

/// A per-call override: one attempt, no SDK retry.
pub(super) fn no_retry() -> aws_sdk_iam::config::Builder {
    aws_sdk_iam::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// Whether IAM may have acted although the call failed: anything but a
/// refusal IAM answered with (a 4xx other than throttling). A lost answer,
/// a timeout, a reset, a 5xx: the change may have been made.
pub(super) fn ambiguous<E>(e: &SdkError<E, HttpResponse>) -> bool {
    match e {
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            !(400..500).contains(&status) || status == 429
        }
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    }
}

/// Whether IAM refused the call for its rate (throttling): it did nothing,
/// so the call may be made again, after a pause, without looking first.
pub(super) fn throttled<E>(e: &SdkError<E, HttpResponse>) -> bool
where
    E: ProvideErrorMetadata,
{
    match e {
        SdkError::ServiceError(s) => {
            s.raw().status().as_u16() == 429
                || matches!(
                    s.err().code(),
                    Some(
                        "Throttling"
                            | "ThrottlingException"
                            | "RequestLimitExceeded"
                            | "TooManyRequestsException"
                    )
                )
        }
        _ => false,
    }
}

/// How many times a create call may be made in all when each earlier one
/// verifiably did nothing: the session's retry setting (`AWS_MAX_ATTEMPTS`).
pub(super) fn attempts(clients: &Clients) -> u32 {
    clients
        .config
        .retry_config()
        .map(|r| r.max_attempts())
        .unwrap_or(3)
        .max(1)
}

/// IAM is eventually consistent: what a lost call made may show in a list
/// only a moment later, so the caller waits this long before looking.
pub(super) async fn settle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}
