//! A call that never got an answer from AWS, named by its real cause: DNS,
//! connection refused, connect or read timeout, a proxy that is down,
//! refuses the CONNECT or wants credentials, or TLS verification. Each
//! message names the service, the action and the endpoint, and each hint
//! says what to change; a TLS failure is never "did not answer in time".

use super::net::Net;
use crate::host::{ErrorKind, HostError};

/// The cause of a failed transport, from the error chain's texts (the SDK
/// and hyper do not expose these as types).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    Tls(String),
    Dns,
    Refused,
    ConnectTimeout,
    ReadTimeout,
    ProxyDown,
    ProxyRefused,
    ProxyAuth,
}

impl Cause {
    /// A short name for the doctor row and for JSON readers.
    pub fn label(&self) -> &'static str {
        match self {
            Cause::Tls(_) => "TLS verification",
            Cause::Dns => "DNS",
            Cause::Refused => "connection refused",
            Cause::ConnectTimeout => "connect timeout",
            Cause::ReadTimeout => "read timeout",
            Cause::ProxyDown => "proxy unreachable",
            Cause::ProxyRefused => "proxy refused the CONNECT",
            Cause::ProxyAuth => "proxy needs credentials",
        }
    }
}

/// rustls' names of certificate problems, in an operator's words.
fn tls_problem(raw: &str) -> String {
    let plain = match raw.split([' ', '{', '(']).next().unwrap_or(raw) {
        "UnknownIssuer" => "it is issued by a CA that is not trusted here (unknown issuer)",
        "BadSignature" => "its signature does not verify (bad signature)",
        "NotValidForName" => "it is not valid for this host name (name mismatch)",
        "Expired" => "it has expired",
        "NotValidYet" => "it is not valid yet (check the host's clock)",
        "Revoked" => "it has been revoked",
        "UnknownRevocationStatus" => "its revocation status is unknown",
        _ if raw.starts_with("certificate not valid for name") => {
            return format!("name mismatch: {raw}");
        }
        _ if raw.starts_with("certificate expired") => return format!("expired: {raw}"),
        _ => return raw.to_string(),
    };
    plain.to_string()
}

/// Reads the cause from `chain`; `timeout` is the SDK's own verdict.
pub fn cause(chain: &str, timeout: bool, via_proxy: bool) -> Option<Cause> {
    let c = chain.to_ascii_lowercase();
    if let Some(i) = c.find("invalid peer certificate") {
        return Some(Cause::Tls(
            chain[i..]
                .split(": ")
                .nth(1)
                .unwrap_or("")
                .trim()
                .to_string(),
        ));
    }
    for m in [
        "certificate not valid for name",
        "certificate expired",
        "certificate not valid yet",
    ] {
        if let Some(i) = c.find(m) {
            return Some(Cause::Tls(chain[i..].to_string()));
        }
    }
    if c.contains("proxy authorization required") || c.contains("407 proxy authentication") {
        return Some(Cause::ProxyAuth);
    }
    if c.contains("tunnel error: unsuccessful") {
        return Some(Cause::ProxyRefused);
    }
    if c.contains("dns error") || c.contains("failed to lookup address") {
        return Some(if via_proxy {
            Cause::ProxyDown
        } else {
            Cause::Dns
        });
    }
    if c.contains("connection refused")
        || c.contains("tunnel error: failed to create underlying connection")
    {
        return Some(if via_proxy {
            Cause::ProxyDown
        } else {
            Cause::Refused
        });
    }
    if c.contains("connect timeout") || (timeout && c.contains("connect")) {
        return Some(if via_proxy {
            Cause::ProxyDown
        } else {
            Cause::ConnectTimeout
        });
    }
    if c.contains("read timeout") || c.contains("attempt timeout") || timeout {
        return Some(Cause::ReadTimeout);
    }
    None
}

