//! AWS settings and clients, configured the standard way.
//!
//! `aws_config::defaults` reads the environment, the shared config and
//! credentials files, `AWS_PROFILE`, `AWS_REGION` and `AWS_ENDPOINT_URL`; the
//! settings here only override the profile and region. Clients are built once
//! per (profile, region) and kept for the process.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::{BehaviorVersion, ConfigLoader, Region, SdkConfig};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_types::os_shim_internal::{Env, Fs};

use super::error::REGION_HINT;
use super::net::Net;
use super::sts::Identity;
use crate::host::{HostError, HostResult};

/// Which identity and region IAM and STS calls use. `None` means the standard
/// chain decides (`AWS_PROFILE`, `AWS_REGION`, the profile's region …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AwsSettings {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// `--no-proxy`: connect directly whatever the proxy variables say.
    pub no_proxy: bool,
}

/// The clients of one (profile, region), and the identity once asked for.
pub struct Clients {
    pub config: SdkConfig,
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    /// Timeouts, CA bundle, proxy and endpoints these clients use.
    pub net: Net,
    /// From STS, asked once: ARNs are built from its partition and account.
    pub(super) identity: RefCell<Option<Identity>>,
}

impl Clients {
    pub(super) fn new(config: SdkConfig, mut net: Net) -> Self {
        net.endpoint_url = config.endpoint_url().map(str::to_string);
        net.region = config.region().map(|r| r.to_string());
        Clients {
            net,
            iam: aws_sdk_iam::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            config,
            identity: RefCell::new(None),
        }
    }

    /// The identity already known, for error messages; no I/O.
    pub fn known_identity(&self) -> Option<String> {
        self.identity.borrow().as_ref().map(|i| i.arn.clone())
    }
}

/// The process's client cache. Single-threaded, like the run.
#[derive(Default)]
pub struct Aws {
    clients: RefCell<HashMap<AwsSettings, Rc<Clients>>>,
}

impl Aws {
    pub fn new() -> Self {
        Self::default()
    }

    /// The clients for `settings`, built on first use.
    pub async fn clients(&self, settings: &AwsSettings) -> HostResult<Rc<Clients>> {
        if let Some(c) = self.clients.borrow().get(settings) {
            return Ok(c.clone());
        }
        // No borrow is held across the await.
        check_shared_files()?;
        check_profile(settings.profile.as_deref()).await?;
        let net = Net::load(settings.profile.as_deref(), settings.no_proxy).await?;
        let mut loader = with_net(aws_config::defaults(BehaviorVersion::latest()), &net)?;
        if let Some(p) = &settings.profile {
            // An explicitly chosen profile must win over credentials in the
            // environment (the default chain would prefer those), as it does
            // for `aws --profile`; otherwise the operator silently acts as
            // someone else.
            loader = loader.profile_name(p).credentials_provider(
                ProfileFileCredentialsProvider::builder()
                    .profile_name(p)
                    .build(),
            );
        }
        if let Some(r) = &settings.region {
            loader = loader.region(Region::new(r.clone()));
        }
        let config = loader.load().await;
        require_region(&config)?;
        let c = Rc::new(Clients::new(config, net));
        self.clients
            .borrow_mut()
            .insert(settings.clone(), c.clone());
        Ok(c)
    }
}

/// The SDK opens the shared config and credentials files with a plain open,
/// which waits for ever on a FIFO (and fails oddly on a socket): either is
/// refused here, naming the file. Anything else (absent, `/dev/null`) is left
/// to the SDK.
fn check_shared_files() -> HostResult<()> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    for (var, name, what) in [
        ("AWS_CONFIG_FILE", "config", "the AWS shared config file"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "credentials",
            "the AWS shared credentials file",
        ),
    ] {
        let path = match std::env::var_os(var) {
            Some(p) => PathBuf::from(p),
            None => match &home {
                Some(h) => h.join(".aws").join(name),
                None => continue,
            },
        };
        check_shared_file(&path, what, var)?;
    }
    Ok(())
}

