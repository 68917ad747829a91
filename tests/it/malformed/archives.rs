//! Add-on archives that are not archives, or that do not hold the add-on's
//! image `auth`: `docker::archive` names what is wrong with the file, and
//! `alation::plan_addon` refuses an archive without the image before any
//! change (before it even asks Docker about the container). The last test
//! runs the whole playbook in the Agent sandbox on such an archive.

use super::{Row, row, run};
use crate::common::agent;
use crate::common::archive::{gzip, tar_of};

/// The name `plan_addon` reads a version from.
const NAME: &str = "auth-service-docker-image-5.15.0.2001.tar.gz";

const HEX: &str = "5d0da3dc976460b72c77d94c8a1ad043720b0416bfc16c52c45d4847e53fadb6";

/// A gzip-compressed image archive whose image has these repo tags.
fn image(tags: &[&str]) -> Vec<u8> {
    let manifest = serde_json::json!([{
        "Config": format!("{HEX}.json"),
        "RepoTags": tags,
        "Layers": [],
    }])
    .to_string();
    gzip(&tar_of(&[
        ("manifest.json", manifest.as_bytes()),
        (&format!("{HEX}.json"), b"{}"),
    ]))
}

fn inspect(name: &str, content: impl AsRef<[u8]>) -> Row {
    row(name)
        .file(NAME, content)
        .args(["eval", &format!("docker::archive(\"{{dir}}/{NAME}\")")])
        .code(1)
}

fn plan(name: &str, content: impl AsRef<[u8]>) -> Row {
    row(name).file(NAME, content).args([
        "eval",
        &format!(
            "import \"alation\" as alation; alation::plan_addon(\"auth\", \"{{dir}}/{NAME}\")"
        ),
    ])
}

