//! `alation-agent/secrets-manager-iam-user` end to end, inside the Agent-host
//! sandbox: moto for AWS, the real Docker daemon, systemd as PID 1, and the
//! `kratos` stand-in. Serial: the Agent's containers have fixed names.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::common::agent::*;
use crate::common::moto;

const PLAYBOOK: &str = "alation-agent/secrets-manager-iam-user";

fn playbook(extra: &[&str]) -> Output {
    let mut args = vec!["run", PLAYBOOK, "--set", "user_name=agent-e2e", "--yes"];
    args.extend_from_slice(extra);
    runbook(&args).run()
}

#[test]
fn check_on_a_fresh_host_shows_the_plan_and_changes_nothing() {
    let Some(_g) = host_with_moto() else { return };
    let before = world();
    let tar = addon(OLD)
        .display()
        .to_string()
        .trim_end_matches(".gz")
        .to_string();
    let tar_before = std::fs::metadata(&tar).ok().map(|m| m.mtime());
    let run = playbook(&["--check", "--set", &addon_arg(OLD)]);
    assert_eq!(run.code, 0, "{}", run.all());
    for expected in [
        "would_change iam::ensure_policy read_secrets_policy",
        "would_change iam::ensure_user agent-e2e",
        "would_change iam::ensure_user_policy",
        "proc::run kratos addons install auth",
        "would_change systemd::restart hydra",
        "would_change iam::create_access_key agent-e2e",
        "would_change ini::set_section /etc/hydra/auth/.aws/credentials [alation_auth]",
        "a new access key will be written to /etc/hydra/auth/.aws/credentials [alation_auth]; its id is known after apply",
        "Profile Name         alation_auth",
    ] {
        assert_contains!(run.stdout, expected);
    }
    assert_eq!(world(), before, "a check run changed something");
    let tar_after = std::fs::metadata(&tar).ok().map(|m| m.mtime());
    assert_eq!(
        tar_before, tar_after,
        "the archive was decompressed in check mode"
    );

    let pending = playbook(&["--check", "--detailed-exitcode", "--set", &addon_arg(OLD)]);
    assert_eq!(pending.code, 3, "{}", pending.all());
}

#[test]
fn first_run_converges_and_the_second_changes_nothing() {
    let Some(_g) = host_with_moto() else { return };
    let first = playbook(&["--set", &addon_arg(OLD)]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert_contains!(first.stdout, "changed      iam::create_access_key");
    assert_contains!(first.stdout, "kratos addons install auth");

    // The file: 0540 root:alationdocker, holding exactly the key IAM knows.
    let meta = std::fs::metadata(CRED_FILE).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o540);
    assert_eq!(meta.uid(), 0);
    let gid = alationdocker_gid();
    assert_eq!(meta.gid(), gid);
    let dir = std::fs::metadata(CRED_DIR).unwrap();
    assert_eq!((dir.mode() & 0o7777, dir.gid()), (0o750, gid));
    let (id, secret) = key_in(Path::new(CRED_FILE));
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
    assert_contains!(
        addon_sees(),
        "alation_auth",
        "the add-on cannot read the profile"
    );
    assert_contains!(
        first.stdout,
        "profile alation_auth authenticates as arn:aws:iam::123456789012:user/agent-e2e"
    );

    // Second run: zero changes, same key, no new key, no kratos, no restart.
    let second = playbook(&["--set", &addon_arg(OLD), "--output", "json"]);
    assert_eq!(second.code, 0, "{}", second.all());
    for line in second.stdout.lines() {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
    }
    let r = recap(&second);
    assert_eq!(r["changed"], 0, "{}", second.stdout);
    assert_eq!(r["success"], true);
    assert_not_contains!(second.stdout, "\"action\":\"run\"", "kratos was called");
    assert_not_contains!(second.stdout, "systemd\",\"action\":\"restart");
    assert_eq!(key_in(Path::new(CRED_FILE)).0, id);
    assert_eq!(eval(&format!("iam::access_keys(\"{USER}\").len()")), "1");

    // The secret key never appears in any output.
    for run in [&first, &second] {
        assert_not_contains!(run.all(), &secret, "the secret access key was printed");
    }
}

