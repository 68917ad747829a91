//! Which HTTP proxy an AWS endpoint is reached through, as curl and botocore
//! read the environment: `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/
//! `http_proxy`, `ALL_PROXY`, and `NO_PROXY`/`no_proxy` (host, domain suffix
//! with or without a leading dot, IP, CIDR, `*`).
//!
//! The SDK's HTTP client reads the same variables itself (hyper-util's
//! matcher, also used here so both always agree). What runbook adds: `*`
//! turns the proxy off for IP addresses too (the matcher applies it to names
//! only), `--no-proxy` turns it off, and the proxy is shown as `host:port`
//! only: a password in the URL never reaches an output.

use hyper_util::client::proxy::matcher::Matcher;

/// Where the proxy settings came from, for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProxyMode {
    /// No proxy variable is set.
    None,
    /// From the environment (the SDK's client reads the same variables).
    Env,
    /// Turned off: `--no-proxy`, or `NO_PROXY=*`.
    Off(&'static str),
}

/// The proxy used for one endpoint, without its credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyUse {
    /// `host:port` of the proxy.
    pub address: String,
    /// Whether the proxy URL carries a user name and password.
    pub credentials: bool,
    /// The variable that named it (`HTTPS_PROXY`, `http_proxy`, …).
    pub source: &'static str,
}

#[derive(Clone, Debug)]
pub struct Proxies {
    pub mode: ProxyMode,
}

const HTTPS_VARS: [&str; 4] = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"];
const HTTP_VARS: [&str; 4] = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];

fn first_env(names: &[&'static str]) -> Option<(&'static str, String)> {
    names.iter().find_map(|n| {
        std::env::var(n)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*n, v))
    })
}

fn no_proxy_env() -> String {
    first_env(&["NO_PROXY", "no_proxy"])
        .map(|(_, v)| v)
        .unwrap_or_default()
}

impl Proxies {
    /// The proxy settings of the environment; `off` is `--no-proxy`.
    pub fn from_env(off: bool) -> Self {
        let any = first_env(&HTTPS_VARS).is_some() || first_env(&HTTP_VARS).is_some();
        let mode = if off {
            ProxyMode::Off("--no-proxy")
        } else if !any {
            ProxyMode::None
        } else if no_proxy_env().split(',').any(|e| e.trim() == "*") {
            ProxyMode::Off("NO_PROXY=*")
        } else {
            ProxyMode::Env
        };
        Proxies { mode }
    }

    pub fn enabled(&self) -> bool {
        self.mode == ProxyMode::Env
    }

    /// The proxy that a request to `url` goes through, if any.
    pub fn for_url(&self, url: &str) -> Option<ProxyUse> {
        if !self.enabled() {
            return None;
        }
        let uri: http::Uri = url.parse().ok()?;
        let hit = Matcher::from_env().intercept(&uri)?;
        let vars: &[&'static str] = if uri.scheme_str() == Some("https") {
            &HTTPS_VARS
        } else {
            &HTTP_VARS
        };
        let (source, _) = first_env(vars)?;
        let p = hit.uri();
        let port = p.port_u16().unwrap_or(match p.scheme_str() {
            Some("https") => 443,
            _ => 80,
        });
        Some(ProxyUse {
            address: format!("{}:{port}", p.host().unwrap_or("?")),
            credentials: hit.basic_auth().is_some() || hit.raw_auth().is_some(),
            source,
        })
    }
}

impl ProxyUse {
    /// `http://proxy:3128 (HTTPS_PROXY, with credentials)`: never the password.
    pub fn describe(&self) -> String {
        let creds = if self.credentials {
            ", with credentials"
        } else {
            ""
        };
        format!("{} (from {}{creds})", self.address, self.source)
    }
}

/// The user names and passwords in the proxy variables, raw and
/// percent-decoded, for the redactor: they must never be printed.
pub fn credentials_in_env() -> Vec<String> {
    let mut out = Vec::new();
    for var in [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        let Ok(v) = std::env::var(var) else { continue };
        out.extend(userinfo_secrets(&v));
    }
    out.sort();
    out.dedup();
    out
}

/// The password (and the whole user:password) of a URL's userinfo.
fn userinfo_secrets(url: &str) -> Vec<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let Some((userinfo, _)) = authority.rsplit_once('@') else {
        return vec![];
    };
    let mut out = vec![userinfo.to_string()];
    if let Some((_, pass)) = userinfo.split_once(':') {
        if !pass.is_empty() {
            out.push(pass.to_string());
            let decoded = percent_encoding::percent_decode_str(pass)
                .decode_utf8_lossy()
                .into_owned();
            out.push(decoded);
        }
    }
    out.retain(|s| s.len() >= 3);
    out
}

/// `text` with the userinfo of any URL in it removed: `http://u:p@h:1` -> `http://***@h:1`.
pub fn mask_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '"' | '\'' | ')' | '>'))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_found_and_masked() {
        assert_eq!(
            userinfo_secrets("http://alice:s%40cret@proxy:3128"),
            vec!["alice:s%40cret", "s%40cret", "s@cret"]
        );
        assert!(userinfo_secrets("http://proxy:3128").is_empty());
        assert_eq!(
            mask_url_credentials("via http://alice:pw1@proxy:3128/x and https://h/"),
            "via http://***@proxy:3128/x and https://h/"
        );
    }
}
