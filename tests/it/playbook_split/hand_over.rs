//! Split duty: showing the key, a hand-typed key that fails, links and a stopped add-on.

use super::*;

/// The operator asks to see the key: it goes to the terminal only. `script`
/// gives the run a pseudo-terminal; stdout goes to a file, which must not
/// hold the secret.
#[test]
fn show_key_shows_the_secret_on_the_terminal_only_and_once() {
    let Some(_g) = host_with_moto() else { return };
    if Command::new("script").arg("--version").output().is_err() {
        panic!("`script` (util-linux) is needed for a pseudo-terminal");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stdout.txt");
    let run_on_tty = || {
        let cmd = format!(
            "{} run {IAM_USER} --set user_name={USER} --set show_key=true > {}",
            bin(),
            out.display()
        );
        // `script` runs the binary on a pseudo-terminal, with the runner's
        // clean environment, in the test's folder (alive until the run ends).
        let test = runbook(&["-qec", &cmd, "/dev/null"]);
        let mut child = test
            .command_for("script")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The question before the key is made: yes.
        child.stdin.take().unwrap().write_all(b"y\n").unwrap();
        let o = child.wait_with_output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            std::fs::read_to_string(&out).unwrap_or_default(),
        )
    };
    let (code, tty, stdout) = run_on_tty();
    assert_eq!(code, 0, "terminal:\n{tty}\nstdout:\n{stdout}");
    let keys = keys_of_user();
    let id = keys
        .trim_matches(|c| c == '[' || c == ']' || c == '"')
        .trim_end_matches(":Active")
        .to_string();
    assert!(id.starts_with("AKIA"), "{keys}");
    let shown = tty
        .lines()
        .find_map(|l| {
            l.split_once("it is shown only once: ")
                .map(|(_, s)| s.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no secret on the terminal:\n{tty}"));
    assert!(shown.len() >= 20, "{shown}");
    assert_contains!(tty, &id);
    assert_not_contains!(stdout, &shown, "the secret reached stdout");
    assert_contains!(stdout, "shown once on the terminal");

    // Again: the user has an active key, which cannot be shown twice; no new key.
    let (code, tty, stdout) = run_on_tty();
    assert_eq!(code, 0, "terminal:\n{tty}\nstdout:\n{stdout}");
    assert_contains!(stdout, "no new key");
    assert_not_contains!(tty, &shown);
    assert_eq!(keys_of_user(), keys);
}

/// Regression: a key given by hand that did not verify stayed in the file,
/// replacing a key that worked.
#[test]
fn a_key_given_by_hand_that_does_not_verify_gives_the_old_key_back() {
    let Some(_g) = host_with_moto() else { return };
    let arch = addon_arg(OLD);
    let setup = runbook(&[
        "run",
        "alation-agent/secrets-manager-iam-user",
        "--set",
        &format!("user_name={USER}"),
        "--set",
        &arch,
        "--yes",
    ])
    .run();
    assert_eq!(setup.code, 0, "{}", setup.all());
    let (old_id, old_secret) = key_in(Path::new(CRED_FILE));

    // A second, real key whose secret only a file sees (never printed).
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret");
    let new_id = eval(&format!(
        "let k = iam::create_access_key(\"{USER}\"); fs::write(\"{}\", k.secret, #{{mode: \"600\"}}); k.id",
        secret_file.display()
    ))
    .lines()
    .last()
    .unwrap()
    .trim_matches('"')
    .to_string();
    let new_secret = std::fs::read_to_string(&secret_file).unwrap();

    // Verification fails (the test secret does not exist): the old key goes back.
    let run = agent_setup_with(&[
        "--set",
        &format!("access_key_id={new_id}"),
        "--set",
        "test_secret=db/nope",
    ])
    .env("RUNBOOK_ACCESS_KEY_SECRET", new_secret.trim())
    .run();
    assert_eq!(run.code, 1, "{}", run.all());
    assert_contains!(run.stderr, &format!("the key {old_id}"));
    assert_contains!(run.stderr, "is back in place");
    assert_eq!(key_in(Path::new(CRED_FILE)), (old_id, old_secret.clone()));
    let meta = std::fs::metadata(CRED_FILE).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::mode(&meta) & 0o7777, 0o540);
    assert_not_contains!(run.all(), new_secret.trim());
    assert_not_contains!(run.all(), &old_secret);
}

/// A decoy for /etc/shadow with a credentials-like tail, so a run that read it
/// would find a profile in it; `(content, mode, uid, gid, inode)`.
fn decoy_in(dir: &Path) -> (PathBuf, (Vec<u8>, u32, u32, u32, u64)) {
    let decoy = dir.join("decoy-shadow");
    std::fs::write(
        &decoy,
        "root:$6$decoyhash:19000:0:99999:7:::\n[alation_auth]\naws_access_key_id = AKIADECOYDECOY000001\naws_secret_access_key = decoy-secret-value-0001\n",
    )
    .unwrap();
    std::fs::set_permissions(&decoy, std::fs::Permissions::from_mode(0o640)).unwrap();
    let m = std::fs::metadata(&decoy).unwrap();
    let snap = (
        std::fs::read(&decoy).unwrap(),
        m.mode() & 0o7777,
        m.uid(),
        m.gid(),
        m.ino(),
    );
    (decoy, snap)
}

/// Issue 18, end to end: the Agent's credentials file replaced by a link to a
/// decoy. agent-setup stops in its first step, before any change, with an
/// error naming the file, the link's target and the fix; the decoy is
/// untouched and nothing of it is printed, with --check --diff as well.
#[test]
fn agent_setup_refuses_a_credentials_file_that_is_a_symbolic_link() {
    let Some(_g) = host_with_moto() else { return };
    let elsewhere = tempfile::tempdir().unwrap();
    let (decoy, snap) = decoy_in(elsewhere.path());
    std::fs::create_dir_all(CRED_DIR).unwrap();
    std::fs::set_permissions(CRED_DIR, std::fs::Permissions::from_mode(0o750)).unwrap();
    std::os::unix::fs::symlink(&decoy, CRED_FILE).unwrap();
    let before = world();
    let secret = "e2e-secret-value-never-shown";
    for check in [true, false] {
        let mut extra = vec![
            "--set",
            "access_key_id=AKIAE2EE2EE2EE2EE2E1",
            "--set",
            "region=us-east-1",
        ];
        if check {
            extra.extend(["--check", "--diff"]);
        }
        let run = agent_setup_with(&extra)
            .env("RUNBOOK_ACCESS_KEY_SECRET", secret)
            .run();
        let all = run.all();
        assert_eq!(run.code, 1, "{all}");
        let link = format!("{CRED_FILE} is a symbolic link to {}", decoy.display());
        for expected in [
            link.as_str(),
            "follow_symlinks: true",
            "rm /etc/hydra/auth/.aws/credentials",
        ] {
            assert_contains!(all, expected);
        }
        for leak in ["decoyhash", "AKIADECOY", "decoy-secret-value", secret] {
            assert_not_contains!(all, leak);
        }
        assert!(!all.contains("kratos addons"), "a later step ran:\n{all}");
        assert_eq!(world(), before, "the refused run changed something");
    }
    let m = std::fs::metadata(&decoy).unwrap();
    assert_eq!(
        (
            std::fs::read(&decoy).unwrap(),
            m.mode() & 0o7777,
            m.uid(),
            m.gid(),
            m.ino()
        ),
        snap,
        "the decoy changed"
    );
    assert!(
        std::fs::symlink_metadata(CRED_FILE)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    std::fs::remove_file(CRED_FILE).unwrap();
}

/// Regression: with the add-on current but its container not running (an
/// install whose restart was refused, or a container stopped since),
/// agent-setup only started the unit, which was already active, and waited
/// for the container until the timeout. It restarts the Agent now, as the
/// all-in-one playbook does.
#[test]
fn agent_setup_restarts_the_agent_when_the_current_add_on_is_not_running() {
    let Some(_g) = host_with_moto() else { return };
    let ws = Workstation::new();
    let cloud = ws.iam_user(&["--set", &ws.handover_arg()]);
    assert_eq!(cloud.code, 0, "{}", cloud.all());
    let (id, secret) = key_in(&ws.handover());
    let state = || sh("docker", &["inspect", "-f", "{{.State.Status}}", "auth"]);
    // A wait far shorter than the default: without the restart it times out.
    let wait = "wait_timeout=60s";

    // No terminal and no --yes: the add-on is installed, the restart refused.
    let arch = addon_arg(OLD);
    let refused = runbook(&[
        "run",
        AGENT_SETUP,
        "--set",
        &arch,
        "--set",
        &ws.handover_arg(),
    ])
    .run();
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert_contains!(refused.stderr, "--yes");
    assert_contains!(refused.stdout, "failed step 2");
    assert_eq!(state().trim(), "created");
    assert!(ws.handover().exists());

    // The add-on is current but not running: the Agent restarts, kratos is not called.
    let again = agent_setup(&["--set", &ws.handover_arg(), "--set", wait]);
    assert_eq!(again.code, 0, "{}", again.all());
    for expected in [
        "the add-on is current but its container is created",
        "changed      systemd::restart hydra",
    ] {
        assert_contains!(again.stdout, expected);
    }
    assert_not_contains!(again.stdout, "proc::run kratos");
    assert!(!ws.handover().exists());
    assert_converged(&id, &secret);

    // A container stopped since: the same.
    sh("docker", &["stop", "auth"]);
    assert_eq!(state().trim(), "exited");
    let stopped = agent_setup(&["--set", wait]);
    assert_eq!(stopped.code, 0, "{}", stopped.all());
    assert_contains!(
        stopped.stdout,
        "the add-on is current but its container is exited"
    );
    assert_contains!(stopped.stdout, "changed      systemd::restart hydra");
    assert_converged(&id, &secret);
    for run in [&cloud, &refused, &again, &stopped] {
        assert_not_contains!(run.all(), &secret);
    }
}
