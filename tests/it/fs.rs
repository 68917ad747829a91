//! fs primitives on real files in temp dirs (run as root, like CI).

use std::io::BufRead;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use runbook::host::fs::{self, Allow, AttrOpts, Content, MkdirOpts, WriteOpts};
use runbook::host::{Ctx, ErrorKind, Mode, Status};

use crate::common::child;

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

/// The child running [`helper_process`] with `helper` on `arg`.
fn helper(helper: &str, arg: &Path) -> Command {
    let mut cmd = child::command(module_path!(), "helper_process");
    cmd.env("FS_TEST_HELPER", helper).env("FS_TEST_ARG", arg);
    cmd
}

/// Runs one helper of this test binary as `nobody` and returns its stdout.
fn as_nobody(name: &str, arg: &Path) -> String {
    use std::os::unix::process::CommandExt;
    child::run(helper(name, arg).uid(65534).gid(65534))
}

#[test]
fn chown_and_require_root_as_non_root_say_to_use_sudo() {
    let d = tempfile::Builder::new().prefix("rb-fs").tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let f = d.path().join("f");
    std::fs::write(&f, "x").unwrap();
    let out = as_nobody("chown", &f);
    assert_contains!(out, "RESULT access_denied");
    assert_contains!(out, "needs root");
    assert_contains!(out, "sudo");
    let out = as_nobody("require_root", &f);
    assert_contains!(out, "RESULT access_denied");
    assert_contains!(out, "sudo");
    assert_eq!(std::fs::metadata(&f).unwrap().uid(), 0);
}

/// Crash safety: kill a writer at random moments; the target is always the
/// old or the new content, with the requested mode.
#[test]
fn killed_writers_never_leave_a_partial_or_wider_file() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("target");
    let (a, b) = contents();
    std::fs::write(&f, &a).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut seen_b = 0;
    for _ in 0..120 {
        let mut child = helper("writer", &f)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the writer loop runs, so every kill lands during writes
        // even on a loaded machine.
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines.any(|l| l.is_ok_and(|l| l.contains("WRITER READY"))));
        // xorshift: varied kill moments without a rand dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % 20_000));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        child.wait().unwrap();
        let got = std::fs::read(&f).unwrap();
        assert!(got == a || got == b, "partial content: {} bytes", got.len());
        if got == b {
            seen_b += 1;
        }
        assert_eq!(mode_of(&f), 0o640);
        for t in temp_files(d.path()) {
            let m = mode_of(&d.path().join(&t));
            assert_eq!(
                m & !0o640,
                0,
                "temp file {t} is wider than requested: {m:o}"
            );
        }
    }
    assert!(seen_b > 0, "the writer never got to write");
    fs::write(
        &apply(),
        &s(&f),
        Content::plain(b"final"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert!(
        temp_files(d.path()).is_empty(),
        "stale: {:?}",
        temp_files(d.path())
    );
}

fn contents() -> (Vec<u8>, Vec<u8>) {
    (vec![b'a'; 200_000], vec![b'b'; 300_000])
}

/// Not a test on its own: the child side of the tests above, selected by
/// `FS_TEST_HELPER`. Without it, it does nothing.
#[test]
#[ignore = "the child side of other fs tests, which run it"]
fn helper_process() {
    let Ok(helper) = std::env::var("FS_TEST_HELPER") else {
        return;
    };
    let arg = std::env::var("FS_TEST_ARG").unwrap();
    let report = |r: runbook::host::HostResult<runbook::host::Outcome>| match r {
        Ok(o) => println!("RESULT {}", o.status.as_str()),
        Err(e) => println!(
            "RESULT {} {} {}",
            e.kind,
            e.message,
            e.hint.unwrap_or_default()
        ),
    };
    match helper.as_str() {
        "chown" => report(fs::chown(
            &apply(),
            &arg,
            Some("nobody"),
            None,
            Allow::default(),
        )),
        "require_root" => report(
            fs::require_root("writing the credentials file")
                .map(|_| runbook::host::Outcome::ok("")),
        ),
        "hold_temp" => {
            use std::io::Write;
            let mut t = fs::atomic::TempFile::create(
                Path::new(&arg),
                fs::FileMode::from_bits(0o600),
                None,
                None,
            )
            .unwrap();
            t.file().unwrap().write_all(b"hunter2").unwrap();
            println!("HOLDING");
            std::thread::sleep(Duration::from_secs(60));
        }
        "writer" => {
            let (a, b) = contents();
            println!("WRITER READY");
            loop {
                for c in [&b, &a] {
                    fs::write(&apply(), &arg, Content::plain(c), &with_mode("640")).unwrap();
                }
            }
        }
        other => panic!("unknown helper {other}"),
    }
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

// ---- Issue 18: links, untrusted folders, FIFOs, temp files, modes ----

/// Runs `f` on a thread and fails the test if it does not return within 10 s
/// (a FIFO opened for reading blocks until a writer comes).
fn within_10s<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("{what} hangs"))
}

