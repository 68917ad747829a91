//! The docker and systemd modules as scripts see them, and daemon access errors.

use super::*;

#[test]
fn scripts_see_the_modules_with_maps_and_catchable_errors() {
    let Some(_g) = agent::host() else { return };
    remove_addon();
    let archive = addon(OLD);
    let script = format!(
        r#"
        let st = systemd::status("hydra");
        if st.active != "active" {{ throw "hydra not active: " + st; }}
        if systemd::status("runbook-no-such-unit") != () {{ throw "unknown unit has a status"; }}
        let r = systemd::start("hydra", #{{timeout: "30s"}});
        if r.status != "ok" || r.changed {{ throw "start of active: " + r; }}
        let r = systemd::restart("hydra");
        if r.status != "changed" || r.main_pid == st.main_pid {{ throw "restart: " + r; }}
        let kind = "";
        try {{ systemd::restart("runbook-no-such-unit"); }} catch (e) {{ kind = e.kind; }}
        if kind != "not_found" {{ throw "unknown unit error kind: " + kind; }}
        try {{ systemd::start("hydra", #{{timout: "1s"}}); }} catch (e) {{ kind = e.kind; }}
        if kind != "invalid_input" {{ throw "typo in opts not refused"; }}

        let l = docker::load("{archive}");
        if l.status != "changed" || !l.id.starts_with("sha256:") {{ throw "load: " + l; }}
        if docker::load("{archive}").status != "ok" {{ throw "second load not ok"; }}
        if docker::image("auth").id != l.id {{ throw "image id"; }}
        if docker::container("runbook-no-such-container") != () {{ throw "absent container"; }}
        if type_of(docker::ps()) != "array" || type_of(docker::ps(#{{all: true}})) != "array" {{ throw "ps"; }}
        try {{ docker::load("/nonexistent/auth.tar.gz"); }} catch (e) {{ kind = e.kind; }}
        if kind != "not_found" {{ throw "missing archive kind: " + kind; }}
        "done"
        "#,
        archive = archive.display()
    );
    let out = Engine::new(Mode::Apply)
        .eval(&script)
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(out, "done");

    // Check mode: the same calls change nothing and waits are skipped.
    let pid = systemd::status(&apply(), "hydra")
        .unwrap()
        .unwrap()
        .main_pid;
    let out = Engine::new(Mode::Check)
        .eval(
            r#"
            let r = systemd::restart("hydra");
            if r.status != "would_change" { throw "check restart: " + r; }
            let w = docker::wait_running("auth", #{timeout: "1s", healthy: true});
            if w.status != "skipped" { throw "check wait: " + w; }
            "done"
            "#,
        )
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(out, "done");
    assert_eq!(
        systemd::status(&apply(), "hydra")
            .unwrap()
            .unwrap()
            .main_pid,
        pid
    );
    remove_addon();
}

#[test]
fn container_stopped_earlier_is_waited_for_until_started() {
    let Some(_g) = agent::host() else { return };
    let rt = rt();
    let d = rt.block_on(docker::connect()).unwrap();
    let image = addon_image(&rt, &d);
    // Like `auth` during `systemctl restart hydra`: stopped by the Agent's
    // stop (an old start time, exit code 137), started again a moment later.
    let c = TempContainer(unique("restarted"));
    must(
        "docker",
        &["run", "-d", "--name", &c.0, &image, "sleep", "1000"],
    );
    std::thread::sleep(Duration::from_secs(3));
    must("docker", &["stop", "-t", "0", &c.0]);
    let name = c.0.clone();
    let starter = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        must("docker", &["start", &name]);
    });
    let (o, info) = rt
        .block_on(docker::wait_running(
            &apply(),
            &d,
            &c.0,
            Duration::from_secs(30),
            false,
        ))
        .unwrap();
    starter.join().unwrap();
    assert_eq!(o.status, Status::Ok);
    assert_eq!(info.unwrap().state, "running");
}

#[test]
fn socket_not_permitted_is_unavailable_with_a_fix() {
    if child::is_child() {
        // The child: not root, not in the docker group.
        let e = rt().block_on(docker::connect()).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unavailable, "{e}");
        assert_contains!(e.message, "not permitted", "{e}");
        assert_contains!(e.hint.as_deref().unwrap(), "docker group", "{e:?}");
        return;
    }
    let Some(_g) = agent::host() else { return };
    // The child: not root, not in the docker group.
    let test = child::command(
        module_path!(),
        "socket_not_permitted_is_unavailable_with_a_fix",
    );
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(test.get_program())
        .args(test.get_args())
        .envs(test.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env_remove("DOCKER_HOST");
    child::run(&mut cmd);
}

#[test]
fn missing_systemctl_is_not_a_systemd_host() {
    if child::is_child() {
        // The child: a PATH without systemctl.
        let e = systemd::status(&apply(), "hydra").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unavailable, "{e}");
        assert_contains!(e.message, "not a systemd host", "{e}");
        assert_contains!(e.message, "systemctl", "{e}");
        return;
    }
    let Some(_g) = agent::host() else { return };
    child::run(
        child::command(module_path!(), "missing_systemctl_is_not_a_systemd_host")
            .env("PATH", "/nonexistent"),
    );
}
