//! Start-up costs, measured (not asserted): `runbook --version`, building the
//! engine with every module, compiling every bundled playbook and stdlib module.
//! Targets: 5 ms, 10 ms, 20 ms. Run with `cargo bench --bench runtime`.

use std::time::{Duration, Instant};

use runbook::host::Cancel;
use runbook::runtime::{Options, Script, Session, catalog};

fn options() -> Options {
    Options::inspect()
}

fn measure(name: &str, target_ms: f64, runs: u32, mut f: impl FnMut()) {
    f(); // warm-up
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    let median = samples[samples.len() / 2].as_secs_f64() * 1000.0;
    let p90 = samples[samples.len() * 9 / 10].as_secs_f64() * 1000.0;
    let verdict = if median <= target_ms {
        "within"
    } else {
        "OVER"
    };
    println!(
        "{name:<44} median {median:>7.3} ms  p90 {p90:>7.3} ms  target {target_ms} ms ({verdict})"
    );
}

fn main() {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/runbook");
    if bin.exists() {
        measure("runbook --version (process)", 5.0, 50, || {
            let out = std::process::Command::new(&bin)
                .arg("--version")
                .output()
                .unwrap();
            assert!(out.status.success());
        });
    } else {
        println!("runbook --version: build target/release/runbook first (cargo build --release)");
    }
    measure("engine construction, every module", 10.0, 50, || {
        let s = Session::new(options(), None, Cancel::new());
        std::hint::black_box(&s.engine);
    });
    let session = Session::new(options(), None, Cancel::new());
    let scripts: Vec<Script> = catalog::playbooks()
        .chain(catalog::stdlib_modules())
        .map(|(n, s)| Script {
            name: n.to_string(),
            path: None,
            source: s.to_string(),
        })
        .collect();
    let label = format!("compile {} bundled scripts", scripts.len());
    measure(&label, 20.0, 50, || {
        for s in &scripts {
            std::hint::black_box(session.engine.compile(&s.source).unwrap());
        }
    });
}
