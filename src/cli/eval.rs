//! `runbook eval`: a snippet with every host module, its value printed.

use rhai::Scope;

use super::args::EvalArgs;
use super::error::{CliError, EXIT_OK};
use super::options;
use crate::host::Cancel;
use crate::report::Event;
use crate::runtime::params::resolve_undeclared;
use crate::runtime::pretty::pretty;
use crate::runtime::{RunError, Script, Session};

pub fn eval(args: EvalArgs, cancel: Cancel) -> Result<u8, CliError> {
    let script = match (&args.code, &args.file) {
        (Some(code), _) => Script {
            name: "<eval>".into(),
            path: None,
            source: code.clone(),
        },
        (None, Some(file)) => {
            let source = std::fs::read_to_string(file)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
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
                    text: pretty(&value),
                });
            }
            Ok(EXIT_OK)
        }
        Err(RunError::Interrupted) => Err(CliError::Interrupted),
        Err(RunError::Failed(d)) => Err(CliError::Failed(d)),
    }
}