fn mkfifo(p: &Path) {
    nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
}

fn snapshot(p: &Path) -> (Vec<u8>, u32, u32, u32, u64) {
    let m = std::fs::metadata(p).unwrap();
    (
        std::fs::read(p).unwrap(),
        m.permissions().mode() & 0o7777,
        m.uid(),
        m.gid(),
        m.ino(),
    )
}

/// A decoy standing in for /etc/shadow, and a link to it where a playbook writes.
fn decoy_and_link(d: &Path) -> (PathBuf, PathBuf) {
    let decoy = d.join("shadow");
    std::fs::write(&decoy, "root:$6$decoyhash:19000:0:99999:7:::\n").unwrap();
    std::fs::set_permissions(&decoy, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = d.join("credentials");
    std::os::unix::fs::symlink(&decoy, &link).unwrap();
    (decoy, link)
}

fn assert_link_refused(e: &runbook::host::HostError, link: &Path, decoy: &Path) {
    assert_eq!(e.kind, ErrorKind::Conflict, "{}", e.message);
    assert!(
        e.message.contains(&s(link))
            && e.message.contains("symbolic link")
            && e.message.contains(&s(decoy)),
        "{}",
        e.message
    );
    let hint = e.hint.clone().unwrap_or_default();
    assert!(
        hint.contains("follow_symlinks: true") && hint.contains("rm "),
        "{hint}"
    );
}

#[test]
fn a_write_refuses_a_symlink_and_leaves_its_target_alone() {
    let d = tempfile::tempdir().unwrap();
    let (decoy, link) = decoy_and_link(d.path());
    let before = snapshot(&decoy);
    let mut check = check();
    check.diff = true;
    for (ctx, content) in [
        (apply(), Content::plain(b"x")),
        (apply(), Content::secret(b"hunter2")),
        (check, Content::plain(b"x")),
    ] {
        let e = fs::write(&ctx, &s(&link), content, &with_mode("600")).unwrap_err();
        assert_link_refused(&e, &link, &decoy);
        assert!(!e.message.contains("decoyhash"));
    }
    assert_eq!(snapshot(&decoy), before);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn chmod_chown_chgrp_and_mkdir_refuse_a_symlink() {
    let d = tempfile::tempdir().unwrap();
    let (decoy, link) = decoy_and_link(d.path());
    let before = snapshot(&decoy);
    assert_link_refused(
        &fs::chmod(&apply(), &s(&link), "600", Allow::default()).unwrap_err(),
        &link,
        &decoy,
    );
    assert_link_refused(
        &fs::chgrp(&apply(), &s(&link), "nogroup", Allow::default()).unwrap_err(),
        &link,
        &decoy,
    );
    assert_link_refused(
        &fs::chown(&apply(), &s(&link), Some("nobody"), None, Allow::default()).unwrap_err(),
        &link,
        &decoy,
    );
    assert_link_refused(
        &fs::chmod(&check(), &s(&link), "600", Allow::default()).unwrap_err(),
        &link,
        &decoy,
    );
    assert_eq!(snapshot(&decoy), before);

    let real = d.path().join("etc");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dlink = d.path().join("aws");
    std::os::unix::fs::symlink(&real, &dlink).unwrap();
    let opts = MkdirOpts {
        attrs: AttrOpts {
            mode: Some("700".into()),
            group: Some("nogroup".into()),
            ..Default::default()
        },
        parents: false,
        ..Default::default()
    };
    assert_link_refused(
        &fs::mkdir(&apply(), &s(&dlink), &opts).unwrap_err(),
        &dlink,
        &real,
    );
    let m = std::fs::metadata(&real).unwrap();
    assert_eq!((m.permissions().mode() & 0o7777, m.gid()), (0o755, 0));
}

#[test]
fn a_secret_is_not_written_into_a_folder_others_can_change() {
    let d = tempfile::tempdir().unwrap();
    let mk = |name: &str, mode: u32, uid: u32| {
        let p = d.path().join(name);
        std::fs::create_dir(&p).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        std::os::unix::fs::chown(&p, Some(uid), None).unwrap();
        p
    };
    let secret = |dir: &Path| {
        fs::write(
            &apply(),
            &s(&dir.join("credentials")),
            Content::secret(b"hunter2"),
            &WriteOpts::default(),
        )
    };
    for (dir, why) in [
        (mk("open", 0o777, 0), "writable by others"),
        (mk("group", 0o770, 0), "writable by its group"),
        (mk("theirs", 0o755, 65534), "belongs to nobody"),
    ] {
        let e = secret(&dir).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Conflict, "{}", e.message);
        assert!(
            e.message.contains(&s(&dir)) && e.message.contains(why),
            "{}",
            e.message
        );
        assert!(e.hint.is_some());
        assert!(!dir.join("credentials").exists());
        // Content that is no secret may still go there.
        fs::write(
            &apply(),
            &s(&dir.join("notes")),
            Content::plain(b"x"),
            &WriteOpts::default(),
        )
        .unwrap();
    }
    // Deeper down is no better: a folder of the chain that others can change.
    let inner = d.path().join("open/inner");
    std::fs::create_dir(&inner).unwrap();
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o700)).unwrap();
    let e = secret(&inner).unwrap_err();
    assert!(
        e.message.contains(&s(&d.path().join("open"))),
        "{}",
        e.message
    );

    // A sticky folder of root's (like /tmp) is fine: others cannot rename what is ours.
    let sticky = mk("sticky", 0o1777, 0);
    assert_eq!(secret(&sticky).unwrap().status, Status::Changed);

    // The file's folder itself may not be a link.
    let real = mk("real", 0o700, 0);
    let linked = d.path().join("linked");
    std::os::unix::fs::symlink(&real, &linked).unwrap();
    let e = secret(&linked).unwrap_err();
    assert!(
        e.message.contains(&s(&linked)) && e.message.contains("symbolic link"),
        "{}",
        e.message
    );
    assert!(!real.join("credentials").exists());
}

