//! What the daemon says about containers and images, parsed into plain types.

use bollard::Docker;
use bollard::query_parameters::{InspectContainerOptions, ListContainersOptions, LogsOptions};
use futures_util::StreamExt;
use serde::Serialize;

use super::{api_error, container_name, image_ref, is_not_found};
use crate::host::{Ctx, HostError, HostResult};

/// A container as scripts see it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ContainerInfo {
    pub id: String,
    /// Without the API's leading `/`.
    pub name: String,
    /// The image name the container was created from (`auth`).
    pub image: String,
    /// The image id (`sha256:…`); empty in `ps` on old daemons.
    pub image_id: String,
    /// `created`, `running`, `restarting`, `exited`, `paused`, `dead`, …
    pub state: String,
    /// Human status as `docker ps` shows it, e.g. `Up 5 seconds (healthy)`.
    pub status: String,
    /// `starting`, `healthy`, `unhealthy`; `None` without a health check.
    pub health: Option<String>,
    /// `11001/tcp` or `0.0.0.0:8080->80/tcp`.
    pub ports: Vec<String>,
    pub restart_count: i64,
    pub exit_code: Option<i64>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The daemon's own error for a container that could not start.
    pub error: Option<String>,
}

/// An image as scripts see it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImageInfo {
    pub id: String,
    pub tags: Vec<String>,
    pub created: Option<String>,
    pub size: i64,
}

/// The health shown in `docker ps` status text, e.g. `Up 3 minutes (healthy)`;
/// the list API of older daemons (1.41) has no health field of its own.
pub fn health_from_status(status: &str) -> Option<String> {
    let open = status.rfind('(')?;
    let inner = status[open + 1..].strip_suffix(')')?;
    match inner {
        "healthy" | "unhealthy" => Some(inner.to_string()),
        "health: starting" => Some("starting".to_string()),
        _ => None,
    }
}

