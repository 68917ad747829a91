//! IAM's wildcard patterns (`*` any run of characters, `?` one character) and
//! the two questions the evaluator asks of them: does one cover every name
//! another stands for, and can they match a common name.

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok {
    Lit(char),
    /// `?`: one character.
    One,
    /// `*`: any run of characters, also none.
    Any,
}

/// An IAM pattern, or a name asked about (whose `*` and `?` mean the same).
#[derive(Debug)]
pub(super) struct Pattern {
    toks: Vec<Tok>,
    /// Holds a policy variable, which stands for a value unknown here.
    variable: bool,
}

impl Pattern {
    pub(super) fn new(text: &str, variables: bool) -> Pattern {
        let mut raw = Vec::new();
        let mut variable = false;
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if variables && rest.starts_with("${") {
                if let Some(end) = rest.find('}') {
                    match &rest[2..end] {
                        "*" => raw.push(Tok::Lit('*')),
                        "?" => raw.push(Tok::Lit('?')),
                        "$" => raw.push(Tok::Lit('$')),
                        _ => {
                            raw.push(Tok::Any);
                            variable = true;
                        }
                    }
                    rest = &rest[end + 1..];
                    continue;
                }
            }
            raw.push(match c {
                '*' => Tok::Any,
                '?' => Tok::One,
                c => Tok::Lit(c),
            });
            rest = &rest[c.len_utf8()..];
        }
        // In a run of wildcards, only the number of `?` and whether there is a
        // `*` matter: write it as `?…?*`, so one pattern has one spelling.
        let mut toks = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if matches!(raw[i], Tok::Lit(_)) {
                toks.push(raw[i]);
                i += 1;
                continue;
            }
            let (mut ones, mut any) = (0, false);
            while i < raw.len() && !matches!(raw[i], Tok::Lit(_)) {
                if raw[i] == Tok::One {
                    ones += 1;
                } else {
                    any = true;
                }
                i += 1;
            }
            toks.extend(std::iter::repeat_n(Tok::One, ones));
            if any {
                toks.push(Tok::Any);
            }
        }
        Pattern { toks, variable }
    }

    /// Every name `q` stands for matches `self`. Sound; for contrived pairs
    /// of wildcard patterns it may answer false where the answer is true.
    pub(super) fn covers(&self, q: &Pattern) -> bool {
        if self.variable {
            return false;
        }
        let (p, q) = (&self.toks, &q.toks);
        // m[i][j]: p[i..] covers q[j..].
        let mut m = vec![vec![false; q.len() + 1]; p.len() + 1];
        m[p.len()][q.len()] = true;
        for i in (0..p.len()).rev() {
            for j in (0..=q.len()).rev() {
                m[i][j] = match p[i] {
                    Tok::Any => m[i + 1][j] || (j < q.len() && m[i][j + 1]),
                    Tok::One => j < q.len() && q[j] != Tok::Any && m[i + 1][j + 1],
                    Tok::Lit(c) => j < q.len() && q[j] == Tok::Lit(c) && m[i + 1][j + 1],
                };
            }
        }
        m[0][0]
    }

    /// Some name matches both patterns.
    pub(super) fn intersects(&self, other: &Pattern) -> bool {
        let (a, b) = (&self.toks, &other.toks);
        // m[i][j]: a[i..] and b[j..] match a common name.
        let mut m = vec![vec![false; b.len() + 1]; a.len() + 1];
        for i in (0..=a.len()).rev() {
            for j in (0..=b.len()).rev() {
                m[i][j] = if i == a.len() && j == b.len() {
                    true
                } else if i < a.len() && a[i] == Tok::Any {
                    m[i + 1][j] || (j < b.len() && m[i][j + 1])
                } else if j < b.len() && b[j] == Tok::Any {
                    m[i][j + 1] || (i < a.len() && m[i + 1][j])
                } else if i < a.len() && j < b.len() {
                    let same = match (a[i], b[j]) {
                        (Tok::Lit(x), Tok::Lit(y)) => x == y,
                        _ => true,
                    };
                    same && m[i + 1][j + 1]
                } else {
                    false
                };
            }
        }
        m[0][0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_cover_and_intersect() {
        let p = |s: &str| Pattern::new(s, false);
        assert!(p("a*").covers(&p("abc")));
        assert!(p("a*").covers(&p("a?*")));
        assert!(p("*").covers(&p("*")));
        assert!(!p("a?").covers(&p("a*")));
        // `*?` and `?*` stand for the same names.
        assert!(p("?*").covers(&p("*?")));
        assert!(p("*?*").covers(&p("?")));
        assert!(!p("abc").covers(&p("ab")));
        assert!(p("a*c").intersects(&p("ab*")));
        assert!(p("*").intersects(&p("x")));
        assert!(!p("a*").intersects(&p("b*")));
        assert!(!p("a?").intersects(&p("abc")));
        assert!(p("a??").intersects(&p("*c")));
    }
}
