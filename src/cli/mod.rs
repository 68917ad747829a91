//! The command line: parse, dispatch, map the result to an exit code.

/// `println!` that ignores a closed pipe (`runbook doc | head`) instead of
/// panicking. SIGPIPE stays ignored: a child closing its stdin early must not
/// kill a run halfway.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod args;
mod check;
mod doc;
mod doc_builtins;
mod eject;
mod elf;
mod error;
mod eval;
mod host_lock;
mod list;
mod man;
mod options;
mod repl;
mod run;
mod show;
mod signal;
mod version;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

pub use args::{Cli, Command, EXIT_CODES};
pub use doc::{FnDoc, collect as collect_docs, markdown as docs_markdown};
pub use error::{CliError, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING, EXIT_USAGE};

use crate::host::Cancel;
use crate::report::Style;

pub fn main() -> ExitCode {
    // Before anything else can hold a secret.
    if let Err(e) = crate::host::harden::no_core_dumps() {
        eprintln!("warning: cannot disable core dumps ({e})");
    }
    // `--version` also says the commit, build date, target and the glibc this
    // binary needs (read from its own ELF headers); `-V` stays one line.
    let parsed = Cli::command()
        .long_version(version::long_version())
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let stderr_style = Style {
        color: options::color_wanted(false) && std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprint!("{}", e.render(stderr_style));
            ExitCode::from(e.exit_code())
        }
    }
}

fn dispatch(cli: Cli) -> Result<u8, CliError> {
    let cancel = Cancel::new();
    match cli.command {
        Command::Run(a) => {
            signal::install(cancel.clone(), true);
            run::run(a, cancel)
        }
        Command::Eval(a) => {
            signal::install(cancel.clone(), true);
            eval::eval(a, cancel)
        }
        Command::Repl(a) => {
            // In the REPL, Ctrl-C cancels the current input only, however often.
            signal::install(cancel.clone(), false);
            repl::repl(a, cancel)
        }
        Command::List => list::list(),
        Command::Show { playbook } => show::show(&playbook),
        Command::Check { paths, lib } => check::check(
            &paths,
            &lib,
            Style {
                color: options::color_wanted(false),
            },
        ),
        Command::Doc {
            name,
            definitions,
            markdown,
        } => doc::doc(name.as_deref(), definitions.as_deref(), markdown),
        Command::Eject {
            playbook,
            dir,
            force,
        } => eject::eject(&playbook, &dir, force),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "runbook",
                &mut std::io::stdout(),
            );
            Ok(EXIT_OK)
        }
        Command::Man { dir } => man::man(dir.as_deref()),
    }
}
