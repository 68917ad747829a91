//! Check-mode wording (issue 16): a bundled playbook's `info()` about a value
//! known only after apply speaks of the future ("will be written"), never as
//! if it had happened ("new access key (known after apply) written to").

use std::path::Path;

fn rhai_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rhai_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rhai") {
            out.push(p);
        }
    }
}

#[test]
fn info_lines_about_unknowns_say_will() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![];
    rhai_files(&root.join("playbooks"), &mut files);
    rhai_files(&root.join("stdlib"), &mut files);
    assert!(files.len() >= 5);
    let mut bad = vec![];
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let l = line.trim_start();
            if !l.starts_with("info(") {
                continue;
            }
            let about_unknown = l.contains("known after apply")
                || l.contains("check mode:")
                || l.contains("when applied");
            if about_unknown && !l.contains("will") && !l.contains("would") {
                bad.push(format!("{}:{}: {l}", f.display(), n + 1));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "info lines in the past or present tense:\n{}",
        bad.join("\n")
    );
}
