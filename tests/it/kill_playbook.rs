//! Random kill -9 of whole bundled playbooks in the Agent-host sandbox
//! (moto for AWS, the real Docker daemon, systemd): the setup playbook
//! (`secrets-manager-iam-user`) and `rotate-access-key`, each killed with
//! SIGKILL after a random delay spread over a whole run. After every kill:
//! the credentials file is the old bytes or a complete new key (one that
//! moto knows, with its secret), its mode never wider than asked, no temp
//! file beside it, at most 2 keys; then clean reruns converge (following
//! the orphan advice a rerun gives, which must name every key not in the
//! file), and the setup playbook run after that changes nothing (rotation
//! rotates on every run, by design).
//!
//! CI count: 10 kills; `scripts/test.sh --soak` (RUNBOOK_SOAK=1): 100.
//! Seeded: `RUNBOOK_TEST_SEED` replays a run.

use crate::common::agent::*;
use crate::common::counters::{self, Rng};
use crate::common::moto;

use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

const SETUP: &str = "alation-agent/secrets-manager-iam-user";
const ROTATE: &str = "alation-agent/rotate-access-key";

fn args(playbook: &str) -> Vec<String> {
    let mut a = vec![
        "run".into(),
        playbook.into(),
        "--set".into(),
        format!("user_name={USER}"),
    ];
    if playbook == SETUP {
        a.extend(["--set".into(), addon_arg(OLD), "--yes".into()]);
    }
    a
}

fn run(playbook: &str, extra: &[&str]) -> Output {
    Test::new().args(args(playbook)).args(extra).run()
}

/// The user's keys in moto as (id, secret, status), deleted ones left out.
fn keys() -> Vec<(String, String, String)> {
    let state = moto::state();
    let mut out = Vec::new();
    for k in state["iam"]["AccessKey"].as_array().into_iter().flatten() {
        let id = k["access_key_id"].as_str().unwrap_or_default().to_string();
        out.push((
            id,
            k["secret_access_key"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            k["status"].as_str().unwrap_or_default().to_string(),
        ));
    }
    // moto's state keeps every key it ever made: the live ones are IAM's list.
    // A run killed before it made the user leaves no user, so no keys.
    let live = eval(&format!(
        "let s = \"\"; if iam::user(\"{USER}\") != () {{ for k in iam::access_keys(\"{USER}\") {{ s += k.id + \" \"; }} }} s"
    ));
    let live = live
        .lines()
        .last()
        .unwrap_or_default()
        .trim_matches('"')
        .to_string();
    out.retain(|(id, _, _)| live.split_whitespace().any(|l| l == id));
    out
}

/// The Agent host as a fresh machine has it: no add-on, no credentials, moto empty.
fn fresh() {
    let _ = std::process::Command::new("docker")
        .args(["rm", "-f", "auth"])
        .output();
    let _ = std::fs::remove_dir_all(CRED_DIR);
    sh("systemctl", &["start", "hydra"]);
    moto::post("/moto-api/reset", "");
}

/// What one kill found wrong (empty: nothing).
struct Found {
    partial: bool,
    temp_left: Vec<String>,
    wider: Option<u32>,
    keys: usize,
}

fn inspect(before: &Option<Vec<u8>>) -> Found {
    let now = std::fs::read(CRED_FILE).ok();
    let keys = keys();
    let partial = match &now {
        None => before.is_some(),
        Some(b) if Some(b) == before.as_ref() => false,
        Some(_) => {
            // New bytes: a whole profile whose key moto knows, with its secret.
            let text = std::fs::read_to_string(CRED_FILE).unwrap_or_default();
            let kv = profile_of(&text, "alation_auth");
            let get = |k: &str| kv.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let whole = text.ends_with('\n')
                && keys.iter().any(|(id, secret, _)| {
                    get("aws_access_key_id").as_ref() == Some(id)
                        && get("aws_secret_access_key").as_ref() == Some(secret)
                });
            !whole
        }
    };
    let wider = std::fs::metadata(CRED_FILE)
        .ok()
        .map(|m| m.mode() & 0o7777)
        .filter(|m| m & !0o540 != 0);
    let temp_left = std::fs::read_dir(CRED_DIR)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "credentials")
                .collect()
        })
        .unwrap_or_default();
    Found {
        partial,
        temp_left,
        wider,
        keys: keys.len(),
    }
}

