//! `alation-agent/secrets-manager-iam-user` end to end, inside the Agent-host
//! sandbox: moto for AWS, the real Docker daemon, systemd as PID 1, and the
//! `kratos` stand-in. Serial: the Agent's containers have fixed names.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

const PLAYBOOK: &str = "alation-agent/secrets-manager-iam-user";
const CRED_DIR: &str = "/etc/hydra/auth/.aws";
const CRED_FILE: &str = "/etc/hydra/auth/.aws/credentials";
const USER: &str = "agent-e2e";
const OLD: &str = "5.14.0.1968";
const NEW: &str = "5.15.0.2001";

static LOCK: Mutex<()> = Mutex::new(());

/// Exclusive use of a reset Agent host and moto. Outside the sandbox this
/// fails, unless RUNBOOK_SKIP_SANDBOX=1 says so knowingly (never in CI).
fn agent_host() -> Option<MutexGuard<'static, ()>> {
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let inside =
        Path::new("/run/systemd/system").is_dir() && Path::new("/etc/hydra/sandbox.env").is_file();
    if !inside {
        let skip = std::env::var("RUNBOOK_SKIP_SANDBOX").is_ok_and(|v| v == "1")
            && !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        if skip {
            eprintln!(
                "SKIPPED knowingly (RUNBOOK_SKIP_SANDBOX=1): not inside the Agent-host sandbox"
            );
            return None;
        }
        panic!(
            "not inside the Agent-host sandbox: run scripts/test.sh (or set RUNBOOK_SKIP_SANDBOX=1 outside CI)"
        );
    }
    moto("POST", "/moto-api/reset", "");
    let _ = Command::new("docker").args(["rm", "-f", "auth"]).output();
    let _ = std::fs::remove_dir_all(CRED_DIR);
    Some(guard)
}