fn rows() -> Vec<Row> {
    let full = image(&["auth:latest"]);
    vec![
        row("docker::archive: a missing file")
            .args(["eval", "docker::archive(\"{dir}/none.tar.gz\")"])
            .code(1)
            .says("cannot open image archive {dir}/none.tar.gz"),
        inspect("docker::archive: 0 bytes", "")
            .says("is not a Docker image archive: it is not a tar archive (or is empty)"),
        inspect("docker::archive: a text file", "not an archive\n".repeat(100))
            .says("is not a readable image archive (expected a tar)"),
        inspect("docker::archive: gzip of text", gzip(&b"not a tar\n".repeat(100)))
            .says("is not a readable image archive (expected a gzip-compressed tar)"),
        inspect("docker::archive: a truncated archive", &full[..full.len() / 2])
            .says("is not a readable image archive"),
        inspect("docker::archive: a tar without manifest.json", gzip(&tar_of(&[("hello.txt", b"hi")])))
            .says("it has no manifest.json, so it was not made by `docker save`"),
        inspect(
            "docker::archive: manifest.json that is not JSON",
            gzip(&tar_of(&[("manifest.json", b"[{")])),
        )
        .says("manifest.json is not valid JSON"),
        inspect(
            "docker::archive: manifest.json that lists no image",
            gzip(&tar_of(&[("manifest.json", b"[]")])),
        )
        .says("manifest.json lists no image"),
        inspect(
            "docker::archive: manifest.json with an odd config",
            gzip(&tar_of(&[("manifest.json", br#"[{"Config":"../../etc/passwd"}]"#)])),
        )
        .says("manifest.json names an unexpected config"),
        row("docker::archive: a directory")
            .setup(|d| std::fs::create_dir(d.dir.join(NAME)).unwrap())
            .args(["eval", &format!("docker::archive(\"{{dir}}/{NAME}\")")])
            .code(1)
            .says("is a directory, not an image archive"),
        // It used to wait for a writer for ever: File::open on a FIFO blocks.
        row("docker::archive: a FIFO")
            .setup(|d| super::mkfifo(&d.dir.join(NAME)))
            .args(["eval", &format!("docker::archive(\"{{dir}}/{NAME}\")")])
            .code(1)
            .says("is a FIFO, not an image archive"),
        row("docker::archive: a link to a device")
            .setup(|d| std::os::unix::fs::symlink("/dev/zero", d.dir.join(NAME)).unwrap())
            .args(["eval", &format!("docker::archive(\"{{dir}}/{NAME}\")")])
            .code(1)
            .says("is a device, not an image archive"),
        inspect("docker::archive: a good archive", &full)
            .code(0)
            .then(|_, out| assert!(out.stdout.contains(&format!("sha256:{HEX}")), "{}", out.stdout)),
        // plan_addon: the archive must hold the image `auth`, checked before Docker is asked.
        plan("plan_addon: an archive of another image", image(&["nginx:1.27"]))
            .code(1)
            .says(format!("addon_archive {{dir}}/{NAME} does not hold the Authentication Service add-on's image 'auth'"))
            .says("it holds the image nginx:1.27; nothing was changed"),
        plan("plan_addon: an archive of two other images", image(&["nginx:1.27", "redis:7"]))
            .code(1)
            .says("it holds the images nginx:1.27, redis:7"),
        plan("plan_addon: an archive of an untagged image", image(&[]))
            .code(1)
            .says(format!("it holds one untagged image (sha256:{HEX})")),
        plan("plan_addon: an image whose name only starts with auth", image(&["authx:latest"]))
            .code(1)
            .says("it holds the image authx:latest"),
        plan("plan_addon: a file that is not an archive", "not an archive\n".repeat(100))
            .code(1)
            .says("is not a readable image archive"),
        plan("plan_addon: a tar without manifest.json", gzip(&tar_of(&[("hello.txt", b"hi")])))
            .code(1)
            .says("it has no manifest.json"),
        row("plan_addon: a name without a version")
            .file("addon.tar.gz", &full)
            .args(["eval", "import \"alation\" as alation; alation::plan_addon(\"auth\", \"{dir}/addon.tar.gz\")"])
            .code(1)
            .says("cannot tell the add-on version from the file name"),
        row("plan_addon: an archive that is too old")
            .file("auth-service-docker-image-5.1.0.1.tar.gz", &full)
            .args([
                "eval",
                "import \"alation\" as alation; alation::plan_addon(\"auth\", \"{dir}/auth-service-docker-image-5.1.0.1.tar.gz\")",
            ])
            .code(1)
            .says("the add-on archive is version 5.1.0.1; 5.14.0.1968 or later is required"),
        row("plan_addon: an archive that does not exist")
            .args(["eval", &format!("import \"alation\" as alation; alation::plan_addon(\"auth\", \"{{dir}}/{NAME}\")")])
            .code(1)
            .says(format!("addon_archive {{dir}}/{NAME} does not exist")),
        row("require_addon_image: auth under a registry name is the add-on")
            .file(NAME, image(&["registry.example:5000/alation/auth:5.15"]))
            .args([
                "eval",
                &format!("import \"alation\" as alation; alation::require_addon_image(\"{{dir}}/{NAME}\").tags"),
            ])
            .prints(r#"["registry.example:5000/alation/auth:5.15"]"#),
        row("archive::gunzip: not gzip")
            .file("a.tar.gz", "plain text")
            .args(["eval", "archive::gunzip(\"{dir}/a.tar.gz\", \"{dir}/a.tar\")"])
            .code(1)
            .says("not a gzip file"),
        row("archive::gunzip: truncated")
            .file("a.tar.gz", &full[..full.len() / 2])
            .args(["eval", "archive::gunzip(\"{dir}/a.tar.gz\", \"{dir}/a.tar\")"])
            .code(1)
            .says("truncated or corrupt"),
    ]
}

#[test]
fn archives_that_are_not_the_addon_are_refused_with_what_they_hold() {
    run("archives", rows(), false);
}

/// The whole playbook on the Agent host: an archive without the image
/// `auth` stops the run before any change to AWS, the containers or
/// `/etc/hydra`.
#[test]
fn the_iam_user_playbook_refuses_an_archive_without_the_auth_image() {
    let Some((_host, _moto)) = agent::host_with_moto() else {
        return;
    };
    super::warm_moto();
    let world = agent::world();
    let rows = [("", "--yes"), (" --check", "--check")]
        .into_iter()
        .map(|(shown, flag)| {
            row(format!(
                "secrets-manager-iam-user{shown}: an archive of another image"
            ))
            .file(NAME, image(&["nginx:1.27"]))
            .args(["run", "alation-agent/secrets-manager-iam-user", flag])
            .args(["--set", &format!("addon_archive={{dir}}/{NAME}")])
            .args(["--set", &format!("user_name={}", agent::USER)])
            .code(1)
            .says("does not hold the Authentication Service add-on's image 'auth'")
        })
        .collect();
    run("archives_playbook", rows, true);
    assert_eq!(
        agent::world(),
        world,
        "the refused runs changed the Agent host"
    );
}

/// The credentials file on the Agent host names the profile twice: the run
/// stops at its prerequisites, naming the file, the section and the lines,
/// and nothing changes (the file included).
#[test]
fn the_iam_user_playbook_refuses_a_credentials_file_with_a_duplicate_profile() {
    let Some((_host, _moto)) = agent::host_with_moto() else {
        return;
    };
    std::fs::create_dir_all(agent::CRED_DIR).unwrap();
    let text = "[alation_auth]\naws_access_key_id = AKIAOLD1\n\n[other]\nk = v\n\n[alation_auth]\naws_access_key_id = AKIAOLD2\n";
    std::fs::write(agent::CRED_FILE, text).unwrap();
    super::warm_moto();
    let world = agent::world();
    let rows = vec![
        row("secrets-manager-iam-user: a duplicate [alation_auth] in the credentials file")
            .args(["run", "alation-agent/secrets-manager-iam-user", "--yes"])
            .args([
                "--set",
                &crate::common::archive::addon_arg(crate::common::archive::NEW),
            ])
            .args(["--set", &format!("user_name={}", agent::USER)])
            .code(1)
            .says(format!(
                "{}:7: section [alation_auth] appears a second time (first at line 1)",
                agent::CRED_FILE
            ))
            .says("merge or rename the duplicate [alation_auth] section"),
    ];
    run("ini_playbook", rows, true);
    assert_eq!(
        agent::world(),
        world,
        "the refused run changed the Agent host"
    );
    assert_eq!(std::fs::read_to_string(agent::CRED_FILE).unwrap(), text);
}
