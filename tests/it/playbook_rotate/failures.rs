//! Rotation when the new key fails verification, and kills between any two steps.

use super::*;

/// A site copy of the playbook whose verification of the new key always
/// fails, as when IAM never accepts it: the failure branch with real calls.
fn failing_copy(dir: &Path) -> String {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("playbooks/alation-agent/rotate-access-key.rhai"),
    )
    .unwrap();
    let line = "who = alation::verify_profile(file, profile, region, test_secret, \
                #{user_arn: plan.user_arn, wait: \"60s\"});";
    assert_contains!(src, line, "the verification line moved: update this test");
    let patched = src.replace(line, "fail(\"simulated: InvalidClientTokenId\");");
    let path = dir.join("rotate-access-key.rhai");
    std::fs::write(&path, patched).unwrap();
    path.display().to_string()
}

#[test]
fn a_new_key_that_fails_verification_puts_the_old_one_back() {
    let Some(_g) = host_with_moto() else { return };
    let (old_id, old_secret) = converge();
    let text = std::fs::read_to_string(CRED_FILE).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = failing_copy(dir.path());
    let run = runbook(&["run", &copy, "--set", "user_name=agent-e2e"]).run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, "did not authenticate");
    assert_contains!(run.stderr, &format!("holds the old key {old_id} again"));
    assert_contains!(run.stderr, "nothing changed");
    assert_not_contains!(run.stdout, "iam::deactivate_access_key");
    assert_eq!(std::fs::read_to_string(CRED_FILE).unwrap(), text);
    assert_eq!(
        keys(),
        vec![format!("{old_id}:Active")],
        "the new key was left"
    );
    assert_file_attrs();
    assert_not_contains!(run.all(), &old_secret);
}

#[test]
fn a_new_key_that_fails_verification_stays_when_the_old_one_does_not_work() {
    let Some(_g) = host_with_moto() else { return };
    let (old_id, _) = converge();
    eval(&format!(
        "iam::deactivate_access_key(\"{USER}\", \"{old_id}\"); ()"
    ));
    let dir = tempfile::tempdir().unwrap();
    let copy = failing_copy(dir.path());
    let run = runbook(&["run", &copy, "--set", "user_name=agent-e2e"]).run();
    assert_eq!(run.code, 1, "{}", run.all());
    let (new_id, new_secret) = key_in_file();
    assert_ne!(new_id, old_id);
    assert_contains!(run.stderr, &format!("the new key {new_id} is in"));
    assert_contains!(run.stderr, "so the new key stays in the file");
    assert_contains!(run.stderr, "run again");
    assert_eq!(
        keys(),
        vec![format!("{old_id}:Inactive"), format!("{new_id}:Active")]
    );
    assert_not_contains!(run.all(), &new_secret);

    // The rerun (the real playbook) verifies the new key and retires the old one.
    let rerun = playbook(&[]);
    assert_eq!(rerun.code, 0, "{}", rerun.all());
    assert_contains!(rerun.stdout, "finishing an interrupted rotation");
    assert_eq!(key_in_file().0, new_id);
    assert_eq!(keys(), vec![format!("{new_id}:Active")]);
    assert_not_contains!(rerun.all(), &new_secret);
}

/// Runs a copy of the playbook that stops at `point` (a line of the playbook,
/// before which it pauses), kills it there with SIGKILL, and returns what it printed.
fn killed_at(point: &str) -> String {
    use std::io::BufRead;
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("playbooks/alation-agent/rotate-access-key.rhai"),
    )
    .unwrap();
    assert_eq!(
        src.matches(point).count(),
        1,
        "{point:?} moved: update this test"
    );
    let patched = src.replace(
        point,
        &format!("print(\"KILL ME\"); sleep(\"60s\"); {point}"),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rotate-access-key.rhai");
    std::fs::write(&path, patched).unwrap();
    let test = runbook(&[
        "run",
        &path.display().to_string(),
        "--set",
        "user_name=agent-e2e",
    ]);
    let mut child = test
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = String::new();
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        out.push_str(&line);
        out.push('\n');
        if line.contains("KILL ME") {
            child.kill().unwrap();
            break;
        }
    }
    let status = child.wait().unwrap();
    assert_contains!(out, "KILL ME", "the run never reached {point:?}");
    assert!(!status.success());
    out
}

#[test]
fn killed_between_any_two_steps_a_rerun_converges() {
    let Some(_g) = host_with_moto() else { return };
    for point in [
        // inside the step that creates and writes, between the two
        "        try {\n            alation::write_profile(dir, profile, with_key(",
        // after the write, before the verification
        "step(\"Verify the new key from the file\"",
        // after the verification, before the old key is retired
        "step(\"Retire the old key \"",
        // between deactivating and deleting the old key
        "    iam::delete_access_key(user, plan.old);",
    ] {
        let (old_id, old_secret) = converge();
        let out = killed_at(point);
        let rerun = playbook(&[]);
        let all_keys = keys();
        if point.contains("write_profile") {
            // Killed between creating the key and storing its secret: the
            // secret is lost, the file still holds the old key, and the rerun
            // stops before any change, naming the orphan key.
            assert_eq!(rerun.code, 1, "{}", rerun.all());
            assert_eq!(key_in_file().0, old_id);
            assert_eq!(all_keys.len(), 2, "{all_keys:?}");
            let orphan = all_keys[1].split(':').next().unwrap().to_string();
            assert_contains!(
                rerun.stderr,
                &format!(
                    "aws iam delete-access-key --user-name agent-e2e --access-key-id {orphan}"
                )
            );
            // Following the advice converges.
            eval(&format!(
                "iam::delete_access_key(\"{USER}\", \"{orphan}\"); ()"
            ));
            let again = playbook(&[]);
            assert_eq!(again.code, 0, "{}", again.all());
        } else {
            assert_eq!(
                rerun.code,
                0,
                "killed before {point:?}:\n{out}\n{}",
                rerun.all()
            );
            assert_contains!(rerun.stdout, "finishing an interrupted rotation");
        }
        let (id, secret) = key_in_file();
        assert_ne!(id, old_id, "killed before {point:?}");
        assert_eq!(
            keys(),
            vec![format!("{id}:Active")],
            "killed before {point:?}"
        );
        assert_eq!(file_identity(), USER_ARN);
        assert_file_attrs();
        for s in [&old_secret, &secret] {
            assert_not_contains!(out, s.as_str());
            assert_not_contains!(rerun.all(), s.as_str());
        }
        eval(&format!(
            "for k in iam::access_keys(\"{USER}\") {{ iam::delete_access_key(\"{USER}\", k.id); }} ()"
        ));
        std::fs::remove_file(CRED_FILE).unwrap();
    }
}
