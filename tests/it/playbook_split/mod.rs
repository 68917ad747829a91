//! Split duty end to end, inside the Agent-host sandbox: `alation-agent/iam-user`
//! on the cloud side (run as an unprivileged user), then
//! `alation-agent/agent-setup` as root on the Agent host, reach the end state of
//! the all-in-one `alation-agent/secrets-manager-iam-user`. Serial: the Agent's
//! containers have fixed names.

use crate::common::agent::*;

use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
mod hand_over;

const IAM_USER: &str = "alation-agent/iam-user";
const AGENT_SETUP: &str = "alation-agent/agent-setup";
const ALL_IN_ONE: &str = "alation-agent/secrets-manager-iam-user";

/// The cloud admin's workstation: a folder of an unprivileged user, who runs
/// `iam-user` there (no root needed).
struct Workstation {
    dir: tempfile::TempDir,
}

impl Workstation {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY)).unwrap();
        Workstation { dir }
    }

    fn handover(&self) -> PathBuf {
        self.dir.path().join("alation-key.ini")
    }

    fn handover_arg(&self) -> String {
        format!("handover_file={}", self.handover().display())
    }

    /// `iam-user` as the unprivileged user, with the handover file in its folder.
    fn iam_user(&self, extra: &[&str]) -> Output {
        let mut args = vec!["run", IAM_USER, "--set", "user_name=agent-e2e"];
        args.extend_from_slice(extra);
        let lock = self.dir.path().join("runbook.lock");
        let home = self.dir.path().to_path_buf();
        runbook(&args)
            .run_as(NOBODY)
            .env("RUNBOOK_LOCK_FILE", &lock)
            .env("HOME", &home)
            .env_remove("AWS_CONFIG_FILE")
            .env_remove("AWS_SHARED_CREDENTIALS_FILE")
            .run()
    }
}

fn agent_setup(extra: &[&str]) -> Output {
    agent_setup_with(extra).run()
}

/// `agent-setup` as root, to adjust before it runs.
fn agent_setup_with(extra: &[&str]) -> Test {
    let arch = addon_arg(OLD);
    let mut args = vec!["run", AGENT_SETUP, "--yes", "--set", &arch];
    args.extend_from_slice(extra);
    runbook(&args)
}

fn get(kv: &[(String, String)], key: &str) -> Option<String> {
    kv.iter().find(|(n, _)| n == key).map(|(_, v)| v.clone())
}

fn keys_of_user() -> String {
    eval(&format!(
        "iam::access_keys(\"{USER}\").map(|k| k.id + \":\" + k.status)"
    ))
}

/// The end state of the all-in-one playbook for the key `id`/`secret`.
fn assert_converged(id: &str, secret: &str) {
    let meta = std::fs::metadata(CRED_FILE).unwrap();
    let gid = alationdocker_gid();
    assert_eq!(
        (meta.mode() & 0o7777, meta.uid(), meta.gid()),
        (0o540, 0, gid)
    );
    let dir = std::fs::metadata(CRED_DIR).unwrap();
    assert_eq!((dir.mode() & 0o7777, dir.gid()), (0o750, gid));
    assert_eq!(
        key_in(Path::new(CRED_FILE)),
        (id.to_string(), secret.to_string())
    );
    assert_eq!(keys_of_user(), format!("[\"{id}:Active\"]"));
    let attached = eval(
        "let p = iam::policy(\"read_secrets_policy\"); `${p.attachment_count} ${p.document.Statement[0].Action} ${p.document.Statement[0].Resource}`",
    );
    let attached = attached.trim_matches('"');
    assert!(attached.starts_with("1 "), "{attached}");
    assert_contains!(attached, "secretsmanager:GetSecretValue");
    assert_contains!(attached, '*');
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
}

