//! `runbook run`: load, validate parameters, compile, lock, run, recap.

use rhai::Scope;

use super::args::RunArgs;
use super::error::{CliError, EXIT_OK, EXIT_PENDING};
use super::options;
use crate::host::{Cancel, process};
use crate::report::{Event, Level};
use crate::runtime::header::{Header, parse_header};
use crate::runtime::params::resolve;
use crate::runtime::{RunError, Script, Session, catalog};

pub fn header_of(script: &Script) -> Result<Header, CliError> {
    parse_header(&script.source).map_err(|e| CliError::Header {
        file: script.source_name(),
        line: e.line,
        message: e.message,
    })
}

/// Prerequisites declared in the header, checked before anything runs.
fn check_needs(header: &Header, session: &Session) -> Result<(), CliError> {
    let root = nix::unistd::geteuid().is_root();
    if header.needs.root && !root {
        if session.options.mode.is_check() {
            session.reporter.message(
                Level::Warn,
                "this playbook needs root to apply; checking as a normal user",
            );
        } else {
            return Err(CliError::Needs(
                "this playbook must run as root: run it with sudo".into(),
            ));
        }
    }
    // The same test as proc::which: a file that is not executable does not count.
    let missing: Vec<&str> = header
        .needs
        .commands
        .iter()
        .map(String::as_str)
        .filter(|c| process::which(c).is_none())
        .collect();
    if !missing.is_empty() {
        let fix = header.needs.hint.clone().unwrap_or_else(|| {
            format!(
                "install {} or run it on a host that has {}",
                them(&missing),
                them(&missing)
            )
        });
        return Err(CliError::Needs(format!(
            "this playbook needs {} on PATH, which this host does not have: {fix}",
            missing.join(", "),
        )));
    }
    Ok(())
}

fn them(list: &[&str]) -> &'static str {
    if list.len() == 1 { "it" } else { "them" }
}

pub fn run(args: RunArgs, cancel: Cancel) -> Result<u8, CliError> {
    let script = catalog::load(&args.playbook)?;
    let header = header_of(&script)?;
    let opts = options::options(&args.session);
    let resolved = resolve(
        &header.params,
        &options::param_sources(&args.session, opts.interactive),
    )?;
    let check = opts.mode.is_check();
    let session = Session::new(opts, script.dir().map(Into::into), cancel.clone());
    session.set_params(&resolved, true);
    let ast = session.compile(&script).map_err(CliError::Compile)?;
    check_needs(&header, &session)?;
    let _lock = super::host_lock::take(&session, !args.no_wait, &cancel)?;

    session.emit(Event::RunStart {
        playbook: script.name.clone(),
        check,
    });
    for w in &resolved.warnings {
        session.reporter.message(Level::Warn, w);
    }
    let result = session.eval(&mut Scope::new(), &ast);
    let interrupted = matches!(result, Err(RunError::Interrupted));
    if let Err(RunError::Failed(d)) = &result {
        session.emit(Event::Error {
            message: d.message.clone(),
            location: d
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.file, l.line, l.column)),
            hint: d.hint.clone(),
        });
    }
    session.reporter.recap(check, result.is_err(), interrupted);
    match result {
        Ok(_) if session.reporter.checks().1 > 0 => Err(CliError::Needs(format!(
            "{} check(s) failed; each FAIL line says how to fix it",
            session.reporter.checks().1
        ))),
        Ok(_) => {
            let pending = session.reporter.counts().would_change > 0;
            Ok(if check && args.detailed_exitcode && pending {
                EXIT_PENDING
            } else {
                EXIT_OK
            })
        }
        Err(RunError::Interrupted) => Err(CliError::Interrupted),
        Err(RunError::Failed(d)) => Err(CliError::Failed(d)),
    }
}
