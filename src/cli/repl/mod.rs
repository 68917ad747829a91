//! `runbook repl`: explore a host and draft a site script, with the same
//! engine, modules, parameters and reporter as `run`.

mod completer;
mod history;
mod input;

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use rhai::{AST, Position, Scope, Stmt};
use rustyline::error::ReadlineError;
use rustyline::history::{DefaultHistory, History};
use rustyline::{Config, Editor};

use super::args::ReplArgs;
use super::error::{CliError, EXIT_FAILED, EXIT_OK};
use super::{doc, options};
use crate::host::{Cancel, Mode, Redact};
use crate::report::Event;
use crate::runtime::params::{Resolved, resolve_undeclared};
use crate::runtime::pretty::{pretty, shown};
use crate::runtime::{Options, RunError, Script, Session};
use completer::ReplHelper;
pub use input::is_incomplete;

const HELP: &str = "\
Type Rhai statements; results are printed, `()` is not. An unfinished
statement continues on the next line. Tab completes modules (fs::), their
functions, globals, variables, and paths inside strings.

  :help              this text
  :doc NAME          signature and documentation (fs, fs::chmod, alation::…)
  :check on|off      check mode: nothing is changed (the prompt shows it)
  :load FILE         run a script into this session
  :vars              variables in scope
  :save FILE         write this session's successful inputs as a script
  :history on|off    keep inputs in the history file (inputs holding or
                     building a secret are never kept)
  :quit              leave (or Ctrl-D)

Ctrl-C cancels a running call or clears the line.";

/// Everything that outlives one input: scope, functions, imports, transcript.
struct Repl {
    session: Session,
    resolved: Resolved,
    options: Options,
    cancel: Cancel,
    scope: Scope<'static>,
    /// Functions defined so far, merged into every later input.
    functions: AST,
    /// `import "x" as y` done so far, re-registered when the session is rebuilt.
    imports: Vec<(String, String)>,
    transcript: Vec<String>,
    counter: usize,
    /// String results printed without quotes (see `eval::raw_strings`).
    raw: bool,
    /// `:history off`: no input goes into the history file.
    history_off: bool,
}

impl Repl {
    fn new(options: Options, resolved: Resolved, cancel: Cancel) -> Self {
        let session = Self::session(&options, &resolved, &cancel);
        Repl {
            session,
            resolved,
            options,
            cancel,
            scope: Scope::new(),
            functions: AST::empty(),
            imports: Vec::new(),
            transcript: Vec::new(),
            history_off: false,
            counter: 0,
            raw: false,
        }
    }

    fn session(options: &Options, resolved: &Resolved, cancel: &Cancel) -> Session {
        let s = Session::new(
            options.clone(),
            std::env::current_dir().ok(),
            cancel.clone(),
        );
        s.set_params(resolved, false);
        s
    }

    fn prompt(&self) -> String {
        if self.options.mode.is_check() {
            "runbook[check]> ".into()
        } else {
            "runbook> ".into()
        }
    }

    fn set_mode(&mut self, mode: Mode) {
        self.options.mode = mode;
        self.session = Self::session(&self.options, &self.resolved, &self.cancel);
        for (alias, path) in self.imports.clone() {
            let _ = self.register_import(&alias, &path);
        }
    }

    fn register_import(&mut self, alias: &str, path: &str) -> Result<(), String> {
        let engine = &self.session.engine;
        let module = engine
            .module_resolver()
            .resolve(engine, None, path, Position::NONE)
            .map_err(|e| e.to_string())?;
        self.session.engine.register_static_module(alias, module);
        Ok(())
    }

    fn helper(&self) -> ReplHelper {
        let mut modules = self.session.index.clone();
        for (alias, path) in &self.imports {
            let names = doc::collect(&self.session)
                .into_iter()
                .filter(|d| d.module == *path)
                .map(|d| d.name)
                .collect();
            modules.insert(alias.clone(), names);
        }
        let globals: BTreeSet<String> = doc::collect(&self.session)
            .into_iter()
            .filter(|d| d.module.is_empty())
            .map(|d| d.name)
            .collect();
        let mut h = ReplHelper::new(modules, globals);
        h.variables = self
            .scope
            .iter()
            .map(|(name, _, _)| name.to_string())
            .collect();
        h
    }

