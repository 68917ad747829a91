//! Reads what an x86-64 ELF executable needs from the C library, the way the
//! dynamic loader sees it: the program headers, the dynamic section, and the
//! GNU version needs (`DT_VERNEED`, what `objdump -p` prints under "Version
//! References"). `runbook --version` uses it on `/proc/self/exe`, so the glibc
//! it reports is read from the binary that runs, not guessed at build time.
//!
//! Only ELF64 little-endian is read (every supported Agent host is x86-64).
//! Section headers are not used: a loader does not need them, and neither
//! does this reader.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;

const DT_NULL: i64 = 0;
const DT_NEEDED: i64 = 1;
const DT_STRTAB: i64 = 5;
const DT_STRSZ: i64 = 10;
const DT_VERNEED: i64 = 0x6fff_fffe;
const DT_VERNEEDNUM: i64 = 0x6fff_ffff;

/// Bounds that keep a damaged file from making the reader loop or allocate
/// without end; real executables are far below them.
const MAX_PHNUM: u64 = 4096;
const MAX_DYN_ENTRIES: u64 = 65_536;
const MAX_STRTAB: u64 = 16 << 20;
const MAX_VERNEED: u64 = 4096;

#[derive(Debug)]
pub enum ElfError {
    Io(io::Error),
    /// Not an ELF64 little-endian file, or a structure points outside it.
    Malformed(&'static str),
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ElfError::Io(e) => write!(f, "{e}"),
            ElfError::Malformed(what) => write!(f, "not a readable ELF64 file: {what}"),
        }
    }
}

impl From<io::Error> for ElfError {
    fn from(e: io::Error) -> Self {
        ElfError::Io(e)
    }
}

type Result<T> = std::result::Result<T, ElfError>;

/// Random access to the bytes of a file (a `File`, or a byte slice in tests).
pub trait ReadAt {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
}

impl ReadAt for File {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        FileExt::read_exact_at(self, buf, offset)
    }
}

impl ReadAt for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let start = usize::try_from(offset).ok().filter(|&s| s <= self.len());
        let end = start.and_then(|s| s.checked_add(buf.len()));
        match (start, end) {
            (Some(s), Some(e)) if e <= self.len() => {
                buf.copy_from_slice(&self[s..e]);
                Ok(())
            }
            _ => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    }
}

/// What the loader is asked for: the interpreter, the libraries, and the
/// symbol versions needed from each library.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Needs {
    /// `PT_INTERP`, e.g. `/lib64/ld-linux-x86-64.so.2`.
    pub interpreter: Option<String>,
    /// `DT_NEEDED` entries, in order.
    pub libraries: Vec<String>,
    /// `(library, version)` pairs from the version needs, e.g. `("libc.so.6", "GLIBC_2.17")`.
    pub versions: Vec<(String, String)>,
}

/// What a binary needs from the C library.
#[derive(Debug, PartialEq, Eq)]
pub enum Libc {
    /// No interpreter and no shared libraries: runs without any libc installed.
    Static,
    /// Needs glibc of at least this version (the highest `GLIBC_x.y[.z]` it references).
    Glibc(Vec<u32>),
    /// Dynamically linked, but references no `GLIBC_` symbol version.
    Unversioned,
}

impl fmt::Display for Libc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Libc::Static => f.write_str("static"),
            Libc::Glibc(v) => {
                let parts: Vec<String> = v.iter().map(u32::to_string).collect();
                f.write_str(&parts.join("."))
            }
            Libc::Unversioned => f.write_str("unversioned"),
        }
    }
}

impl Needs {
    /// The lowest glibc this binary can run on. Versions from every library
    /// count (libm's and libpthread's `GLIBC_` versions are glibc's too).
    pub fn libc(&self) -> Libc {
        if self.interpreter.is_none() && self.libraries.is_empty() {
            return Libc::Static;
        }
        self.versions
            .iter()
            .filter_map(|(_, v)| glibc_version(v))
            .max_by(|a, b| compare_versions(a, b))
            .map_or(Libc::Unversioned, Libc::Glibc)
    }
}

/// `GLIBC_2.2.5` -> `[2, 2, 5]`; `GLIBC_PRIVATE` and other names -> `None`.
pub fn glibc_version(name: &str) -> Option<Vec<u32>> {
    let rest = name.strip_prefix("GLIBC_")?;
    rest.split('.').map(|p| p.parse::<u32>().ok()).collect()
}

/// Part by part; a missing part counts as 0 (`2.17` == `2.17.0`).
pub fn compare_versions(a: &[u32], b: &[u32]) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            let x = a.get(i).copied().unwrap_or(0);
            let y = b.get(i).copied().unwrap_or(0);
            x.cmp(&y)
        })
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

pub fn read_path(path: &Path) -> Result<Needs> {
    read(&File::open(path)?)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn read_vec<R: ReadAt + ?Sized>(r: &R, offset: u64, len: u64) -> Result<Vec<u8>> {
    let len = usize::try_from(len).map_err(|_| ElfError::Malformed("size"))?;
    let mut buf = vec![0; len];
    r.read_exact_at(&mut buf, offset).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            ElfError::Malformed("truncated")
        } else {
            ElfError::Io(e)
        }
    })?;
    Ok(buf)
}

