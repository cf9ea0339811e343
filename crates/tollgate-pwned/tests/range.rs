//! The range format against the HIBP documentation's excerpt and
//! generated padded responses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, missing_docs)]

use std::path::PathBuf;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tollgate::password::PasswordSha1;
use tollgate_pwned::range::{self, RangeError};

fn testdata() -> Option<PathBuf> {
    match std::env::var_os("TOLLGATE_TESTDATA") {
        Some(dir) => Some(PathBuf::from(dir).join("hibp")),
        None => {
            println!("skipping: TOLLGATE_TESTDATA unset");
            None
        }
    }
}

#[test]
fn documented_excerpt_and_known_hashes() {
    let Some(dir) = testdata() else { return };
    let body = std::fs::read_to_string(dir.join("range_21BD1_docs_excerpt.txt")).unwrap();
    assert_eq!(body.matches("\r\n").count(), 5, "the excerpt uses CRLF");
    assert_eq!(range::entries(&body).count(), 5);
    let known: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("known_hashes.json")).unwrap()).unwrap();
    let known = known.as_array().unwrap();
    assert_eq!(known.len(), 7);
    for entry in known {
        let hash = PasswordSha1::of(entry["password"].as_str().unwrap());
        assert_eq!(hash.hex(), entry["sha1"].as_str().unwrap());
        assert_eq!(hash.prefix(), entry["prefix"].as_str().unwrap());
        assert_eq!(hash.suffix_hex(), entry["suffix"].as_str().unwrap());
        let expected = entry
            .get("excerpt_count")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        assert_eq!(entry["in_excerpt"].as_bool().unwrap(), expected > 0);
        assert_eq!(range::count(&body, &hash).unwrap(), expected, "{}", hash.prefix());
    }
}

#[test]
fn padding_lines_are_not_pwned() {
    let target = PasswordSha1::of("P@ssw0rd");
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let mut lines: Vec<String> = (0..900)
        .map(|_| {
            let h = PasswordSha1::from_bytes(rng.random());
            format!("{}:{}", h.suffix_hex(), rng.random_range(0..3u64))
        })
        .collect();
    lines.push(format!("{}:0", target.suffix_hex()));
    let body = lines.join("\r\n");
    assert_eq!(range::count(&body, &target).unwrap(), 0);
    let body = body.replace(
        &format!("{}:0", target.suffix_hex()),
        &format!("{}:52579", target.suffix_hex()),
    );
    assert_eq!(range::count(&body, &target).unwrap(), 52579);
    // LF only and lower-case suffixes are read too.
    assert_eq!(
        range::count(&body.replace("\r\n", "\n").to_lowercase(), &target).unwrap(),
        52579
    );
}

#[test]
fn garbled_responses_are_errors() {
    let hash = PasswordSha1::of("password");
    for (body, line) in [
        ("<html>rate limited</html>", 1),
        ("0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n0018A45C:2\r\n", 2),
        ("0018A45C4D1DEF81644B54AB7F969B88D65:-1", 1),
        ("0018A45C4D1DEF81644B54AB7F969B88D6Z:1", 1),
    ] {
        assert_eq!(range::count(body, &hash), Err(RangeError::Line(line)), "{body}");
    }
    assert_eq!(range::count("", &hash), Ok(0));
}
