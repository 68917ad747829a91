//! `runbook eject`: copy a bundled playbook and the stdlib modules it imports
//! (transitively) into a site folder, to adapt without touching the binary.
//! Running the copy finds its modules in that folder before the bundled ones,
//! since the resolver searches the script's own folder first.

use std::path::{Path, PathBuf};

use rhai::{ASTNode, Stmt};

use super::error::{CliError, EXIT_OK};
use crate::host::fs::FileMode;
use crate::host::fs::atomic::write_atomic;
use crate::runtime::catalog;

/// Mode of every file eject writes: a site copy anyone may read, its owner edit.
const MODE: FileMode = FileMode::from_bits_const(0o644);

/// Module names of the `import "…"` statements with a literal path in
/// `source`, in order of first appearance, without a `.rhai` suffix and
/// without repeats. Compiled with a plain engine: nothing is resolved or run.
pub fn imports(source: &str) -> Result<Vec<String>, rhai::ParseError> {
    let mut engine = rhai::Engine::new();
    // The runtime's limits (runtime/engine.rs): a debug build's defaults are
    // lower and refuse nesting the bundled stdlib has.
    engine.set_max_expr_depths(256, 128);
    let ast = engine.compile(source)?;
    let mut names: Vec<String> = Vec::new();
    ast.walk(&mut |path: &[ASTNode]| {
        if let Some(ASTNode::Stmt(Stmt::Import(x, _))) = path.last() {
            if let Some(p) =
                x.0.get_literal_value(None)
                    .and_then(|v| v.into_string().ok())
            {
                let name = p.strip_suffix(".rhai").unwrap_or(&p).to_string();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        true
    });
    Ok(names)
}

/// One file to write: where under the folder, what, and why.
struct Planned {
    rel: PathBuf,
    text: String,
    what: String,
}

/// What a script imports, followed through the bundled stdlib.
#[derive(Debug, Default)]
struct Needed {
    /// Bundled modules (name, text), transitively, in the order first met.
    modules: Vec<(String, &'static str)>,
    /// Imported names that are not bundled modules.
    not_bundled: Vec<String>,
}

fn stdlib_closure(source_name: &str, source: &str) -> Result<Needed, CliError> {
    let parse = |name: &str, text: &str| {
        imports(text).map_err(|e| CliError::Usage(format!("cannot parse {name}: {e}")))
    };
    let mut found = Needed::default();
    let mut queue = parse(source_name, source)?;
    let mut i = 0;
    while i < queue.len() {
        let name = queue[i].clone();
        i += 1;
        if found.modules.iter().any(|(n, _)| *n == name) || found.not_bundled.contains(&name) {
            continue;
        }
        match catalog::stdlib(&name) {
            Some(text) => {
                found.modules.push((name.clone(), text));
                queue.extend(parse(&format!("stdlib/{name}.rhai"), text)?);
            }
            None => found.not_bundled.push(name),
        }
    }
    Ok(found)
}

pub fn eject(name: &str, dir: &Path, force: bool) -> Result<u8, CliError> {
    let script = match catalog::bundled(name) {
        Some(s) => s,
        // The same error as `run` for a name that is not bundled.
        None => match catalog::load(name) {
            Err(e) => return Err(e.into()),
            Ok(_) => {
                return Err(CliError::Usage(format!(
                    "'{name}' is a file, not a bundled playbook: eject copies bundled playbooks \
                     (`runbook list` shows them); a file of your own can be copied as it is"
                )));
            }
        },
    };
    let base = script.name.rsplit('/').next().unwrap_or(&script.name);
    let Needed {
        modules,
        not_bundled,
    } = stdlib_closure(&script.source_name(), &script.source)?;
    if modules.iter().any(|(m, _)| m == base) {
        return Err(CliError::Usage(format!(
            "the playbook {} and the stdlib module it imports would both be {base}.rhai in {}",
            script.name,
            dir.display()
        )));
    }

    let mut plan = vec![Planned {
        rel: PathBuf::from(format!("{base}.rhai")),
        text: script.source.clone(),
        what: "playbook".into(),
    }];
    plan.extend(modules.into_iter().map(|(m, text)| Planned {
        rel: PathBuf::from(format!("{m}.rhai")),
        text: text.to_string(),
        what: format!("stdlib module \"{m}\""),
    }));

    // Refuse before writing anything, naming every file in the way.
    let existing: Vec<PathBuf> = plan
        .iter()
        .map(|p| dir.join(&p.rel))
        .filter(|p| p.symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() && !force {
        let names: Vec<String> = existing.iter().map(|p| p.display().to_string()).collect();
        return Err(CliError::Usage(format!(
            "{} already exist{}; nothing was written. Pass --force to overwrite {}",
            names.join(", "),
            if names.len() == 1 { "s" } else { "" },
            if names.len() == 1 { "it" } else { "them" },
        )));
    }

    let io = |what: &str, path: &Path, e: std::io::Error| {
        CliError::Io(format!("cannot {what} {}: {e}", path.display()))
    };
    std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    outln!("Ejected {} into {}:", script.name, dir.display());
    for p in &plan {
        let target = dir.join(&p.rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io("create", parent, e))?;
        }
        let verb = if existing.contains(&target) {
            "overwrote"
        } else {
            "wrote"
        };
        write_atomic(&target, p.text.as_bytes(), MODE, None, None)
            .map_err(|e| CliError::Io(e.to_string()))?;
        outln!("  {verb} {}  ({})", target.display(), p.what);
    }
    for m in &not_bundled {
        outln!("  note: import \"{m}\" is not a bundled module; nothing copied for it");
    }
    let main = dir.join(&plan[0].rel);
    outln!();
    outln!("Next:");
    outln!("  runbook run {} --check", main.display());
    outln!("  runbook check {} --lib {}", main.display(), dir.display());
    outln!();
    outln!(
        "Imports in {} now resolve from {} first, then the bundled stdlib: edit the copies there.",
        main.display(),
        dir.display()
    );
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_literal_imports_in_order_without_repeats_or_suffix() {
        let src = r#"
            import "alation" as a;
            import "aws/helpers.rhai" as h;
            fn f() { import "inner" as i; i::g() }
            step("x", || { import "alation" as again; });
            let dynamic = "x"; import dynamic as d;
        "#;
        assert_eq!(imports(src).unwrap(), ["alation", "aws/helpers", "inner"]);
    }

    #[test]
    fn nesting_the_runtime_accepts_is_accepted() {
        let src = r#"
            fn f() {
                for c in [1] {
                    if true {
                        let r = g(c, [1], #{a: #{b: [1, [2, [3, [4, [5, [6, [7]]]]]]]}});
                    }
                }
            }
            import "x" as x;
        "#;
        assert_eq!(imports(src).unwrap(), ["x"]);
    }

    #[test]
    fn every_bundled_playbook_parses() {
        for (name, text) in catalog::playbooks() {
            stdlib_closure(name, text).unwrap();
        }
    }

    #[test]
    fn no_imports_and_parse_errors() {
        assert!(imports("print(1);").unwrap().is_empty());
        assert!(imports("import \"a\" as ;").is_err());
    }

    #[test]
    fn closure_of_a_script_without_imports_is_empty() {
        let needed = stdlib_closure("x", "let a = 1;").unwrap();
        assert!(needed.modules.is_empty());
        assert!(needed.not_bundled.is_empty());
    }

    #[test]
    fn unbundled_imports_are_reported_not_copied() {
        let needed = stdlib_closure(
            "x",
            "import \"no-such-module\" as m; import \"no-such-module\" as n;",
        )
        .unwrap();
        assert!(needed.modules.is_empty());
        assert_eq!(needed.not_bundled, ["no-such-module"]);
    }

    #[test]
    fn every_bundled_module_closure_is_bundled() {
        // Whatever the stdlib holds, following its imports stays inside it.
        for (name, text) in catalog::stdlib_modules() {
            let needed = stdlib_closure(name, text).unwrap();
            assert!(
                needed.not_bundled.is_empty(),
                "{name} imports {:?}",
                needed.not_bundled
            );
            for (m, _) in needed.modules {
                assert!(catalog::stdlib(&m).is_some());
            }
        }
    }
}
