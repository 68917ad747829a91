//! Issue 18's file safety: links, untrusted folders, FIFOs, temp files, modes.

use super::children::helper;
use super::*;

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