struct Load {
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

/// A virtual address inside a loaded segment -> its offset in the file.
fn file_offset(loads: &[Load], vaddr: u64) -> Result<u64> {
    loads
        .iter()
        .find(|l| vaddr >= l.vaddr && vaddr - l.vaddr < l.filesz)
        .map(|l| l.offset + (vaddr - l.vaddr))
        .ok_or(ElfError::Malformed("address outside every loaded segment"))
}

/// The NUL-terminated string at `at` in a string table.
fn string(strtab: &[u8], at: u64) -> Result<String> {
    let at = usize::try_from(at).map_err(|_| ElfError::Malformed("string offset"))?;
    let tail = strtab.get(at..).ok_or(ElfError::Malformed(
        "string offset outside the string table",
    ))?;
    let end = tail
        .iter()
        .position(|&c| c == 0)
        .ok_or(ElfError::Malformed("unterminated string"))?;
    Ok(String::from_utf8_lossy(&tail[..end]).into_owned())
}

pub fn read<R: ReadAt + ?Sized>(r: &R) -> Result<Needs> {
    let ehdr = read_vec(r, 0, 64)?;
    if ehdr[..4] != *b"\x7fELF" {
        return Err(ElfError::Malformed("no ELF magic"));
    }
    if ehdr[4] != 2 || ehdr[5] != 1 {
        return Err(ElfError::Malformed("not 64-bit little-endian"));
    }
    let phoff = u64_at(&ehdr, 32);
    let phentsize = u64::from(u16_at(&ehdr, 54));
    let phnum = u64::from(u16_at(&ehdr, 56));
    if phentsize < 56 || phnum > MAX_PHNUM {
        return Err(ElfError::Malformed("program header table"));
    }
    let phdrs = read_vec(r, phoff, phentsize * phnum)?;

    let mut needs = Needs::default();
    let mut loads = Vec::new();
    let mut dynamic = None;
    for i in 0..phnum as usize {
        let p = &phdrs[i * phentsize as usize..][..56];
        let (kind, offset, vaddr, filesz) =
            (u32_at(p, 0), u64_at(p, 8), u64_at(p, 16), u64_at(p, 32));
        match kind {
            PT_LOAD => loads.push(Load {
                offset,
                vaddr,
                filesz,
            }),
            PT_DYNAMIC => dynamic = Some((offset, filesz)),
            PT_INTERP => {
                let raw = read_vec(r, offset, filesz.min(4096))?;
                needs.interpreter = Some(string(&raw, 0)?);
            }
            _ => {}
        }
    }
    let Some((dyn_offset, dyn_size)) = dynamic else {
        return Ok(needs);
    };

    let entries = (dyn_size / 16).min(MAX_DYN_ENTRIES);
    let dyns = read_vec(r, dyn_offset, entries * 16)?;
    let (mut strtab, mut strsz, mut verneed, mut verneednum) = (None, None, None, 0);
    let mut needed = Vec::new();
    for e in dyns.chunks_exact(16) {
        let (tag, val) = (u64_at(e, 0) as i64, u64_at(e, 8));
        match tag {
            DT_NULL => break,
            DT_NEEDED => needed.push(val),
            DT_STRTAB => strtab = Some(val),
            DT_STRSZ => strsz = Some(val),
            DT_VERNEED => verneed = Some(val),
            DT_VERNEEDNUM => verneednum = val,
            _ => {}
        }
    }
    if needed.is_empty() && verneed.is_none() {
        return Ok(needs);
    }
    let (Some(strtab), Some(strsz)) = (strtab, strsz) else {
        return Err(ElfError::Malformed(
            "dynamic section without a string table",
        ));
    };
    if strsz > MAX_STRTAB {
        return Err(ElfError::Malformed("string table too large"));
    }
    let strings = read_vec(r, file_offset(&loads, strtab)?, strsz)?;
    for at in needed {
        needs.libraries.push(string(&strings, at)?);
    }

    if let Some(vaddr) = verneed {
        if verneednum > MAX_VERNEED {
            return Err(ElfError::Malformed("too many version needs"));
        }
        let mut at = file_offset(&loads, vaddr)?;
        for _ in 0..verneednum {
            let vn = read_vec(r, at, 16)?;
            let (count, file, aux, next) = (
                u64::from(u16_at(&vn, 2)),
                u32_at(&vn, 4),
                u32_at(&vn, 8),
                u32_at(&vn, 12),
            );
            if count > MAX_VERNEED {
                return Err(ElfError::Malformed("too many versions in one need"));
            }
            let library = string(&strings, u64::from(file))?;
            let mut aux_at = at + u64::from(aux);
            for _ in 0..count {
                let vna = read_vec(r, aux_at, 16)?;
                let (name, aux_next) = (u32_at(&vna, 8), u32_at(&vna, 12));
                needs
                    .versions
                    .push((library.clone(), string(&strings, u64::from(name))?));
                if aux_next == 0 {
                    break;
                }
                aux_at += u64::from(aux_next);
            }
            if next == 0 {
                break;
            }
            at += u64::from(next);
        }
    }
    Ok(needs)
}

#[cfg(test)]
mod tests;
