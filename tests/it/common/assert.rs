//! `assert_contains!` and `assert_not_contains!`: on failure they print the
//! needle and the whole haystack, so a failed check shows what was there.

/// Fails unless the text `haystack` contains `needle` (anything `Display`,
/// such as a `&str`, a `String` or a `char`). An optional message follows,
/// as with `assert!`.
macro_rules! assert_contains {
    ($haystack:expr, $needle:expr $(,)?) => {
        $crate::common::assert::contains(
            ::std::convert::AsRef::<str>::as_ref(&$haystack),
            &::std::string::ToString::to_string(&$needle),
            stringify!($haystack),
            ::std::format_args!(""),
        )
    };
    ($haystack:expr, $needle:expr, $($message:tt)+) => {
        $crate::common::assert::contains(
            ::std::convert::AsRef::<str>::as_ref(&$haystack),
            &::std::string::ToString::to_string(&$needle),
            stringify!($haystack),
            ::std::format_args!($($message)+),
        )
    };
}

/// Fails if the text `haystack` contains `needle`; shows where it was found.
macro_rules! assert_not_contains {
    ($haystack:expr, $needle:expr $(,)?) => {
        $crate::common::assert::not_contains(
            ::std::convert::AsRef::<str>::as_ref(&$haystack),
            &::std::string::ToString::to_string(&$needle),
            stringify!($haystack),
            ::std::format_args!(""),
        )
    };
    ($haystack:expr, $needle:expr, $($message:tt)+) => {
        $crate::common::assert::not_contains(
            ::std::convert::AsRef::<str>::as_ref(&$haystack),
            &::std::string::ToString::to_string(&$needle),
            stringify!($haystack),
            ::std::format_args!($($message)+),
        )
    };
}

#[track_caller]
pub fn contains(haystack: &str, needle: &str, expr: &str, message: std::fmt::Arguments) {
    if !haystack.contains(needle) {
        panic!(
            "{}`{expr}` does not contain {needle:?}\n{}",
            heading(message),
            framed(haystack)
        );
    }
}

#[track_caller]
pub fn not_contains(haystack: &str, needle: &str, expr: &str, message: std::fmt::Arguments) {
    if let Some(at) = haystack.find(needle) {
        let line = haystack[..at].matches('\n').count() + 1;
        panic!(
            "{}`{expr}` contains {needle:?} (line {line})\n{}",
            heading(message),
            framed(haystack)
        );
    }
}

fn heading(message: std::fmt::Arguments) -> String {
    let text = message.to_string();
    if text.is_empty() {
        String::new()
    } else {
        format!("{text}: ")
    }
}

/// The text between two rules, so empty output and trailing blanks show.
fn framed(text: &str) -> String {
    format!("----- {} bytes -----\n{text}\n----- end -----", text.len())
}
