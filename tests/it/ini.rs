//! ini primitives on real files: byte preservation, validation, idempotence.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use runbook::host::fs::{Allow, AttrOpts};
use runbook::host::ini::{self, Entries, IniValue};
use runbook::host::{Ctx, ErrorKind, Mode, Status};

const CREDENTIALS: &str = "\
# AWS credentials for this Agent
; managed partly by hand

[default]
aws_access_key_id=AKIADEFAULT
aws_secret_access_key =  sdefault

[alation_auth]
  aws_access_key_id   =   AKIAOLD
aws_secret_access_key=sold
aws_session_token = stale-token
# trailing comment of alation_auth

[other]
region=eu-west-1
";

fn apply() -> Ctx {
    Ctx::plain(Mode::Apply)
}

fn key(id: &str, secret: &str) -> Entries {
    vec![
        ("aws_access_key_id".into(), IniValue::plain(id)),
        ("aws_secret_access_key".into(), IniValue::secret(secret)),
    ]
}

/// A credentials file as the AWS CLI leaves it: mode 0600.
fn file(dir: &Path, text: &str) -> String {
    let p = dir.join("credentials");
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    p.display().to_string()
}

#[test]
fn adding_a_fourth_and_updating_the_second_keep_every_other_byte() {
    let d = tempfile::tempdir().unwrap();
    let p = file(d.path(), CREDENTIALS);
    let o = ini::set_section(
        &apply(),
        &p,
        "new_profile",
        &key("AKIANEW", "snew"),
        &AttrOpts::default(),
        Allow::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::Changed);
    let after = std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        after,
        format!(
            "{CREDENTIALS}\n[new_profile]\naws_access_key_id = AKIANEW\naws_secret_access_key = snew\n"
        )
    );

    let o = ini::set_section(
        &apply(),
        &p,
        "alation_auth",
        &key("AKIA2", "s2"),
        &AttrOpts::default(),
        Allow::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::Changed);
    let after = std::fs::read_to_string(&p).unwrap();
    let expected = CREDENTIALS.replace(
        "[alation_auth]\n  aws_access_key_id   =   AKIAOLD\naws_secret_access_key=sold\naws_session_token = stale-token\n",
        "[alation_auth]\naws_access_key_id = AKIA2\naws_secret_access_key = s2\n",
    ) + "\n[new_profile]\naws_access_key_id = AKIANEW\naws_secret_access_key = snew\n";
    assert_eq!(after, expected);
    assert_not_contains!(after, "stale-token", "no stale key survives");

    // Same values again: no write at all.
    let ino = std::fs::metadata(&p).unwrap().ino();
    let o = ini::set_section(
        &apply(),
        &p,
        "alation_auth",
        &key("AKIA2", "s2"),
        &AttrOpts::default(),
        Allow::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::Ok);
    assert_eq!(std::fs::metadata(&p).unwrap().ino(), ino);
}

#[test]
fn existing_formatting_is_kept_when_values_already_match() {
    let d = tempfile::tempdir().unwrap();
    let p = file(d.path(), CREDENTIALS);
    let o = ini::set_section(
        &apply(),
        &p,
        "default",
        &key("AKIADEFAULT", "sdefault"),
        &AttrOpts::default(),
        Allow::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::Ok);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CREDENTIALS);

    // Readable by others, no mode asked for: only their access goes.
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = ini::set_section(
        &apply(),
        &p,
        "default",
        &key("AKIADEFAULT", "sdefault"),
        &AttrOpts::default(),
        Allow::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::Changed);
    assert!(
        o.summary
            .starts_with("mode 0644 -> 0640 (nothing for others"),
        "{}",
        o.summary
    );
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CREDENTIALS);
}

#[test]
fn read_returns_sections_with_secrets_flagged() {
    let d = tempfile::tempdir().unwrap();
    let p = file(d.path(), CREDENTIALS);
    let s = ini::read(&p, false).unwrap().unwrap();
    let names: Vec<&str> = s.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["default", "alation_auth", "other"]);
    let auth = &s[1].1;
    assert_eq!(
        auth[0],
        ("aws_access_key_id".into(), IniValue::plain("AKIAOLD"))
    );
    assert_eq!(auth[1].1, IniValue::secret("sold"));
    assert!(auth[2].1.secret, "session tokens are secrets too");
    assert_not_contains!(format!("{auth:?}"), "sold");
    assert_eq!(
        ini::read(&format!("{}/missing", d.path().display()), false).unwrap(),
        None
    );
}

