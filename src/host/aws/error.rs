//! SDK errors as [`HostError`]s an operator can act on.
//!
//! `format!("{e}")` of an SDK error prints only "service error" and its Debug
//! is a dump nobody should see, so the kind comes from the error metadata
//! (`code()`, `message()`) and, when the service answered in a shape the SDK
//! could not parse (moto's auth errors), from the HTTP status and body.

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};

use super::net::Net;
use super::net_error::{cause, transport_error};
use super::proxy::mask_url_credentials;
use crate::host::{ErrorKind, HostError};

/// Where the SDK looks for credentials, for the "no credentials" message.
const CREDENTIAL_SOURCES: &str = "looked for credentials in: the environment (AWS_ACCESS_KEY_ID, \
     AWS_SECRET_ACCESS_KEY), the shared files (~/.aws/credentials, ~/.aws/config, or \
     AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE) for the selected profile, web identity, \
     ECS and EC2 instance metadata";

/// Maps an error of `action` (such as `iam:CreatePolicy`), made as `identity`
/// when known through `net`, to a host error.
pub fn sdk_error<E>(
    action: &str,
    identity: Option<&str>,
    net: &Net,
    err: SdkError<E, HttpResponse>,
) -> HostError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let raw = err
        .raw_response()
        .map(|r| (r.status().as_u16(), body_text(r)));
    let mut code = err.code().map(str::to_string);
    let mut message = err.message().map(str::to_string);
    if code.is_none() {
        if let Some((_, body)) = &raw {
            code = xml_tag(body, "Code");
            message = message.or_else(|| xml_tag(body, "Message"));
        }
    }
    let kind = match code.as_deref() {
        Some(c) => kind_of_code(c),
        None => match (&err, &raw) {
            (SdkError::TimeoutError(_), _) => ErrorKind::Timeout,
            (SdkError::DispatchFailure(d), _) if d.is_timeout() => ErrorKind::Timeout,
            (SdkError::DispatchFailure(d), _) if d.is_io() => ErrorKind::Unavailable,
            (_, Some((status, _))) => kind_of_status(*status),
            _ => ErrorKind::Failed,
        },
    };
    let context = mask_url_credentials(&error_chain(&err));
    let no_credentials = code.is_none()
        && (context.contains("no credentials")
            || context.contains("credential provider was not enabled")
            || context.contains("failed to load credentials"));
    // A credential provider's own failure is about credentials, not the endpoint.
    if code.is_none() && !no_credentials {
        let service = action.split(':').next().unwrap_or(action);
        let via_proxy = net.proxy_for(service).is_some();
        let timeout = match &err {
            SdkError::TimeoutError(_) => true,
            SdkError::DispatchFailure(d) => d.is_timeout(),
            _ => false,
        };
        let found = match &raw {
            // An HTTP proxy in front of a plain-http endpoint answers itself.
            Some((407, _)) => Some(super::net_error::Cause::ProxyAuth),
            Some(_) => None,
            None => cause(&context, timeout, via_proxy),
        };
        if let Some(c) = found {
            return transport_error(action, &c, net);
        }
    }
    let detail = match (&code, &message) {
        (Some(c), Some(m)) => format!("{m} ({c})"),
        (Some(c), None) => c.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => match &raw {
            // A success status whose body failed to parse: the answer was cut
            // short or is not what the API sends; the status alone says nothing.
            Some((status, _)) if (200..300).contains(status) => format!(
                "the answer (HTTP {status}) is incomplete or malformed, so it could not be read"
            ),
            Some((status, body)) if !body.trim().is_empty() => {
                format!("HTTP {status}: {}", first_chars(body.trim(), 300))
            }
            Some((status, _)) => format!("HTTP {status}"),
            None => first_chars(&context, 400),
        },
    };
    let e = HostError::new(kind, format!("{action} failed: {detail}"));
    if no_credentials {
        return HostError::new(
            ErrorKind::AccessDenied,
            format!(
                "{action} failed: no usable AWS credentials: {}",
                first_chars(&context, 400)
            ),
        )
        .with_hint(CREDENTIAL_SOURCES);
    }
    if code.is_none() && context.contains("region") && context.contains("signing") {
        return HostError::invalid(format!("{action} failed: no AWS region configured"))
            .with_hint(REGION_HINT);
    }
    match kind {
        ErrorKind::AccessDenied => e.with_hint(match identity {
            Some(who) => format!(
                "{who} may not call {action}, or its credentials are wrong: grant it that \
                 permission or choose another identity (--aws-profile, aws::configure)"
            ),
            None => format!(
                "the identity in use may not call {action}, or its credentials are wrong \
                 (check with `aws sts get-caller-identity`)"
            ),
        }),
        ErrorKind::Unavailable if raw.is_some() || code.is_some() => e.with_hint(
            "AWS answered with a temporary error after every retry (AWS_MAX_ATTEMPTS, \
             AWS_RETRY_MODE); try again later",
        ),
        ErrorKind::Unavailable => e.with_hint("AWS could not be reached; try again later"),
        _ => e,
    }
}

pub const REGION_HINT: &str =
    "set AWS_REGION, a region in the profile, --aws-region, or aws::configure(#{region: …})";

