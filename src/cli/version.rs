//! `runbook --version`: the version, the git commit and build date recorded
//! by build.rs, the target, and the lowest glibc this very binary needs, read
//! from its own ELF version needs (`/proc/self/exe`) rather than assumed.
//! `runbook -V` stays the one-line `runbook 0.1.0`.

use std::path::Path;
use std::sync::OnceLock;

use super::elf;

/// What build.rs recorded about the build.
struct Build {
    version: &'static str,
    /// Abbreviated commit, or `None` when not built from a git checkout.
    commit: Option<&'static str>,
    /// The sources that make the binary differed from that commit.
    dirty: bool,
    date: &'static str,
    target: &'static str,
}

const BUILD: Build = Build {
    version: env!("CARGO_PKG_VERSION"),
    commit: option_env!("RUNBOOK_GIT_COMMIT"),
    dirty: option_env!("RUNBOOK_GIT_DIRTY").is_some(),
    date: env!("RUNBOOK_BUILD_DATE"),
    target: env!("RUNBOOK_TARGET"),
};

/// The build date, `YYYY-MM-DD` (SOURCE_DATE_EPOCH when the build set it).
pub fn build_date() -> &'static str {
    BUILD.date
}

/// The text clap prints after `runbook ` for `--version`; computed once.
pub fn long_version() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| render(&BUILD, &libc_line(Path::new("/proc/self/exe"))))
}

/// The `glibc:` value: what the binary at `exe` needs from the C library.
fn libc_line(exe: &Path) -> String {
    match elf::read_path(exe) {
        Ok(needs) => match needs.libc() {
            elf::Libc::Glibc(_) => format!("{} or later", needs.libc()),
            elf::Libc::Static => "static (needs no C library)".to_string(),
            elf::Libc::Unversioned => "any (no versioned glibc symbol)".to_string(),
        },
        Err(e) => format!("unknown (cannot read {}: {e})", exe.display()),
    }
}

fn render(b: &Build, libc: &str) -> String {
    let commit = match (b.commit, b.dirty) {
        (Some(c), false) => c.to_string(),
        (Some(c), true) => format!("{c} (with uncommitted changes)"),
        (None, _) => "unknown (not built from a git checkout)".to_string(),
    };
    format!(
        "{}\ncommit: {commit}\nbuilt:  {}\ntarget: {}\nglibc:  {libc}",
        b.version, b.date, b.target
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_field() {
        let b = Build {
            version: "1.2.3",
            commit: Some("0123456789ab"),
            dirty: false,
            date: "2026-12-02",
            target: "x86_64-unknown-linux-gnu",
        };
        assert_eq!(
            render(&b, "2.17 or later"),
            "1.2.3\ncommit: 0123456789ab\nbuilt:  2026-12-02\n\
             target: x86_64-unknown-linux-gnu\nglibc:  2.17 or later"
        );
        let dirty = Build { dirty: true, ..b };
        assert!(render(&dirty, "x").contains("commit: 0123456789ab (with uncommitted changes)\n"));
        let tarball = Build {
            commit: None,
            ..dirty
        };
        assert!(
            render(&tarball, "x").contains("commit: unknown (not built from a git checkout)\n")
        );
    }

    #[test]
    fn the_glibc_line_comes_from_the_binary() {
        let line = libc_line(Path::new("/proc/self/exe"));
        assert!(line.ends_with(" or later"), "{line}");
        assert!(line.starts_with("2."), "{line}");
        let line = libc_line(Path::new("/nonexistent/runbook"));
        assert!(
            line.starts_with("unknown (cannot read /nonexistent/runbook: "),
            "{line}"
        );
    }

    #[test]
    fn build_facts_are_recorded() {
        assert_eq!(BUILD.version, env!("CARGO_PKG_VERSION"));
        assert!(BUILD.target.contains("linux"), "{}", BUILD.target);
        let d = BUILD.date.as_bytes();
        assert!(
            d.len() == 10 && d[4] == b'-' && d[7] == b'-',
            "{}",
            BUILD.date
        );
        if let Some(c) = BUILD.commit {
            assert!(
                c.len() >= 7 && c.bytes().all(|b| b.is_ascii_hexdigit()),
                "{c}"
            );
        }
    }
}
