//! `runbook check`: compile every script, report every error, exit 2 if any.

use std::path::PathBuf;

use super::error::{CliError, EXIT_OK};
use super::options;
use super::run::header_of;
use crate::host::Cancel;
use crate::report::Style;
use crate::runtime::{Options, Session, catalog};

pub fn check(paths: &[String], lib: &[PathBuf], style: Style) -> Result<u8, CliError> {
    let mut errors = 0usize;
    for path in paths {
        let script = match catalog::load(path) {
            Ok(s) => s,
            Err(e) => {
                eprint!("{}", CliError::from(e).render(style));
                errors += 1;
                continue;
            }
        };
        let mut failed = false;
        if let Err(e) = header_of(&script) {
            eprint!("{}", e.render(style));
            failed = true;
        }
        let opts = Options {
            color: style.color,
            lib_dirs: options::lib_dirs(lib),
            ..Options::inspect()
        };
        let session = Session::new(opts, script.dir().map(Into::into), Cancel::new());
        if let Err(diags) = session.compile(&script) {
            for d in diags {
                eprint!("{}", d.render(style));
            }
            failed = true;
        }
        if failed {
            errors += 1;
        } else {
            outln!("ok  {}", script.source_name());
        }
    }
    if errors > 0 {
        Err(CliError::Compile(Vec::new()))
    } else {
        Ok(EXIT_OK)
    }
}
