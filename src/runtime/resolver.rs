//! `import "name"`: site folders (`--lib`, `RUNBOOK_PATH`, the script's own
//! folder) first, then the bundled stdlib.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

use rhai::{Engine, EvalAltResult, Module, ModuleResolver, Position, Scope, Shared};

use super::Sources;
use super::catalog;

pub struct Resolver {
    dirs: Vec<PathBuf>,
    sources: Sources,
    cache: RefCell<HashMap<String, Shared<Module>>>,
}

/// Where a module named `name` comes from.
pub enum Found {
    File(PathBuf),
    Bundled(&'static str),
}

impl Resolver {
    pub fn new(dirs: Vec<PathBuf>, sources: Sources) -> Self {
        Resolver {
            dirs,
            sources,
            cache: RefCell::new(HashMap::new()),
        }
    }

    pub fn find(&self, name: &str) -> Option<Found> {
        let file = format!("{}.rhai", name.strip_suffix(".rhai").unwrap_or(name));
        for dir in &self.dirs {
            let candidate = dir.join(&file);
            if candidate.is_file() {
                return Some(Found::File(candidate));
            }
        }
        catalog::stdlib(name.strip_suffix(".rhai").unwrap_or(name)).map(Found::Bundled)
    }

    fn searched(&self) -> String {
        let mut places: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
        places.push("the bundled stdlib".into());
        places.join(", ")
    }
}

impl ModuleResolver for Resolver {
    fn resolve(
        &self,
        engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        if let Some(m) = self.cache.borrow().get(path) {
            return Ok(m.clone());
        }
        let (source_name, text) = match self.find(path) {
            Some(Found::File(p)) => {
                let text = std::fs::read_to_string(&p).map_err(|e| {
                    Box::new(EvalAltResult::ErrorSystem(
                        format!("cannot read module {}", p.display()),
                        Box::new(e),
                    ))
                })?;
                (p.display().to_string(), text)
            }
            Some(Found::Bundled(text)) => (format!("stdlib/{path}.rhai"), text.to_string()),
            None => {
                return Err(Box::new(EvalAltResult::ErrorModuleNotFound(
                    format!("{path} (searched {})", self.searched()),
                    pos,
                )));
            }
        };
        self.sources.add(&source_name, &text);
        let mut ast = engine.compile(&text).map_err(|e| {
            Box::new(EvalAltResult::ErrorInModule(
                source_name.clone(),
                e.into(),
                pos,
            ))
        })?;
        ast.set_source(source_name.as_str());
        let module = Module::eval_ast_as_new(Scope::new(), &ast, engine)
            .map_err(|e| Box::new(EvalAltResult::ErrorInModule(source_name.clone(), e, pos)))?;
        let module: Shared<Module> = Rc::new(module);
        self.cache
            .borrow_mut()
            .insert(path.to_string(), module.clone());
        Ok(module)
    }
}
