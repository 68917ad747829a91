//! Crash safety of `ini::set_section` on a large file: a child process
//! rewrites one profile of a 1,000-profile credentials file in a loop and is
//! killed with SIGKILL at a random moment, over and over. After every kill
//! the file is exactly one of the versions a complete write gives, with its
//! mode, and no temp file is left. Seeded: `RUNBOOK_TEST_SEED` replays a run.

use std::io::BufRead;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use runbook::host::fs::{Allow, AttrOpts};
use runbook::host::ini::{self, Entries, IniValue};
use runbook::host::{Ctx, Mode};

use crate::common::child;
use crate::common::counters::{self, Rng};

const PROFILES: usize = 1000;
const TARGET: &str = "profile_0500";

fn key(n: u64) -> Entries {
    vec![
        (
            "aws_access_key_id".into(),
            IniValue::plain(format!("AKIAKILL{n:012}")),
        ),
        (
            "aws_secret_access_key".into(),
            IniValue::secret(format!("secret-of-write-{n:020}")),
        ),
    ]
}

fn big_file() -> String {
    let mut s = String::from("# 1,000 profiles\n");
    for i in 0..PROFILES {
        s.push_str(&format!(
            "\n[profile_{i:04}]\naws_access_key_id = AKIA{i:016}\naws_secret_access_key = s{i:039}\nregion = eu-west-1\n"
        ));
    }
    s
}

fn set(path: &Path, n: u64) {
    ini::set_section(
        &Ctx::plain(Mode::Apply),
        &path.display().to_string(),
        TARGET,
        &key(n),
        &AttrOpts::default(),
        Allow::default(),
    )
    .unwrap();
}

fn mode_of(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// The writer, run as a child: writes versions 0, 1, 0, 1… until killed.
#[test]
fn ini_writer_process() {
    let Ok(path) = std::env::var("KILL_INI_PATH") else {
        return;
    };
    let path = Path::new(&path);
    println!("WRITER READY");
    for n in (0..2).cycle() {
        set(path, n);
    }
}

#[test]
fn set_section_killed_at_random_never_leaves_a_partial_file() {
    if child::is_child() {
        return;
    }
    let kills = if counters::soak() { 1000 } else { 200 };
    let mut rng = Rng::from_env("set_section kills");
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("credentials");
    let original = big_file();
    // The versions a complete write can leave, and how long one write takes.
    let started = std::time::Instant::now();
    let versions: Vec<Vec<u8>> = (0..2)
        .map(|n| {
            std::fs::write(&f, &original).unwrap();
            set(&f, n);
            std::fs::read(&f).unwrap()
        })
        .collect();
    let write_us = started.elapsed().as_micros() as u64 / 2;
    eprintln!("one write of the file: {write_us}µs");
    std::fs::write(&f, &original).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (mut partial, mut temps, mut wider) = (0, 0, 0);
    let mut written = 0;
    for i in 0..kills {
        let mut cmd = child::command(module_path!(), "ini_writer_process");
        let mut c = cmd
            .env("KILL_INI_PATH", &f)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(c.stdout.take().unwrap()).lines();
        assert!(lines.any(|l| l.is_ok_and(|l| l.contains("WRITER READY"))));
        // Spread the kills over the first few writes.
        std::thread::sleep(Duration::from_micros(rng.below(4 * write_us + 1000)));
        c.kill().unwrap();
        c.wait().unwrap();
        let got = std::fs::read(&f).unwrap();
        if got == versions[0] || got == versions[1] {
            written += 1;
        } else if got != original.as_bytes() {
            partial += 1;
            eprintln!("kill {i}: partial file, {} bytes", got.len());
        }
        if mode_of(&f) != 0o600 {
            wider += 1;
        }
        let left: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "credentials")
            .collect();
        if !left.is_empty() {
            temps += 1;
            eprintln!("kill {i}: left {left:?}");
            for l in left {
                let _ = std::fs::remove_file(d.path().join(l));
            }
        }
    }
    counters::record(
        "ini_kills",
        serde_json::json!({"kills": kills, "seed": rng.seed().to_string(), "after_a_write": written, "partial": partial, "temp_left": temps, "wider": wider}),
    );
    assert_eq!(
        (partial, temps, wider),
        (0, 0, 0),
        "partial files, temp files left, wider modes"
    );
    assert!(
        written > 0,
        "no kill came after a write: the writer never ran"
    );
}
