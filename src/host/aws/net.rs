//! How runbook reaches AWS: timeouts, trusted roots and proxy, wired into
//! the SDK's HTTP client (rustls with aws-lc, as the SDK's default client).
//!
//! The SDK itself honours the proxy variables, `AWS_MAX_ATTEMPTS`,
//! `AWS_RETRY_MODE`, `AWS_USE_FIPS_ENDPOINT`, `AWS_USE_DUALSTACK_ENDPOINT`
//! and `AWS_ENDPOINT_URL[_<SERVICE>]`. It ignores `AWS_CA_BUNDLE` and the
//! profile's `ca_bundle`, has no read timeout, and has no way to turn an
//! environment's proxy off: those are done here.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::os_shim_internal::{Env, Fs};

use serde::Serialize;

use super::proxy::{Proxies, ProxyMode, ProxyUse};
use crate::host::{HostError, HostResult, format_duration, parse_duration};

pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(30);
pub const CONNECT_TIMEOUT_VAR: &str = "RUNBOOK_AWS_CONNECT_TIMEOUT";
pub const READ_TIMEOUT_VAR: &str = "RUNBOOK_AWS_READ_TIMEOUT";

/// A CA bundle in use, and the setting that named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaBundle {
    pub path: PathBuf,
    /// `AWS_CA_BUNDLE`, or `ca_bundle of profile NAME`.
    pub source: String,
    /// How many certificates it holds.
    pub certificates: usize,
}

/// The network settings of one set of clients.
#[derive(Clone, Debug)]
pub struct Net {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub ca_bundle: Option<CaBundle>,
    pub proxies: Proxies,
    /// `AWS_ENDPOINT_URL` or the profile's `endpoint_url`, as the SDK resolved it.
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
}

/// The services runbook calls: (display name, `AWS_ENDPOINT_URL_` suffix, host prefix, global).
pub const SERVICES: [(&str, &str, &str, bool); 3] = [
    ("iam", "IAM", "iam", true),
    ("sts", "STS", "sts", false),
    ("secretsmanager", "SECRETS_MANAGER", "secretsmanager", false),
];

impl Net {
    /// Reads the settings; `profile` picks the profile whose `ca_bundle` counts.
    pub async fn load(profile: Option<&str>, no_proxy: bool) -> HostResult<Net> {
        Ok(Net {
            connect_timeout: timeout_var(CONNECT_TIMEOUT_VAR, DEFAULT_CONNECT_TIMEOUT)?,
            read_timeout: timeout_var(READ_TIMEOUT_VAR, DEFAULT_READ_TIMEOUT)?,
            ca_bundle: ca_bundle(profile).await?,
            proxies: Proxies::from_env(no_proxy),
            endpoint_url: None,
            region: None,
        })
    }

    pub fn timeouts(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            // The read timeout ends at the response's head; a body that
            // stalls is bounded by the attempt timeout.
            .operation_attempt_timeout(self.connect_timeout + self.read_timeout)
            .build()
    }

    /// The HTTP client every AWS call of these clients goes through.
    pub fn http_client(&self) -> HostResult<SharedHttpClient> {
        let trust = match &self.ca_bundle {
            // botocore: a bundle replaces the system's roots.
            Some(b) => {
                let pem = std::fs::read(&b.path).map_err(|e| bundle_error(b, &e.to_string()))?;
                TrustStore::empty()
                    .with_native_roots(false)
                    .with_pem_certificate(pem)
            }
            None => TrustStore::default(),
        };
        let ctx = TlsContext::builder()
            .with_trust_store(trust)
            .build()
            .map_err(|e| HostError::failed(format!("cannot set up TLS: {e}")))?;
        let proxy = if self.proxies.enabled() {
            ProxyConfig::from_env()
        } else {
            ProxyConfig::disabled()
        };
        Ok(
            Builder::new().build_with_connector_fn(move |settings, components| {
                let mut b = ConnectorBuilder::default()
                    .tls_provider(tls::Provider::Rustls(
                        tls::rustls_provider::CryptoMode::AwsLc,
                    ))
                    .tls_context(ctx.clone());
                b.set_connector_settings(settings.cloned());
                if let Some(c) = components {
                    b.set_sleep_impl(c.sleep_impl());
                }
                b.set_proxy_config(Some(proxy.clone()));
                b.build()
            }),
        )
    }

    /// The endpoint `service` (a name of [`SERVICES`]) resolves to.
    pub fn endpoint(&self, service: &str) -> String {
        let Some((_, suffix, host, global)) = SERVICES.iter().find(|s| s.0 == service) else {
            return format!("the {service} endpoint");
        };
        if let Ok(u) = std::env::var(format!("AWS_ENDPOINT_URL_{suffix}")) {
            if !u.is_empty() {
                return u;
            }
        }
        if let Some(u) = &self.endpoint_url {
            return u.clone();
        }
        let region = self.region.as_deref().unwrap_or("us-east-1");
        let dns = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        if *global && !region.starts_with("cn-") && !region.starts_with("us-gov-") {
            format!("https://{host}.{dns}")
        } else {
            format!("https://{host}.{region}.{dns}")
        }
    }

