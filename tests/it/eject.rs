//! `runbook eject`: a bundled playbook and its stdlib modules copied into a
//! site folder, that then runs from there.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::Test;

fn bundled(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn hello_is_copied_verbatim_and_the_copy_runs() {
    let t = Test::new();
    let site = t.path().join("site/nested");
    let out = Test::new()
        .args(["eject", "examples/hello", site.to_str().unwrap()])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let copy = site.join("hello.rhai");
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        bundled("playbooks/examples/hello.rhai")
    );
    assert_eq!(mode(&copy), 0o644);
    // Only the playbook: hello imports nothing.
    assert_eq!(std::fs::read_dir(&site).unwrap().count(), 1);
    let shown = copy.display().to_string();
    assert_contains!(out.stdout, &format!("wrote {shown}"), "{out:?}");
    assert_contains!(
        out.stdout,
        &format!("runbook run {shown} --check"),
        "{out:?}"
    );
    assert_contains!(out.stdout, "resolve from", "{out:?}");

    let out = Test::new()
        .args(["run", copy.to_str().unwrap(), "--set", "who=site"])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "hello, site!", "{out:?}");
}

#[test]
fn existing_files_are_kept_unless_forced() {
    let t = Test::new();
    let site = t.path().join("site");
    let copy = site.join("hello.rhai");
    let eject = |force: bool| {
        let mut args = vec!["eject", "examples/hello", site.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        Test::new().args(args).run()
    };
    assert_eq!(eject(false).code, 0);
    std::fs::write(&copy, "// edited on site\n").unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o600)).unwrap();

    let out = eject(false);
    assert_eq!(out.code, 2, "{out:?}");
    assert_contains!(out.stderr, "--force", "{out:?}");
    assert_contains!(out.stderr, &copy.display().to_string(), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        "// edited on site\n"
    );
    assert_eq!(mode(&copy), 0o600);

    let out = eject(true);
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "overwrote", "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        bundled("playbooks/examples/hello.rhai")
    );
    assert_eq!(mode(&copy), 0o644);
}

#[test]
fn unknown_playbook_is_a_usage_error_with_a_suggestion() {
    let t = Test::new();
    let site = t.path().join("site");
    let out = Test::new()
        .args(["eject", "examples/helo", site.to_str().unwrap()])
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_contains!(out.stderr, "did you mean 'examples/hello'", "{out:?}");
    assert!(!site.exists(), "nothing is created for an unknown name");
}

#[test]
fn help_has_examples() {
    let out = Test::new().args(["eject", "--help"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "Example");
    assert_contains!(out.stdout, "--force");
}

#[test]
fn secrets_manager_playbook_brings_its_stdlib_and_checks_from_the_site() {
    let t = Test::new();
    let site = t.path().join("site");
    let out = Test::new()
        .args([
            "eject",
            "alation-agent/secrets-manager-iam-user",
            site.to_str().unwrap(),
        ])
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let copy = site.join("secrets-manager-iam-user.rhai");
    assert_eq!(
        std::fs::read_to_string(&copy).unwrap(),
        bundled("playbooks/alation-agent/secrets-manager-iam-user.rhai")
    );
    let module = site.join("alation.rhai");
    assert_eq!(
        std::fs::read_to_string(&module).unwrap(),
        bundled("stdlib/alation.rhai")
    );
    assert_eq!(mode(&module), 0o644);
    assert_contains!(out.stdout, "stdlib module \"alation\"", "{out:?}");

    let out = Test::new()
        .args([
            "check",
            copy.to_str().unwrap(),
            "--lib",
            site.to_str().unwrap(),
        ])
        .run();
    assert_eq!(out.code, 0, "{out:?}");

    // A script in the site folder imports the site copy of the module, not
    // the bundled one: a function only the site copy has is found.
    let mut text = std::fs::read_to_string(&module).unwrap();
    text.push_str("\nfn site_only() { \"site\" }\n");
    std::fs::write(&module, text).unwrap();
    let user = t.path().join("site/uses-site.rhai");
    std::fs::write(
        &user,
        "import \"alation\" as alation;\nprint(\"from the \" + alation::site_only());\n",
    )
    .unwrap();
    let out = Test::new().args(["run", user.to_str().unwrap()]).run();
    assert_eq!(out.code, 0, "{out:?}");
    assert_contains!(out.stdout, "from the site", "{out:?}");
}
