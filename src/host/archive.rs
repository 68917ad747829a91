//! `gunzip`: streaming, idempotent, and never a partial destination.

use std::fs::File;
use std::io::{BufReader, ErrorKind as IoKind, Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::fs::{self, FileMode, atomic::TempFile};
use super::{Ctx, HostError, HostResult, Outcome};

const CHUNK: usize = 64 * 1024;
/// A decompressed file (a Docker image) is not secret.
const DEST_MODE: FileMode = FileMode::from_bits_const(0o644);

fn open_gzip(src: &Path, label: &str) -> HostResult<MultiGzDecoder<BufReader<File>>> {
    let mut f = File::open(src).map_err(|e| HostError::io("cannot open", src, e))?;
    let mut magic = [0u8; 2];
    let n = read_full(&mut f, &mut magic).map_err(|e| HostError::io("cannot read", src, e))?;
    if n < 2 || magic != [0x1f, 0x8b] {
        return Err(HostError::invalid(format!(
            "{label} is not a gzip file (it does not start with the gzip signature)"
        ))
        .with_hint("give the .tar.gz archive; a .tar needs no gunzip"));
    }
    // Reopen rather than seek: keeps the reader simple and the check cheap.
    let f = File::open(src).map_err(|e| HostError::io("cannot open", src, e))?;
    Ok(MultiGzDecoder::new(BufReader::with_capacity(CHUNK, f)))
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == IoKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn corrupt(label: &str, e: std::io::Error) -> HostError {
    HostError::invalid(format!(
        "{label} is truncated or corrupt: {e}; nothing was written"
    ))
    .with_hint("download the archive again and check its size or checksum")
}

/// True when `dest` holds exactly the decompressed content of `src`,
/// compared chunk by chunk in constant memory.
fn same_content(ctx: &Ctx, src: &Path, label: &str, dest: &Path) -> HostResult<bool> {
    let mut gz = open_gzip(src, label)?;
    let mut d = BufReader::with_capacity(
        CHUNK,
        File::open(dest).map_err(|e| HostError::io("cannot open", dest, e))?,
    );
    let mut a = vec![0u8; CHUNK];
    let mut b = vec![0u8; CHUNK];
    loop {
        ctx.cancel.check()?;
        let n = read_full(&mut gz, &mut a).map_err(|e| corrupt(label, e))?;
        let m = read_full(&mut d, &mut b).map_err(|e| HostError::io("cannot read", dest, e))?;
        if n != m || a[..n] != b[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

/// Decompresses `src` into `dest` unless `dest` already holds that content.
pub fn gunzip(ctx: &Ctx, src: &str, dest: &str) -> HostResult<Outcome> {
    let s = fs::absolute(src)?;
    let d = fs::absolute(dest)?;
    if fs::stat(&s)?.is_none() {
        return Err(HostError::not_found(format!("{src} does not exist"))
            .with_hint("check the archive's path"));
    }
    match fs::stat(&d)? {
        Some(st) if st.kind != fs::Kind::File => {
            return Err(HostError::new(
                super::ErrorKind::Conflict,
                format!("{dest} exists but is a {}, not a file", st.kind.as_str()),
            ));
        }
        Some(_) if same_content(ctx, &s, src, &d)? => {
            return Ok(Outcome::ok("already decompressed"));
        }
        _ => {}
    }
    let mut gz = open_gzip(&s, src)?;
    if ctx.mode.is_apply() {
        let dir = d.parent().unwrap_or(Path::new("/"));
        if fs::stat(dir)?.is_none() {
            return Err(HostError::not_found(format!(
                "directory {} does not exist",
                dir.display()
            ))
            .with_hint(format!(
                "create it first with fs::mkdir(\"{}\", #{{parents: true}})",
                dir.display()
            )));
        }
        // A temp file renamed at the end: a corrupt archive leaves no partial dest.
        let mut tmp = TempFile::create(&d, DEST_MODE, None, None)?;
        let tmp_path = tmp.path().to_path_buf();
        let mut buf = vec![0u8; CHUNK];
        let mut total: u64 = 0;
        loop {
            ctx.cancel.check()?;
            let n = read_full(&mut gz, &mut buf).map_err(|e| corrupt(src, e))?;
            if n == 0 {
                break;
            }
            tmp.file()?
                .write_all(&buf[..n])
                .map_err(|e| HostError::io("cannot write", &tmp_path, e))?;
            total += n as u64;
        }
        tmp.commit()?;
        return Ok(Outcome::change(
            ctx.mode,
            format!("decompressed {total} bytes into {dest}"),
        ));
    }
    Ok(Outcome::change(ctx.mode, format!("decompress into {dest}")))
}