#[test]
fn fifos_and_other_special_files_are_refused_without_blocking() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("credentials");
    mkfifo(&fifo);
    let p = s(&fifo);
    let e = within_10s("fs::read on a FIFO", {
        let p = p.clone();
        move || fs::read(&p).unwrap_err()
    });
    assert!(
        e.message.contains(&p) && e.message.contains("FIFO"),
        "{}",
        e.message
    );
    for mode in [Mode::Apply, Mode::Check] {
        let e = within_10s("fs::write on a FIFO", {
            let p = p.clone();
            move || {
                fs::write(
                    &Ctx::plain(mode),
                    &p,
                    Content::plain(b"x"),
                    &WriteOpts::default(),
                )
                .unwrap_err()
            }
        });
        assert_eq!(e.kind, ErrorKind::Conflict, "{}", e.message);
        assert_contains!(e.message, "not a regular file");
    }
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    // A link to a FIFO is refused by fs::read too (it follows links, then checks).
    let link = d.path().join("link");
    std::os::unix::fs::symlink(&fifo, &link).unwrap();
    let e = within_10s("fs::read through a link to a FIFO", {
        let l = s(&link);
        move || fs::read(&l).unwrap_err()
    });
    assert_contains!(e.message, "FIFO");
}

#[test]
fn binary_files_are_named_as_not_text() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("blob");
    std::fs::write(&f, [0x7f, b'E', b'L', b'F', 0xff, 0xfe, 0]).unwrap();
    let e = fs::read(&s(&f)).unwrap_err();
    assert_contains!(e.message, "is not text");
}

