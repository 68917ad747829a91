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
    /// The variable and value that name the proxy of https and http URLs.
    https: Option<(&'static str, String)>,
    http: Option<(&'static str, String)>,
    no: String,
}

/// The first of each pair that is set wins, even when empty (as in
/// hyper-util and curl); `ALL_PROXY` only when neither is.
const HTTPS_VARS: [[&str; 2]; 2] = [["HTTPS_PROXY", "https_proxy"], ["ALL_PROXY", "all_proxy"]];
const HTTP_VARS: [[&str; 2]; 2] = [["HTTP_PROXY", "http_proxy"], ["ALL_PROXY", "all_proxy"]];

fn first_set(
    lookup: &dyn Fn(&str) -> Option<String>,
    groups: &[[&'static str; 2]],
) -> Option<(&'static str, String)> {
    groups.iter().find_map(|pair| {
        pair.iter()
            .find_map(|n| lookup(n).map(|v| (*n, v)))
            .filter(|(_, v)| !v.trim().is_empty())
    })
}

impl Proxies {
    /// The proxy settings of the environment; `off` is `--no-proxy`.
    pub fn from_env(off: bool) -> Self {
        Self::from_lookup(off, &|n| std::env::var(n).ok())
    }

    fn from_lookup(off: bool, lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let https = first_set(lookup, &HTTPS_VARS);
        let http = first_set(lookup, &HTTP_VARS);
        let no = ["NO_PROXY", "no_proxy"]
            .iter()
            .find_map(|n| lookup(n))
            .unwrap_or_default();
        let mode = if off {
            ProxyMode::Off("--no-proxy")
        } else if https.is_none() && http.is_none() {
            ProxyMode::None
        } else if no.split(',').any(|e| e.trim() == "*") {
            // hyper-util applies `*` to names only; curl and botocore to every host.
            ProxyMode::Off("NO_PROXY=*")
        } else {
            ProxyMode::Env
        };
        Proxies {
            mode,
            https,
            http,
            no,
        }
    }

    pub fn enabled(&self) -> bool {
        self.mode == ProxyMode::Env
    }

    /// The proxy that a request to `url` goes through, if any: hyper-util's
    /// matcher decides, as it does inside the SDK's connector.
    pub fn for_url(&self, url: &str) -> Option<ProxyUse> {
        if !self.enabled() {
            return None;
        }
        let uri: http::Uri = url.parse().ok()?;
        let (source, value) = if uri.scheme_str() == Some("https") {
            self.https.as_ref()?
        } else {
            self.http.as_ref()?
        };
        let mut b = Matcher::builder().no(self.no.clone());
        b = if uri.scheme_str() == Some("https") {
            b.https(value.clone())
        } else {
            b.http(value.clone())
        };
        let hit = b.build().intercept(&uri)?;
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

    fn proxies(vars: &[(&str, &str)]) -> Proxies {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Proxies::from_lookup(false, &move |n| {
            vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
        })
    }

    fn via(p: &Proxies, url: &str) -> Option<String> {
        p.for_url(url).map(|u| u.describe())
    }

    #[test]
    fn no_proxy_takes_hosts_suffixes_ips_and_cidrs() {
        let p = proxies(&[
            ("HTTPS_PROXY", "http://u:pw123@proxy.corp:3128"),
            (
                "NO_PROXY",
                "sts.amazonaws.com, .internal,example.org,10.1.2.3,192.168.0.0/16",
            ),
        ]);
        assert_eq!(
            via(&p, "https://iam.amazonaws.com").as_deref(),
            Some("proxy.corp:3128 (from HTTPS_PROXY, with credentials)")
        );
        for direct in [
            "https://sts.amazonaws.com",
            "https://secretsmanager.eu.internal",
            "https://example.org",
            "https://a.example.org",
            "https://10.1.2.3:8443",
            "https://192.168.7.9",
        ] {
            assert_eq!(via(&p, direct), None, "{direct}");
        }
        assert!(via(&p, "https://notexample.org").is_some());
        assert!(via(&p, "https://10.1.2.4").is_some());
        // An http endpoint needs HTTP_PROXY.
        assert_eq!(via(&p, "http://moto:5000"), None);
    }

    #[test]
    fn variables_are_read_as_curl_reads_them() {
        let p = proxies(&[
            ("https_proxy", "http://low:1"),
            ("ALL_PROXY", "http://all:2"),
        ]);
        assert_eq!(
            via(&p, "https://h").as_deref(),
            Some("low:1 (from https_proxy)")
        );
        assert_eq!(
            via(&p, "http://h").as_deref(),
            Some("all:2 (from ALL_PROXY)")
        );
        let p = proxies(&[("HTTPS_PROXY", "http://p:3"), ("NO_PROXY", "*")]);
        assert_eq!(p.mode, ProxyMode::Off("NO_PROXY=*"));
        assert_eq!(via(&p, "https://127.0.0.1"), None);
        assert_eq!(proxies(&[]).mode, ProxyMode::None);
        let off = Proxies::from_lookup(true, &|_| Some("http://p:1".into()));
        assert_eq!(off.mode, ProxyMode::Off("--no-proxy"));
    }

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