/// The error for `cause` of `action` (`iam:CreateUser`), made through `net`.
pub fn transport_error(action: &str, cause: &Cause, net: &Net) -> HostError {
    let service = action.split(':').next().unwrap_or(action);
    let endpoint = net.endpoint(service);
    let proxy = net.proxy_for(service);
    let via = proxy
        .as_ref()
        .map(|p| format!(" through the proxy {}", p.describe()))
        .unwrap_or_default();
    let proxy_addr = proxy
        .as_ref()
        .map(|p| p.describe())
        .unwrap_or_else(|| "in use".into());
    let (kind, what, hint): (ErrorKind, String, String) = match cause {
        Cause::Tls(problem) => (
            ErrorKind::Failed,
            format!(
                "the TLS certificate of {endpoint}{via} was not accepted: {}",
                tls_problem(problem)
            ),
            match &net.ca_bundle {
                Some(b) => format!(
                    "the CA bundle in use, {} (from {}), does not vouch for it: add the issuing CA \
                     (on a network with TLS inspection, the inspecting proxy's CA) to it, or point \
                     AWS_CA_BUNDLE at a PEM file that holds it",
                    b.path.display(),
                    b.source
                ),
                None => "if a proxy or appliance inspects TLS here, set AWS_CA_BUNDLE (or ca_bundle in \
                         the AWS profile) to a PEM file with its CA certificate"
                    .to_string(),
            },
        ),
        Cause::Dns => (
            ErrorKind::Unavailable,
            format!("the name of {endpoint} does not resolve (DNS)"),
            "check the host's DNS (/etc/resolv.conf), or set HTTPS_PROXY when only a proxy can resolve it".into(),
        ),
        Cause::Refused => (
            ErrorKind::Unavailable,
            format!("{endpoint} refused the connection"),
            "check the endpoint (AWS_ENDPOINT_URL) and that the network lets this host reach it, or set HTTPS_PROXY".into(),
        ),
        Cause::ConnectTimeout => (
            ErrorKind::Timeout,
            format!(
                "no connection to {endpoint} within the connect timeout ({:?})",
                net.connect_timeout
            ),
            "a firewall may drop the traffic: check the route to AWS, or set HTTPS_PROXY; \
             the timeout is RUNBOOK_AWS_CONNECT_TIMEOUT"
                .into(),
        ),
        Cause::ReadTimeout => (
            ErrorKind::Timeout,
            format!(
                "{endpoint} did not answer within the read timeout ({:?}){via}",
                net.read_timeout
            ),
            "AWS or the network is slow: try again later; the timeout is RUNBOOK_AWS_READ_TIMEOUT".into(),
        ),
        Cause::ProxyDown => (
            ErrorKind::Unavailable,
            format!("the proxy {proxy_addr} does not answer (on the way to {endpoint})"),
            "start the proxy or fix HTTPS_PROXY/HTTP_PROXY; add the endpoint to NO_PROXY, or pass \
             --no-proxy, to connect directly"
                .into(),
        ),
        Cause::ProxyRefused => (
            ErrorKind::AccessDenied,
            if proxy.as_ref().is_some_and(|p| p.credentials) {
                // hyper-util hides the status: 403 and a 401 for wrong credentials look alike.
                format!(
                    "the proxy {proxy_addr} refused to connect to {endpoint} (CONNECT refused): it \
                     refuses this destination, or the credentials in the proxy URL"
                )
            } else {
                format!("the proxy {proxy_addr} refused to connect to {endpoint} (CONNECT refused)")
            },
            "ask the proxy's administrator to allow this host and port, or add the endpoint to NO_PROXY".into(),
        ),
        Cause::ProxyAuth => (
            ErrorKind::AccessDenied,
            if proxy.as_ref().is_some_and(|p| p.credentials) {
                format!(
                    "the proxy {proxy_addr} did not accept the credentials of the proxy URL \
                     (HTTP 407, on the way to {endpoint})"
                )
            } else {
                format!("the proxy {proxy_addr} requires credentials (HTTP 407, on the way to {endpoint})")
            },
            "put them in the proxy URL: HTTPS_PROXY=http://USER:PASSWORD@HOST:PORT \
             (runbook never prints them)"
                .into(),
        ),
    };
    HostError::new(kind, format!("{action} failed: {what}")).with_hint(hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_told_apart() {
        let tls = "dispatch failure: io error: invalid peer certificate: UnknownIssuer";
        assert_eq!(
            cause(tls, false, false),
            Some(Cause::Tls("UnknownIssuer".into()))
        );
        assert_eq!(
            cause(
                "dns error: failed to lookup address information",
                false,
                false
            ),
            Some(Cause::Dns)
        );
        let refused = "io error: tcp connect error: Connection refused (os error 111)";
        assert_eq!(cause(refused, false, false), Some(Cause::Refused));
        assert_eq!(cause(refused, false, true), Some(Cause::ProxyDown));
        assert_eq!(
            cause("tunnel error: unsuccessful", false, true),
            Some(Cause::ProxyRefused)
        );
        assert_eq!(
            cause("tunnel error: proxy authorization required", false, true),
            Some(Cause::ProxyAuth)
        );
        assert_eq!(
            cause("HTTP connect timeout occurred after 1s", true, false),
            Some(Cause::ConnectTimeout)
        );
        assert_eq!(
            cause("HTTP read timeout occurred after 1s", true, false),
            Some(Cause::ReadTimeout)
        );
        assert_eq!(cause("something else", false, false), None);
    }
}