#[test]
fn new_file_gets_mode_and_group_and_diff_masks_secrets() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("credentials").display().to_string();
    let mut ctx = apply();
    ctx.diff = true;
    let attrs = AttrOpts {
        mode: Some("540".into()),
        owner: None,
        group: Some("nogroup".into()),
    };
    let o = ini::set_section(
        &ctx,
        &p,
        "alation_auth",
        &key("AKIA1", "hunter2"),
        &attrs,
        Allow::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::Changed);
    let diff = o.diff.unwrap();
    assert_contains!(diff, "+aws_access_key_id = AKIA1");
    assert_contains!(diff, "+aws_secret_access_key = ********");
    assert_not_contains!(diff, "hunter2");
    let m = std::fs::metadata(&p).unwrap();
    assert_eq!(m.permissions().mode() & 0o7777, 0o540);
    assert_eq!(m.gid(), 65534);
    // Only the mode differs now: fixed without rewriting.
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    let o = ini::set_section(
        &ctx,
        &p,
        "alation_auth",
        &key("AKIA1", "hunter2"),
        &attrs,
        Allow::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::Changed);
    assert_eq!(o.summary, "mode 0644 -> 0540");
}

#[test]
fn remove_section_removes_it_and_is_idempotent() {
    let d = tempfile::tempdir().unwrap();
    let p = file(d.path(), CREDENTIALS);
    let o = ini::remove_section(&apply(), &p, "other", Allow::default()).unwrap();
    assert_eq!(o.status, Status::Changed);
    let after = std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        after,
        CREDENTIALS.replace("\n[other]\nregion=eu-west-1\n", "")
    );
    assert_eq!(
        ini::remove_section(&apply(), &p, "other", Allow::default())
            .unwrap()
            .status,
        Status::Ok
    );
}

#[test]
fn check_mode_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let p = file(d.path(), CREDENTIALS);
    let o = ini::set_section(
        &Ctx::plain(Mode::Check),
        &p,
        "x",
        &key("A", "B"),
        &AttrOpts::default(),
        Allow::default(),
    )
    .unwrap();
    assert_eq!(o.status, Status::WouldChange);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CREDENTIALS);
}

