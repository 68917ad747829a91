//! Archives: the stand-in add-on archives that `scripts/sandbox.sh addon
//! VERSION` builds (image `auth`), hand-made tars, and gzip both ways.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

/// The add-on versions the suite builds (scripts/test.sh).
pub const OLD: &str = "5.14.0.1968";
pub const NEW: &str = "5.15.0.2001";

/// `.build/addon/auth-service-docker-image-VERSION.tar.gz`, which must exist.
pub fn addon(version: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".build/addon")
        .join(format!("auth-service-docker-image-{version}.tar.gz"));
    assert!(
        p.is_file(),
        "{} is missing: run scripts/sandbox.sh addon {version}",
        p.display()
    );
    p
}

/// `addon_archive=PATH` for `--set`.
pub fn addon_arg(version: &str) -> String {
    format!("addon_archive={}", addon(version).display())
}

/// `src` uncompressed into `dir`, named without `.gz`: the `.tar` kratos wants.
pub fn gunzip(src: &Path, dir: &Path) -> PathBuf {
    let name = src.file_name().unwrap().to_str().unwrap();
    let out = dir.join(name.trim_end_matches(".gz"));
    let mut d = flate2::read::GzDecoder::new(std::fs::File::open(src).unwrap());
    let mut f = std::fs::File::create(&out).unwrap();
    std::io::copy(&mut d, &mut f).unwrap();
    out
}

/// A tar of these files (name, bytes), e.g. a `docker save`-like one with
/// a `manifest.json` of the test's choosing.
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}
