//! JA4, JA4_r and JA3 for the 212 ClientHellos in
//! `$TOLLGATE_TESTDATA/ja4/clienthellos.jsonl`, pulled out of FoxIO's test
//! captures: JA4 as FoxIO's own tools output it (Rust snapshots, Python for
//! the second hello after a HelloRetryRequest), JA4_r from FoxIO's Python
//! tool where it prints one, JA3 from Wireshark 4.0.
//!
//! Where FoxIO's tools and the text of `technical_details/JA4.md` differ we
//! follow the tools, whose output these records are:
//! * `tls-non-ascii-alpn.pcapng` (first ALPN value `BA AD`): ALPN
//!   characters `99` (tools), not `bd` (current spec text's hex rule).
//! * `https3-301-get.pcap`, `socks-https-example.pcap`: no extension left
//!   after dropping SNI and ALPN gives JA4_c `000000000000` and a JA4_r
//!   ending in `_` (the spec text agrees for JA4_c).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::path::PathBuf;

use serde_json::Value;
use tollgate::fingerprint::{ClientHello, Transport};

/// `$TOLLGATE_TESTDATA/ja4/clienthellos.jsonl`, or `None` (with a notice)
/// when the variable is unset. Set but missing is a failure.
fn vectors_path() -> Option<PathBuf> {
    let Some(root) = std::env::var_os("TOLLGATE_TESTDATA") else {
        eprintln!("skipping: TOLLGATE_TESTDATA unset");
        return None;
    };
    let path = PathBuf::from(root).join("ja4").join("clienthellos.jsonl");
    assert!(
        path.is_file(),
        "TOLLGATE_TESTDATA is set but {} is missing",
        path.display()
    );
    Some(path)
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// The handshake message in TLS records of at most `max` bytes each.
fn in_records(message: &[u8], max: usize) -> Vec<u8> {
    message
        .chunks(max)
        .flat_map(|chunk| {
            let len = u16::try_from(chunk.len()).unwrap().to_be_bytes();
            [&[0x16, 0x03, 0x01, len[0], len[1]][..], chunk].concat()
        })
        .collect()
}

#[test]
fn foxio_vectors_match_ja4_ja4_r_and_ja3() {
    let Some(path) = vectors_path() else { return };
    let text = std::fs::read_to_string(path).unwrap();
    let mut failures = Vec::new();
    let (mut tcp, mut quic, mut raw_checked) = (0, 0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let id = format!("{} frame {}", v["pcap"].as_str().unwrap(), v["frame"]);
        let transport = match v["transport"].as_str().unwrap() {
            "tcp" => {
                tcp += 1;
                Transport::Tcp
            }
            "quic" => {
                quic += 1;
                Transport::Quic
            }
            other => panic!("{id}: transport {other}"),
        };
        let message = unhex(v["client_hello_hex"].as_str().unwrap());
        let hello = match ClientHello::parse(&message) {
            Ok(hello) => hello,
            Err(e) => {
                failures.push(format!("{id}: {e}"));
                continue;
            }
        };
        let mut check = |what: &str, got: String, want: &Value| {
            if let Some(want) = want.as_str() {
                if got != want {
                    failures.push(format!("{id}: {what}\n   got {got}\n  want {want}"));
                }
            }
        };
        check("ja4", hello.ja4(transport).to_string(), &v["ja4"]);
        check("ja4_r", hello.ja4_r(transport), &v["ja4_r"]);
        check("ja3_full", hello.ja3_string(), &v["ja3_full"]);
        check("ja3", hello.ja3().to_string(), &v["ja3"]);
        check("sni", hello.sni().unwrap_or_default().to_owned(), &v["sni"]);
        raw_checked += usize::from(v["ja4_r"].is_string());
        // The same message framed as records, whole and split, parses the same.
        for max in [16_384, 100, 7] {
            assert_eq!(
                ClientHello::parse(&in_records(&message, max)).as_ref(),
                Ok(&hello),
                "{id}: records of {max}"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!((tcp, quic, raw_checked), (161, 51, 160));
}