    /// The proxy a call to `service` goes through.
    pub fn proxy_for(&self, service: &str) -> Option<ProxyUse> {
        self.proxies.for_url(&self.endpoint(service))
    }
}

fn timeout_var(var: &str, default: Duration) -> HostResult<Duration> {
    match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => {
            let d = parse_duration(&v).map_err(|e| {
                HostError::invalid(format!("{var}: {}", e.message))
                    .with_hint("e.g. RUNBOOK_AWS_READ_TIMEOUT=30s")
            })?;
            if d.is_zero() {
                return Err(HostError::invalid(format!("{var} must be more than 0")));
            }
            Ok(d)
        }
        _ => Ok(default),
    }
}

fn bundle_error(b: &CaBundle, why: &str) -> HostError {
    HostError::invalid(format!(
        "the CA bundle {} (from {}) cannot be used: {why}",
        b.path.display(),
        b.source
    ))
    .with_hint(
        "point it at a readable PEM file of CA certificates, or unset it to use the system's roots",
    )
}

/// `AWS_CA_BUNDLE`, else the chosen profile's `ca_bundle`, checked: it must
/// be a readable PEM file with at least one usable certificate.
async fn ca_bundle(profile: Option<&str>) -> HostResult<Option<CaBundle>> {
    let (path, source) = match std::env::var("AWS_CA_BUNDLE") {
        Ok(p) if !p.trim().is_empty() => (PathBuf::from(p), "AWS_CA_BUNDLE".to_string()),
        _ => {
            let name = profile
                .map(str::to_string)
                .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
                .unwrap_or_else(|| "default".to_string());
            let files = EnvConfigFiles::default();
            // A file that does not parse is reported by the profile check.
            let Ok(set) = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None).await
            else {
                return Ok(None);
            };
            match set.get_profile(&name).and_then(|p| p.get("ca_bundle")) {
                Some(p) if !p.trim().is_empty() => (
                    PathBuf::from(p.trim()),
                    format!("ca_bundle of AWS profile {name}"),
                ),
                _ => return Ok(None),
            }
        }
    };
    let mut b = CaBundle {
        path,
        source,
        certificates: 0,
    };
    b.certificates = count_certificates(&b)?;
    Ok(Some(b))
}

/// Parses the bundle as rustls will, so a bad file is an error here and
/// not a panic inside the HTTP client.
fn count_certificates(b: &CaBundle) -> HostResult<usize> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let meta = std::fs::metadata(&b.path).map_err(|e| bundle_error(b, &e.to_string()))?;
    if !meta.is_file() {
        return Err(bundle_error(b, "not a regular file"));
    }
    let pem = std::fs::read(&b.path).map_err(|e| bundle_error(b, &e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bundle_error(b, &format!("not valid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(bundle_error(b, "it holds no PEM certificate"));
    }
    let mut roots = rustls::RootCertStore::empty();
    for (i, c) in certs.iter().enumerate() {
        roots
            .add(c.clone())
            .map_err(|e| bundle_error(b, &format!("certificate {} is not usable: {e}", i + 1)))?;
    }
    Ok(certs.len())
}

/// What `aws::settings()` and the doctor show of the network: never a
/// proxy's credentials.
#[derive(Clone, Debug, Serialize)]
pub struct NetSummary {
    pub connect_timeout: String,
    pub read_timeout: String,
    /// `none`, `environment`, or `off (--no-proxy)` / `off (NO_PROXY=*)`.
    pub proxy_mode: String,
    /// Per service: `host:port (from VAR[, with credentials])`, or none.
    pub proxy: BTreeMap<String, Option<String>>,
    pub ca_bundle: Option<String>,
    pub endpoints: BTreeMap<String, String>,
}

impl Net {
    pub fn summary(&self) -> NetSummary {
        let names = SERVICES.iter().map(|s| s.0.to_string());
        NetSummary {
            connect_timeout: format_duration(self.connect_timeout),
            read_timeout: format_duration(self.read_timeout),
            proxy_mode: match &self.proxies.mode {
                ProxyMode::None => "none".into(),
                ProxyMode::Env => "environment".into(),
                ProxyMode::Off(why) => format!("off ({why})"),
            },
            proxy: names
                .clone()
                .map(|s| (s.clone(), self.proxy_for(&s).map(|p| p.describe())))
                .collect(),
            ca_bundle: self.ca_bundle.as_ref().map(|b| {
                format!(
                    "{} (from {}, {} certificates)",
                    b.path.display(),
                    b.source,
                    b.certificates
                )
            }),
            endpoints: names.map(|s| (s.clone(), self.endpoint(&s))).collect(),
        }
    }
}
