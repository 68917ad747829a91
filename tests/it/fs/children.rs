//! Tests that need a second process: a writer killed at random moments, and
//! calls made as `nobody`. [`helper_process`] is the child side.

use super::*;

/// The child running [`helper_process`] with `helper` on `arg`.
pub(super) fn helper(helper: &str, arg: &Path) -> Command {
    let mut cmd = child::command(module_path!(), "helper_process");
    cmd.env("FS_TEST_HELPER", helper).env("FS_TEST_ARG", arg);
    cmd
}

/// Runs one helper of this test binary as `nobody` and returns its stdout.
fn as_nobody(name: &str, arg: &Path) -> String {
    use std::os::unix::process::CommandExt;
    child::run(helper(name, arg).uid(65534).gid(65534))
}

#[test]
fn chown_and_require_root_as_non_root_say_to_use_sudo() {
    let d = tempfile::Builder::new().prefix("rb-fs").tempdir().unwrap();
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let f = d.path().join("f");
    std::fs::write(&f, "x").unwrap();
    let out = as_nobody("chown", &f);
    assert_contains!(out, "RESULT access_denied");
    assert_contains!(out, "needs root");
    assert_contains!(out, "sudo");
    let out = as_nobody("require_root", &f);
    assert_contains!(out, "RESULT access_denied");
    assert_contains!(out, "sudo");
    assert_eq!(std::fs::metadata(&f).unwrap().uid(), 0);
}

/// Crash safety: kill a writer at random moments; the target is always the
/// old or the new content, with the requested mode.
#[test]
fn killed_writers_never_leave_a_partial_or_wider_file() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("target");
    let (a, b) = contents();
    std::fs::write(&f, &a).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut seen_b = 0;
    for _ in 0..120 {
        let mut child = helper("writer", &f)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the writer loop runs, so every kill lands during writes
        // even on a loaded machine.
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        assert!(lines.any(|l| l.is_ok_and(|l| l.contains("WRITER READY"))));
        // xorshift: varied kill moments without a rand dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(seed % 20_000));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        child.wait().unwrap();
        let got = std::fs::read(&f).unwrap();
        assert!(got == a || got == b, "partial content: {} bytes", got.len());
        if got == b {
            seen_b += 1;
        }
        assert_eq!(mode_of(&f), 0o640);
        for t in temp_files(d.path()) {
            let m = mode_of(&d.path().join(&t));
            assert_eq!(
                m & !0o640,
                0,
                "temp file {t} is wider than requested: {m:o}"
            );
        }
    }
    assert!(seen_b > 0, "the writer never got to write");
    fs::write(
        &apply(),
        &s(&f),
        Content::plain(b"final"),
        &WriteOpts::default(),
    )
    .unwrap();
    assert!(
        temp_files(d.path()).is_empty(),
        "stale: {:?}",
        temp_files(d.path())
    );
}

fn contents() -> (Vec<u8>, Vec<u8>) {
    (vec![b'a'; 200_000], vec![b'b'; 300_000])
}

/// Not a test on its own: the child side of the tests above, selected by
/// `FS_TEST_HELPER`. Without it, it does nothing.
#[test]
#[ignore = "the child side of other fs tests, which run it"]
fn helper_process() {
    let Ok(helper) = std::env::var("FS_TEST_HELPER") else {
        return;
    };
    let arg = std::env::var("FS_TEST_ARG").unwrap();
    let report = |r: runbook::host::HostResult<runbook::host::Outcome>| match r {
        Ok(o) => println!("RESULT {}", o.status.as_str()),
        Err(e) => println!(
            "RESULT {} {} {}",
            e.kind,
            e.message,
            e.hint.unwrap_or_default()
        ),
    };
    match helper.as_str() {
        "chown" => report(fs::chown(
            &apply(),
            &arg,
            Some("nobody"),
            None,
            Allow::default(),
        )),
        "require_root" => report(
            fs::require_root("writing the credentials file")
                .map(|_| runbook::host::Outcome::ok("")),
        ),
        "hold_temp" => {
            use std::io::Write;
            let mut t = fs::atomic::TempFile::create(
                Path::new(&arg),
                fs::FileMode::from_bits(0o600),
                None,
                None,
            )
            .unwrap();
            t.file().unwrap().write_all(b"hunter2").unwrap();
            println!("HOLDING");
            std::thread::sleep(Duration::from_secs(60));
        }
        "writer" => {
            let (a, b) = contents();
            println!("WRITER READY");
            loop {
                for c in [&b, &a] {
                    fs::write(&apply(), &arg, Content::plain(c), &with_mode("640")).unwrap();
                }
            }
        }
        other => panic!("unknown helper {other}"),
    }
}