fn check_shared_file(path: &Path, what: &str, var: &str) -> HostResult<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(t) = std::fs::metadata(path).map(|m| m.file_type()) else {
        return Ok(());
    };
    let kind = if t.is_fifo() {
        "a named pipe (FIFO)"
    } else if t.is_socket() {
        "a socket"
    } else {
        return Ok(());
    };
    Err(HostError::invalid(format!(
        "{} ({what}) is {kind}, not a regular file: the AWS SDK would wait on it for ever, so nothing was sent to AWS",
        path.display()
    ))
    .with_hint(format!(
        "remove it, or point {var} at the real file"
    )))
}

/// Reads the shared config and credentials files the way the SDK does, so
/// that a file that does not parse, or a chosen profile that is in neither
/// file, is named as such: the SDK itself would only report "no region" or
/// "no credentials" later.
async fn check_profile(explicit: Option<&str>) -> HostResult<()> {
    let env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
    let (chosen, source) = match (explicit, &env_profile) {
        (Some(p), _) => (p.to_string(), "--aws-profile / aws::configure"),
        (None, Some(p)) => (p.clone(), "AWS_PROFILE"),
        // The default profile may well be absent (credentials from the environment).
        (None, None) => return Ok(()),
    };
    let files = EnvConfigFiles::default();
    let set = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None)
        .await
        .map_err(|e| {
            HostError::invalid(format!("the AWS shared config files cannot be read: {e}"))
                .with_hint("fix the file named above (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE, ~/.aws/)")
        })?;
    if set.get_profile(&chosen).is_none() {
        let mut known: Vec<&str> = set.profiles().collect();
        known.sort_unstable();
        return Err(HostError::not_found(format!(
            "AWS profile '{chosen}' (from {source}) is in neither the config nor the credentials file"
        ))
        .with_hint(if known.is_empty() {
            "no profiles are defined: create it with `aws configure --profile NAME`, or unset it".to_string()
        } else {
            format!("profiles defined: {}", known.join(", "))
        }));
    }
    Ok(())
}

/// The loader with runbook's HTTP client (CA bundle, proxy) and timeouts.
pub(super) fn with_net(loader: ConfigLoader, net: &Net) -> HostResult<ConfigLoader> {
    Ok(loader
        .http_client(net.http_client()?)
        .timeout_config(net.timeouts()))
}

/// Without a region every call fails with `MissingSigningRegion`: say so first.
fn require_region(config: &SdkConfig) -> HostResult<()> {
    if config.region().is_none() {
        return Err(HostError::invalid("no AWS region configured").with_hint(REGION_HINT));
    }
    Ok(())
}

/// Clients that authenticate with `profile` from `credentials_file` only.
///
/// The default chain prefers environment credentials over a named profile, so
/// proving that a freshly written credentials file works needs a provider that
/// reads nothing but that file. Built fresh each time: the file may have just
/// been rewritten. The region comes from `region`, else the standard chain.
pub async fn verification_clients(
    profile: &str,
    credentials_file: Option<&Path>,
    region: Option<&str>,
    no_proxy: bool,
) -> HostResult<Clients> {
    let file: PathBuf = match credentials_file {
        Some(f) => f.to_path_buf(),
        None => default_credentials_file()?,
    };
    if !file.exists() {
        return Err(HostError::not_found(format!(
            "credentials file {} does not exist",
            file.display()
        )));
    }
    check_shared_file(&file, "the credentials file to verify", "credentials_file")?;
    let files = EnvConfigFiles::builder()
        .with_file(EnvConfigFileKind::Credentials, &file)
        .build();
    let provider = ProfileFileCredentialsProvider::builder()
        .profile_files(files)
        .profile_name(profile)
        .build();
    // The CA bundle is the session's (AWS_CA_BUNDLE, the selected profile's).
    let net = Net::load(None, no_proxy).await?;
    let mut loader = with_net(aws_config::defaults(BehaviorVersion::latest()), &net)?
        .credentials_provider(provider);
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_string()));
    }
    let config = loader.load().await;
    require_region(&config)?;
    Ok(Clients::new(config, net))
}

fn default_credentials_file() -> HostResult<PathBuf> {
    if let Some(f) = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE") {
        return Ok(PathBuf::from(f));
    }
    std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".aws").join("credentials"))
        .ok_or_else(|| {
            HostError::invalid("no credentials file given and HOME is not set")
                .with_hint("pass #{credentials_file: \"/path/to/credentials\"}")
        })
}
