//! Docker through the Engine API (bollard) over the daemon's Unix socket,
//! rather than scraping `docker` output.
//!
//! The functions are async; the bindings run them on the session's single
//! current-thread runtime. Waits poll the daemon, tick progress and honour
//! cancellation between polls.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::query_parameters::{
    ImportImageOptions, InspectContainerOptions, ListContainersOptions, LogsOptions,
};
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Serialize;

use super::{Cancel, Ctx, ErrorKind, HostError, HostResult, Outcome, format_duration};

const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
const POLL: Duration = Duration::from_millis(500);
/// A container must stay up this long (same start time) before a wait
/// succeeds, so one that crashes and is restarted in a loop is not "running".
const SETTLE: Duration = Duration::from_millis(1000);
/// Log lines shown when a wait fails.
const FAIL_LOG_LINES: u32 = 20;

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

// ---------------------------------------------------------------- connection

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
            let kind = if text.contains("onnection refused") || text.contains("No such file") {
                ErrorKind::Unavailable
            } else {
                ErrorKind::Failed
            };
            HostError::new(kind, format!("{what}: {text}"))
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

// ---------------------------------------------------------------- pure parsers

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

/// The image id (`sha256:<hex>`) recorded in a `docker save` archive's
/// `manifest.json`: the config blob's digest. Both the classic layout
/// (`<hex>.json`) and the OCI layout (`blobs/sha256/<hex>`) are understood.
pub fn image_id_from_manifest(manifest: &[u8]) -> Result<(String, Vec<String>), String> {
    let v: serde_json::Value = serde_json::from_slice(manifest)
        .map_err(|e| format!("manifest.json is not valid JSON: {e}"))?;
    let first = v
        .as_array()
        .and_then(|a| a.first())
        .ok_or("manifest.json lists no image")?;
    let config = first
        .get("Config")
        .and_then(|c| c.as_str())
        .ok_or("manifest.json has no Config entry")?;
    let file = config.rsplit('/').next().unwrap_or(config);
    let hex = file.strip_suffix(".json").unwrap_or(file);
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!(
            "manifest.json names an unexpected config '{config}'"
        ));
    }
    let tags = first
        .get("RepoTags")
        .and_then(|t| t.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Ok((format!("sha256:{hex}"), tags))
}

// ---------------------------------------------------------------- reads

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

// ---------------------------------------------------------------- load

/// What an image archive holds, read from its `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArchiveInfo {
    pub id: String,
    pub tags: Vec<String>,
    pub gzipped: bool,
}

/// Reads an image archive (`.tar` or `.tar.gz`, recognised by content, not
/// name) far enough to find its image id; fails with a clear message when the
/// file is missing, not a tar, corrupt, or not a `docker save` archive.
pub fn inspect_archive(path: &Path) -> HostResult<ArchiveInfo> {
    let shown = path.display();
    let mut file = File::open(path).map_err(|e| {
        HostError::io("cannot open image archive", path, e)
            .with_hint("give the path of auth-service-docker-image-<version>.tar.gz (or .tar)")
    })?;
    if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
        return Err(HostError::invalid(format!(
            "{shown} is a directory, not an image archive"
        )));
    }
    let mut magic = [0u8; 2];
    let n = file
        .read(&mut magic)
        .map_err(|e| HostError::io("cannot read", path, e))?;
    let gzipped = n == 2 && magic == [0x1f, 0x8b];
    let file = File::open(path).map_err(|e| HostError::io("cannot open image archive", path, e))?;
    let reader: Box<dyn Read> = if gzipped {
        Box::new(flate2::read::GzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let corrupt = |e: std::io::Error| {
        // The tar reader quotes the bytes it choked on: keep one short line,
        // so a wrong file's content does not flood the report.
        let why: String = e
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(80)
            .collect();
        HostError::invalid(format!(
            "{shown} is not a readable image archive (expected a {}): {why}",
            if gzipped { "gzip-compressed tar" } else { "tar" }
        ))
        .with_hint("download it again; a Docker image archive is made by `docker save` (.tar, optionally gzip-compressed)")
    };
    let mut archive = tar::Archive::new(reader);
    let mut manifest = None;
    let mut entries_seen = 0usize;
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        entries_seen += 1;
        let p = entry.path().map_err(corrupt)?.into_owned();
        if p == Path::new("manifest.json") {
            let mut buf = Vec::new();
            entry.read_to_end(&mut buf).map_err(corrupt)?;
            manifest = Some(buf);
            // Read on to the end anyway: a truncated archive must fail here,
            // before the daemon half-loads it.
        }
    }
    let Some(manifest) = manifest else {
        let why = if entries_seen == 0 {
            "it is not a tar archive (or is empty)"
        } else {
            "it has no manifest.json, so it was not made by `docker save`"
        };
        return Err(HostError::invalid(format!("{shown} is not a Docker image archive: {why}"))
            .with_hint("a Docker image archive is made by `docker save` (.tar, optionally gzip-compressed)"));
    };
    let (id, tags) = image_id_from_manifest(&manifest).map_err(|e| {
        HostError::invalid(format!("{shown} is not a usable Docker image archive: {e}"))
    })?;
    Ok(ArchiveInfo { id, tags, gzipped })
}