fn kind_of_code(code: &str) -> ErrorKind {
    match code {
        "NoSuchEntity" | "NoSuchEntityException" | "ResourceNotFoundException" => {
            ErrorKind::NotFound
        }
        "LimitExceeded" | "LimitExceededException" => ErrorKind::LimitExceeded,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "IncompleteSignature"
        | "InvalidSignatureException"
        | "UnrecognizedClient"
        | "UnrecognizedClientException"
        | "ExpiredToken"
        | "ExpiredTokenException" => ErrorKind::AccessDenied,
        "EntityAlreadyExists"
        | "ResourceExistsException"
        | "DeleteConflict"
        | "ConcurrentModification"
        | "ConcurrentModificationException" => ErrorKind::Conflict,
        "Throttling"
        | "ThrottlingException"
        | "ServiceUnavailable"
        | "ServiceFailure"
        | "InternalFailure"
        | "InternalServiceError"
        | "RequestLimitExceeded" => ErrorKind::Unavailable,
        "InvalidInput"
        | "MalformedPolicyDocument"
        | "ValidationError"
        | "InvalidParameterException"
        | "InvalidParameterValue"
        | "InvalidRequestException" => ErrorKind::InvalidInput,
        _ => ErrorKind::Failed,
    }
}

fn kind_of_status(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::AccessDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        429 | 500..=599 => ErrorKind::Unavailable,
        400..=499 => ErrorKind::InvalidInput,
        _ => ErrorKind::Failed,
    }
}

/// The Display texts of the error and its sources, without the SDK's Debug
/// dump (which `DisplayErrorContext` appends).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let t = e.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        cur = e.source();
    }
    text
}

fn body_text(r: &HttpResponse) -> String {
    r.body()
        .bytes()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

/// The text of the first `<tag>…</tag>` in an XML body.
fn xml_tag(body: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{tag}>"))? + start;
    let text = body[start..end].trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn first_chars(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_codes_from_unparsed_xml() {
        let body = "<?xml version=\"1.0\"?><ErrorResponse><Error><Code>AccessDeniedException</Code>\
                    <Message>User: arn:aws:iam::123456789012:user/a is not authorized</Message></Error></ErrorResponse>";
        assert_eq!(
            xml_tag(body, "Code").as_deref(),
            Some("AccessDeniedException")
        );
        assert!(xml_tag(body, "Message").unwrap().starts_with("User:"));
        assert_eq!(xml_tag(body, "Nope"), None);
    }

    fn test_net() -> Net {
        Net {
            connect_timeout: std::time::Duration::from_secs(1),
            read_timeout: std::time::Duration::from_secs(1),
            ca_bundle: None,
            proxies: super::super::proxy::Proxies::from_env(true),
            endpoint_url: None,
            region: None,
        }
    }

    fn service_error(
        status: u16,
        body: &str,
    ) -> SdkError<
        aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError,
        HttpResponse,
    > {
        use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
        let raw = HttpResponse::new(
            status.try_into().unwrap(),
            aws_smithy_types::body::SdkBody::from(body.to_string()),
        );
        let err =
            GetSecretValueError::generic(aws_smithy_types::error::ErrorMetadata::builder().build());
        SdkError::service_error(err, raw)
    }

    #[test]
    fn an_error_the_sdk_could_not_parse_is_read_from_status_and_body() {
        // moto's auth errors to a JSON-protocol service: XML without a parsed code.
        let xml = "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code>\
                   <Message>The security token included in the request is invalid.</Message></Error></Errors></ErrorResponse>";
        let net = test_net();
        let e = sdk_error(
            "secretsmanager:GetSecretValue",
            Some("profile p"),
            &net,
            service_error(403, xml),
        );
        assert_eq!(e.kind, ErrorKind::AccessDenied);
        assert!(
            e.message.contains("security token") && e.message.contains("InvalidClientTokenId"),
            "{}",
            e.message
        );
        assert!(
            e.hint
                .unwrap()
                .starts_with("profile p may not call secretsmanager:GetSecretValue")
        );

        // No code anywhere: the status decides, and the body is shown, not an empty error.
        let e = sdk_error(
            "secretsmanager:GetSecretValue",
            None,
            &net,
            service_error(403, "<html>Forbidden</html>"),
        );
        assert_eq!(e.kind, ErrorKind::AccessDenied);
        assert!(
            e.message.contains("HTTP 403") && e.message.contains("Forbidden"),
            "{}",
            e.message
        );
        let e = sdk_error("iam:GetUser", None, &net, service_error(503, ""));
        assert_eq!(e.kind, ErrorKind::Unavailable);
        assert!(e.message.ends_with("HTTP 503"), "{}", e.message);
    }

    #[test]
    fn kinds_follow_codes_and_statuses() {
        assert_eq!(kind_of_code("NoSuchEntity"), ErrorKind::NotFound);
        assert_eq!(kind_of_code("LimitExceeded"), ErrorKind::LimitExceeded);
        assert_eq!(
            kind_of_code("InvalidClientTokenId"),
            ErrorKind::AccessDenied
        );
        assert_eq!(kind_of_code("EntityAlreadyExists"), ErrorKind::Conflict);
        assert_eq!(kind_of_status(403), ErrorKind::AccessDenied);
        assert_eq!(kind_of_status(503), ErrorKind::Unavailable);
    }
}