#[test]
fn iam_user_then_agent_setup_reach_the_all_in_one_end_state() {
    let Some(_g) = host_with_moto() else { return };
    let ws = Workstation::new();
    let handover = ws.handover();
    let mut runs: Vec<Output> = Vec::new();

    // Check mode on the cloud side: the plan, no change, no file.
    let before = world();
    let plan = ws.iam_user(&["--check", "--set", &ws.handover_arg()]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    for expected in [
        "would_change iam::ensure_policy read_secrets_policy",
        "would_change iam::ensure_user agent-e2e",
        "would_change iam::create_access_key agent-e2e",
        "would_change ini::set_section",
    ] {
        assert_contains!(plan.stdout, expected);
    }
    assert_eq!(world(), before, "a check run changed something");
    assert!(!handover.exists(), "check mode wrote the hand-over file");

    // The cloud admin, unprivileged: policy, user, attachment, one key, in a 0600 file.
    let cloud = ws.iam_user(&["--set", &ws.handover_arg()]);
    assert_eq!(cloud.code, 0, "{}", cloud.all());
    assert_contains!(
        cloud.stdout,
        "changed      iam::create_access_key agent-e2e"
    );
    let meta = std::fs::metadata(&handover).unwrap();
    assert_eq!(
        (meta.mode() & 0o7777, meta.uid()),
        (0o600, NOBODY),
        "the hand-over file is 0600 and the running user's"
    );
    let (id, secret) = key_in(&handover);
    assert!(secret.len() >= 20, "a real secret is in the hand-over file");
    let text = std::fs::read_to_string(&handover).unwrap();
    assert_eq!(
        get(&profile_of(&text, "alation_auth"), "region").as_deref(),
        Some("us-east-1"),
        "{text}"
    );
    assert_eq!(keys_of_user(), format!("[\"{id}:Active\"]"));
    assert!(
        !Path::new(CRED_FILE).exists(),
        "iam-user touched the Agent's file"
    );
    runs.push(plan);
    runs.push(cloud);

    // Second run on the cloud side, JSON: zero changes, same file.
    let again = ws.iam_user(&["--set", &ws.handover_arg(), "--output", "json"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let r = recap(&again);
    assert_eq!(
        (r["changed"].as_u64(), r["success"].as_bool()),
        (Some(0), Some(true)),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::read_to_string(&handover).unwrap(), text);
    runs.push(again);

    // Check mode on the Agent host: nothing changes, the hand-over file stays.
    let before = world();
    let plan = agent_setup(&["--check", "--set", &ws.handover_arg()]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    for expected in [
        "proc::run kratos addons install auth",
        "would_change fs::mkdir /etc/hydra/auth/.aws",
        "would_change ini::set_section /etc/hydra/auth/.aws/credentials [alation_auth]",
        "would_change fs::remove",
    ] {
        assert_contains!(plan.stdout, expected);
    }
    assert_eq!(world(), before, "a check run changed something");
    assert!(handover.exists());
    runs.push(plan);

    // The Agent host's admin, root: add-on, credentials file, verification, file removed.
    let agent = agent_setup(&["--set", &ws.handover_arg()]);
    assert_eq!(agent.code, 0, "{}", agent.all());
    assert_contains!(agent.stdout, "kratos addons install auth");
    assert_contains!(
        agent.stdout,
        "profile alation_auth authenticates as arn:aws:iam::123456789012:user/agent-e2e"
    );
    assert_contains!(agent.stdout, "Region               us-east-1");
    assert!(!handover.exists(), "the hand-over file was not removed");
    assert_converged(&id, &secret);
    runs.push(agent);

    // Second run with the same command line: the hand-over file is gone, the key stays.
    let again = agent_setup(&["--set", &ws.handover_arg(), "--output", "json"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let r = recap(&again);
    assert_eq!(
        (r["changed"].as_u64(), r["success"].as_bool()),
        (Some(0), Some(true)),
        "{}",
        again.stdout
    );
    assert_not_contains!(again.stdout, "\"action\":\"run\"", "kratos was called");
    assert_converged(&id, &secret);
    runs.push(again);

    // The all-in-one playbook finds nothing to do: the same end state.
    let all = runbook(&[
        "run",
        ALL_IN_ONE,
        "--yes",
        "--set",
        "user_name=agent-e2e",
        "--set",
        &addon_arg(OLD),
        "--output",
        "json",
    ])
    .run();
    assert_eq!(all.code, 0, "{}", all.all());
    let r = recap(&all);
    assert_eq!(r["changed"].as_u64(), Some(0), "{}", all.stdout);
    runs.push(all);

    for run in &runs {
        assert_not_contains!(run.all(), &secret, "the secret access key was printed");
    }
}

#[test]
fn iam_user_without_a_way_to_hand_the_key_over_stops_before_any_change() {
    let Some(_g) = host_with_moto() else { return };
    let ws = Workstation::new();
    let before = world();

    let run = ws.iam_user(&[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "--set handover_file=");
    assert_contains!(run.stderr, "--set show_key=true");
    assert_not_contains!(run.stdout, "[2]", "a step after the prerequisites ran");

    // show_key without a terminal: no key is created only to be lost.
    let run = ws.iam_user(&["--set", "show_key=true"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "needs a terminal");
    assert_contains!(run.stderr, "handover_file");

    // A relative path, and a folder that does not exist.
    let run = ws.iam_user(&["--set", "handover_file=key.ini"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains!(run.stderr, "not an absolute path");
    let run = ws.iam_user(&["--set", "handover_file=/no/such/folder/key.ini"]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "/no/such/folder does not exist");

    assert_eq!(world(), before, "a failed prerequisite changed something");
    assert_eq!(eval(&format!("iam::user(\"{USER}\") == ()")), "true");
}

#[test]
fn agent_setup_takes_the_key_id_and_the_secret_from_the_environment() {
    let Some(_g) = host_with_moto() else { return };
    let ws = Workstation::new();
    // JSON with diffs this time: the secret must stay out of those too.
    let cloud = ws.iam_user(&["--set", &ws.handover_arg(), "--output", "json", "--diff"]);
    assert_eq!(cloud.code, 0, "{}", cloud.all());
    assert_eq!(
        recap(&cloud)["success"].as_bool(),
        Some(true),
        "{}",
        cloud.stdout
    );
    let (id, secret) = key_in(&ws.handover());
    std::fs::remove_file(ws.handover()).unwrap();

    // No key from anywhere on a fresh host: stop before any change, naming the ways.
    let before = world();
    let none = agent_setup(&[]);
    assert_eq!(none.code, 1, "{}", none.all());
    assert_contains!(none.stderr, "--set handover_file=");
    assert_contains!(none.stderr, "RUNBOOK_ACCESS_KEY_SECRET");
    // A hand-over file that never arrived.
    let missing = agent_setup(&["--set", &ws.handover_arg()]);
    assert_eq!(missing.code, 1, "{}", missing.all());
    assert_contains!(
        missing.stderr,
        "does not exist and /etc/hydra/auth/.aws/credentials holds no key yet"
    );
    // The id without its secret, and no terminal to ask on.
    let half = agent_setup(&["--set", &format!("access_key_id={id}")]);
    assert_eq!(half.code, 1, "{}", half.all());
    assert_contains!(half.stderr, "RUNBOOK_ACCESS_KEY_SECRET");
    assert_contains!(half.stderr, "access_key_secret=@FILE");
    assert_eq!(world(), before, "a failed prerequisite changed something");

    let key = format!("access_key_id={id}");
    let with_env = |extra: &[&str]| {
        let mut args = vec!["--set", key.as_str()];
        args.extend_from_slice(extra);
        agent_setup_with(&args)
            .env("RUNBOOK_ACCESS_KEY_SECRET", &secret)
            .run()
    };
    let first = with_env(&["--output", "json", "--diff"]);
    assert_eq!(first.code, 0, "{}", first.all());
    assert!(
        recap(&first)["changed"].as_u64() > Some(0),
        "{}",
        first.stdout
    );
    assert_converged(&id, &secret);

    let again = with_env(&["--output", "json"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let r = recap(&again);
    assert_eq!(r["changed"].as_u64(), Some(0), "{}", again.stdout);

    // The secret from a file (--set access_key_secret=@FILE) works the same way.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), format!("{secret}\n")).unwrap();
    let from_file = agent_setup(&[
        "--set",
        &format!("access_key_id={id}"),
        "--set",
        &format!("access_key_secret=@{}", file.path().display()),
        "--output",
        "json",
    ]);
    assert_eq!(from_file.code, 0, "{}", from_file.all());
    assert_eq!(
        recap(&from_file)["changed"].as_u64(),
        Some(0),
        "{}",
        from_file.stdout
    );

    // A new hand-over replaces the key; the Agent's admin is told which old key to have deleted.
    let cloud2 = ws.iam_user(&["--set", &ws.handover_arg()]);
    assert_eq!(cloud2.code, 0, "{}", cloud2.all());
    assert_contains!(cloud2.stdout, &format!("keeps its other active key {id}"));
    let (id2, secret2) = key_in(&ws.handover());
    assert_ne!(id2, id);
    let replace = agent_setup(&["--set", &ws.handover_arg()]);
    assert_eq!(replace.code, 0, "{}", replace.all());
    assert_contains!(
        replace.stdout,
        &format!(
            "the key {id} that /etc/hydra/auth/.aws/credentials [alation_auth] held before is no longer used"
        )
    );
    assert_eq!(key_in(Path::new(CRED_FILE)), (id2.clone(), secret2.clone()));
    assert!(!ws.handover().exists());

    for run in [
        &cloud, &none, &half, &first, &again, &from_file, &cloud2, &replace,
    ] {
        assert_not_contains!(run.all(), &secret2, "the new secret was printed");
        assert_not_contains!(run.all(), &secret, "the secret access key was printed");
    }
}

#[test]
fn a_key_whose_hand_over_fails_is_deleted_again() {
    let Some(_g) = host_with_moto() else { return };
    // A folder the unprivileged admin cannot write to: the key is created, the
    // write fails, and the key must not survive (AWS shows its secret only once).
    let ws = Workstation::new();
    let locked = tempfile::tempdir().unwrap();
    let target = locked.path().join("alation-key.ini");
    let run = ws.iam_user(&["--set", &format!("handover_file={}", target.display())]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stdout, "changed      iam::create_access_key agent-e2e");
    assert_contains!(run.stdout, "changed      iam::delete_access_key agent-e2e");
    assert_eq!(keys_of_user(), "[]", "an orphan key is left");
    assert!(!target.exists());
}
