//! gunzip on real files.

use std::os::unix::fs::MetadataExt;

use runbook::host::archive::gunzip;
use runbook::host::{Ctx, ErrorKind, Mode, Status};

use crate::common::archive::gzip;

fn apply() -> Ctx {
    Ctx::plain(Mode::Apply)
}

fn payload() -> Vec<u8> {
    (0..500_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect()
}

#[test]
fn decompresses_once_then_is_ok() {
    let d = tempfile::tempdir().unwrap();
    let src = d
        .path()
        .join("auth-service-docker-image-5.14.0.1968.tar.gz");
    let dest = d.path().join("auth.tar");
    std::fs::write(&src, gzip(&payload())).unwrap();
    let (s, t) = (src.display().to_string(), dest.display().to_string());
    assert_eq!(
        gunzip(&Ctx::plain(Mode::Check), &s, &t).unwrap().status,
        Status::WouldChange
    );
    assert!(!dest.exists());
    assert_eq!(gunzip(&apply(), &s, &t).unwrap().status, Status::Changed);
    assert_eq!(std::fs::read(&dest).unwrap(), payload());
    let ino = std::fs::metadata(&dest).unwrap().ino();
    assert_eq!(gunzip(&apply(), &s, &t).unwrap().status, Status::Ok);
    assert_eq!(std::fs::metadata(&dest).unwrap().ino(), ino);
    // A differing dest (same length) is replaced.
    let mut other = payload();
    other[12345] ^= 1;
    std::fs::write(&dest, other).unwrap();
    assert_eq!(gunzip(&apply(), &s, &t).unwrap().status, Status::Changed);
    assert_eq!(std::fs::read(&dest).unwrap(), payload());
}

#[test]
fn not_gzip_and_truncated_are_refused_without_partial_dest() {
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("image.tar.gz");
    let dest = d.path().join("image.tar");
    let (s, t) = (src.display().to_string(), dest.display().to_string());
    std::fs::write(&src, b"this is a plain tar, not gzip").unwrap();
    let e = gunzip(&apply(), &s, &t).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert_contains!(e.message, &s);
    assert_contains!(e.message, "not a gzip file");
    assert!(!dest.exists());

    let full = gzip(&payload());
    std::fs::write(&src, &full[..full.len() / 2]).unwrap();
    let e = gunzip(&apply(), &s, &t).unwrap_err();
    assert_contains!(e.message, &s);
    assert_contains!(e.message, "truncated or corrupt");
    assert_contains!(e.hint.unwrap(), "download the archive again");
    assert!(!dest.exists(), "no partial dest");
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "only the source remains: {left:?}");
}
