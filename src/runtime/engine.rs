//! Builds the one Rhai engine of a process: host modules, stdlib resolver,
//! strict variables, print/debug through the reporter, Ctrl-C via on_progress.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;

use std::cell::RefCell;

use rhai::debugger::DebuggerCommand;
use rhai::{ASTNode, Dynamic, Engine, Expr, Module, Position, Shared, Stmt};

use super::{Resolver, Sources};
use crate::bindings::{self, Env};
use crate::report::Level;

/// The function names of each registered host module, for `runbook check`.
pub type ModuleIndex = BTreeMap<String, BTreeSet<String>>;

pub fn function_names(module: &Module) -> BTreeSet<String> {
    module
        .gen_fn_signatures_with_mapper(|s| s.into())
        .filter_map(|sig| sig.split('(').next().map(str::to_string))
        .collect()
}

/// Where the last host-module call (`fs::write(…)`, `iam::…`) was made. Rhai
/// leaves errors of qualified native calls without a position; this fills it.
pub type LastCall = Rc<RefCell<Option<(String, Position)>>>;

fn track_host_calls(engine: &mut Engine, last: LastCall) {
    // Marked "volatile" (deprecated as a warning) by Rhai; pinned by Cargo.lock and
    // covered by the diagnostics tests, which fail if the positions go missing.
    #[allow(deprecated)]
    engine.register_debugger(
        |_, dbg| dbg,
        move |_ctx, _event, node, source, _pos| {
            let call = match node {
                ASTNode::Expr(Expr::FnCall(x, pos)) | ASTNode::Stmt(Stmt::FnCall(x, pos)) => {
                    Some((x, *pos))
                }
                _ => None,
            };
            if let Some((x, pos)) = call {
                if !x.namespace.is_empty() {
                    *last.borrow_mut() = Some((source.unwrap_or_default().to_string(), pos));
                }
            }
            Ok(DebuggerCommand::StepInto)
        },
    );
}

pub fn build(
    env: &Rc<Env>,
    last_call: LastCall,
    lib_dirs: Vec<PathBuf>,
    sources: &Sources,
) -> (Engine, ModuleIndex, Vec<(String, Shared<Module>)>) {
    let mut engine = Engine::new();
    engine.set_strict_variables(true);
    // Generous limits: playbooks are small, but a runaway loop should not eat the host.
    super::limits::Limits::from_env().apply(&mut engine);

    let reporter = env.reporter.clone();
    engine.on_print(move |text| reporter.message(Level::Print, text));
    let reporter = env.reporter.clone();
    engine.on_debug(move |text, source, pos| {
        let at = match (source, pos.line()) {
            (Some(src), Some(line)) => format!("{src}:{line}: "),
            (None, Some(line)) => format!("line {line}: "),
            _ => String::new(),
        };
        reporter.message(Level::Debug, &format!("{at}{text}"));
    });
    track_host_calls(&mut engine, last_call);
    let cancel = env.ctx.cancel.clone();
    engine.on_progress(move |_| cancel.is_cancelled().then(|| Dynamic::from("interrupted")));

    let modules = bindings::register_all(&mut engine, env);
    let index = modules
        .iter()
        .map(|(name, m)| (name.to_string(), function_names(m)))
        .collect();
    engine.set_module_resolver(Resolver::new(lib_dirs, sources.clone()));
    let modules = modules
        .into_iter()
        .map(|(n, m)| (n.to_string(), m))
        .collect();
    (engine, index, modules)
}
