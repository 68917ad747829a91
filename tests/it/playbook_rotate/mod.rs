//! `alation-agent/rotate-access-key` end to end, inside the Agent-host sandbox:
//! moto for AWS, the real Docker daemon, systemd as PID 1, and the `kratos`
//! stand-in. Each test first converges the host with
//! `alation-agent/secrets-manager-iam-user`. Serial: the Agent's containers
//! have fixed names.

use crate::common::agent::*;

use std::os::unix::fs::MetadataExt;
use std::path::Path;
mod failures;

const PLAYBOOK: &str = "alation-agent/rotate-access-key";
const SETUP: &str = "alation-agent/secrets-manager-iam-user";

fn playbook(extra: &[&str]) -> Output {
    let mut args = vec!["run", PLAYBOOK, "--set", "user_name=agent-e2e"];
    args.extend_from_slice(extra);
    runbook(&args).run()
}

/// The value an `eval` returns: its last line, a string without its quotes
/// (the lines before are the events of what the code changed).
fn value(code: &str) -> String {
    let out = eval(code);
    let last = out.lines().last().unwrap_or_default().trim();
    last.trim_matches('"').to_string()
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

/// The starting point of every rotation: the whole procedure, converged.
fn converge() -> (String, String) {
    let run = runbook(&[
        "run",
        SETUP,
        "--set",
        "user_name=agent-e2e",
        "--set",
        &addon_arg(OLD),
        "--yes",
    ])
    .run();
    assert_eq!(run.code, 0, "converging failed: {}", run.all());
    key_in_file()
}

/// The user's keys as `id:Status`, oldest first.
fn keys() -> Vec<String> {
    let out = value(&format!(
        "let s = \"\"; for k in iam::access_keys(\"{USER}\") {{ s += k.id + \":\" + k.status + \" \"; }} s"
    ));
    out.split_whitespace().map(str::to_string).collect()
}

/// Creates another key for the user (its secret is dropped) and returns its id.
fn extra_key() -> String {
    value(&format!("iam::create_access_key(\"{USER}\").id"))
}

fn assert_file_attrs() {
    let meta = std::fs::metadata(CRED_FILE).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o540, "mode of the credentials file");
    assert_eq!(meta.uid(), 0);
    assert_eq!(
        meta.gid(),
        alationdocker_gid(),
        "group of the credentials file"
    );
    let dir = std::fs::metadata(CRED_DIR).unwrap();
    assert_eq!(
        (dir.mode() & 0o7777, dir.gid()),
        (0o750, alationdocker_gid())
    );
}

/// Who the profile in the file authenticates as (from the file only).
fn file_identity() -> String {
    value(&format!(
        "sts::whoami(#{{profile: \"alation_auth\", credentials_file: \"{CRED_FILE}\"}}).arn"
    ))
}

const USER_ARN: &str = "arn:aws:iam::123456789012:user/agent-e2e";