/// Reruns until the playbook converges, deleting the orphan keys a rerun
/// names (and checking it names every key the file does not hold). The
/// orphans named.
fn converge_after(playbook: &str, ctx: &str) -> usize {
    let mut named = 0;
    for _ in 0..3 {
        let r = run(playbook, &[]);
        if r.code == 0 {
            // rotate-access-key rotates on every run by design: the end
            // state is what the setup playbook converges to, so the run after
            // is always the setup playbook, and it must change nothing.
            let again = run(SETUP, &["--output", "json"]);
            assert_eq!(again.code, 0, "{ctx}: the run after: {}", again.all());
            assert_eq!(
                recap(&again)["changed"],
                0,
                "{ctx}: the run after changed: {}",
                again.stdout
            );
            return named;
        }
        let in_file = std::fs::read_to_string(CRED_FILE)
            .ok()
            .and_then(|t| {
                profile_of(&t, "alation_auth")
                    .into_iter()
                    .find(|(k, _)| k == "aws_access_key_id")
            })
            .map(|(_, v)| v);
        let orphans: Vec<String> = keys()
            .into_iter()
            .map(|k| k.0)
            .filter(|id| Some(id) != in_file.as_ref())
            .collect();
        assert!(
            !orphans.is_empty(),
            "{ctx}: a rerun failed with no orphan key: {}",
            r.all()
        );
        for id in &orphans {
            assert_contains!(
                r.stderr,
                id.as_str(),
                "{ctx}: the rerun does not name the orphan key"
            );
            eval(&format!("iam::delete_access_key(\"{USER}\", \"{id}\"); ()"));
            named += 1;
        }
    }
    panic!("{ctx}: three reruns did not converge");
}

#[test]
fn playbooks_killed_at_random_moments_converge_on_rerun() {
    let Some(_g) = host_with_moto() else { return };
    let kills = if counters::soak() { 100 } else { 10 };
    let mut rng = Rng::from_env("playbook kills");
    // How long a whole run takes, to spread the kills over it.
    fresh();
    let t = Instant::now();
    let r = run(SETUP, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let setup_ms = t.elapsed().as_millis() as u64;
    let t = Instant::now();
    let r = run(ROTATE, &[]);
    assert_eq!(r.code, 0, "{}", r.all());
    let rotate_ms = t.elapsed().as_millis() as u64;
    eprintln!("a whole run: setup {setup_ms}ms, rotate {rotate_ms}ms");

    let (mut partial, mut temps, mut wider, mut too_many, mut orphans) = (0, 0, 0, 0, 0);
    for i in 0..kills {
        let playbook = if i % 2 == 0 { SETUP } else { ROTATE };
        if playbook == SETUP {
            fresh();
        }
        let before = std::fs::read(CRED_FILE).ok();
        let delay = rng.below(if playbook == SETUP {
            setup_ms
        } else {
            rotate_ms
        });
        let test = Test::new().args(args(playbook));
        let mut child = test
            .command()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let status = child.wait().unwrap();
        drop(test);
        let ctx = format!("kill {i} of {playbook} after {delay}ms ({status})");
        eprintln!("{ctx}");
        let f = inspect(&before);
        partial += f.partial as usize;
        temps += !f.temp_left.is_empty() as usize;
        wider += f.wider.is_some() as usize;
        too_many += (f.keys > 2) as usize;
        assert!(
            !f.partial,
            "{ctx}: the credentials file is neither the old bytes nor a whole new key"
        );
        assert!(
            f.temp_left.is_empty(),
            "{ctx}: left beside the file: {:?}",
            f.temp_left
        );
        assert_eq!(f.wider, None, "{ctx}: mode wider than 0540");
        assert!(f.keys <= 2, "{ctx}: {} keys", f.keys);
        orphans += converge_after(playbook, &ctx);
        let (id, _) = key_in(std::path::Path::new(CRED_FILE));
        let left = keys();
        assert_eq!(left.len(), 1, "{ctx}: keys after converging: {left:?}");
        assert_eq!(left[0].0, id, "{ctx}: the one key is not the file's");
        counters::record(
            "playbook_kill",
            serde_json::json!({"playbook": playbook, "delay_ms": delay, "converged": true}),
        );
    }
    counters::record(
        "playbook_kills",
        serde_json::json!({"kills": kills, "seed": rng.seed().to_string(), "partial": partial, "temp_left": temps, "wider": wider, "over_2_keys": too_many, "orphans_named": orphans}),
    );
}
