//! Golden values for the `hf1` header fingerprint.
//!
//! Every expected hash was computed outside this crate with coreutils, as
//! `printf 'tollgate-hf1\n<name>\n...' | sha256sum | cut -c1-12`; the command
//! for each case is in its comment.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use tollgate::fingerprint::header_fingerprint;

fn fp(headers: &[(&str, &str)]) -> String {
    header_fingerprint(headers.iter().map(|(n, v)| (*n, v.as_bytes())))
        .as_str()
        .to_owned()
}

#[test]
fn chrome_over_http2() {
    // printf 'tollgate-hf1\nsec-ch-ua\nsec-ch-ua-mobile\nsec-ch-ua-platform\nupgrade-insecure-requests\n
    // user-agent\naccept\nsec-fetch-site\nsec-fetch-mode\nsec-fetch-user\nsec-fetch-dest\naccept-encoding\n
    // accept-language\ncookie\npriority\n' | sha256sum   (one line, without the breaks)
    let headers = [
        (":method", "GET"),
        (":authority", "example.com"),
        (":scheme", "https"),
        (":path", "/login"),
        ("sec-ch-ua", "\"Chromium\";v=\"131\""),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", "\"Linux\""),
        ("upgrade-insecure-requests", "1"),
        (
            "user-agent",
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36",
        ),
        ("accept", "text/html,*/*;q=0.8"),
        ("sec-fetch-site", "none"),
        ("sec-fetch-mode", "navigate"),
        ("sec-fetch-user", "?1"),
        ("sec-fetch-dest", "document"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("accept-language", "en-US,en;q=0.9"),
        ("cookie", "a=1"),
        ("cookie", "b=2"),
        ("priority", "u=0, i"),
    ];
    // flags: cookie 1 + accept-language 4 + repeated name 8 = 0xd
    assert_eq!(fp(&headers), "hf1.f90d2af9ced0.d.en");
}

#[test]
fn curl_over_http1_is_lower_cased() {
    // printf 'tollgate-hf1\nhost\nuser-agent\naccept\n' | sha256sum
    let headers = [("Host", "127.0.0.1"), ("User-Agent", "curl/7.88.1"), ("Accept", "*/*")];
    assert_eq!(fp(&headers), "hf1.ee0cf2592bfb.0.-");
    let lower = [("host", "x"), ("user-agent", "y"), ("accept", "z")];
    assert_eq!(fp(&lower), "hf1.ee0cf2592bfb.0.-");
}

#[test]
fn repeated_names_count_once_in_any_case() {
    // printf 'tollgate-hf1\naccept\n' | sha256sum
    assert_eq!(
        fp(&[("Accept", "a"), ("ACCEPT", "b"), ("accept", "c")]),
        "hf1.07602e3e4fff.8.-"
    );
    assert_eq!(fp(&[("accept", "a")]), "hf1.07602e3e4fff.0.-");
}

#[test]
fn referer_and_wildcard_language() {
    // printf 'tollgate-hf1\nhost\nreferer\naccept-language\n' | sha256sum
    let headers = [
        ("host", "h"),
        ("Referer", "https://evil.example/"),
        ("accept-language", "*"),
    ];
    assert_eq!(fp(&headers), "hf1.cee14d9ce9ae.6.-");
    let headers = [("host", "h"), ("referer", "/"), ("accept-language", "de-CH, de;q=0.9")];
    assert_eq!(fp(&headers), "hf1.cee14d9ce9ae.6.de");
}

#[test]
fn no_headers() {
    // printf 'tollgate-hf1\n' | sha256sum
    assert_eq!(fp(&[]), "hf1.243fff01bb26.0.-");
    assert_eq!(fp(&[(":method", "GET"), (":path", "/")]), "hf1.243fff01bb26.0.-");
}

#[test]
fn arrival_order_and_header_map_order_agree() {
    // printf 'tollgate-hf1\na\nb\nc\n' | sha256sum
    let arrival = [("a", "1"), ("b", "2"), ("a", "3"), ("c", "4")];
    let grouped = [("a", "1"), ("a", "3"), ("b", "2"), ("c", "4")];
    assert_eq!(fp(&arrival), "hf1.0854e8c9e0ee.8.-");
    assert_eq!(fp(&grouped), fp(&arrival));
    // Order matters otherwise.
    assert_ne!(
        fp(&[("b", "2"), ("a", "1"), ("c", "4")]),
        fp(&[("a", "1"), ("b", "2"), ("c", "4")])
    );
}

#[test]
fn values_other_than_the_language_do_not_matter() {
    let a = fp(&[
        ("cookie", "session=one"),
        ("referer", "https://a/"),
        ("user-agent", "x"),
    ]);
    let b = fp(&[
        ("cookie", "session=two"),
        ("referer", "https://b/"),
        ("user-agent", "y"),
    ]);
    assert_eq!(a, b);
    assert!(!a.contains("session"));
}

#[test]
fn only_the_first_256_fields_are_read() {
    let names: Vec<String> = (0..300).map(|i| format!("x-{i}")).collect();
    let mut headers: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let first = header_fingerprint(headers.iter().copied());
    headers.truncate(256);
    assert_eq!(header_fingerprint(headers.iter().copied()), first);
    let hf = first.as_str();
    assert!(hf.len() <= tollgate::HeaderFingerprint::MAX_LEN);
}
