//! A small unified-style line diff for `--diff`.

use crate::secret::MASK;

/// Above this many lines on either side, only the line counts are shown:
/// the LCS table is quadratic and such files are not read by eye anyway.
const MAX_LINES: usize = 2000;

/// Lines of `old` and `new` as `-`/`+`/` ` lines under a `---`/`+++` header.
/// With `mask`, every line's text is replaced so a secret never shows.
pub fn line_diff(label: &str, old: Option<&str>, new: &str, mask: bool) -> String {
    let a: Vec<&str> = old.map(|o| o.lines().collect()).unwrap_or_default();
    let b: Vec<&str> = new.lines().collect();
    let mut out = format!(
        "--- {}\n+++ {label}\n",
        if old.is_some() { label } else { "/dev/null" }
    );
    let show = |l: &str| {
        if mask {
            MASK.to_string()
        } else {
            l.to_string()
        }
    };
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        out.push_str(&format!("@@ {} lines -> {} lines @@\n", a.len(), b.len()));
        return out;
    }
    // Longest common subsequence, filled from the end so the walk goes forward.
    let (n, m) = (a.len(), b.len());
    let mut t = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[i][j] = if a[i] == b[j] {
                t[i + 1][j + 1] + 1
            } else {
                t[i + 1][j].max(t[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push_str(&format!(" {}\n", show(a[i])));
            i += 1;
            j += 1;
        } else if i < n && (j == m || t[i + 1][j] >= t[i][j + 1]) {
            out.push_str(&format!("-{}\n", show(a[i])));
            i += 1;
        } else {
            out.push_str(&format!("+{}\n", show(b[j])));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_changed_lines() {
        let d = line_diff("/f", Some("a\nb\nc\n"), "a\nB\nc\nd\n", false);
        assert_eq!(d, "--- /f\n+++ /f\n a\n-b\n+B\n c\n+d\n");
    }

    #[test]
    fn new_file_and_masking() {
        let d = line_diff("/f", None, "hunter2\n", true);
        assert_eq!(d, "--- /dev/null\n+++ /f\n+********\n");
        assert!(!line_diff("/f", Some("old-secret"), "hunter2", true).contains("hunter2"));
    }
}