/// One HTTP request to moto, whose address the runner passes in AWS_ENDPOINT_URL.
fn moto(method: &str, path: &str, body: &str) -> String {
    let url = std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL (moto) must be set: run scripts/test.sh");
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut s =
        TcpStream::connect(&host).unwrap_or_else(|e| panic!("cannot reach moto at {host}: {e}"));
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

/// Creates a secret in moto (Secrets Manager's JSON protocol; moto ignores the signature).
fn create_secret(name: &str, value: &str) {
    let url = std::env::var("AWS_ENDPOINT_URL").unwrap();
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let body = format!("{{\"Name\":\"{name}\",\"SecretString\":\"{value}\"}}");
    let mut s = TcpStream::connect(&host).unwrap();
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {host}\r\nX-Amz-Target: secretsmanager.CreateSecret\r\nContent-Type: application/x-amz-json-1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
}

/// Everything a run could change: AWS (moto's whole state), containers, the credentials folder.
fn world() -> (String, String, Option<String>) {
    let mut aws: serde_json::Value =
        serde_json::from_str(&moto("GET", "/moto-api/data.json", "")).expect("moto state");
    // moto records a summary on every read of the account: not a change.
    aws["iam"]["AccountSummary"] = serde_json::Value::Null;
    let aws = aws.to_string();
    let containers = sh(
        "docker",
        &["ps", "-a", "--format", "{{.Names}} {{.Image}} {{.State}}"],
    );
    let files = std::fs::read_to_string(CRED_FILE).ok();
    (aws, containers, files)
}

fn sh(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn archive(version: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".build/addon")
        .join(format!("auth-service-docker-image-{version}.tar.gz"));
    assert!(
        p.is_file(),
        "{} is missing: run scripts/sandbox.sh addon {version}",
        p.display()
    );
    p.display().to_string()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

fn runbook(args: &[&str], tune: impl FnOnce(&mut Command)) -> Run {
    let lock = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = Command::new(common::bin());
    cmd.args(args)
        .env("NO_COLOR", "1")
        .env("RUNBOOK_LOCK_FILE", lock.path());
    tune(&mut cmd);
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn playbook(extra: &[&str]) -> Run {
    let mut args = vec!["run", PLAYBOOK, "--set", "user_name=agent-e2e", "--yes"];
    args.extend_from_slice(extra);
    runbook(&args, |_| {})
}

/// `runbook eval` as the admin identity, for setting up and reading AWS state.
fn eval(code: &str) -> String {
    let r = runbook(&["eval", code], |_| {});
    assert_eq!(r.code, 0, "eval {code}: {}", r.all());
    r.stdout.trim().to_string()
}

fn recap(run: &Run) -> serde_json::Value {
    let last = run.stdout.lines().last().expect("output");
    let v: serde_json::Value = serde_json::from_str(last).expect("JSON line");
    assert_eq!(v["event"], "recap", "{last}");
    v
}

fn profile_of(text: &str, profile: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == format!("[{profile}]");
        } else if inside && let Some((k, v)) = t.split_once('=') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

fn key_in_file() -> (String, String) {
    let text = std::fs::read_to_string(CRED_FILE).unwrap();
    let kv = profile_of(&text, "alation_auth");
    let get = |k: &str| {
        kv.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    (get("aws_access_key_id"), get("aws_secret_access_key"))
}

/// What the add-on itself can read of the credentials file (the stand-in
/// serves the profile names it can read, or 403 when it cannot).
fn addon_sees() -> String {
    let mut s = TcpStream::connect("127.0.0.1:11001").expect("the add-on listens on 11001");
    write!(
        s,
        "GET /cgi-bin/profiles HTTP/1.0\r\nHost: localhost\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn check_on_a_fresh_host_shows_the_plan_and_changes_nothing() {
    let Some(_g) = agent_host() else { return };
    let before = world();
    let tar = archive(OLD).trim_end_matches(".gz").to_string();
    let tar_before = std::fs::metadata(&tar).ok().map(|m| m.mtime());
    let run = playbook(&[
        "--check",
        "--set",
        &format!("addon_archive={}", archive(OLD)),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    for expected in [
        "would_change iam::ensure_policy read_secrets_policy",
        "would_change iam::ensure_user agent-e2e",
        "would_change iam::ensure_user_policy",
        "proc::run kratos addons install auth",
        "would_change systemd::restart hydra",
        "would_change iam::create_access_key agent-e2e",
        "would_change ini::set_section /etc/hydra/auth/.aws/credentials [alation_auth]",
        "(known after apply)",
        "Profile Name         alation_auth",
    ] {
        assert!(
            run.stdout.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stdout
        );
    }
    assert_eq!(world(), before, "a check run changed something");
    let tar_after = std::fs::metadata(&tar).ok().map(|m| m.mtime());
    assert_eq!(
        tar_before, tar_after,
        "the archive was decompressed in check mode"
    );

    let pending = playbook(&[
        "--check",
        "--detailed-exitcode",
        "--set",
        &format!("addon_archive={}", archive(OLD)),
    ]);
    assert_eq!(pending.code, 3, "{}", pending.all());
}

#[test]
fn first_run_converges_and_the_second_changes_nothing() {
    let Some(_g) = agent_host() else { return };
    let first = playbook(&["--set", &format!("addon_archive={}", archive(OLD))]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        first.stdout.contains("changed      iam::create_access_key"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("kratos addons install auth"),
        "{}",
        first.stdout
    );

    // The file: 0540 root:alationdocker, holding exactly the key IAM knows.
    let meta = std::fs::metadata(CRED_FILE).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o540);
    assert_eq!(meta.uid(), 0);
    let gid = sh("getent", &["group", "alationdocker"])
        .split(':')
        .nth(2)
        .unwrap()
        .trim()
        .parse::<u32>()
        .unwrap();
    assert_eq!(meta.gid(), gid);
    let dir = std::fs::metadata(CRED_DIR).unwrap();
    assert_eq!((dir.mode() & 0o7777, dir.gid()), (0o750, gid));
    let (id, secret) = key_in_file();
    let keys = eval(&format!(
        "iam::access_keys(\"{USER}\").map(|k| k.id + \":\" + k.status)"
    ));
    assert_eq!(keys, format!("[\"{id}:Active\"]"));
    assert!(secret.len() >= 20, "a real secret is in the file");

    // The add-on is Up and reads the file through the group, as the real one must.
    let ps = sh(
        "docker",
        &["ps", "--filter", "name=^auth$", "--format", "{{.Status}}"],
    );
    assert!(ps.starts_with("Up"), "{ps}");
    assert!(
        addon_sees().contains("alation_auth"),
        "the add-on cannot read the profile"
    );
    assert!(first.stdout.contains(
        "profile alation_auth authenticates as arn:aws:iam::123456789012:user/agent-e2e"
    ));

    // Second run: zero changes, same key, no new key, no kratos, no restart.
    let second = playbook(&[
        "--set",
        &format!("addon_archive={}", archive(OLD)),
        "--output",
        "json",
    ]);
    assert_eq!(second.code, 0, "{}", second.all());
    for line in second.stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
    }
    let r = recap(&second);
    assert_eq!(r["changed"], 0, "{}", second.stdout);
    assert_eq!(r["success"], true);
    assert!(
        !second.stdout.contains("\"action\":\"run\""),
        "kratos was called: {}",
        second.stdout
    );
    assert!(
        !second.stdout.contains("systemd\",\"action\":\"restart"),
        "{}",
        second.stdout
    );
    assert_eq!(key_in_file().0, id);
    assert_eq!(eval(&format!("iam::access_keys(\"{USER}\").len()")), "1");

    // The secret key never appears in any output.
    for run in [&first, &second] {
        assert!(
            !run.all().contains(&secret),
            "the secret access key was printed"
        );
    }
}

#[test]
fn other_profiles_and_comments_in_the_credentials_file_survive() {
    let Some(_g) = agent_host() else { return };
    std::fs::create_dir_all(CRED_DIR).unwrap();
    let original = "# managed by hand\n[default]\naws_access_key_id = AKIADEFAULT000000000\naws_secret_access_key=defaultsecretdefaultsecret\n\n; the old connector\n[legacy]\naws_access_key_id=AKIALEGACY0000000000\naws_secret_access_key = legacysecretlegacysecret\nregion=eu-west-1\n";
    std::fs::write(CRED_FILE, original).unwrap();
    let run = playbook(&["--set", &format!("addon_archive={}", archive(OLD))]);
    assert_eq!(run.code, 0, "{}", run.all());
    let after = std::fs::read_to_string(CRED_FILE).unwrap();
    assert!(after.starts_with(original), "other bytes changed:\n{after}");
    let added = &after[original.len()..];
    assert!(
        added.contains("[alation_auth]") && added.contains("aws_access_key_id"),
        "{added}"
    );
    assert_eq!(
        added.matches('[').count(),
        1,
        "only the new section was added: {added}"
    );
    assert!(!run.all().contains("defaultsecretdefaultsecret"));
    assert!(!run.all().contains("legacysecretlegacysecret"));
}

#[test]
fn the_addon_is_left_alone_when_current_and_updated_when_older() {
    let Some(_g) = agent_host() else { return };
    let first = playbook(&["--set", &format!("addon_archive={}", archive(OLD))]);
    assert_eq!(first.code, 0, "{}", first.all());

    let same = playbook(&["--set", &format!("addon_archive={}", archive(OLD))]);
    assert_eq!(same.code, 0, "{}", same.all());
    assert!(
        !same.stdout.contains("proc::run kratos"),
        "kratos was called for the same version:\n{}",
        same.stdout
    );
    assert!(!same.stdout.contains("systemd::restart"), "{}", same.stdout);

    let newer = playbook(&["--set", &format!("addon_archive={}", archive(NEW))]);
    assert_eq!(newer.code, 0, "{}", newer.all());
    assert!(
        newer.stdout.contains("kratos addons update auth"),
        "{}",
        newer.stdout
    );
    assert!(
        newer.stdout.contains("changed      systemd::restart hydra"),
        "{}",
        newer.stdout
    );
    let want = eval(&format!("docker::archive(\"{}\").id", archive(NEW)));
    let got = eval("docker::container(\"auth\").image_id");
    assert_eq!(got, want);
    assert!(addon_sees().contains("alation_auth"));
}

#[test]
fn a_policy_with_another_document_gets_a_new_default_version() {
    let Some(_g) = agent_host() else { return };
    eval(
        "iam::ensure_policy(\"read_secrets_policy\", iam::policy_document([\"secretsmanager:GetSecretValue\"], [\"arn:aws:secretsmanager:us-east-1:123456789012:secret:old-AbCdEf\"]))",
    );
    let run = playbook(&["--set", &format!("addon_archive={}", archive(OLD))]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout
            .contains("changed      iam::ensure_policy read_secrets_policy"),
        "{}",
        run.stdout
    );
    let policy = eval(
        "let p = iam::policy(\"read_secrets_policy\"); `${p.default_version} ${p.document.Statement[0].Resource}`",
    );
    assert!(policy.contains("v2"), "{policy}");
    assert!(policy.contains('*'), "{policy}");
}

#[test]
fn a_user_at_the_two_key_limit_stops_before_any_change() {
    let Some(_g) = agent_host() else { return };
    eval(&format!(
        "iam::ensure_user(\"{USER}\"); iam::create_access_key(\"{USER}\"); iam::create_access_key(\"{USER}\");"
    ));
    let before = world();
    let run = playbook(&["--set", &format!("addon_archive={}", archive(OLD))]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("already has 2 access keys"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("rotate-access-key"), "{}", run.stderr);
    assert!(
        !run.stdout.contains("[2]"),
        "a step after the prerequisites ran:\n{}",
        run.stdout
    );
    assert_eq!(world(), before);
}

#[test]
fn prerequisite_failures_stop_before_any_change_and_name_the_fix() {
    let Some(_g) = agent_host() else { return };
    let before = world();
    let arch = format!("addon_archive={}", archive(OLD));

    // Not root.
    let nobody = runbook(&["run", PLAYBOOK, "--set", &arch], |c| {
        c.uid(65534).gid(65534);
    });
    assert_eq!(nobody.code, 1, "{}", nobody.all());
    assert!(
        nobody.stderr.contains("must run as root"),
        "{}",
        nobody.stderr
    );

    // An add-on archive older than the procedure requires.
    let dir = tempfile::tempdir().unwrap();
    let old: PathBuf = dir.path().join("auth-service-docker-image-5.13.0.1.tar.gz");
    std::fs::copy(archive(OLD), &old).unwrap();
    let run = playbook(&["--set", &format!("addon_archive={}", old.display())]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr
            .contains("5.13.0.1; 5.14.0.1968 or later is required"),
        "{}",
        run.stderr
    );

    // A resource that is not a secret ARN.
    let run = playbook(&[
        "--set",
        &arch,
        "--set",
        "secret_arns=arn:aws:s3:::some-bucket",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains("arn:aws:s3:::some-bucket"),
        "{}",
        run.stderr
    );

    // A missing group.
    let run = playbook(&["--set", &arch, "--set", "group=no-such-group"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stderr.contains(
            "group 'no-such-group' does not exist on this host; is the Alation Agent installed?"
        ),
        "{}",
        run.stderr
    );

    // kratos absent: a PATH with docker and systemctl only.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["docker", "systemctl"] {
        let real = sh("sh", &["-c", &format!("command -v {tool}")]);
        std::os::unix::fs::symlink(real.trim(), bin.path().join(tool)).unwrap();
    }
    let run = runbook(&["run", PLAYBOOK, "--set", &arch, "--yes"], |c| {
        c.env("PATH", bin.path());
    });
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("kratos"), "{}", run.stderr);
    assert!(run.stderr.contains("Alation Agent host"), "{}", run.stderr);

    assert_eq!(world(), before, "a failed prerequisite changed something");
}

#[test]
fn the_written_profile_reads_the_test_secret_and_a_wrong_one_fails_clearly() {
    let Some(_g) = agent_host() else { return };
    create_secret("db/password", "hunter2hunter2value");
    let run = playbook(&[
        "--set",
        &format!("addon_archive={}", archive(OLD)),
        "--set",
        "test_secret=db/password",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains("and can read db/password"),
        "{}",
        run.stdout
    );
    assert!(
        !run.all().contains("hunter2hunter2value"),
        "the test secret's value was printed"
    );

    let wrong = playbook(&[
        "--set",
        &format!("addon_archive={}", archive(OLD)),
        "--set",
        "test_secret=db/nope",
    ]);
    assert_eq!(wrong.code, 1, "{}", wrong.all());
    assert!(wrong.stdout.contains("failed step 6"), "{}", wrong.stdout);
    assert!(wrong.stderr.contains("db/nope"), "{}", wrong.stderr);
}

#[test]
fn restarting_the_agent_without_a_terminal_needs_yes() {
    let Some(_g) = agent_host() else { return };
    let run = runbook(
        &[
            "run",
            PLAYBOOK,
            "--set",
            "user_name=agent-e2e",
            "--set",
            &format!("addon_archive={}", archive(OLD)),
        ],
        |_| {},
    );
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert!(run.stdout.contains("failed step 4"), "{}", run.stdout);
    // Nothing after the refused restart ran: no key was created.
    assert_eq!(eval(&format!("iam::access_keys(\"{USER}\").len()")), "0");
}