#[test]
fn other_profiles_and_comments_in_the_credentials_file_survive() {
    let Some(_g) = host_with_moto() else { return };
    std::fs::create_dir_all(CRED_DIR).unwrap();
    let original = "# managed by hand\n[default]\naws_access_key_id = AKIADEFAULT000000000\naws_secret_access_key=defaultsecretdefaultsecret\n\n; the old connector\n[legacy]\naws_access_key_id=AKIALEGACY0000000000\naws_secret_access_key = legacysecretlegacysecret\nregion=eu-west-1\n";
    std::fs::write(CRED_FILE, original).unwrap();
    let run = playbook(&["--set", &addon_arg(OLD)]);
    assert_eq!(run.code, 0, "{}", run.all());
    let after = std::fs::read_to_string(CRED_FILE).unwrap();
    assert!(after.starts_with(original), "other bytes changed:\n{after}");
    let added = &after[original.len()..];
    assert_contains!(added, "[alation_auth]");
    assert_contains!(added, "aws_access_key_id");
    assert_eq!(
        added.matches('[').count(),
        1,
        "only the new section was added: {added}"
    );
    assert_not_contains!(run.all(), "defaultsecretdefaultsecret");
    assert_not_contains!(run.all(), "legacysecretlegacysecret");
}

#[test]
fn the_addon_is_left_alone_when_current_and_updated_when_older() {
    let Some(_g) = host_with_moto() else { return };
    let first = playbook(&["--set", &addon_arg(OLD)]);
    assert_eq!(first.code, 0, "{}", first.all());

    let same = playbook(&["--set", &addon_arg(OLD)]);
    assert_eq!(same.code, 0, "{}", same.all());
    assert_not_contains!(
        same.stdout,
        "proc::run kratos",
        "kratos was called for the same version"
    );
    assert_not_contains!(same.stdout, "systemd::restart");

    let newer = playbook(&["--set", &addon_arg(NEW)]);
    assert_eq!(newer.code, 0, "{}", newer.all());
    assert_contains!(newer.stdout, "kratos addons update auth");
    assert_contains!(newer.stdout, "changed      systemd::restart hydra");
    let want = eval(&format!("docker::archive(\"{}\").id", addon(NEW).display()));
    let got = eval("docker::container(\"auth\").image_id");
    assert_eq!(got, want);
    assert_contains!(addon_sees(), "alation_auth");
}

