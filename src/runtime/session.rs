//! A session: the engine, the reporter and the settings of one invocation,
//! and the operations the commands share (compile, lint, run).

use std::path::PathBuf;
use std::rc::Rc;

use rhai::{AST, Dynamic, Engine, EvalAltResult, Module, Scope, Shared};

use super::diagnostic::{self, Diagnostic};
use super::engine::{self, ModuleIndex};
use super::lint;
use super::params::{ParamValue, Resolved};
use super::{Resolver, Script, Sources};
use crate::bindings::Env;
use crate::host::aws::AwsSettings;
use crate::host::{Cancel, Ctx, Mode, Redact};
use crate::report::{
    Event, HumanPrinter, JsonPrinter, Printer, Redactor, Reporter, Style, Verbosity,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Human,
    Json,
}

/// Settings shared by `run`, `eval` and `repl`.
#[derive(Clone, Debug)]
pub struct Options {
    pub mode: Mode,
    pub diff: bool,
    pub output: Output,
    pub verbosity: Verbosity,
    pub color: bool,
    pub lib_dirs: Vec<PathBuf>,
    pub yes: bool,
    pub interactive: bool,
    /// `--aws-profile`/`--aws-region`: the identity for IAM and STS.
    pub aws_profile: Option<String>,
    /// `--no-proxy`: AWS calls connect directly.
    pub no_proxy: bool,
    pub aws_region: Option<String>,
}

impl Options {
    /// For tools that compile or inspect but never run a playbook (`check`,
    /// `doc`, benchmarks): check mode, quiet, no colour, no questions.
    pub fn inspect() -> Self {
        Options {
            mode: Mode::Check,
            diff: false,
            output: Output::Human,
            verbosity: Verbosity::Quiet,
            color: false,
            lib_dirs: Vec::new(),
            yes: false,
            interactive: false,
            aws_profile: None,
            no_proxy: false,
            aws_region: None,
        }
    }
}

/// How a run ended, for the exit code.
#[derive(Debug)]
pub enum RunError {
    /// The script failed at run time (exit 1).
    Failed(Box<Diagnostic>),
    /// Ctrl-C (exit 130).
    Interrupted,
}

pub struct Session {
    pub engine: Engine,
    pub env: Rc<Env>,
    pub reporter: Rc<Reporter>,
    pub redactor: Rc<Redactor>,
    pub sources: Sources,
    pub index: ModuleIndex,
    pub modules: Vec<(String, Shared<Module>)>,
    pub options: Options,
    pub cancel: Cancel,
    resolver_dirs: Vec<PathBuf>,
    last_call: engine::LastCall,
}

impl Session {
    /// `script_dir` is searched for site modules after `--lib` folders.
    pub fn new(options: Options, script_dir: Option<PathBuf>, cancel: Cancel) -> Self {
        let printer: Box<dyn Printer> = match options.output {
            Output::Human => Box::new(HumanPrinter::new(
                std::io::stdout(),
                Style {
                    color: options.color,
                },
                options.verbosity,
            )),
            Output::Json => Box::new(JsonPrinter::new(std::io::stdout())),
        };
        Self::with_printer(options, script_dir, cancel, printer)
    }

    pub fn with_printer(
        options: Options,
        script_dir: Option<PathBuf>,
        cancel: Cancel,
        printer: Box<dyn Printer>,
    ) -> Self {
        let redactor = Rc::new(Redactor::new());
        // A proxy's password must not show up even where an error quotes a URL.
        for secret in crate::host::aws::proxy::credentials_in_env() {
            redactor.register(&secret);
        }
        let reporter = Rc::new(Reporter::new(
            printer,
            redactor.clone(),
            options.output == Output::Human,
        ));
        let ctx = Ctx {
            mode: options.mode,
            diff: options.diff,
            cancel: cancel.clone(),
            redactor: redactor.clone(),
            progress: reporter.clone(),
        };
        let env = Rc::new(Env::new(
            ctx,
            reporter.clone(),
            options.interactive,
            options.yes,
        ));
        env.set_aws(AwsSettings {
            profile: options.aws_profile.clone(),
            region: options.aws_region.clone(),
            no_proxy: options.no_proxy,
        });
        let mut dirs = options.lib_dirs.clone();
        dirs.extend(script_dir);
        let sources = Sources::default();
        let last_call = engine::LastCall::default();
        let (engine, index, modules) =
            engine::build(&env, last_call.clone(), dirs.clone(), &sources);
        Session {
            engine,
            env,
            reporter,
            redactor,
            sources,
            index,
            modules,
            options,
            cancel,
            resolver_dirs: dirs,
            last_call,
        }
    }

