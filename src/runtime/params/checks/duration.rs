//! Durations: a number with a unit, within the bound every host wait has.

use crate::host::parse_duration;

pub fn check(text: &str) -> Result<(), String> {
    parse_duration(text).map(|_| ()).map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_units_and_refuses_bare_or_absurd_values() {
        for d in ["5m", "30s", "1h30m", "500ms"] {
            assert!(check(d).is_ok(), "{d}");
        }
        let e = check("5").unwrap_err();
        assert!(e.contains("unit"), "{e}");
        let e = check("99999999999999h").unwrap_err();
        assert!(e.contains("at most"), "{e}");
    }
}