/// Seconds since the epoch for the daemon's RFC 3339 UTC timestamps
/// (`2026-11-28T21:20:55.123456789Z`); `None` for the zero time Docker uses
/// for "never" (`0001-01-01T00:00:00Z`) or anything else.
pub fn parse_timestamp(ts: &str) -> Option<i64> {
    let b = ts.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    if !ts.ends_with('Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| ts.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if y < 1970 || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

pub async fn ps(docker: &Docker, all: bool) -> HostResult<Vec<ContainerInfo>> {
    let opts = ListContainersOptions {
        all,
        ..Default::default()
    };
    let list = docker
        .list_containers(Some(opts))
        .await
        .map_err(|e| api_error("listing containers", e))?;
    Ok(list
        .into_iter()
        .map(|c| {
            let status = c.status.unwrap_or_default();
            ContainerInfo {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .and_then(|n| n.into_iter().next())
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                image: c.image.unwrap_or_default(),
                image_id: c.image_id.unwrap_or_default(),
                state: c.state.map(|s| s.to_string()).unwrap_or_default(),
                health: health_from_status(&status),
                status,
                ports: c
                    .ports
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| {
                        let proto = p.typ.map(|t| t.to_string()).unwrap_or_else(|| "tcp".into());
                        match p.public_port {
                            Some(public) => format!(
                                "{}:{public}->{}/{proto}",
                                p.ip.unwrap_or_else(|| "0.0.0.0".into()),
                                p.private_port
                            ),
                            None => format!("{}/{proto}", p.private_port),
                        }
                    })
                    .collect(),
                ..Default::default()
            }
        })
        .collect())
}

/// One container by name or id, or `None` when there is none.
pub async fn container(docker: &Docker, name: &str) -> HostResult<Option<ContainerInfo>> {
    let n = container_name(name)?;
    let c = match docker
        .inspect_container(n, None::<InspectContainerOptions>)
        .await
    {
        Ok(c) => c,
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(api_error(&format!("inspecting container {n}"), e)),
    };
    let state = c.state.unwrap_or_default();
    let health = state
        .health
        .as_ref()
        .and_then(|h| h.status)
        .map(|s| s.to_string())
        .filter(|s| !s.is_empty() && s != "none");
    let st = state.status.map(|s| s.to_string()).unwrap_or_default();
    let exit_code = state.exit_code;
    let status = match st.as_str() {
        "running" => match &health {
            Some(h) => format!("Up ({h})"),
            None => "Up".to_string(),
        },
        "exited" => format!("Exited ({})", exit_code.unwrap_or(0)),
        other => other.to_string(),
    };
    let mut ports: Vec<String> = c
        .network_settings
        .and_then(|n| n.ports)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|(port, bindings)| match bindings {
            Some(b) if !b.is_empty() => b
                .into_iter()
                .map(|b| {
                    format!(
                        "{}:{}->{port}",
                        b.host_ip.unwrap_or_else(|| "0.0.0.0".into()),
                        b.host_port.unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>(),
            _ => vec![port],
        })
        .collect();
    ports.sort();
    let never = |t: Option<String>| t.filter(|t| parse_timestamp(t).is_some());
    Ok(Some(ContainerInfo {
        id: c.id.unwrap_or_default(),
        name: c
            .name
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string(),
        image: c.config.and_then(|c| c.image).unwrap_or_default(),
        image_id: c.image.unwrap_or_default(),
        state: st,
        status,
        health,
        ports,
        restart_count: c.restart_count.unwrap_or(0),
        exit_code,
        started_at: never(state.started_at),
        finished_at: never(state.finished_at),
        error: state.error.filter(|e| !e.is_empty()),
    }))
}

/// One image by name or id, or `None` when there is none.
pub async fn image(docker: &Docker, name: &str) -> HostResult<Option<ImageInfo>> {
    let n = image_ref(name)?;
    match docker.inspect_image(n).await {
        Ok(i) => Ok(Some(ImageInfo {
            id: i.id.unwrap_or_default(),
            tags: i.repo_tags.unwrap_or_default(),
            created: i.created.filter(|c| !c.is_empty()),
            size: i.size.unwrap_or(0),
        })),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(api_error(&format!("inspecting image {n}"), e)),
    }
}

/// The last `tail` lines of a container's output (stdout and stderr).
pub async fn logs(ctx: &Ctx, docker: &Docker, name: &str, tail: Option<u32>) -> HostResult<String> {
    let n = container_name(name)?;
    let opts = LogsOptions {
        stdout: true,
        stderr: true,
        tail: tail.map(|t| t.to_string()).unwrap_or_else(|| "all".into()),
        ..Default::default()
    };
    let mut stream = docker.logs(n, Some(opts));
    let mut out = Vec::new();
    while let Some(item) = stream.next().await {
        ctx.cancel.check()?;
        match item {
            Ok(chunk) => out.extend_from_slice(chunk.as_ref()),
            Err(e) if is_not_found(&e) => {
                return Err(
                    HostError::not_found(format!("container '{n}' does not exist"))
                        .with_hint("list containers with docker::ps(#{all: true})"),
                );
            }
            Err(e) => return Err(api_error(&format!("reading the logs of {n}"), e)),
        }
    }
    Ok(ctx.redactor.redact(&String::from_utf8_lossy(&out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_read_from_status_text() {
        assert_eq!(
            health_from_status("Up 5 seconds (healthy)").as_deref(),
            Some("healthy")
        );
        assert_eq!(
            health_from_status("Up 2 minutes (unhealthy)").as_deref(),
            Some("unhealthy")
        );
        assert_eq!(
            health_from_status("Up 1 second (health: starting)").as_deref(),
            Some("starting")
        );
        assert_eq!(health_from_status("Up 3 hours"), None);
        assert_eq!(health_from_status("Exited (3) 2 seconds ago"), None);
    }

    #[test]
    fn timestamps_parse_to_epoch_seconds() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_timestamp("2026-11-28T21:20:55.123456789Z"),
            Some(1_795_900_855)
        );
        assert_eq!(parse_timestamp("2000-03-01T00:00:00Z"), Some(951_868_800));
        assert_eq!(parse_timestamp("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_timestamp(""), None);
        assert_eq!(parse_timestamp("yesterday"), None);
    }
}