    pub fn style(&self) -> Style {
        Style {
            color: self.options.color,
        }
    }

    /// Makes the resolved parameters visible to `param()`; secrets are registered for redaction.
    pub fn set_params(&self, resolved: &Resolved, declared: bool) {
        let mut map = rhai::Map::new();
        for (name, value) in &resolved.values {
            let v = match value {
                None => Dynamic::UNIT,
                Some(ParamValue::String(s)) => s.clone().into(),
                Some(ParamValue::Int(i)) => (*i).into(),
                Some(ParamValue::Bool(b)) => (*b).into(),
                Some(ParamValue::List(l)) => l
                    .iter()
                    .cloned()
                    .map(Dynamic::from)
                    .collect::<rhai::Array>()
                    .into(),
                Some(ParamValue::Secret(s)) => {
                    self.redactor.register(s.expose());
                    Dynamic::from(s.clone())
                }
            };
            map.insert(name.as_str().into(), v);
        }
        *self.env.params.borrow_mut() = map;
        self.env.params_declared.set(declared);
    }

    /// Compiles a script and lints its host and stdlib calls.
    pub fn compile(&self, script: &Script) -> Result<AST, Vec<Diagnostic>> {
        let name = script.source_name();
        self.sources.add(&name, &script.source);
        let mut ast = self
            .engine
            .compile(&script.source)
            .map_err(|e| vec![diagnostic::from_parse(&e, &name, &self.sources)])?;
        ast.set_source(name.as_str());
        let unknown = self.lint(&ast);
        let diags: Vec<Diagnostic> = unknown
            .into_iter()
            .map(|u| Diagnostic {
                message: format!("{} does not exist", u.call),
                location: diagnostic::locate(&name, u.position, &self.sources),
                hint: Some(
                    u.suggestion
                        .map(|s| format!("did you mean {s}?"))
                        .unwrap_or_else(|| {
                            "`runbook doc` lists the host modules and their functions".into()
                        }),
                ),
                notes: Vec::new(),
            })
            .collect();
        if diags.is_empty() {
            Ok(ast)
        } else {
            Err(diags)
        }
    }

    fn lint(&self, ast: &AST) -> Vec<lint::UnknownCall> {
        let resolver = Resolver::new(self.resolver_dirs.clone(), Sources::default());
        lint::unknown_calls(&self.engine, ast, &self.index, &resolver)
    }

    /// Runs a compiled script in `scope`; errors become diagnostics.
    pub fn eval(&self, scope: &mut Scope, ast: &AST) -> Result<Dynamic, RunError> {
        *self.last_call.borrow_mut() = None;
        let main = ast.source().unwrap_or("<input>").to_string();
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(scope, ast)
            .map_err(|e| self.run_error(&e, &main));
        // A signal during the last call, which then finished anyway: still an
        // interrupted run (exit 130), never "done".
        if self.cancel.is_cancelled() {
            return Err(RunError::Interrupted);
        }
        result
    }

    pub fn run_error(&self, e: &EvalAltResult, main: &str) -> RunError {
        if self.cancel.is_cancelled() || matches!(innermost(e), EvalAltResult::ErrorTerminated(..))
        {
            return RunError::Interrupted;
        }
        let last = self.last_call.borrow().clone();
        let mut d = diagnostic::from_eval(e, main, &self.sources, last);
        d.message = self.redactor.redact(&d.message);
        if let Some(loc) = &mut d.location {
            loc.snippet = loc.snippet.as_deref().map(|s| self.redactor.redact(s));
        }
        RunError::Failed(Box::new(d))
    }

    pub fn emit(&self, event: Event) {
        self.reporter.emit(event);
    }
}

fn innermost(e: &EvalAltResult) -> &EvalAltResult {
    match e {
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => innermost(inner),
        other => other,
    }
}
