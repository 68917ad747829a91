//! `runbook eval`: a snippet with every host module, its value printed.

use rhai::Scope;

use std::io::IsTerminal;

use super::args::{EvalArgs, OutputFormat};
use super::error::{CliError, EXIT_OK};
use super::options;
use crate::host::Cancel;
use crate::report::Event;
use crate::runtime::params::resolve_undeclared;
use crate::runtime::pretty::shown;
use crate::runtime::{RunError, Script, Session};

pub fn eval(args: EvalArgs, cancel: Cancel) -> Result<u8, CliError> {
    let script = match (&args.code, &args.file) {
        (Some(code), _) => Script {
            name: "<eval>".into(),
            path: None,
            source: code.clone(),
        },
        (None, Some(file)) => {
            let source = crate::runtime::catalog::read_source(file)
                .map_err(|e| CliError::Usage(format!("cannot read the script: {e}")))?;
            Script {
                name: file.display().to_string(),
                path: Some(file.clone()),
                source,
            }
        }
        (None, None) => {
            return Err(CliError::Usage(
                "give the code to evaluate, or --file FILE".into(),
            ));
        }
    };
    let raw = raw_strings(args.raw, args.session.output);
    let opts = options::options(&args.session);
    let resolved = resolve_undeclared(&options::param_sources(&args.session, false))?;
    let session = Session::new(opts, script.dir().map(Into::into), cancel);
    session.set_params(&resolved, false);
    let mut script = script;
    if script.path.is_none() {
        // Diagnostics name the snippet the way the operator typed it.
        script.name = "<eval>".into();
    }
    let ast = session.compile(&script).map_err(CliError::Compile)?;
    let _lock = super::host_lock::unless_check(&session, &session.cancel)?;
    match session.eval(&mut Scope::new(), &ast) {
        Ok(value) => {
            if !value.is_unit() {
                session.emit(Event::Value {
                    text: shown(&value, raw),
                });
            }
            Ok(EXIT_OK)
        }
        Err(RunError::Interrupted) => Err(CliError::Interrupted),
        Err(RunError::Failed(d)) => Err(CliError::Failed(d)),
    }
}

/// Strings print bare with `--raw`, or when stdout is a pipe or a file (a
/// shell script's `$(runbook eval ...)`); quoted on a terminal, where `"42"`
/// and `42` must look different. JSON output keeps the quoted form in `text`.
pub fn raw_strings(flag: bool, output: OutputFormat) -> bool {
    output == OutputFormat::Human && (flag || !std::io::stdout().is_terminal())
}
