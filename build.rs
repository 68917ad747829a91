//! Embeds every bundled playbook and stdlib module into the binary, so the
//! binary alone works anywhere and no list has to be kept by hand; and records
//! what `runbook --version` says about the build (commit, date, target).

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rhai") {
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

fn table(name: &str, folder: &str, code: &mut String) {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.join(folder);
    println!("cargo:rerun-if-changed={folder}");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    writeln!(code, "pub static {name}: &[(&str, &str)] = &[").unwrap();
    for rel in files {
        let key = rel.with_extension("").to_string_lossy().replace('\\', "/");
        let abs = root.join(&rel);
        println!("cargo:rerun-if-changed={}", abs.display());
        writeln!(
            code,
            "    ({key:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .unwrap();
    }
    writeln!(code, "];").unwrap();
}

/// The inputs of the build that git knows about; a change to any of them
/// reruns this script, so the commit and its "uncommitted changes" flag
/// describe the sources the binary was built from.
const SOURCES: &[&str] = &[
    "src",
    "playbooks",
    "stdlib",
    "build.rs",
    "Cargo.toml",
    "Cargo.lock",
];

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// `(commit, dirty)` when the crate is the top of a git work tree; `None` for
/// a build from a source tarball, without git, or unpacked inside some other
/// repository (whose commit would describe something else).
fn git_commit(manifest: &Path) -> Option<(String, bool)> {
    let top = git(manifest, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), manifest) {
        return None;
    }
    // Rerun when HEAD moves: HEAD itself, the branch it names, packed refs.
    let mut watch = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(branch) = git(manifest, &["symbolic-ref", "-q", "HEAD"]) {
        watch.push(branch);
    }
    for name in watch {
        if let Some(path) = git(manifest, &["rev-parse", "--git-path", &name]) {
            let path = manifest.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    let commit = git(manifest, &["rev-parse", "--short=12", "HEAD"])?;
    let mut status = vec!["status", "--porcelain", "--"];
    status.extend_from_slice(SOURCES);
    let dirty = !git(manifest, &status)?.is_empty();
    Some((commit, dirty))
}

/// `SOURCE_DATE_EPOCH` (the reproducible-builds convention) or now, as a
/// UTC calendar date.
fn build_date() -> String {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            now.as_secs() as i64
        });
    let (y, m, d) = civil_date(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 -> (year, month, day), proleptic Gregorian.
/// Works in 400-year eras of 146097 days, with years starting on 1 March so
/// that the leap day falls at the end of a year.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days since 0000-03-01
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from 1 March
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn version_facts() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    for source in SOURCES {
        println!("cargo:rerun-if-changed={source}");
    }
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    println!("cargo:rerun-if-env-changed=RUNBOOK_GIT_COMMIT");
    // A packager building from a tarball may name the commit it came from.
    let commit = match std::env::var("RUNBOOK_GIT_COMMIT") {
        Ok(c) if !c.trim().is_empty() => Some((c.trim().to_string(), false)),
        _ => git_commit(&manifest),
    };
    if let Some((commit, dirty)) = commit {
        println!("cargo:rustc-env=RUNBOOK_GIT_COMMIT={commit}");
        if dirty {
            println!("cargo:rustc-env=RUNBOOK_GIT_DIRTY=1");
        }
    }
    println!("cargo:rustc-env=RUNBOOK_BUILD_DATE={}", build_date());
    println!(
        "cargo:rustc-env=RUNBOOK_TARGET={}",
        std::env::var("TARGET").unwrap()
    );
}

fn main() {
    version_facts();
    let mut code = String::new();
    table("PLAYBOOKS", "playbooks", &mut code);
    table("STDLIB", "stdlib", &mut code);
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("bundled.rs");
    std::fs::write(out, code).unwrap();
}
