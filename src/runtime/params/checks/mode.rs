//! File modes as octal digits: `"600"`, `"0540"`; setuid, setgid and sticky
//! bits only when the header asks for them (`special_bits = true`).

use super::quoted;

pub fn check(text: &str, special: bool) -> Result<(), String> {
    let octal = !text.is_empty() && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if !octal || !(3..=4).contains(&text.len()) {
        return Err(format!(
            "{} is not a file mode: use 3 or 4 octal digits (0-7), e.g. \"600\" or \"0540\"",
            quoted(text)
        ));
    }
    if text.len() == 4 && !text.starts_with('0') && !special {
        return Err(format!(
            "{} sets the setuid, setgid or sticky bit, which this parameter does not allow: use 3 digits, e.g. \"{}\"",
            quoted(text),
            &text[1..]
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_plain_modes() {
        for m in ["600", "540", "0640", "777", "000"] {
            assert!(check(m, false).is_ok(), "{m}");
        }
    }

    #[test]
    fn refuses_bad_digits_and_special_bits_unless_asked() {
        for m in ["", "8", "60", "0o600", "rw-", "600 ", "12345", "-600"] {
            let e = check(m, false).unwrap_err();
            assert!(e.contains("octal digits"), "{m}: {e}");
        }
        let e = check("7777", false).unwrap_err();
        assert!(e.contains("setuid") && e.contains("\"777\""), "{e}");
        assert!(check("4755", true).is_ok());
    }
}