#[test]
fn bad_names_and_malformed_files_are_refused_and_nothing_changes() {
    let d = tempfile::tempdir().unwrap();
    let p = file(d.path(), CREDENTIALS);
    for bad in ["alation]auth", "alation\nauth"] {
        let e = ini::set_section(
            &apply(),
            &p,
            bad,
            &key("A", "B"),
            &AttrOpts::default(),
            Allow::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_contains!(e.message, "section name");
        assert_contains!(e.message, &bad.escape_debug().to_string());
        assert_contains!(e.message, "must not");
    }
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CREDENTIALS);

    let broken = format!("{CREDENTIALS}this line is not ini\n");
    let p = file(d.path(), &broken);
    let e = ini::set_section(
        &apply(),
        &p,
        "x",
        &key("A", "B"),
        &AttrOpts::default(),
        Allow::default(),
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    let line = broken.lines().count();
    assert!(
        e.message.starts_with(&format!("{p}:{line}: ")),
        "{}",
        e.message
    );
    assert_contains!(e.message, "not changed");
    assert_contains!(e.hint.unwrap(), "fix line");
    assert_eq!(std::fs::read_to_string(&p).unwrap(), broken);
    assert!(ini::read(&p, false).is_err());
}

// ---- Issue 18: links, FIFOs, byte-order marks, binary files ----

fn decoy_and_link(dir: &Path) -> (std::path::PathBuf, String) {
    let decoy = dir.join("shadow");
    std::fs::write(
        &decoy,
        "root:$6$decoyhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    )
    .unwrap();
    std::fs::set_permissions(&decoy, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = dir.join("credentials");
    std::os::unix::fs::symlink(&decoy, &link).unwrap();
    (decoy, link.display().to_string())
}

#[test]
fn set_section_on_a_link_to_shadow_is_refused_in_both_modes_and_shows_nothing() {
    let d = tempfile::tempdir().unwrap();
    let (decoy, link) = decoy_and_link(d.path());
    let before = std::fs::read(&decoy).unwrap();
    let attrs = AttrOpts {
        mode: Some("600".into()),
        owner: None,
        group: Some("nogroup".into()),
    };
    for mode in [Mode::Apply, Mode::Check] {
        let mut ctx = Ctx::plain(mode);
        ctx.diff = true;
        let e = ini::set_section(
            &ctx,
            &link,
            "alation_auth",
            &key("A", "B"),
            &attrs,
            Allow::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Conflict, "{}", e.message);
        assert!(
            e.message.contains(&link)
                && e.message.contains("symbolic link")
                && e.message.contains(&decoy.display().to_string()),
            "{}",
            e.message
        );
        assert!(!e.message.contains("decoyhash"));
        assert!(e.hint.unwrap().contains("follow_symlinks: true"));
        let e = ini::remove_section(&ctx, &link, "root", Allow::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Conflict, "{}", e.message);
    }
    let m = std::fs::metadata(&decoy).unwrap();
    assert_eq!(std::fs::read(&decoy).unwrap(), before);
    assert_eq!((m.permissions().mode() & 0o7777, m.gid()), (0o640, 0));
    // Reading the sections of a credentials file through a link is refused too.
    let e = ini::read(&link, false).unwrap_err();
    assert_contains!(e.message, "symbolic link");
}

#[test]
fn a_fifo_is_refused_without_blocking_also_in_check_mode() {
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("credentials");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let p = fifo.display().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = ini::set_section(
            &Ctx::plain(Mode::Check),
            &p,
            "alation_auth",
            &key("A", "B"),
            &AttrOpts::default(),
            Allow::default(),
        );
        let _ = tx.send((r.map(|o| o.summary), ini::read(&p, false).map(|_| ())));
    });
    let (set, read) = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("ini on a FIFO hangs");
    let e = set.unwrap_err();
    assert_contains!(e.message, "FIFO");
    assert!(read.unwrap_err().message.contains("FIFO"));
}

#[test]
fn a_byte_order_mark_and_a_binary_file_get_messages_that_say_so() {
    let d = tempfile::tempdir().unwrap();
    let p = file(d.path(), &format!("\u{feff}{CREDENTIALS}"));
    let e = ini::read(&p, false).unwrap_err();
    assert_contains!(e.message, "byte-order mark");
    assert_contains!(e.message, "AWS SDKs");
    assert_not_contains!(e.message, "not a valid INI line");
    assert!(e.hint.unwrap().contains("sed"));
    let e = ini::set_section(
        &apply(),
        &p,
        "x",
        &key("A", "B"),
        &AttrOpts::default(),
        Allow::default(),
    )
    .unwrap_err();
    assert_contains!(e.message, "byte-order mark");
    assert!(std::fs::read_to_string(&p).unwrap().starts_with('\u{feff}'));

    let bin = d.path().join("blob");
    std::fs::write(&bin, [0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0xff, 0xfe]).unwrap();
    let b = bin.display().to_string();
    for e in [
        ini::read(&b, false).unwrap_err(),
        ini::set_section(
            &apply(),
            &b,
            "x",
            &key("A", "B"),
            &AttrOpts::default(),
            Allow::default(),
        )
        .unwrap_err(),
    ] {
        assert_contains!(e.message, "is not a text file");
        assert_not_contains!(e.message, "fs::read");
    }
}

/// The probe's case through the CLI: `--check --diff` of a playbook-style
/// `ini::set_section` on a link to a shadow file printed the password hashes.
#[test]
fn eval_check_diff_through_a_link_fails_clearly_and_prints_nothing_of_the_target() {
    let t = crate::common::Test::new();
    let (decoy, link) = decoy_and_link(t.path());
    let before = std::fs::read(&decoy).unwrap();
    let script = format!(
        r#"ini::set_section("{link}", "alation_auth", #{{aws_access_key_id: "AKIA1", aws_secret_access_key: secret("s3cr3t-value")}}, #{{mode: "540", group: "nogroup"}})"#
    );
    for check in [true, false] {
        let mut args = vec!["eval"];
        if check {
            args.extend(["--check", "--diff"]);
        }
        args.push(&script);
        let out = crate::common::Test::new().args(args.clone()).run();
        assert_eq!(out.code, 1, "{out:?}");
        let all = out.all();
        assert!(
            all.contains("symbolic link") && all.contains("follow_symlinks"),
            "{all}"
        );
        for leak in ["decoyhash", "daemon:*", "s3cr3t-value"] {
            assert!(!all.contains(leak), "{leak} in {all}");
        }
    }
    assert_eq!(std::fs::read(&decoy).unwrap(), before);
}
