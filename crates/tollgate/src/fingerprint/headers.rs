//! tollgate's own header fingerprint, `hf1`: which header names a request
//! carries, in which order, and a few tell-tale facts about them.
//!
//! The exact definition is on [`header_fingerprint`] and in
//! `docs/header-fingerprint.md`.
//!
//! ```
//! use tollgate::fingerprint::header_fingerprint;
//!
//! let headers: [(&str, &[u8]); 4] = [
//!     ("Host", b"example.com"),
//!     ("User-Agent", b"curl/8.0"),
//!     ("Accept-Language", b"en-US,en;q=0.9"),
//!     ("Cookie", b"session=secret"),
//! ];
//! // printf 'tollgate-hf1\nhost\nuser-agent\naccept-language\ncookie\n' | sha256sum
//! assert_eq!(header_fingerprint(headers).as_str(), "hf1.4f0f28e76779.5.en");
//! ```

use sha2::{Digest, Sha256};

use crate::HeaderFingerprint;

/// Fields read; the rest are ignored so the work per request is bounded.
const MAX_FIELDS: usize = 256;

/// Domain separation and version: part of the hashed bytes.
const HASH_PREFIX: &[u8] = b"tollgate-hf1\n";

const COOKIE: u8 = 1;
const REFERER: u8 = 2;
const ACCEPT_LANGUAGE: u8 = 4;
const REPEATED: u8 = 8;

/// The `hf1` fingerprint of a request's header fields, given as (name,
/// value) pairs in arrival order. The definition, exactly:
///
/// `hf1.<hash>.<flags>.<lang>`, where
///
/// * `hash` is the first 12 lowercase hex digits of SHA-256 over the bytes
///   `tollgate-hf1\n` followed by each header name, lower-cased (ASCII), and a
///   `\n`, in arrival order. Only the first occurrence of a name counts
///   (compared case-insensitively) and pseudo-header fields (names starting
///   with `:`) are left out. Only the first 256 fields passed are read.
/// * `flags` is one lowercase hex digit, the sum of: 1 a `cookie` field is
///   present, 2 a `referer` field is present, 4 an `accept-language` field is
///   present, 8 some name occurs more than once.
/// * `lang` is the primary language subtag of the first `accept-language`
///   field's first range, lower-cased: 1 to 8 ASCII letters after optional
///   spaces or tabs, followed by the end, `-`, `;`, `,`, a space or a tab.
///   Otherwise, or with no such field, `-`.
///
/// Header values are never hashed or kept; only the `accept-language` value
/// is read, for `lang`. Because only first occurrences count, feeding the
/// fields in arrival order or in `http::HeaderMap` iteration order (which
/// groups a name's values at its first position) gives the same result.
/// HTTP/1 names arrive in any case and are lower-cased here; HTTP/2 names
/// are lower-case on the wire. HTTP/1 requests carry `host` where HTTP/2
/// carries the `:authority` pseudo-header, so one client's fingerprints
/// differ between the two versions: key on both, or on the version too.
///
/// Changing any of this is a breaking change and needs a new version tag.
pub fn header_fingerprint<'a>(headers: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> HeaderFingerprint {
    let mut hasher = Sha256::new();
    hasher.update(HASH_PREFIX);
    let mut seen: Vec<&str> = Vec::new();
    let mut flags = 0u8;
    let mut lang = String::from("-");
    for (name, value) in headers.into_iter().take(MAX_FIELDS) {
        if name.starts_with(':') {
            continue;
        }
        if seen.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            flags |= REPEATED;
            continue;
        }
        seen.push(name);
        update_lowercase(&mut hasher, name.as_bytes());
        hasher.update(b"\n");
        if name.eq_ignore_ascii_case("cookie") {
            flags |= COOKIE;
        } else if name.eq_ignore_ascii_case("referer") {
            flags |= REFERER;
        } else if name.eq_ignore_ascii_case("accept-language") {
            flags |= ACCEPT_LANGUAGE;
            if let Some(tag) = primary_language(value) {
                lang = tag;
            }
        }
    }
    let digest = hasher.finalize();
    let mut out = String::from("hf1.");
    for byte in digest.iter().take(6) {
        push_hex(&mut out, byte >> 4);
        push_hex(&mut out, byte & 0xf);
    }
    out.push('.');
    push_hex(&mut out, flags);
    out.push('.');
    out.push_str(&lang);
    HeaderFingerprint::from_rendered(out)
}

fn push_hex(out: &mut String, nibble: u8) {
    out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
}

/// Hashes `bytes` ASCII-lower-cased without allocating.
fn update_lowercase(hasher: &mut Sha256, bytes: &[u8]) {
    let mut chunk = [0u8; 64];
    for part in bytes.chunks(chunk.len()) {
        for (dst, src) in chunk.iter_mut().zip(part) {
            *dst = src.to_ascii_lowercase();
        }
        hasher.update(chunk.get(..part.len()).unwrap_or_default());
    }
}

/// The primary subtag of the first language range, as defined in the module docs.
fn primary_language(value: &[u8]) -> Option<String> {
    let start = value.iter().position(|&b| b != b' ' && b != b'\t')?;
    let rest = value.get(start..)?;
    let len = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    let ends_well = matches!(rest.get(len), None | Some(b'-' | b';' | b',' | b' ' | b'\t'));
    if !(1..=8).contains(&len) || !ends_well {
        return None;
    }
    let tag = rest.get(..len)?;
    Some(tag.iter().map(|b| char::from(b.to_ascii_lowercase())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_language_rules() {
        assert_eq!(primary_language(b"en-US,en;q=0.9").as_deref(), Some("en"));
        assert_eq!(primary_language(b" \tDE").as_deref(), Some("de"));
        assert_eq!(primary_language(b"fr;q=1").as_deref(), Some("fr"));
        assert_eq!(primary_language(b"*"), None);
        assert_eq!(primary_language(b""), None);
        assert_eq!(primary_language(b"abcdefghi"), None);
        assert_eq!(primary_language(b"en_US"), None);
        assert_eq!(primary_language(b"x-klingon").as_deref(), Some("x"));
    }

    #[test]
    fn lowercasing_spans_chunks() {
        let long = "X".repeat(150);
        let mut a = Sha256::new();
        update_lowercase(&mut a, long.as_bytes());
        let b = Sha256::digest("x".repeat(150));
        assert_eq!(a.finalize(), b);
    }
}