#[test]
fn a_policy_with_another_document_gets_a_new_default_version() {
    let Some(_g) = host_with_moto() else { return };
    eval(
        "iam::ensure_policy(\"read_secrets_policy\", iam::policy_document([\"secretsmanager:GetSecretValue\"], [\"arn:aws:secretsmanager:us-east-1:123456789012:secret:old-AbCdEf\"]))",
    );
    let run = playbook(&["--set", &addon_arg(OLD)]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains!(
        run.stdout,
        "changed      iam::ensure_policy read_secrets_policy"
    );
    let policy = eval(
        "let p = iam::policy(\"read_secrets_policy\"); `${p.default_version} ${p.document.Statement[0].Resource}`",
    );
    assert_contains!(policy, "v2");
    assert_contains!(policy, '*');
}

#[test]
fn a_user_at_the_two_key_limit_stops_before_any_change() {
    let Some(_g) = host_with_moto() else { return };
    eval(&format!(
        "iam::ensure_user(\"{USER}\"); iam::create_access_key(\"{USER}\"); iam::create_access_key(\"{USER}\");"
    ));
    let before = world();
    let run = playbook(&["--set", &addon_arg(OLD)]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "already has 2 access keys");
    assert_contains!(run.stderr, "rotate-access-key");
    assert_not_contains!(run.stdout, "[2]", "a step after the prerequisites ran");
    assert_eq!(world(), before);
}

#[test]
fn prerequisite_failures_stop_before_any_change_and_name_the_fix() {
    let Some(_g) = host_with_moto() else { return };
    let before = world();
    let arch = addon_arg(OLD);

    // Not root.
    let nobody = runbook(&["run", PLAYBOOK, "--set", &arch])
        .run_as(NOBODY)
        .run();
    assert_eq!(nobody.code, 1, "{}", nobody.all());
    assert_contains!(nobody.stderr, "must run as root");

    // An add-on archive older than the procedure requires.
    let dir = tempfile::tempdir().unwrap();
    let old: PathBuf = dir.path().join("auth-service-docker-image-5.13.0.1.tar.gz");
    std::fs::copy(addon(OLD), &old).unwrap();
    let run = playbook(&["--set", &format!("addon_archive={}", old.display())]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "5.13.0.1; 5.14.0.1968 or later is required");

    // A resource that is not a secret ARN.
    let run = playbook(&[
        "--set",
        &arch,
        "--set",
        "secret_arns=arn:aws:s3:::some-bucket",
    ]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "arn:aws:s3:::some-bucket");

    // A missing group.
    let run = playbook(&["--set", &arch, "--set", "group=no-such-group"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(
        run.stderr,
        "group 'no-such-group' does not exist on this host; is the Alation Agent installed?"
    );

    // kratos absent: a PATH with docker and systemctl only.
    let bin = tempfile::tempdir().unwrap();
    for tool in ["docker", "systemctl"] {
        let real = sh("sh", &["-c", &format!("command -v {tool}")]);
        std::os::unix::fs::symlink(real.trim(), bin.path().join(tool)).unwrap();
    }
    let run = runbook(&["run", PLAYBOOK, "--set", &arch, "--yes"])
        .env("PATH", bin.path())
        .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "kratos");
    assert_contains!(run.stderr, "Alation Agent host");

    assert_eq!(world(), before, "a failed prerequisite changed something");
}

#[test]
fn the_written_profile_reads_the_test_secret_and_a_wrong_one_fails_clearly() {
    let Some(_g) = host_with_moto() else { return };
    moto::create_secret("db/password", "hunter2hunter2value");
    let run = playbook(&["--set", &addon_arg(OLD), "--set", "test_secret=db/password"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains!(run.stdout, "and can read db/password");
    assert_not_contains!(
        run.all(),
        "hunter2hunter2value",
        "the test secret's value was printed"
    );

    let wrong = playbook(&["--set", &addon_arg(OLD), "--set", "test_secret=db/nope"]);
    assert_eq!(wrong.code, 1, "{}", wrong.all());
    assert_contains!(wrong.stdout, "failed step 6");
    assert_contains!(wrong.stderr, "db/nope");
}

#[test]
fn restarting_the_agent_without_a_terminal_needs_yes() {
    let Some(_g) = host_with_moto() else { return };
    let run = runbook(&[
        "run",
        PLAYBOOK,
        "--set",
        "user_name=agent-e2e",
        "--set",
        &addon_arg(OLD),
    ])
    .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "--yes");
    assert_contains!(run.stdout, "failed step 4");
    // Nothing after the refused restart ran: no key was created.
    assert_eq!(eval(&format!("iam::access_keys(\"{USER}\").len()")), "0");

    // The add-on was installed but not started: the next run restarts the Agent.
    let again = playbook(&["--set", &addon_arg(OLD)]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert_contains!(again.stdout, "changed      systemd::restart hydra");
    assert_not_contains!(again.stdout, "proc::run kratos");
    assert_contains!(addon_sees(), "alation_auth");
}

/// Issue 18, end to end: with the credentials file replaced by a link to a
/// decoy (standing in for /etc/shadow), the all-in-one playbook stops in its
/// first step, before any IAM change (no policy, user or key is made), with an
/// error naming the link and the fix, in check mode with --diff as in apply
/// mode. The decoy is untouched and nothing of it is printed.
#[test]
fn a_credentials_file_that_is_a_symbolic_link_stops_the_run_before_any_change() {
    let Some(_g) = host_with_moto() else { return };
    let elsewhere = tempfile::tempdir().unwrap();
    let decoy = elsewhere.path().join("decoy-shadow");
    let text = "root:$6$decoyhash:19000:0:99999:7:::\n[alation_auth]\naws_access_key_id = AKIADECOYDECOY000001\naws_secret_access_key = decoy-secret-value-0001\n";
    std::fs::write(&decoy, text).unwrap();
    let ino = std::fs::metadata(&decoy).unwrap().ino();
    std::fs::create_dir_all(CRED_DIR).unwrap();
    std::os::unix::fs::symlink(&decoy, CRED_FILE).unwrap();
    let before = world();
    let arch = addon_arg(OLD);
    for extra in [vec!["--check", "--diff"], vec![]] {
        let mut args = vec!["--set", arch.as_str()];
        args.extend(extra);
        let run = playbook(&args);
        let all = run.all();
        assert_eq!(run.code, 1, "{all}");
        assert!(
            all.contains(&format!(
                "{CRED_FILE} is a symbolic link to {}",
                decoy.display()
            )) && all.contains("follow_symlinks: true"),
            "{all}"
        );
        for leak in ["decoyhash", "AKIADECOY", "decoy-secret-value"] {
            assert_not_contains!(all, leak);
        }
        assert_eq!(world(), before, "the refused run changed something");
    }
    assert_eq!(std::fs::read_to_string(&decoy).unwrap(), text);
    assert_eq!(std::fs::metadata(&decoy).unwrap().ino(), ino);
    std::fs::remove_file(CRED_FILE).unwrap();
}