    /// Compiles and runs one input; `Ok(true)` when it succeeded.
    fn eval(&mut self, text: &str, name: &str) -> Result<(), CliError> {
        self.counter += 1;
        let script = Script {
            name: name.to_string(),
            path: None,
            source: text.to_string(),
        };
        let ast = self.compile(&script)?;
        let full = self.functions.merge(&ast);
        self.cancel.reset();
        let lock = super::host_lock::unless_check(&self.session, &self.cancel)?;
        let result = self.session.eval(&mut self.scope, &full);
        drop(lock);
        match result {
            Ok(value) => {
                self.functions = self.functions.merge(&ast.clone_functions_only());
                for stmt in ast.statements() {
                    if let Stmt::Import(x, _) = stmt {
                        if let Some(path) =
                            x.0.get_literal_value(None)
                                .and_then(|v| v.into_string().ok())
                        {
                            let alias = x.1.name.to_string();
                            if self.register_import(&alias, &path).is_ok() {
                                self.imports.retain(|(a, _)| *a != alias);
                                self.imports.push((alias, path));
                            }
                        }
                    }
                }
                if !value.is_unit() {
                    self.session.emit(Event::Value {
                        text: shown(&value, self.raw),
                    });
                }
                Ok(())
            }
            Err(RunError::Interrupted) => Err(CliError::Interrupted),
            Err(RunError::Failed(d)) => Err(CliError::Failed(d)),
        }
    }

    /// Adds a successful input to the draft `:save` writes.
    fn keep(&mut self, text: &str, secret: bool) {
        self.transcript.push(if secret {
            history::LEFT_OUT.into()
        } else {
            text.trim_end().to_string()
        });
    }

    fn compile(&self, script: &Script) -> Result<AST, CliError> {
        // Earlier variables are known to the compiler, so strict mode accepts them.
        let name = script.source_name();
        self.session.sources.add(&name, &script.source);
        let mut ast = self
            .session
            .engine
            .compile_with_scope(&self.scope, &script.source)
            .map_err(|e| {
                CliError::Compile(vec![crate::runtime::diagnostic::from_parse(
                    &e,
                    &name,
                    &self.session.sources,
                )])
            })?;
        ast.set_source(name.as_str());
        Ok(ast)
    }

    /// A line is kept in history and the transcript only when it holds, or
    /// built, no secret.
    fn holds_secret(&self, text: &str) -> bool {
        history::unsafe_to_keep(&self.session.redactor, text)
    }

    /// Drops kept inputs that built a secret registered since: a literal
    /// typed on one line and passed to `secret()` on a later one.
    fn forget_secret_builders(&mut self, rl: Option<&mut Editor<ReplHelper, DefaultHistory>>) {
        let redactor = self.session.redactor.clone();
        for t in &mut self.transcript {
            if history::unsafe_to_keep(&redactor, t) {
                *t = history::LEFT_OUT.into();
            }
        }
        if let Some(rl) = rl {
            let kept: Vec<String> = rl
                .history()
                .iter()
                .filter(|l| !history::unsafe_to_keep(&redactor, l))
                .cloned()
                .collect();
            if kept.len() != rl.history().len() {
                let _ = rl.clear_history();
                for l in kept {
                    let _ = rl.add_history_entry(l);
                }
            }
        }
    }

    fn command(&mut self, line: &str) -> Result<bool, String> {
        let (cmd, arg) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let arg = arg.trim();
        match cmd {
            ":help" | ":h" => println!("{HELP}"),
            ":quit" | ":q" | ":exit" => return Ok(false),
            ":vars" => {
                for (name, constant, value) in self.scope.iter() {
                    let kind = if constant { "const" } else { "let" };
                    // A plain string can hold a secret's text (after expose()): redact it too.
                    let shown = self.session.redactor.redact(&pretty(&value));
                    println!("{kind} {name} = {shown}");
                }
            }
            ":check" => match arg {
                "on" => self.set_mode(Mode::Check),
                "off" => self.set_mode(Mode::Apply),
                "" => println!(
                    "check mode is {}",
                    if self.options.mode.is_check() {
                        "on"
                    } else {
                        "off"
                    }
                ),
                other => return Err(format!(":check takes on or off, not '{other}'")),
            },
            ":doc" => {
                let docs = doc::collect(&self.session);
                let (module, func) = match arg.split_once("::") {
                    Some((m, f)) => (m.to_string(), Some(f)),
                    None if docs.iter().any(|d| d.module == arg) => (arg.to_string(), None),
                    None => (String::new(), Some(arg)),
                };
                let module = self
                    .imports
                    .iter()
                    .find(|(a, _)| *a == module)
                    .map(|(_, p)| p.clone())
                    .unwrap_or(module);
                let hits: Vec<_> = docs
                    .iter()
                    .filter(|d| d.module == module && func.is_none_or(|f| d.name == f))
                    .collect();
                if hits.is_empty() {
                    return Err(format!("no function or module named '{arg}'"));
                }
                for d in hits {
                    println!("{}", d.signature);
                    for l in &d.doc {
                        println!("    {l}");
                    }
                }
            }
            ":load" => {
                let text =
                    std::fs::read_to_string(arg).map_err(|e| format!("cannot read {arg}: {e}"))?;
                match self.eval(&text, arg) {
                    Ok(()) if self.holds_secret(&text) => self
                        .transcript
                        .push(format!("// :load {arg}\n{}", history::LEFT_OUT)),
                    Ok(()) => self
                        .transcript
                        .push(format!("// :load {arg}\n{}", text.trim_end())),
                    Err(e) => eprint!("{}", e.render(self.session.style())),
                }
            }
            ":save" => {
                if arg.is_empty() {
                    return Err(":save needs a file name".into());
                }
                let mut text = String::from("// Drafted in `runbook repl`.\n");
                for t in &self.transcript {
                    // Checked again: a secret made later may hold an earlier literal.
                    text.push_str(if self.holds_secret(t) {
                        history::LEFT_OUT
                    } else {
                        t
                    });
                    text.push('\n');
                }
                std::fs::write(arg, text).map_err(|e| format!("cannot write {arg}: {e}"))?;
                println!("saved {} input(s) to {arg}", self.transcript.len());
            }
            ":history" => match arg {
                "off" => self.history_off = true,
                "on" => self.history_off = false,
                "" => println!("history is {}", if self.history_off { "off" } else { "on" }),
                other => return Err(format!(":history takes on or off, not '{other}'")),
            },
            other => return Err(format!("unknown command {other}; :help lists them")),
        }
        Ok(true)
    }
}

fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("runbook").join("history"))
}

pub fn repl(args: ReplArgs, cancel: Cancel) -> Result<u8, CliError> {
    let mut opts = options::options(&args.session);
    let resolved = resolve_undeclared(&options::param_sources(&args.session, false))?;
    let tty = std::io::stdin().is_terminal();
    opts.interactive = tty;
    let raw = super::eval::raw_strings(args.raw, args.session.output);
    let mut repl = Repl::new(opts, resolved, cancel);
    repl.raw = raw;
    if !tty {
        return scripted(&mut repl);
    }

    let config = Config::builder()
        .auto_add_history(false)
        .max_history_size(5000)
        .map_err(io)?
        .build();
    let mut rl: Editor<ReplHelper, DefaultHistory> = Editor::with_config(config).map_err(io)?;
    rl.set_helper(Some(repl.helper()));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    println!(
        "runbook {} — :help for commands, Ctrl-D to leave",
        env!("CARGO_PKG_VERSION")
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            repl.prompt()
        } else {
            "      ...> ".to_string()
        };
        match rl.readline(prompt.as_str()) {
            Ok(line) => {
                if buffer.is_empty() && line.trim_start().starts_with(':') {
                    if !repl.history_off && !repl.holds_secret(&line) {
                        let _ = rl.add_history_entry(line.trim());
                    }
                    match repl.command(line.trim()) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(msg) => eprintln!("{msg}"),
                    }
                    rl.set_helper(Some(repl.helper()));
                    continue;
                }
                buffer.push_str(&line);
                buffer.push('\n');
                if buffer.trim().is_empty() {
                    buffer.clear();
                    continue;
                }
                if is_incomplete(&repl.session.engine, &repl.scope, &buffer) {
                    continue;
                }
                let text = std::mem::take(&mut buffer);
                let name = format!("<input {}>", repl.counter + 1);
                let known = repl.session.redactor.len();
                let outcome = repl.eval(&text, &name);
                let secret = repl.holds_secret(&text);
                if !secret && !repl.history_off {
                    let _ = rl.add_history_entry(text.trim_end());
                }
                match outcome {
                    Ok(()) => repl.keep(&text, secret),
                    Err(e) => eprint!("{}", e.render(repl.session.style())),
                }
                if repl.session.redactor.len() != known {
                    repl.forget_secret_builders(Some(&mut rl));
                }
                rl.set_helper(Some(repl.helper()));
            }
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(io(e)),
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
            let _ =
                std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700));
        }
        let _ = rl.save_history(h);
        let _ = std::fs::set_permissions(h, std::os::unix::fs::PermissionsExt::from_mode(0o600));
    }
    Ok(EXIT_OK)
}

/// Without a terminal: statements from stdin, stop at the first error.
fn scripted(repl: &mut Repl) -> Result<u8, CliError> {
    let mut buffer = String::new();
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| CliError::Io(format!("cannot read standard input: {e}")))?;
        if buffer.is_empty() && line.trim_start().starts_with(':') {
            match repl.command(line.trim()) {
                Ok(true) => continue,
                Ok(false) => return Ok(EXIT_OK),
                Err(msg) => {
                    eprintln!("error: {msg}");
                    return Ok(EXIT_FAILED);
                }
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        if buffer.trim().is_empty() || is_incomplete(&repl.session.engine, &repl.scope, &buffer) {
            continue;
        }
        let text = std::mem::take(&mut buffer);
        let name = format!("<stdin {}>", repl.counter + 1);
        let known = repl.session.redactor.len();
        repl.eval(&text, &name)?;
        let secret = repl.holds_secret(&text);
        repl.keep(&text, secret);
        if repl.session.redactor.len() != known {
            repl.forget_secret_builders(None);
        }
    }
    if !buffer.trim().is_empty() {
        let name = format!("<stdin {}>", repl.counter + 1);
        repl.eval(&buffer, &name)?;
    }
    Ok(EXIT_OK)
}

fn io(e: ReadlineError) -> CliError {
    CliError::Io(format!("terminal: {e}"))
}
