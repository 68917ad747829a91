//! fs primitives on real files in temp dirs (run as root, like CI).

use std::io::BufRead;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use runbook::host::fs::{self, Allow, AttrOpts, Content, MkdirOpts, WriteOpts};
use runbook::host::{Ctx, ErrorKind, Mode, Status};

use crate::common::child;

mod children;
mod links;

fn apply() -> Ctx {
    Ctx::plain(Mode::Apply)
}

fn check() -> Ctx {
    Ctx::plain(Mode::Check)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn mode_of(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn with_mode(m: &str) -> WriteOpts {
    WriteOpts {
        attrs: AttrOpts {
            mode: Some(m.into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".runbook-tmp."))
        .collect()
}

#[test]
fn write_creates_then_is_idempotent_then_changes() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("credentials");
    let o = fs::write(
        &apply(),
        &s(&f),
        Content::plain(b"one\n"),
        &with_mode("540"),
    )
    .unwrap();
    assert_eq!(o.status, Status::Changed);
    assert_eq!(std::fs::read(&f).unwrap(), b"one\n");
    assert_eq!(mode_of(&f), 0o540);

    let ino = std::fs::metadata(&f).unwrap().ino();
    let o = fs::write(
        &apply(),
        &s(&f),
        Content::plain(b"one\n"),
        &with_mode("0540"),
    )
    .unwrap();
    assert_eq!(o.status, Status::Ok);
    assert_eq!(
        std::fs::metadata(&f).unwrap().ino(),
        ino,
        "no write when nothing differs"
    );

    let o = fs::write(
        &apply(),
        &s(&f),
        Content::plain(b"two\n"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::Changed);
    assert_eq!(std::fs::read(&f).unwrap(), b"two\n");
    assert_eq!(mode_of(&f), 0o540, "an existing file keeps its mode");
    assert!(temp_files(d.path()).is_empty());
}

#[test]
fn check_mode_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("x");
    let o = fs::write(
        &check(),
        &s(&f),
        Content::plain(b"x"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::WouldChange);
    assert!(!f.exists());
    std::fs::write(&f, "x").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = fs::chmod(&check(), &s(&f), "600", Allow::default()).unwrap();
    assert_eq!(o.status, Status::WouldChange);
    assert_eq!(o.summary, "mode 0644 -> 0600");
    assert_eq!(mode_of(&f), 0o644);
    let o = fs::mkdir(&check(), &s(&d.path().join("sub")), &MkdirOpts::default()).unwrap();
    assert_eq!(o.status, Status::WouldChange);
    assert!(!d.path().join("sub").exists());
    let o = fs::remove(&check(), &s(&f)).unwrap();
    assert_eq!(o.status, Status::WouldChange);
    assert!(f.exists());
}

#[test]
fn new_secret_file_is_owner_only_and_diff_is_masked() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("key");
    let mut ctx = apply();
    ctx.diff = true;
    let o = fs::write(
        &ctx,
        &s(&f),
        Content::secret(b"hunter2\n"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert_eq!(mode_of(&f), 0o600);
    let diff = o.diff.unwrap();
    assert_contains!(diff, "+********");
    assert_not_contains!(diff, "hunter2");
    let o = fs::write(
        &ctx,
        &s(&f),
        Content::plain(b"a\nb\n"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert_contains!(o.diff.unwrap(), "+b");
}

#[test]
fn umask_does_not_narrow_the_requested_mode() {
    // The umask is the whole process's: change it only in a child that runs
    // this test alone, never under the tests running beside it.
    if !child::is_child() {
        child::run(&mut child::command(
            module_path!(),
            "umask_does_not_narrow_the_requested_mode",
        ));
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("wide");
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let r = fs::write(&apply(), &s(&f), Content::plain(b"x"), &with_mode("0755"));
    let dir = d.path().join("dir");
    let r2 = fs::mkdir(
        &apply(),
        &s(&dir),
        &MkdirOpts {
            attrs: AttrOpts {
                mode: Some("750".into()),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    nix::sys::stat::umask(old);
    r.unwrap();
    r2.unwrap();
    assert_eq!(mode_of(&f), 0o755);
    assert_eq!(mode_of(&dir), 0o750);
}

#[test]
fn backup_keeps_the_previous_version_with_its_mode() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("conf");
    fs::write(&apply(), &s(&f), Content::plain(b"old"), &with_mode("640")).unwrap();
    let opts = WriteOpts {
        backup: true,
        ..Default::default()
    };
    let o = fs::write(&apply(), &s(&f), Content::plain(b"new"), &opts).unwrap();
    assert_contains!(o.summary, "backup");
    let baks: Vec<PathBuf> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(baks.len(), 1);
    let name = baks[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(
        name.starts_with("conf.") && name.len() == "conf.".len() + 14 + ".bak".len(),
        "{name}"
    );
    assert_eq!(std::fs::read(&baks[0]).unwrap(), b"old");
    assert_eq!(mode_of(&baks[0]), 0o640);
}

#[test]
fn stale_temp_files_are_removed_on_the_next_write() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("credentials");
    let stale = d.path().join(".credentials.runbook-tmp.999999.0");
    std::fs::write(&stale, "half a secret").unwrap();
    let other = d.path().join(".other.runbook-tmp.1.0");
    std::fs::write(&other, "x").unwrap();
    fs::write(
        &apply(),
        &s(&f),
        Content::plain(b"x"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert!(!stale.exists());
    assert!(
        other.exists(),
        "the temp file of a process that runs (pid 1) is left alone"
    );

    // Also when the write itself has nothing to do.
    std::fs::write(&stale, "half a secret").unwrap();
    let o = fs::write(
        &apply(),
        &s(&f),
        Content::plain(b"x"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::Ok);
    assert!(!stale.exists());
}

/// With `follow_symlinks: true` a write goes to the file a link points to,
/// and the link stays; chmod and mkdir follow it too.
#[test]
fn follow_symlinks_writes_the_target_and_keeps_the_link() {
    let d = tempfile::tempdir().unwrap();
    let real = d.path().join("real");
    let link = d.path().join("link");
    std::fs::write(&real, "old").unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let follow = Allow {
        follow_symlinks: true,
        ..Default::default()
    };
    for content in [Content::plain(b"new"), Content::secret(b"hunter2")] {
        fs::write(
            &apply(),
            &s(&link),
            content,
            &WriteOpts {
                allow: follow,
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).unwrap(), content.bytes);
    }
    fs::chmod(&apply(), &s(&link), "604", follow).unwrap();
    assert_eq!(mode_of(&real), 0o604);
    let rdir = d.path().join("rdir");
    std::fs::create_dir(&rdir).unwrap();
    let ldir = d.path().join("ldir");
    std::os::unix::fs::symlink(&rdir, &ldir).unwrap();
    let opts = MkdirOpts {
        attrs: AttrOpts {
            mode: Some("700".into()),
            ..Default::default()
        },
        allow: follow,
        ..Default::default()
    };
    fs::mkdir(&apply(), &s(&ldir), &opts).unwrap();
    assert_eq!(mode_of(&rdir), 0o700);
    // A link to nothing cannot be followed: said so, nothing created.
    let dangling = d.path().join("dangling");
    std::os::unix::fs::symlink(d.path().join("nowhere"), &dangling).unwrap();
    let e = fs::write(
        &apply(),
        &s(&dangling),
        Content::plain(b"x"),
        &WriteOpts {
            allow: follow,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_contains!(e.message, "cannot be followed");
    assert!(!d.path().join("nowhere").exists());
}

#[test]
fn mkdir_chmod_chgrp_chown_remove() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("a/b/.aws");
    let opts = MkdirOpts {
        attrs: AttrOpts {
            mode: Some("750".into()),
            owner: Some("root".into()),
            group: Some("0".into()),
        },
        parents: true,
        ..Default::default()
    };
    assert_eq!(
        fs::mkdir(&apply(), &s(&dir), &opts).unwrap().status,
        Status::Changed
    );
    assert_eq!(mode_of(&dir), 0o750);
    assert_eq!(
        fs::mkdir(&apply(), &s(&dir), &opts).unwrap().status,
        Status::Ok
    );

    let f = dir.join("credentials");
    std::fs::write(&f, "x").unwrap();
    assert_eq!(
        fs::chmod(&apply(), &s(&f), "540", Allow::default())
            .unwrap()
            .status,
        Status::Changed
    );
    assert_eq!(
        fs::chmod(&apply(), &s(&f), "0540", Allow::default())
            .unwrap()
            .status,
        Status::Ok
    );
    let o = fs::chgrp(&apply(), &s(&f), "nogroup", Allow::default()).unwrap();
    assert_eq!(o.status, Status::Changed);
    assert_contains!(o.summary, "group root -> nogroup");
    assert_eq!(std::fs::metadata(&f).unwrap().gid(), 65534);
    assert_eq!(
        fs::chgrp(&apply(), &s(&f), "65534", Allow::default())
            .unwrap()
            .status,
        Status::Ok
    );
    assert_eq!(
        fs::chown(&apply(), &s(&f), Some("nobody"), None, Allow::default())
            .unwrap()
            .status,
        Status::Changed
    );
    assert_eq!(std::fs::metadata(&f).unwrap().uid(), 65534);

    let st = fs::stat_path(&s(&f)).unwrap().unwrap();
    assert_eq!(st.mode.to_string(), "0540");
    assert_eq!(
        (st.owner(), st.group(), st.size),
        ("nobody".into(), "nogroup".into(), 1)
    );

    assert_eq!(
        fs::remove(&apply(), &s(&f)).unwrap().status,
        Status::Changed
    );
    assert_eq!(fs::remove(&apply(), &s(&f)).unwrap().status, Status::Ok);
    assert!(fs::stat_path(&s(&f)).unwrap().is_none());
    assert_eq!(fs::read(&s(&f)).unwrap(), None);
    assert!(!fs::exists(&s(&f)).unwrap());
}

#[test]
fn bad_input_is_refused_with_the_input_and_the_fix() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("f");
    std::fs::write(&f, "x").unwrap();
    let w = |p: &str, o: &WriteOpts| fs::write(&apply(), p, Content::plain(b"x"), o).unwrap_err();

    let e = w("relative/f", &WriteOpts::default());
    assert_contains!(e.message, "'relative/f' is relative");
    assert_contains!(e.message, "absolute");
    assert_contains!(w("", &WriteOpts::default()).message, "path is empty");

    for bad in ["999", "rwx"] {
        let e = fs::chmod(&apply(), &s(&f), bad, Allow::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_contains!(e.message, &format!("'{bad}'"));
        assert_contains!(e.message, "e.g. \"540\"");
    }

    let e = fs::chown(
        &apply(),
        &s(&f),
        Some("no-such-user-rb"),
        None,
        Allow::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_contains!(e.message, "user 'no-such-user-rb' does not exist");
    // The sandbox is an Agent host, where alationdocker exists: use a name no host has.
    let e = fs::chgrp(&apply(), &s(&f), "no-such-group-rb", Allow::default()).unwrap_err();
    assert_eq!(
        e.message,
        "group 'no-such-group-rb' does not exist on this host; check the spelling, or create it first (groupadd)"
    );

    let missing = d.path().join("nope/credentials");
    let e = w(&s(&missing), &WriteOpts::default());
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert_contains!(e.message, "does not exist");
    assert_contains!(e.hint.unwrap(), "parents: true");
    assert!(!missing.parent().unwrap().exists());
    let o = fs::write(
        &apply(),
        &s(&missing),
        Content::plain(b"x"),
        &WriteOpts {
            parents: true,
            ..Default::default()
        },
    );
    assert_eq!(o.unwrap().status, Status::Changed);
    assert_eq!(std::fs::read(&missing).unwrap(), b"x");
}

/// A plan where an earlier step would create the folder: check mode says what
/// it would do once the folder exists, instead of failing the whole plan.
#[test]
fn check_mode_write_into_a_folder_an_earlier_step_would_create() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("later/credentials");
    let o = fs::write(
        &check(),
        &s(&f),
        Content::plain(b"x"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::WouldChange);
    assert_contains!(o.summary, "does not yet");
    assert!(!d.path().join("later").exists());
    // Applying still refuses: the folder really is missing.
    assert!(
        fs::write(
            &apply(),
            &s(&f),
            Content::plain(b"x"),
            &WriteOpts::default()
        )
        .is_err()
    );
}
