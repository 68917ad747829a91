//! The forms of a secret the redactor also masks, since a child may print a
//! secret transformed: upper and lower case, hex, base64 (standard and URL
//! alphabet, at any alignment inside a longer encoding), and each line of a
//! multi-line secret. What no list of forms can catch (reversed, folded,
//! partial, re-encrypted) is documented in the threat model.

use super::redact::MIN_REDACTED_LEN;

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 of the complete 3-byte groups of `bytes` (no padding): these
/// characters depend on nothing but `bytes`.
fn base64_full_groups(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = String::with_capacity(bytes.len() / 3 * 4);
    for g in bytes.chunks_exact(3) {
        let n = (u32::from(g[0]) << 16) | (u32::from(g[1]) << 8) | u32::from(g[2]);
        for shift in [18, 12, 6, 0] {
            out.push(alphabet[((n >> shift) & 63) as usize] as char);
        }
    }
    out
}

/// Base64 of all of `bytes`, padded: what `base64` prints for the secret alone.
fn base64_padded(bytes: &[u8], alphabet: &[u8; 64]) -> String {
    let mut out = base64_full_groups(bytes, alphabet);
    let rest = &bytes[bytes.len() / 3 * 3..];
    if !rest.is_empty() {
        let mut g = [0u8; 3];
        g[..rest.len()].copy_from_slice(rest);
        let enc = base64_full_groups(&g, alphabet);
        out.push_str(&enc[..rest.len() + 1]);
        out.push_str(&"=="[..3 - rest.len()]);
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every form of `secret` to mask besides the text itself.
pub fn of(secret: &str) -> Vec<String> {
    let bytes = secret.as_bytes();
    let mut out = vec![secret.to_uppercase(), secret.to_lowercase()];
    let h = hex(bytes);
    out.push(h.to_uppercase());
    out.push(h);
    // The secret at offset 0, 1 or 2 of a 3-byte group of the encoded stream
    // (`echo $s | base64`, or a JSON document holding it): the groups that lie
    // wholly inside it encode the same way wherever it sits.
    out.push(base64_padded(bytes, STD));
    for start in 0..3.min(bytes.len()) {
        for alphabet in [STD, URL] {
            let enc = base64_full_groups(&bytes[start..], alphabet);
            // Short encodings would mask ordinary text.
            if enc.len() >= 8 {
                out.push(enc);
            }
        }
    }
    if secret.contains('\n') {
        out.extend(secret.lines().map(|l| l.trim().to_string()));
    }
    out.retain(|v| v.len() >= MIN_REDACTED_LEN && v != secret);
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_a_known_encoding() {
        // "hello!" -> aGVsbG8h
        assert_eq!(base64_full_groups(b"hello!", STD), "aGVsbG8h");
        assert_eq!(hex(b"hi"), "6869");
        assert_eq!(base64_padded(b"hello", STD), "aGVsbG8=");
        assert_eq!(base64_padded(b"hell", STD), "aGVsbA==");
    }

    #[test]
    fn the_lines_of_a_multi_line_secret_are_forms_of_it() {
        let v = of("-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG\n-----END KEY-----");
        assert!(v.contains(&"MIIEvQIBADANBgkqhkiG".to_string()));
    }
}
