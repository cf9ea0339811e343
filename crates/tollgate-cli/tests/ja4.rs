//! `tollgate ja4`: FoxIO's expected JA4 for every ClientHello in
//! `$TOLLGATE_TESTDATA/ja4/clienthellos.jsonl` (hex of the handshake
//! message), the record form, and clean errors on bad input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn tollgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `$TOLLGATE_TESTDATA/ja4/clienthellos.jsonl`, or `None` (with a notice)
/// when the variable is unset. Set but missing is a failure.
fn vectors() -> Option<Vec<Value>> {
    let Some(root) = std::env::var_os("TOLLGATE_TESTDATA") else {
        eprintln!("skipping: TOLLGATE_TESTDATA unset");
        return None;
    };
    let path = PathBuf::from(root).join("ja4/clienthellos.jsonl");
    assert!(
        path.is_file(),
        "TOLLGATE_TESTDATA is set but {} is missing",
        path.display()
    );
    let text = std::fs::read_to_string(path).unwrap();
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

#[test]
fn prints_foxio_ja4_for_every_vector() {
    let Some(vectors) = vectors() else { return };
    assert_eq!(vectors.len(), 212);
    for v in &vectors {
        let hex = v["client_hello_hex"].as_str().unwrap();
        let mut args = vec!["ja4", "--hex", hex];
        if v["transport"] == "quic" {
            args.push("--quic");
        }
        let out = json(&tollgate(&args));
        let id = format!("{} frame {}", v["pcap"], v["frame"]);
        assert_eq!(out["ja4"], v["ja4"], "{id}");
        assert_eq!(out["ja3_hash"], v["ja3"], "{id}");
        assert_eq!(out["ja3"], v["ja3_full"], "{id}");
        if v["ja4_r"].is_string() {
            assert_eq!(out["ja4_r"], v["ja4_r"], "{id}");
        }
        if v["sni"].is_string() {
            assert_eq!(out["sni"], v["sni"], "{id}");
        }
    }
}

#[test]
fn record_form_and_json_fields() {
    // A TLS 1.2 ClientHello in one record: suite c02f, ALPN "h2", no SNI.
    let mut hello = String::from("010000340303");
    hello.push_str(&"00".repeat(32));
    hello.push_str("000002c02f0100" /* session id, suites, compression */);
    hello.push_str("0009" /* extensions */);
    hello.push_str("00100005000302" /* ALPN */);
    hello.push_str("6832");
    let record = format!("16030100{:02x}{hello}", hello.len() / 2);
    let out = json(&tollgate(&["ja4", "--hex", &record]));
    assert_eq!(out["ja4_r"], "t12i0101h2_c02f_");
    assert_eq!(out["ja4"], "t12i0101h2_f06271c2b022_000000000000");
    assert_eq!(out["ja3"], "771,49199,16,,");
    assert_eq!(out["sni"], Value::Null);
    assert_eq!(out["alpn"], serde_json::json!(["h2"]));
    assert_eq!(out["transport"], "tcp");
    let quic = json(&tollgate(&["ja4", "--quic", "--hex", &hello]));
    assert_eq!(quic["ja4_r"], "q12i0101h2_c02f_");
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    for hex in ["zz", "160301", "4745540a", "010000ff0303", "16030100050200000100"] {
        let out = tollgate(&["ja4", "--hex", hex]);
        assert!(!out.status.success(), "{hex}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("error: "), "{hex}: {err}");
    }
}