/// Loads an image archive into the daemon unless the image it holds (by id)
/// is already there. The daemon itself decompresses `.tar.gz`.
pub async fn load(ctx: &Ctx, docker: &Docker, path: &Path) -> HostResult<(Outcome, ArchiveInfo)> {
    let info = inspect_archive(path)?;
    let tags = if info.tags.is_empty() {
        "untagged".to_string()
    } else {
        info.tags.join(", ")
    };
    let present = image(docker, &info.id).await?;
    if let Some(img) = present {
        // Same id, but a tag may point elsewhere (another version loaded since):
        // only then does loading change anything.
        if info.tags.iter().all(|t| img.tags.contains(t)) {
            return Ok((
                Outcome::ok(format!(
                    "image {} ({tags}) is already loaded",
                    short(&info.id)
                )),
                info,
            ));
        }
    }
    let summary = format!(
        "load image {} ({tags}) from {}",
        short(&info.id),
        path.display()
    );
    if ctx.mode.is_check() {
        return Ok((Outcome::change(ctx.mode, summary), info));
    }
    let file = File::open(path).map_err(|e| HostError::io("cannot open image archive", path, e))?;
    let chunks = ChunkReader {
        file,
        cancel: ctx.cancel.clone(),
    };
    let body = bollard::body_try_stream(futures_util::stream::iter(chunks));
    let mut stream = docker.import_image(
        ImportImageOptions {
            quiet: true,
            ..Default::default()
        },
        body,
        None,
    );
    while let Some(item) = stream.next().await {
        ctx.cancel.check()?;
        let item = item.map_err(|e| api_error(&format!("loading {}", path.display()), e))?;
        if let Some(err) = item.error_detail.and_then(|d| d.message) {
            return Err(HostError::failed(format!(
                "the daemon could not load {}: {err}",
                path.display()
            )));
        }
    }
    if image(docker, &info.id).await?.is_none() {
        return Err(HostError::failed(format!(
            "loaded {} but image {} is not present afterwards",
            path.display(),
            short(&info.id)
        )));
    }
    Ok((
        Outcome::change(
            ctx.mode,
            format!("loaded image {} ({tags})", short(&info.id)),
        ),
        info,
    ))
}

/// The archive's bytes in 1 MiB chunks, stopping on cancellation.
struct ChunkReader {
    file: File,
    cancel: Cancel,
}

