//! Image archives (`docker save` output): what they hold, and loading them.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use bollard::Docker;
use bollard::query_parameters::ImportImageOptions;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::Serialize;

use super::{api_error, image};
use crate::host::{Cancel, Ctx, HostError, HostResult, Outcome};

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
    use std::io::{Seek, SeekFrom};
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let shown = path.display();
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(|e| {
            HostError::io("cannot open image archive", path, e)
                .with_hint("give the path of auth-service-docker-image-<version>.tar.gz (or .tar)")
        })?;
    let kind = file
        .metadata()
        .map_err(|e| HostError::io("cannot read", path, e))?
        .file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a device"
        };
        return Err(HostError::invalid(format!(
            "{shown} is {what}, not an image archive"
        ))
        .with_hint("give the path of auth-service-docker-image-<version>.tar.gz (or .tar), a file made by `docker save`"));
    }
    let mut magic = [0u8; 2];
    let n = file
        .read(&mut magic)
        .map_err(|e| HostError::io("cannot read", path, e))?;
    let gzipped = n == 2 && magic == [0x1f, 0x8b];
    file.seek(SeekFrom::Start(0))
        .map_err(|e| HostError::io("cannot read", path, e))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::ErrorKind;

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
