//! Finds calls to host or stdlib functions that do not exist, before a run:
//! a typo such as `fs::chmdo` fails `runbook check`, not step 5 of a run.

use std::collections::{BTreeMap, BTreeSet};

use rhai::{AST, ASTNode, Expr, Position, Stmt};

use super::engine::ModuleIndex;
use super::resolver::{Found, Resolver};

/// One call to a function that does not exist.
#[derive(Debug, Clone)]
pub struct UnknownCall {
    pub call: String,
    pub position: Position,
    pub suggestion: Option<String>,
}

/// Functions of the stdlib module `path`, compiled (not run) to list them.
fn module_functions(
    engine: &rhai::Engine,
    resolver: &Resolver,
    path: &str,
) -> Option<BTreeSet<String>> {
    let text = match resolver.find(path)? {
        Found::File(p) => std::fs::read_to_string(p).ok()?,
        Found::Bundled(t) => t.to_string(),
    };
    let ast = engine.compile(&text).ok()?;
    Some(
        ast.iter_functions()
            .filter(|f| f.access != rhai::FnAccess::Private)
            .map(|f| f.name.to_string())
            .collect(),
    )
}

pub fn unknown_calls(
    engine: &rhai::Engine,
    ast: &AST,
    index: &ModuleIndex,
    resolver: &Resolver,
) -> Vec<UnknownCall> {
    // Aliases of `import "x" as y;` anywhere in the script.
    let mut aliases: BTreeMap<String, String> = BTreeMap::new();
    let mut missing = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Import(x, _))) = path.last() {
            if let Some(p) =
                x.0.get_literal_value(None)
                    .and_then(|v| v.into_string().ok())
            {
                if resolver.find(&p).is_none() {
                    missing.push(UnknownCall {
                        call: format!("import \"{p}\""),
                        position: x.0.position(),
                        suggestion: None,
                    });
                }
                aliases.insert(x.1.name.to_string(), p);
            }
        }
        true
    });
    let mut known: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    let mut found = missing;
    ast.walk(&mut |path: &[ASTNode]| {
        // A call is an expression, or a statement of its own.
        let call = match path.last() {
            Some(ASTNode::Expr(Expr::FnCall(call, pos)))
            | Some(ASTNode::Stmt(Stmt::FnCall(call, pos))) => Some((call, pos)),
            _ => None,
        };
        if let Some((call, pos)) = call {
            if call.namespace.path.len() == 1 {
                let root = call.namespace.root().to_string();
                let names = known.entry(root.clone()).or_insert_with(|| {
                    if let Some(module) = aliases.get(&root) {
                        module_functions(engine, resolver, module)
                    } else {
                        index.get(&root).cloned()
                    }
                });
                if let Some(names) = names {
                    if !names.contains(call.name.as_str()) {
                        let suggestion = names
                            .iter()
                            .map(|n| (strsim::jaro_winkler(n, &call.name), n))
                            .filter(|(s, _)| *s > 0.8)
                            .max_by(|a, b| a.0.total_cmp(&b.0))
                            .map(|(_, n)| format!("{root}::{n}"));
                        found.push(UnknownCall {
                            call: format!("{root}::{}", call.name),
                            position: *pos,
                            suggestion,
                        });
                    }
                }
            }
        }
        true
    });
    found
}
