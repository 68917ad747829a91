//! Docker through the Engine API (bollard) over the daemon's Unix socket,
//! rather than scraping `docker` output: the connection and its errors here;
//! reads in `read.rs`, image archives in `archive.rs`, waits in `wait.rs`.
//!
//! The functions are async; the bindings run them on the session's single
//! current-thread runtime.

mod archive;
mod read;
mod wait;

use std::path::Path;

use bollard::Docker;
use bollard::errors::Error as DockerError;

use super::{ErrorKind, HostError, HostResult};

pub use archive::{ArchiveInfo, image_id_from_manifest, inspect_archive, load};
pub use read::{
    ContainerInfo, ImageInfo, container, health_from_status, image, logs, parse_timestamp, ps,
};
pub use wait::wait_running;

const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Connects to the daemon named by `DOCKER_HOST` (default: the local socket)
/// and negotiates the API version, so an older daemon (Debian's speaks 1.41)
/// is addressed in its own dialect.
pub async fn connect() -> HostResult<Docker> {
    let host = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string());
    connect_to(&host).await
}

/// Connects to one daemon address; `unix://` only (the Agent's daemon is local).
pub async fn connect_to(host: &str) -> HostResult<Docker> {
    if !host.starts_with("unix://") {
        return Err(HostError::new(
            ErrorKind::Unavailable,
            format!("cannot reach the Docker daemon at DOCKER_HOST={host}: only unix:// sockets are supported"),
        )
        .with_hint("unset DOCKER_HOST or set it to unix:///var/run/docker.sock"));
    }
    let socket = host.trim_start_matches("unix://");
    if !Path::new(socket).exists() {
        return Err(unreachable(host, "the socket does not exist"));
    }
    let docker = Docker::connect_with_host(host).map_err(|e| unreachable(host, &e.to_string()))?;
    docker.negotiate_version().await.map_err(|e| {
        let text = error_text(&e);
        if text.contains("ermission denied") {
            HostError::new(
                ErrorKind::Unavailable,
                format!("not permitted to use the Docker daemon socket {socket}: {text}"),
            )
            .with_hint("run as root (sudo runbook …) or as a member of the docker group")
        } else {
            unreachable(host, &text)
        }
    })
}

fn unreachable(host: &str, why: &str) -> HostError {
    HostError::new(
        ErrorKind::Unavailable,
        format!("cannot reach the Docker daemon at {host}: {why}"),
    )
    .with_hint(
        "is dockerd running? start it (systemctl start docker), or point DOCKER_HOST at its socket",
    )
}

/// The error with its sources, since bollard's top-level text hides the cause
/// ("connection refused", "permission denied") one level down.
fn error_text(e: &DockerError) -> String {
    let mut text = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !text.contains(&t) {
            text.push_str(": ");
            text.push_str(&t);
        }
        src = s.source();
    }
    text
}

fn api_error(what: &str, e: DockerError) -> HostError {
    match &e {
        DockerError::DockerResponseServerError {
            status_code,
            message,
        } => {
            let kind = match status_code {
                404 => ErrorKind::NotFound,
                401 | 403 => ErrorKind::AccessDenied,
                409 => ErrorKind::Conflict,
                400 => ErrorKind::InvalidInput,
                _ => ErrorKind::Failed,
            };
            HostError::new(kind, format!("{what}: {message}"))
        }
        DockerError::RequestTimeoutError => HostError::new(
            ErrorKind::Timeout,
            format!("{what}: the Docker daemon did not answer in time"),
        ),
        _ => {
            let text = error_text(&e);
            // The daemon went away (stopped, restarted, its socket gone):
            // say so, rather than leave the user a transport error to decode.
            let gone = [
                "onnection refused",
                "No such file",
                "onnection reset",
                "roken pipe",
                "connection closed",
                "error trying to connect",
            ]
            .iter()
            .any(|t| text.contains(t));
            if gone {
                HostError::new(
                    ErrorKind::Unavailable,
                    format!("{what}: lost the Docker daemon: {text}"),
                )
                .with_hint("is dockerd running? (systemctl status docker) then run again")
            } else {
                HostError::new(ErrorKind::Failed, format!("{what}: {text}"))
            }
        }
    }
}

fn is_not_found(e: &DockerError) -> bool {
    matches!(
        e,
        DockerError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

// ---------------------------------------------------------------- names

/// A container name as given by a script, without the API's leading `/`.
/// Checked so it can go into a URL path.
pub fn container_name(name: &str) -> HostResult<&str> {
    let n = name.strip_prefix('/').unwrap_or(name);
    let ok = n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok {
        Ok(n)
    } else {
        Err(HostError::invalid(format!(
            "'{name}' is not a valid container name or id: letters, digits and _.- only, e.g. \"auth\""
        )))
    }
}

/// An image reference (`auth`, `auth:latest`, `registry:5000/x/y:tag`, `sha256:…`).
pub fn image_ref(name: &str) -> HostResult<&str> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/:@".contains(c));
    if ok {
        Ok(name)
    } else {
        Err(HostError::invalid(format!(
            "'{name}' is not a valid image reference, e.g. \"auth\" or \"auth:latest\""
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_the_slash_dropped() {
        assert_eq!(container_name("/auth").unwrap(), "auth");
        assert_eq!(container_name("auth").unwrap(), "auth");
        for bad in ["", "/", "../x", "a b", "a/b", "-x"] {
            assert_eq!(
                container_name(bad).unwrap_err().kind,
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
        image_ref("auth:latest").unwrap();
        image_ref("sha256:abc").unwrap();
        assert!(image_ref("../etc").is_err());
    }
}
