//! Is the input so far a finished statement, or does it continue on the next line?

use rhai::{Engine, ParseErrorType, Scope};

/// True when the text fails to compile only because it ends too early: an
/// open brace, bracket or parenthesis, an unfinished string or expression.
pub fn is_incomplete(engine: &Engine, scope: &Scope, text: &str) -> bool {
    let Err(err) = engine.compile_with_scope(scope, text) else {
        return false;
    };
    let lines = text.trim_end().lines().count();
    let at_end = err.position().line().is_none_or(|l| l >= lines);
    match err.err_type() {
        ParseErrorType::UnexpectedEOF => true,
        ParseErrorType::MissingToken(..) | ParseErrorType::MissingSymbol(..) => {
            at_end && open_brackets(text) > 0
        }
        ParseErrorType::BadInput(_) => at_end && open_brackets(text) > 0,
        _ => false,
    }
}

/// Opening minus closing brackets outside string literals.
fn open_brackets(text: &str) -> i32 {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in text.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '`' => quote = Some(c),
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
    }
    if quote.is_some() { depth + 1 } else { depth }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfinished_blocks_continue_and_finished_ones_do_not() {
        let e = Engine::new();
        let s = Scope::new();
        assert!(is_incomplete(&e, &s, "if true {\n"));
        assert!(is_incomplete(&e, &s, "fn f(x) {\n  x + 1\n"));
        assert!(is_incomplete(&e, &s, "let a = [1,\n"));
        assert!(!is_incomplete(&e, &s, "if true { 1 }\n"));
        assert!(!is_incomplete(&e, &s, "let x = 1;\n"));
        // A real error is not "incomplete": it must be reported, not waited on.
        assert!(!is_incomplete(&e, &s, "let = 3;\n"));
    }
}
