//! From session flags to runtime options and parameter sources.

use std::io::IsTerminal;
use std::path::PathBuf;

use super::args::{OutputFormat, SessionArgs};
use crate::host::Mode;
use crate::report::{Verbosity, prompt};
use crate::runtime::params::{ParamSources, ParamSpec, ParamType, ParamValue};
use crate::runtime::{Options, Output};

/// NO_COLOR (any non-empty value) and --no-color win; otherwise colour on a TTY.
pub fn color_wanted(no_color: bool) -> bool {
    let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    !no_color && !env_off && std::io::stdout().is_terminal()
}

/// `--lib` folders first, then `RUNBOOK_PATH` (colon-separated).
pub fn lib_dirs(cli: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = cli.to_vec();
    if let Some(p) = std::env::var_os("RUNBOOK_PATH") {
        dirs.extend(std::env::split_paths(&p).filter(|d| !d.as_os_str().is_empty()));
    }
    dirs
}

pub fn options(args: &SessionArgs) -> Options {
    Options {
        mode: if args.check { Mode::Check } else { Mode::Apply },
        diff: args.diff,
        output: match args.output {
            OutputFormat::Human => Output::Human,
            OutputFormat::Json => Output::Json,
        },
        verbosity: if args.quiet {
            Verbosity::Quiet
        } else if args.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        },
        color: args.output == OutputFormat::Human && color_wanted(args.no_color),
        lib_dirs: lib_dirs(&args.lib),
        yes: args.yes,
        interactive: prompt::interactive(),
        aws_profile: args.aws_profile.clone(),
        no_proxy: args.no_proxy,
        aws_region: args.aws_region.clone(),
    }
}

pub fn param_sources(args: &SessionArgs, interactive: bool) -> ParamSources {
    ParamSources {
        sets: args.sets.clone(),
        vars_file: args.vars.clone(),
        env: Some(Box::new(|name| std::env::var(name))),
        prompt: interactive.then(|| {
            Box::new(|spec: &ParamSpec| {
                let help = if spec.help.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", spec.help)
                };
                let question = format!("{}{help}:", spec.name);
                if spec.ty == ParamType::Secret {
                    prompt::ask_secret(&question).map(ParamValue::Secret)
                } else {
                    let text = prompt::ask(&question)?;
                    spec.ty
                        .from_text(&text)
                        .map_err(|m| std::io::Error::new(std::io::ErrorKind::InvalidInput, m))
                }
            }) as crate::runtime::params::Prompt
        }),
    }
}
