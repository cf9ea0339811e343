//! JA4, JA4_r and JA3 of ClientHellos captured on a development machine
//! from real clients (curl, openssl s_client, Python's ssl module, headless
//! Chromium), stored in `tests/data/clienthellos_local.jsonl` as the TLS
//! records the clients sent.
//!
//! How each expectation was obtained, without tollgate's code
//! (`tests/data/capture_clienthello.py` does all of it; every line also
//! names the tools and versions in `expected_from`):
//! * `ja3`, `ja3_full`, `sni`, `alpn`: Wireshark's tshark 4.0.17 on a pcap
//!   that text2pcap built from the captured bytes;
//! * `ja4`, `ja4_r`: the `ja4plus` package from PyPI (1.4.0), an
//!   implementation independent of ours that also matches all 212 FoxIO
//!   vectors.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use serde_json::Value;
use tollgate::fingerprint::{ClientHello, ClientHelloError, Transport, client_hello_len};

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/clienthellos_local.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn captured_clients_match_tshark_and_ja4plus() {
    let vectors = vectors();
    assert!(vectors.len() >= 7);
    for v in &vectors {
        let client = v["client"].as_str().unwrap();
        let records = unhex(v["records_hex"].as_str().unwrap());
        let hello = ClientHello::parse(&records).unwrap_or_else(|e| panic!("{client}: {e}"));
        assert_eq!(hello.ja4(Transport::Tcp).as_str(), v["ja4"], "{client}");
        assert_eq!(hello.ja4_r(Transport::Tcp), v["ja4_r"], "{client}");
        assert_eq!(hello.ja3_string(), v["ja3_full"], "{client}");
        assert_eq!(hello.ja3().to_string(), v["ja3"], "{client}");
        assert_eq!(hello.sni(), v["sni"].as_str(), "{client}");
        let alpn: Vec<String> = hello
            .alpn()
            .iter()
            .map(|p| String::from_utf8(p.clone()).unwrap())
            .collect();
        assert_eq!(serde_json::json!(alpn), v["alpn"], "{client}");
    }
}

#[test]
fn captured_records_length_and_prefixes() {
    for v in &vectors() {
        let client = v["client"].as_str().unwrap();
        let records = unhex(v["records_hex"].as_str().unwrap());
        assert_eq!(client_hello_len(&records), Ok(Some(records.len())), "{client}");
        for cut in 0..records.len() {
            assert_eq!(
                ClientHello::parse(&records[..cut]),
                Err(ClientHelloError::Incomplete),
                "{client} cut {cut}"
            );
            let len = client_hello_len(&records[..cut]).unwrap();
            assert!(len.is_none() || len == Some(records.len()), "{client} cut {cut}");
        }
    }
}