impl Iterator for ChunkReader {
    type Item = Result<Bytes, std::io::Error>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.cancel.is_cancelled() {
            return Some(Err(std::io::Error::other("interrupted")));
        }
        let mut buf = vec![0u8; 1 << 20];
        match self.file.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some(Ok(Bytes::from(buf)))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

fn short(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}

// ---------------------------------------------------------------- wait

async fn sleep(cancel: &Cancel, total: Duration) -> HostResult<()> {
    let step = Duration::from_millis(100);
    let mut left = total;
    while !left.is_zero() {
        cancel.check()?;
        let d = left.min(step);
        tokio::time::sleep(d).await;
        left -= d;
    }
    cancel.check()
}

fn describe(c: &ContainerInfo) -> String {
    let mut s = format!("state {}", c.state);
    if let Some(h) = &c.health {
        s.push_str(&format!(", health {h}"));
    }
    if c.state != "running" {
        if let Some(code) = c.exit_code {
            s.push_str(&format!(", exit code {code}"));
        }
    }
    s.push_str(&format!(", restarted {} times", c.restart_count));
    if let Some(e) = &c.error {
        s.push_str(&format!(", error: {e}"));
    }
    s
}

/// Builds the error for a failed wait: state plus the container's last log lines.
async fn wait_failure(
    ctx: &Ctx,
    docker: &Docker,
    kind: ErrorKind,
    what: String,
    c: &ContainerInfo,
) -> HostError {
    let logs = match logs(ctx, docker, &c.name, Some(FAIL_LOG_LINES)).await {
        Ok(l) if l.trim().is_empty() => "(no output)".to_string(),
        Ok(l) => l.trim_end().to_string(),
        Err(e) => format!("(logs unavailable: {e})"),
    };
    HostError::new(
        kind,
        format!(
            "{what}: {}\nlast log lines of {}:\n{logs}",
            describe(c),
            c.name
        ),
    )
    .with_hint(format!(
        "see `docker logs {0}` and `docker inspect {0}`",
        c.name
    ))
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Waits until the container is running (and, with `healthy`, reports healthy
/// when it has a health check). Fails at once when it exits during the wait,
/// with its exit code and logs; on timeout, with its state, restart count,
/// exit code and logs. In check mode nothing was started, so it is skipped.
pub async fn wait_running(
    ctx: &Ctx,
    docker: &Docker,
    name: &str,
    timeout: Duration,
    healthy: bool,
) -> HostResult<(Outcome, Option<ContainerInfo>)> {
    let n = container_name(name)?.to_string();
    if ctx.mode.is_check() {
        let c = container(docker, &n).await?;
        return Ok((
            Outcome::skipped(format!("check mode: not waiting for container {n}")),
            c,
        ));
    }
    let result = wait_loop(ctx, docker, &n, timeout, healthy).await;
    ctx.progress.done();
    result.map(|(o, c)| (o, Some(c)))
}

async fn wait_loop(
    ctx: &Ctx,
    docker: &Docker,
    n: &str,
    timeout: Duration,
    healthy: bool,
) -> HostResult<(Outcome, ContainerInfo)> {
    let start = Instant::now();
    // "Started just before or during this wait" (compared in whole seconds,
    // with slack for the `docker start` that may have preceded the call).
    let began = now_secs() - 2;
    let mut first_restarts: Option<i64> = None;
    let mut last: Option<ContainerInfo> = None;
    let mut last_tick = Instant::now();
    loop {
        ctx.cancel.check()?;
        if let Some(c) = container(docker, n).await? {
            let restarts = *first_restarts.get_or_insert(c.restart_count);
            let ready = c.state == "running"
                && (!healthy || matches!(c.health.as_deref(), None | Some("healthy")));
            if ready {
                sleep(&ctx.cancel, SETTLE).await?;
                if let Some(again) = container(docker, n).await? {
                    if again.state == "running" && again.started_at == c.started_at {
                        let how = match (&again.health, healthy) {
                            (Some(h), _) => format!("running ({h})"),
                            (None, true) => "running (no health check)".to_string(),
                            (None, false) => "running".to_string(),
                        };
                        return Ok((
                            Outcome::ok(format!(
                                "{n} is {how} after {}",
                                format_duration(start.elapsed())
                            )),
                            again,
                        ));
                    }
                }
                continue;
            }
            // A container that was started for this wait and already exited
            // fails at once. One stopped earlier (e.g. by the Agent's stop
            // during a restart) has an old start time: it may yet be started,
            // so it is waited for.
            let exited_now = matches!(c.state.as_str(), "exited" | "dead")
                && c.started_at
                    .as_deref()
                    .and_then(parse_timestamp)
                    .is_some_and(|t| t >= began);
            if exited_now {
                return Err(wait_failure(
                    ctx,
                    docker,
                    ErrorKind::Failed,
                    format!("container {n} exited"),
                    &c,
                )
                .await);
            }
            if c.restart_count >= restarts + 3 {
                return Err(wait_failure(
                    ctx,
                    docker,
                    ErrorKind::Failed,
                    format!("container {n} keeps restarting"),
                    &c,
                )
                .await);
            }
            last = Some(c);
        }
        if start.elapsed() >= timeout {
            let what = format!(
                "container {n} was not running within {}",
                format_duration(timeout)
            );
            return Err(match &last {
                Some(c) => wait_failure(ctx, docker, ErrorKind::Timeout, what, c).await,
                None => HostError::new(ErrorKind::Timeout, format!("{what}: it does not exist"))
                    .with_hint("is the add-on installed (kratos addons install …) and the Agent restarted?"),
            });
        }
        if last_tick.elapsed() >= Duration::from_secs(1) {
            let state = last
                .as_ref()
                .map(|c| match &c.health {
                    Some(h) => format!("{}, {h}", c.state),
                    None => c.state.clone(),
                })
                .unwrap_or_else(|| "not created yet".into());
            ctx.progress
                .tick(&format!("container {n} ({state})"), start.elapsed());
            last_tick = Instant::now();
        }
        sleep(&ctx.cancel, POLL).await?;
    }
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

    #[test]
    fn manifest_gives_the_image_id_in_both_layouts() {
        let hex = "a".repeat(64);
        let classic =
            format!(r#"[{{"Config":"{hex}.json","RepoTags":["auth:latest"],"Layers":[]}}]"#);
        let (id, tags) = image_id_from_manifest(classic.as_bytes()).unwrap();
        assert_eq!(id, format!("sha256:{hex}"));
        assert_eq!(tags, vec!["auth:latest"]);
        let oci = format!(r#"[{{"Config":"blobs/sha256/{hex}","RepoTags":null,"Layers":[]}}]"#);
        let (id, tags) = image_id_from_manifest(oci.as_bytes()).unwrap();
        assert_eq!(id, format!("sha256:{hex}"));
        assert!(tags.is_empty());
        assert!(image_id_from_manifest(b"[]").is_err());
        assert!(image_id_from_manifest(b"{").is_err());
        assert!(image_id_from_manifest(br#"[{"Config":"x.json"}]"#).is_err());
    }

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

    fn write_tar(path: &Path, files: &[(&str, &[u8])], gzip: bool) {
        let f = File::create(path).unwrap();
        let w: Box<dyn std::io::Write> = if gzip {
            Box::new(flate2::write::GzEncoder::new(
                f,
                flate2::Compression::fast(),
            ))
        } else {
            Box::new(f)
        };
        let mut b = tar::Builder::new(w);
        for (name, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, *data).unwrap();
        }
        b.into_inner().unwrap().flush().unwrap();
    }

    use std::io::Write;

    #[test]
    fn archives_are_recognised_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let hex = "b".repeat(64);
        let manifest = format!(r#"[{{"Config":"{hex}.json","RepoTags":["auth:latest"]}}]"#);
        for gzip in [false, true] {
            let p = dir.path().join(format!("a-{gzip}.tar"));
            write_tar(&p, &[("manifest.json", manifest.as_bytes())], gzip);
            let info = inspect_archive(&p).unwrap();
            assert_eq!(info.id, format!("sha256:{hex}"));
            assert_eq!(info.gzipped, gzip);
        }
        let missing = inspect_archive(&dir.path().join("nope.tar.gz")).unwrap_err();
        assert_eq!(missing.kind, ErrorKind::NotFound);
        let text = dir.path().join("text.tar");
        std::fs::write(
            &text,
            "hello, this is not a tar archive at all\n".repeat(20),
        )
        .unwrap();
        let e = inspect_archive(&text).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        let no_manifest = dir.path().join("plain.tar");
        write_tar(&no_manifest, &[("hello.txt", b"hi")], false);
        let e = inspect_archive(&no_manifest).unwrap_err();
        assert!(e.message.contains("docker save"), "{}", e.message);
        let gz = dir.path().join("a-true.tar");
        let bytes = std::fs::read(&gz).unwrap();
        let truncated = dir.path().join("truncated.tar.gz");
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let e = inspect_archive(&truncated).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{}", e.message);
    }
}
