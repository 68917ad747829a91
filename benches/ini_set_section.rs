//! `set_section` of one profile in files of 1k, 10k and 100k profiles.
//! Target: at most 50 ms at 10k. Prints figures; asserts nothing.
//!
//! Run: `cargo bench --bench ini_set_section`

use std::time::Instant;

use runbook::host::fs::{Allow, AttrOpts};
use runbook::host::ini::{self, Entries, IniValue};
use runbook::host::{Ctx, Mode};

fn file_text(profiles: usize) -> String {
    let mut s = String::from("# generated for the benchmark\n");
    for i in 0..profiles {
        s.push_str(&format!(
            "\n[profile_{i}]\naws_access_key_id = AKIA{i:016}\naws_secret_access_key = {i:040}\n"
        ));
    }
    s
}

fn main() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot create a temp dir: {e}");
            std::process::exit(1);
        }
    };
    let ctx = Ctx::plain(Mode::Apply);
    println!(
        "{:>9} {:>10} {:>12} {:>12}",
        "profiles", "file KiB", "update ms", "no-op ms"
    );
    for n in [1_000usize, 10_000, 100_000] {
        let path = dir.path().join(format!("credentials-{n}"));
        let text = file_text(n);
        if let Err(e) = std::fs::write(&path, &text) {
            eprintln!("cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
        let p = path.display().to_string();
        let name = format!("profile_{}", n / 2);
        let mut update = Vec::new();
        let mut noop = Vec::new();
        for round in 0..5 {
            let entries: Entries = vec![
                (
                    "aws_access_key_id".into(),
                    IniValue::plain(format!("AKIANEW{round}")),
                ),
                ("aws_secret_access_key".into(), IniValue::secret("s")),
            ];
            let t = Instant::now();
            ini::set_section(
                &ctx,
                &p,
                &name,
                &entries,
                &AttrOpts::default(),
                Allow::default(),
            )
            .expect("set_section");
            update.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            ini::set_section(
                &ctx,
                &p,
                &name,
                &entries,
                &AttrOpts::default(),
                Allow::default(),
            )
            .expect("set_section");
            noop.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let median = |v: &mut Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2]
        };
        println!(
            "{n:>9} {:>10} {:>12.1} {:>12.1}",
            text.len() / 1024,
            median(&mut update),
            median(&mut noop)
        );
    }
}