#[test]
fn rotation_replaces_the_key_and_keeps_everything_else() {
    let Some(_g) = host_with_moto() else { return };
    std::fs::create_dir_all(CRED_DIR).unwrap();
    let original = "# managed by hand\n[default]\naws_access_key_id = AKIADEFAULT000000000\naws_secret_access_key=defaultsecretdefaultsecret\n\n; the old connector\n[legacy]\naws_access_key_id=AKIALEGACY0000000000\naws_secret_access_key = legacysecretlegacysecret\nregion=eu-west-1\n";
    std::fs::write(CRED_FILE, original).unwrap();
    let (old_id, old_secret) = converge();
    // An entry of the profile itself that the rotation must keep.
    eval(&format!(
        "let s = ini::read(\"{CRED_FILE}\")[\"alation_auth\"]; s.region = \"us-east-1\"; ini::set_section(\"{CRED_FILE}\", \"alation_auth\", s, #{{mode: \"540\", group: \"alationdocker\"}}); ()"
    ));

    let run = playbook(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let (new_id, new_secret) = key_in_file();
    assert_ne!(new_id, old_id, "the file still holds the old key");
    assert_ne!(new_secret, old_secret);
    assert_eq!(
        keys(),
        vec![format!("{new_id}:Active")],
        "exactly the new key remains"
    );
    for expected in [
        "changed      iam::create_access_key agent-e2e",
        "changed      ini::set_section /etc/hydra/auth/.aws/credentials [alation_auth]",
        &format!("authenticates as {USER_ARN} with the new key {new_id}"),
        "changed      iam::deactivate_access_key agent-e2e",
        "changed      iam::delete_access_key agent-e2e",
    ] {
        assert_contains!(run.stdout, expected);
    }
    // Verification before retirement: the old key goes only after the new one is proven.
    let verified = run.stdout.find("authenticates as").unwrap();
    let retired = run.stdout.find("iam::deactivate_access_key").unwrap();
    assert!(verified < retired, "{}", run.stdout);

    // The file: same mode and group, other profiles and comments byte for byte, the
    // profile's other entry kept; the add-on reads it; the new key works.
    assert_file_attrs();
    let after = std::fs::read_to_string(CRED_FILE).unwrap();
    assert!(after.starts_with(original), "other bytes changed:\n{after}");
    let section = profile_of(&after, "alation_auth");
    assert!(
        section.contains(&("region".to_string(), "us-east-1".to_string())),
        "{section:?}"
    );
    assert_eq!(section.len(), 3, "{section:?}");
    assert_contains!(
        addon_sees(),
        "alation_auth",
        "the add-on cannot read the profile"
    );
    assert_eq!(file_identity(), USER_ARN);

    // An explicit action: a second run rotates again.
    let again = playbook(&["--output", "json"]);
    assert_eq!(again.code, 0, "{}", again.all());
    let r = recap(&again);
    assert!(r["changed"].as_u64().unwrap() >= 4, "{}", again.stdout);
    let (third_id, third_secret) = key_in_file();
    assert_ne!(third_id, new_id);
    assert_eq!(keys(), vec![format!("{third_id}:Active")]);

    for run in [&run, &again] {
        for secret in [&old_secret, &new_secret, &third_secret] {
            assert_not_contains!(
                run.all(),
                secret.as_str(),
                "a secret access key was printed"
            );
        }
        assert_not_contains!(run.all(), "defaultsecretdefaultsecret");
        assert_not_contains!(run.all(), "legacysecretlegacysecret");
    }
}

#[test]
fn check_mode_shows_the_plan_and_changes_nothing() {
    let Some(_g) = host_with_moto() else { return };
    let (old_id, secret) = converge();
    let before = world();
    let run = playbook(&["--check"]);
    assert_eq!(run.code, 0, "{}", run.all());
    for expected in [
        "would_change iam::create_access_key agent-e2e",
        "would_change ini::set_section /etc/hydra/auth/.aws/credentials [alation_auth]",
        "(known after apply)",
        "would_change iam::deactivate_access_key agent-e2e",
        "would_change iam::delete_access_key agent-e2e",
        &old_id,
    ] {
        assert_contains!(run.stdout, expected);
    }
    assert_not_contains!(run.all(), &secret);
    assert_eq!(world(), before, "a check run changed something");

    let pending = playbook(&["--check", "--detailed-exitcode"]);
    assert_eq!(pending.code, 3, "{}", pending.all());
    assert_eq!(world(), before);
}

#[test]
fn an_inactive_key_not_in_the_file_is_deleted_first() {
    let Some(_g) = host_with_moto() else { return };
    let (old_id, old_secret) = converge();
    let extra = extra_key();
    eval(&format!(
        "iam::deactivate_access_key(\"{USER}\", \"{extra}\"); ()"
    ));

    // The plan names it, and check mode still changes nothing.
    let before = world();
    let check = playbook(&["--check"]);
    assert_eq!(check.code, 0, "{}", check.all());
    assert_contains!(
        check.stdout,
        "would_change iam::delete_access_key agent-e2e"
    );
    assert_contains!(check.stdout, &extra);
    assert_contains!(check.stdout, "(known after apply)");
    assert_eq!(world(), before);

    let run = playbook(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let deleted = run
        .stdout
        .find(&format!("Delete the inactive key {extra}"))
        .expect(&run.stdout);
    let created = run
        .stdout
        .find("changed      iam::create_access_key")
        .expect(&run.stdout);
    assert!(
        deleted < created,
        "the inactive key was not deleted first:\n{}",
        run.stdout
    );
    let (new_id, new_secret) = key_in_file();
    assert!(new_id != old_id && new_id != extra);
    assert_eq!(keys(), vec![format!("{new_id}:Active")]);
    assert_eq!(file_identity(), USER_ARN);
    assert_file_attrs();
    for secret in [&old_secret, &new_secret] {
        assert_not_contains!(run.all(), secret.as_str());
        assert_not_contains!(check.all(), secret.as_str());
    }
}

#[test]
fn an_active_key_not_in_the_file_stops_before_any_change() {
    let Some(_g) = host_with_moto() else { return };
    let (old_id, secret) = converge();
    let extra = extra_key();
    let before = world();
    let run = playbook(&[]);
    assert_eq!(run.code, 1, "{}", run.all());
    for expected in [
        "2 active keys",
        old_id.as_str(),
        extra.as_str(),
        "Nothing was changed",
        &format!("aws iam delete-access-key --user-name agent-e2e --access-key-id {extra}"),
    ] {
        assert_contains!(run.stderr, expected);
    }
    assert_not_contains!(run.stdout, "[2]", "a step after the prerequisites ran");
    assert_eq!(world(), before, "the stop changed something");
    assert_not_contains!(run.all(), &secret);
}

#[test]
fn two_active_keys_and_neither_in_the_file_stops_and_names_both() {
    let Some(_g) = host_with_moto() else { return };
    converge();
    std::fs::remove_file(CRED_FILE).unwrap();
    let extra = extra_key();
    let before = world();
    let run = playbook(&[]);
    assert_eq!(run.code, 1, "{}", run.all());
    let all_keys = keys();
    assert_eq!(all_keys.len(), 2);
    for k in &all_keys {
        assert_contains!(run.stderr, k.split(':').next().unwrap());
    }
    assert_contains!(run.stderr, &extra);
    assert_contains!(run.stderr, "holds no access key");
    assert_contains!(run.stderr, "nothing to rotate");
    assert_eq!(world(), before);
}

/// What a run killed after writing the new key leaves: the file holds a newer
/// key of the user, the old key still exists (`old_status`).
fn interrupted(old_id: &str, old_status: &str) -> String {
    let new_id = value(&format!(
        "let k = iam::create_access_key(\"{USER}\"); ini::set_section(\"{CRED_FILE}\", \"alation_auth\", #{{aws_access_key_id: k.id, aws_secret_access_key: k.secret}}, #{{mode: \"540\", owner: \"root\", group: \"alationdocker\"}}); k.id"
    ));
    if old_status == "Inactive" {
        eval(&format!(
            "iam::deactivate_access_key(\"{USER}\", \"{old_id}\"); ()"
        ));
    }
    assert_eq!(
        keys(),
        vec![format!("{old_id}:{old_status}"), format!("{new_id}:Active")]
    );
    new_id
}

#[test]
fn a_rerun_after_an_interrupted_rotation_finishes_it() {
    let Some(_g) = host_with_moto() else { return };
    for old_status in ["Active", "Inactive"] {
        let (old_id, old_secret) = converge();
        let new_id = interrupted(&old_id, old_status);
        let (_, new_secret) = key_in_file();

        let run = playbook(&[]);
        assert_eq!(run.code, 0, "{old_status}: {}", run.all());
        assert_contains!(run.stdout, "finishing an interrupted rotation");
        assert_not_contains!(
            run.stdout,
            "iam::create_access_key",
            "a finishing run made yet another key"
        );
        assert_eq!(key_in_file().0, new_id);
        assert_eq!(keys(), vec![format!("{new_id}:Active")], "{old_status}");
        assert_eq!(file_identity(), USER_ARN);
        assert_file_attrs();
        for secret in [&old_secret, &new_secret] {
            assert_not_contains!(run.all(), secret.as_str());
        }

        // Converged: the next run is an ordinary rotation again.
        let next = playbook(&[]);
        assert_eq!(next.code, 0, "{}", next.all());
        assert_contains!(next.stdout, "changed      iam::create_access_key");
        assert_eq!(keys().len(), 1);

        // Start the second case from a clean user.
        eval(&format!(
            "for k in iam::access_keys(\"{USER}\") {{ iam::delete_access_key(\"{USER}\", k.id); }} ()"
        ));
        std::fs::remove_file(CRED_FILE).unwrap();
    }
}

#[test]
fn prerequisite_failures_stop_before_any_change() {
    let Some(_g) = host_with_moto() else { return };
    let before = world();
    let run = playbook(&[]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "IAM user agent-e2e does not exist");
    assert_contains!(run.stderr, "secrets-manager-iam-user");
    let run = playbook(&["--set", "mode=999"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert_contains!(
        run.stderr,
        "parameter 'mode' from --set: '999' is not a file mode"
    );
    assert_eq!(world(), before);
}

#[test]
fn a_deactivated_key_in_the_file_is_replaced() {
    let Some(_g) = host_with_moto() else { return };
    let (old_id, _) = converge();
    eval(&format!(
        "iam::deactivate_access_key(\"{USER}\", \"{old_id}\"); ()"
    ));
    let run = playbook(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_contains!(run.all(), &format!("the key {old_id} in"));
    assert_contains!(run.all(), "does not work (it is Inactive)");
    let (new_id, secret) = key_in_file();
    assert_ne!(new_id, old_id);
    assert_eq!(keys(), vec![format!("{new_id}:Active")]);
    assert_eq!(file_identity(), USER_ARN);
    assert_not_contains!(run.all(), &secret);
}

#[test]
fn a_failed_write_deletes_the_new_key_and_leaves_the_old_one() {
    let Some(_g) = host_with_moto() else { return };
    let (old_id, old_secret) = converge();
    let text = std::fs::read_to_string(CRED_FILE).unwrap();
    // An immutable folder: the atomic write cannot create its temp file.
    sh("chattr", &["+i", CRED_DIR]);
    let run = playbook(&[]);
    sh("chattr", &["-i", CRED_DIR]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stdout, "changed      iam::create_access_key");
    assert_contains!(run.stderr, "was deleted again; the file and the old key");
    assert_contains!(run.stderr, &old_id);
    assert_eq!(
        keys(),
        vec![format!("{old_id}:Active")],
        "an orphan key was left"
    );
    assert_eq!(std::fs::read_to_string(CRED_FILE).unwrap(), text);
    assert_not_contains!(run.all(), &old_secret);

    // And the next run rotates as usual.
    let run = playbook(&[]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(keys().len(), 1);
    assert_ne!(key_in_file().0, old_id);
}
