//! An in-process session, built the way `runbook` builds its own
//! (`Session::with_printer`): every host module, the stdlib resolver, strict
//! variables, print and debug through the reporter, the redactor. Its events
//! go to a buffer as JSON lines.

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::rc::Rc;

use rhai::{Dynamic, Scope};
use runbook::host::{Cancel, Mode};
use runbook::report::{JsonPrinter, Style, Verbosity};
use runbook::runtime::{Options, Output, Resolver, RunError, Session, Sources, diagnostic, lint};

/// What the session printed.
#[derive(Clone, Default)]
struct Buf(Rc<RefCell<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct Engine {
    session: Session,
    out: Buf,
}

/// How the source of a test's script is named in its diagnostics.
const SOURCE: &str = "<test>";

impl Engine {
    /// A session in `mode`, as `runbook eval --output json` would have it:
    /// no terminal, no `--yes`, no `--lib`, the environment's AWS identity.
    pub fn new(mode: Mode) -> Self {
        let out = Buf::default();
        let options = Options {
            mode,
            diff: false,
            output: Output::Json,
            verbosity: Verbosity::Normal,
            color: false,
            lib_dirs: Vec::new(),
            yes: false,
            interactive: false,
            aws_profile: None,
            no_proxy: false,
            aws_region: None,
        };
        let session = Session::with_printer(
            options,
            None,
            Cancel::new(),
            Box::new(JsonPrinter::new(out.clone())),
        );
        Engine { session, out }
    }

    /// Runs `script`; its value, or its error as the command line prints it
    /// (message with its kind, location, notes, hint).
    pub fn eval(&self, script: &str) -> Result<Dynamic, String> {
        self.eval_with(&[], script)
    }

    /// Runs `script` with these variables in scope. A script that does not
    /// compile, or calls a function that does not exist, is a mistake of the
    /// test: a panic, never an `Err` a test could take for the error it expects.
    pub fn eval_with(&self, vars: &[(&str, Dynamic)], script: &str) -> Result<Dynamic, String> {
        let s = &self.session;
        let mut scope = Scope::new();
        for (name, value) in vars {
            scope.push_dynamic(*name, value.clone());
        }
        // `Session::compile` takes no scope: compile with one, then lint the
        // way it does, so strict variables know the test's variables.
        s.sources.add(SOURCE, script);
        let mut ast = s
            .engine
            .compile_with_scope(&scope, script)
            .unwrap_or_else(|e| {
                panic!(
                    "the test's script does not compile:\n{}",
                    render(&diagnostic::from_parse(&e, SOURCE, &s.sources))
                )
            });
        ast.set_source(SOURCE);
        let resolver = Resolver::new(Vec::<PathBuf>::new(), Sources::default());
        let unknown = lint::unknown_calls(&s.engine, &ast, &s.index, &resolver);
        assert!(
            unknown.is_empty(),
            "the test's script calls what does not exist: {:?}",
            unknown
                .iter()
                .map(|u| (&u.call, &u.suggestion))
                .collect::<Vec<_>>()
        );
        let result = s.eval(&mut scope, &ast).map_err(|e| match e {
            RunError::Failed(d) => render(&d),
            RunError::Interrupted => "interrupted".into(),
        });
        // The leak scan: the JSON lines so far, and the error as printed.
        super::leak::output("the engine's JSON lines", &self.output());
        if let Err(e) = &result {
            super::leak::output("the engine's error", e);
        }
        result
    }

    /// The JSON lines the session printed so far.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.out.0.borrow()).into_owned()
    }
}

fn render(d: &diagnostic::Diagnostic) -> String {
    d.render(Style { color: false })
}
