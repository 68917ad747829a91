//! The engine's limits: a runaway script (`loop { s += s }`, endless
//! recursion) ends with an error naming the limit, instead of eating the
//! host's memory and aborting. Generous defaults: the bundled playbooks are far
//! below them. Each can be raised with an environment variable.

use rhai::{Engine, EvalAltResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Rhai operations per evaluation (0: no limit).
    pub operations: u64,
    /// Bytes in one string (0: no limit).
    pub string_size: usize,
    /// Items in one array (0: no limit).
    pub array_size: usize,
    /// Entries in one object map (0: no limit).
    pub map_size: usize,
    /// Nested function calls.
    pub call_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            operations: 1_000_000_000,
            string_size: 64 * 1024 * 1024,
            array_size: 1_000_000,
            map_size: 100_000,
            call_depth: 256,
        }
    }
}

/// The names a limit has: in messages and in its environment variable.
const VARS: [(&str, &str); 5] = [
    ("operations", "RUNBOOK_MAX_OPERATIONS"),
    ("string size", "RUNBOOK_MAX_STRING_SIZE"),
    ("array size", "RUNBOOK_MAX_ARRAY_SIZE"),
    ("map size", "RUNBOOK_MAX_MAP_SIZE"),
    ("call depth", "RUNBOOK_MAX_CALL_DEPTH"),
];

impl Limits {
    /// The defaults, each overridden by its `RUNBOOK_MAX_*` variable when that
    /// is a number (anything else is ignored with a warning on stderr).
    pub fn from_env() -> Self {
        let mut l = Limits::default();
        let read = |var: &str| -> Option<u64> {
            let v = std::env::var(var).ok()?;
            match v.trim().parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    eprintln!("warning: {var}={v:?} is not a whole number; the default is used");
                    None
                }
            }
        };
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        if let Some(n) = read(VARS[0].1) {
            l.operations = n;
        }
        if let Some(n) = read(VARS[1].1) {
            l.string_size = size(n);
        }
        if let Some(n) = read(VARS[2].1) {
            l.array_size = size(n);
        }
        if let Some(n) = read(VARS[3].1) {
            l.map_size = size(n);
        }
        if let Some(n) = read(VARS[4].1) {
            // 0 would forbid every function call.
            l.call_depth = size(n).max(1);
        }
        l
    }

    pub fn apply(&self, engine: &mut Engine) {
        engine.set_max_operations(self.operations);
        engine.set_max_string_size(self.string_size);
        engine.set_max_array_size(self.array_size);
        engine.set_max_map_size(self.map_size);
        engine.set_max_call_levels(self.call_depth);
        engine.set_max_expr_depths(256, 128);
    }

    /// Which limit an error hit, its value, and how to raise it; `None` for
    /// errors that are not about a limit.
    pub fn hint(&self, err: &EvalAltResult) -> Option<String> {
        let (i, value) = match err {
            EvalAltResult::ErrorTooManyOperations(_) => (0, self.operations.to_string()),
            EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("string") => {
                (1, format!("{} bytes", self.string_size))
            }
            EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("array") => {
                (2, format!("{} items", self.array_size))
            }
            EvalAltResult::ErrorDataTooLarge(what, _) if what.contains("map") => {
                (3, format!("{} entries", self.map_size))
            }
            EvalAltResult::ErrorStackOverflow(_) => (4, self.call_depth.to_string()),
            _ => return None,
        };
        let (name, var) = VARS[i];
        Some(format!(
            "the engine's {name} limit ({value}) was reached; raise it with {var}=N{}",
            if i == 4 { "" } else { " (0: no limit)" }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(l: Limits) -> Engine {
        let mut e = Engine::new();
        l.apply(&mut e);
        e
    }

    #[test]
    fn doubling_a_string_stops_at_the_string_limit() {
        let l = Limits {
            string_size: 1 << 20,
            ..Limits::default()
        };
        let err = engine(l)
            .run(r#"let s = "x"; loop { s += s }"#)
            .unwrap_err();
        let hint = l.hint(&err).unwrap();
        assert!(hint.contains("string size limit (1048576 bytes)"), "{hint}");
        assert!(hint.contains("RUNBOOK_MAX_STRING_SIZE"), "{hint}");
    }

    #[test]
    fn each_limit_names_itself() {
        let l = Limits {
            operations: 100_000,
            array_size: 10,
            call_depth: 8,
            ..Limits::default()
        };
        let cases = [
            ("loop {}", "operations limit (100000)"),
            (
                "let a = []; loop { a.push(1) }",
                "array size limit (10 items)",
            ),
            ("fn f(n) { f(n + 1) } f(0)", "call depth limit (8)"),
        ];
        for (code, want) in cases {
            let err = engine(l).run(code).unwrap_err();
            let mut inner: &EvalAltResult = &err;
            while let EvalAltResult::ErrorInFunctionCall(_, _, i, _) = inner {
                inner = i;
            }
            let hint = l.hint(inner).unwrap_or_else(|| panic!("{code}: {inner}"));
            assert!(hint.contains(want), "{code}: {hint}");
        }
    }
}
