//! `runbook man [DIR]` (hidden): the manual pages, generated from the clap
//! definitions in args.rs with `clap_mangen`, so they cannot drift from
//! `--help`. scripts/release.sh runs it to put them into the packages.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::Cli;
use super::error::{CliError, EXIT_OK};

fn page(cmd: clap::Command) -> clap_mangen::Man {
    // clap_mangen's default source is "<command> <its version>", and
    // subcommands have no version: name the program for every page.
    clap_mangen::Man::new(cmd)
        .source(concat!("runbook ", env!("CARGO_PKG_VERSION")))
        .date(super::version::build_date())
        .manual("runbook manual")
}

/// Without `dir`, `runbook.1` on stdout. With it, `DIR/runbook.1` and a
/// `DIR/runbook-<command>.1` for every command that `--help` lists.
pub fn man(dir: Option<&Path>) -> Result<u8, CliError> {
    let io = |what: &str, e: std::io::Error| CliError::Io(format!("{what}: {e}"));
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = dir else {
        let mut out = Vec::new();
        page(cmd).render(&mut out).map_err(|e| io("rendering", e))?;
        let _ = std::io::stdout().write_all(&out);
        return Ok(EXIT_OK);
    };
    std::fs::create_dir_all(dir).map_err(|e| io(&dir.display().to_string(), e))?;
    let subs: Vec<clap::Command> = cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    for c in subs.into_iter().chain([cmd]) {
        let man = page(c);
        let path = dir.join(man.get_filename());
        man.generate_to(dir)
            .map_err(|e| io(&path.display().to_string(), e))?;
        outln!("{}", path.display());
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_for_the_program_and_each_listed_command() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(man(Some(dir.path())).unwrap(), EXIT_OK);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert!(names.contains(&"runbook.1".to_string()), "{names:?}");
        assert!(names.contains(&"runbook-run.1".to_string()), "{names:?}");
        assert!(
            !names
                .iter()
                .any(|n| n.contains("-man") || n.contains("-help")),
            "{names:?}"
        );
        let top = std::fs::read_to_string(dir.path().join("runbook.1")).unwrap();
        let th = format!(
            ".TH runbook 1 {} \"runbook {}\"",
            super::super::version::build_date(),
            env!("CARGO_PKG_VERSION")
        );
        assert!(top.contains(&th), "{th}\n{top}");
        assert!(top.contains("runbook\\-run(1)"), "{top}");
        assert!(
            !top.contains("runbook\\-man"),
            "the hidden command is listed:\n{top}"
        );
        let run = std::fs::read_to_string(dir.path().join("runbook-run.1")).unwrap();
        let th = format!(
            ".TH runbook-run 1 {} \"runbook {}\"",
            super::super::version::build_date(),
            env!("CARGO_PKG_VERSION")
        );
        assert!(run.contains(&th), "{th}\n{run}");
        assert!(run.contains("\\-\\-check"), "{run}");
    }
}
