//! ini primitives on real files: byte preservation, validation, idempotence.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use runbook::host::fs::AttrOpts;
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

fn file(dir: &Path, text: &str) -> String {
    let p = dir.join("credentials");
    std::fs::write(&p, text).unwrap();
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
    )
    .unwrap();
    assert_eq!(o.status, Status::Ok);
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CREDENTIALS);
}

#[test]
fn read_returns_sections_with_secrets_flagged() {
    let d = tempfile::tempdir().unwrap();
    let p = file(d.path(), CREDENTIALS);
    let s = ini::read(&p).unwrap().unwrap();
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
        ini::read(&format!("{}/missing", d.path().display())).unwrap(),
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
    let o = ini::set_section(&ctx, &p, "alation_auth", &key("AKIA1", "hunter2"), &attrs).unwrap();
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
    let o = ini::set_section(&ctx, &p, "alation_auth", &key("AKIA1", "hunter2"), &attrs).unwrap();
    assert_eq!(o.status, Status::Changed);
    assert_eq!(o.summary, "mode 0644 -> 0540");
}

#[test]
fn remove_section_removes_it_and_is_idempotent() {
    let d = tempfile::tempdir().unwrap();
    let p = file(d.path(), CREDENTIALS);
    let o = ini::remove_section(&apply(), &p, "other").unwrap();
    assert_eq!(o.status, Status::Changed);
    let after = std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        after,
        CREDENTIALS.replace("\n[other]\nregion=eu-west-1\n", "")
    );
    assert_eq!(
        ini::remove_section(&apply(), &p, "other").unwrap().status,
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
        let e =
            ini::set_section(&apply(), &p, bad, &key("A", "B"), &AttrOpts::default()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidInput);
        assert_contains!(e.message, "section name");
        assert_contains!(e.message, &bad.escape_debug().to_string());
        assert_contains!(e.message, "must not");
    }
    assert_eq!(std::fs::read_to_string(&p).unwrap(), CREDENTIALS);

    let broken = format!("{CREDENTIALS}this line is not ini\n");
    let p = file(d.path(), &broken);
    let e = ini::set_section(&apply(), &p, "x", &key("A", "B"), &AttrOpts::default()).unwrap_err();
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
    assert!(ini::read(&p).is_err());
}