#[test]
fn stale_temp_files_of_any_file_in_the_folder_go_at_the_next_write() {
    let d = tempfile::tempdir().unwrap();
    // A pid that no longer runs: a child that has exited.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = d.path().join(format!(".credentials.runbook-tmp.{dead}.0"));
    std::fs::write(&stale, "[x]\naws_secret_access_key = half\n").unwrap();
    // pid 1 runs: its temp file may be in use, so it stays.
    let live = d.path().join(".config.runbook-tmp.1.0");
    std::fs::write(&live, "x").unwrap();
    fs::write(
        &apply(),
        &s(&d.path().join("other-file")),
        Content::plain(b"x"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert!(
        !stale.exists(),
        "a stale temp file of another file in the folder survived"
    );
    assert!(live.exists());
}

#[test]
fn a_writer_killed_mid_write_leaves_no_temp_file() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("credentials");
    let mut child = helper("hold_temp", &f)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert!(lines.any(|l| l.is_ok_and(|l| l.contains("HOLDING"))));
    let during = temp_files(d.path());
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        during.is_empty(),
        "a named temp file holds the secret: {during:?}"
    );
    assert!(temp_files(d.path()).is_empty());
    assert!(!f.exists());
}

#[test]
fn special_mode_bits_need_to_be_asked_for() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("f");
    for mode in ["7777", "4755", "2640", "1600"] {
        let special = WriteOpts {
            allow: Allow {
                special_bits: true,
                ..Default::default()
            },
            ..with_mode(mode)
        };
        fs::write(
            &apply(),
            &s(&d.path().join("asked")),
            Content::plain(b"x"),
            &special,
        )
        .unwrap();
        assert_eq!(
            mode_of(&d.path().join("asked")),
            u32::from_str_radix(mode, 8).unwrap()
        );
        let e = fs::write(&apply(), &s(&f), Content::plain(b"x"), &with_mode(mode)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput, "{}", e.message);
        assert!(
            e.message.contains(&format!("'{mode}'")) && e.message.contains("special_bits: true"),
            "{}",
            e.message
        );
    }
    assert!(!f.exists());
    std::fs::write(&f, "x").unwrap();
    assert!(fs::chmod(&apply(), &s(&f), "4755", Allow::default()).is_err());
    let special = Allow {
        special_bits: true,
        ..Default::default()
    };
    fs::chmod(&apply(), &s(&f), "4755", special).unwrap();
    assert_eq!(mode_of(&f), 0o4755);
    // Folders: setgid and sticky are everyday modes (2775, 1777); setuid is not.
    let mk = |m: &str| {
        fs::mkdir(
            &apply(),
            &s(&d.path().join(format!("d{m}"))),
            &MkdirOpts {
                attrs: AttrOpts {
                    mode: Some(m.into()),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
    };
    mk("2750").unwrap();
    mk("1777").unwrap();
    assert!(mk("4755").is_err());
}

#[test]
fn a_secret_into_a_file_others_may_read_narrows_its_mode() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("key");
    std::fs::write(&f, "old").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = fs::write(
        &apply(),
        &s(&f),
        Content::secret(b"hunter2"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert_eq!(mode_of(&f), 0o640, "{}", o.summary);
    assert_contains!(o.summary, "0644 -> 0640");
    // Same content, still too wide: fixed in place.
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o604)).unwrap();
    let o = fs::write(
        &apply(),
        &s(&f),
        Content::secret(b"hunter2"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert_eq!((o.status, mode_of(&f)), (Status::Changed, 0o600));
    // A mode given by the call wins, as always.
    fs::write(&apply(), &s(&f), Content::secret(b"x"), &with_mode("644")).unwrap();
    assert_eq!(mode_of(&f), 0o644);
}

#[test]
fn narrowing_mode_and_changing_group_end_as_asked() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("credentials");
    std::fs::write(&f, "x").unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o660)).unwrap();
    let o = fs::write(
        &apply(),
        &s(&f),
        Content::plain(b"x"),
        &WriteOpts {
            attrs: AttrOpts {
                mode: Some("600".into()),
                group: Some("nogroup".into()),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(o.summary, "mode 0660 -> 0600, group root -> nogroup");
    let m = std::fs::metadata(&f).unwrap();
    assert_eq!((m.permissions().mode() & 0o7777, m.gid()), (0o600, 65534));
}
