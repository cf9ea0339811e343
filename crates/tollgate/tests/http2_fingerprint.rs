//! The HTTP/2 fingerprint reader on hand-built frames and captured client bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;
use std::process::Command;

use proptest::prelude::*;
use tollgate::fingerprint::{HpackError, Http2FingerprintError, Http2Preface, MAX_PREFACE_BYTES, MAX_PREFACE_FRAMES};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut out = vec![len[1], len[2], len[3], kind, flags];
    out.extend(stream.to_be_bytes());
    out.extend(payload);
    out
}

fn settings(entries: &[(u16, u32)]) -> Vec<u8> {
    let payload: Vec<u8> = entries
        .iter()
        .flat_map(|(id, v)| id.to_be_bytes().into_iter().chain(v.to_be_bytes()))
        .collect();
    frame(4, 0, 0, &payload)
}

fn window_update(stream: u32, increment: u32) -> Vec<u8> {
    frame(8, 0, stream, &increment.to_be_bytes())
}

fn priority(stream: u32, exclusive: bool, depends_on: u32, wire_weight: u8) -> Vec<u8> {
    let mut payload = (depends_on | if exclusive { 0x8000_0000 } else { 0 })
        .to_be_bytes()
        .to_vec();
    payload.push(wire_weight);
    frame(2, 0, stream, &payload)
}

/// A literal field without indexing, new name, raw strings.
fn literal(name: &str, value: &str) -> Vec<u8> {
    let mut out = vec![0x00, u8::try_from(name.len()).unwrap()];
    out.extend(name.as_bytes());
    out.push(u8::try_from(value.len()).unwrap());
    out.extend(value.as_bytes());
    out
}

/// `:method GET`, `:authority` (Huffman "www.example.com", RFC 7541 C.4.1,
/// added to the dynamic table), `:scheme https`, `:path /`, `user-agent`.
fn chrome_like_block() -> Vec<u8> {
    let mut block = vec![
        0x82, 0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff, 0x87, 0x84,
    ];
    block.extend(literal("user-agent", "test"));
    block
}

fn fingerprint_of(bytes: &[u8]) -> Result<Option<String>, Http2FingerprintError> {
    Http2Preface::new()
        .feed(bytes)
        .map(|fp| fp.map(|fp| fp.as_str().to_owned()))
}

fn chrome_like() -> Vec<u8> {
    let mut bytes = PREFACE.to_vec();
    bytes.extend(settings(&[(1, 65536), (2, 0), (4, 6_291_456), (6, 262_144)]));
    bytes.extend(window_update(0, 15_663_105));
    // HEADERS with END_STREAM | END_HEADERS | PRIORITY: the priority fields
    // of a HEADERS frame are not part of the Akamai PRIORITY field.
    let mut payload = vec![0x80, 0, 0, 0, 255];
    payload.extend(chrome_like_block());
    bytes.extend(frame(1, 0x25, 1, &payload));
    bytes
}

// Expectation: the published Chrome value (Akamai format, e.g. httpcloak and
// krowdev tables) for these SETTINGS/WINDOW_UPDATE values.
const CHROME: &str = "1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p";

#[test]
fn chrome_like_preface() {
    assert_eq!(fingerprint_of(&chrome_like()).unwrap().as_deref(), Some(CHROME));
}

#[test]
fn firefox_priority_tree_from_the_paper() {
    // The Firefox fingerprint printed in the Akamai paper:
    // 1:65536;4:131072;5:16384|12517377|3:0:0:201,5:0:0:101,7:0:0:1,9:0:7:1,11:0:3:1|m,p,a,s
    // Firefox put the wire weights 200, 100, 0, 0, 0 on those streams; the
    // format prints weight + 1 (RFC 7540 §6.3).
    let mut bytes = PREFACE.to_vec();
    bytes.extend(settings(&[(1, 65536), (4, 131_072), (5, 16384)]));
    bytes.extend(window_update(0, 12_517_377));
    for (stream, dep, w) in [(3, 0, 200), (5, 0, 100), (7, 0, 0), (9, 7, 0), (11, 3, 0)] {
        bytes.extend(priority(stream, false, dep, w));
    }
    let mut block = vec![0x82, 0x84];
    block.extend(literal(":authority", "example.com"));
    block.push(0x87);
    bytes.extend(frame(1, 0x05, 13, &block));
    assert_eq!(
        fingerprint_of(&bytes).unwrap().as_deref(),
        Some("1:65536;4:131072;5:16384|12517377|3:0:0:201,5:0:0:101,7:0:0:1,9:0:7:1,11:0:3:1|m,p,a,s")
    );
}

#[test]
fn absent_window_update_is_double_zero_and_exclusive_bit_shows() {
    let mut bytes = PREFACE.to_vec();
    bytes.extend(settings(&[(3, 100), (4, 10_485_760), (2, 0)]));
    bytes.extend(window_update(1, 5)); // stream 1: not the connection window
    bytes.extend(priority(3, true, 1, 15));
    bytes.extend(frame(1, 0x04, 1, &[0x82, 0x87, 0x41, 0x01, b'h', 0x84]));
    assert_eq!(
        fingerprint_of(&bytes).unwrap().as_deref(),
        Some("3:100;4:10485760;2:0|00|3:1:1:16|m,s,a,p")
    );
}

#[test]
fn continuation_frames_complete_the_block() {
    let mut bytes = PREFACE.to_vec();
    bytes.extend(settings(&[]));
    let block = chrome_like_block();
    let (a, rest) = block.split_at(5);
    let (b, c) = rest.split_at(7);
    bytes.extend(frame(1, 0x01, 3, a));
    bytes.extend(frame(9, 0x00, 3, b));
    bytes.extend(frame(9, 0x04, 3, c));
    assert_eq!(fingerprint_of(&bytes).unwrap().as_deref(), Some("|00|0|m,a,s,p"));
}

#[test]
fn every_split_gives_the_same_answer_and_trailing_bytes_are_ignored() {
    let mut bytes = chrome_like();
    let end = bytes.len();
    bytes.extend(frame(0, 1, 1, b"body after the headers"));
    for split in 0..=bytes.len() {
        let mut reader = Http2Preface::new();
        let first = reader.feed(&bytes[..split]).unwrap();
        assert_eq!(first.is_some(), split >= end, "split {split}");
        let fp = reader.feed(&bytes[split..]).unwrap().unwrap();
        assert_eq!(fp.as_str(), CHROME);
        // Once done, the reader repeats its answer.
        assert_eq!(reader.feed(b"anything").unwrap().unwrap().as_str(), CHROME);
    }
    let mut reader = Http2Preface::new();
    let answers: Vec<_> = bytes.iter().map(|b| reader.feed(&[*b]).unwrap()).collect();
    assert!(answers[..end - 1].iter().all(Option::is_none));
    assert_eq!(answers[end - 1].as_ref().unwrap().as_str(), CHROME);
}

#[test]
fn protocol_violations_are_typed_errors() {
    let with = |frames: &[Vec<u8>]| {
        let mut bytes = PREFACE.to_vec();
        frames.iter().for_each(|f| bytes.extend(f));
        fingerprint_of(&bytes)
    };
    let s = settings(&[(4, 65535)]);
    let headers = frame(1, 0x04, 1, &[0x82]);
    assert_eq!(
        fingerprint_of(b"GET / HTTP/1.1\r\n"),
        Err(Http2FingerprintError::BadPreface)
    );
    assert_eq!(
        with(&[window_update(0, 1)]),
        Err(Http2FingerprintError::SettingsExpected)
    );
    assert_eq!(
        with(&[frame(4, 1, 0, &[])]),
        Err(Http2FingerprintError::SettingsExpected)
    );
    assert_eq!(
        with(&[s.clone(), frame(0, 0, 1, b"x")]),
        Err(Http2FingerprintError::UnexpectedFrame {
            frame_type: 0,
            stream: 1
        })
    );
    assert_eq!(
        with(&[s.clone(), frame(1, 0x04, 2, &[0x82])]),
        Err(Http2FingerprintError::UnexpectedFrame {
            frame_type: 1,
            stream: 2
        })
    );
    assert_eq!(
        with(&[s.clone(), frame(1, 0x00, 1, &[0x82]), frame(6, 0, 0, &[0; 8])]),
        Err(Http2FingerprintError::UnexpectedFrame {
            frame_type: 6,
            stream: 0
        })
    );
    assert_eq!(
        with(&[s.clone(), frame(9, 0x04, 1, &[0x82])]),
        Err(Http2FingerprintError::UnexpectedFrame {
            frame_type: 9,
            stream: 1
        })
    );
    assert_eq!(
        with(&[s.clone(), window_update(0, 0)]),
        Err(Http2FingerprintError::ZeroWindowIncrement)
    );
    assert_eq!(
        with(&[s.clone(), frame(8, 0, 0, &[0, 0, 1])]),
        Err(Http2FingerprintError::FrameSize { frame_type: 8, len: 3 })
    );
    assert_eq!(
        with(&[s.clone(), frame(1, 0x0c, 1, &[5, 0x82])]),
        Err(Http2FingerprintError::BadPadding)
    );
    assert_eq!(
        with(&[s.clone(), frame(1, 0x04, 1, &[0xff, 0x00])]),
        Err(Http2FingerprintError::Hpack(HpackError::BadIndex { index: 127 }))
    );
    // Unknown frame types, PING and SETTINGS ACK are skipped.
    assert_eq!(
        with(&[
            s.clone(),
            frame(0xa, 0, 0, b"alt"),
            frame(6, 0, 0, &[0; 8]),
            frame(4, 1, 0, &[]),
            headers.clone()
        ])
        .unwrap()
        .as_deref(),
        Some("4:65535|00|0|m")
    );
}

#[test]
fn bounds_stop_reading() {
    let mut bytes = PREFACE.to_vec();
    bytes.extend(settings(&[]));
    // A frame that would end past the byte limit fails at its header.
    let mut big = bytes.clone();
    big.extend([0x01, 0x00, 0x00, 0x0a, 0, 0, 0, 0, 0]);
    assert_eq!(
        fingerprint_of(&big),
        Err(Http2FingerprintError::TooLarge {
            limit: MAX_PREFACE_BYTES
        })
    );

    // Many small frames, fed in pieces, hit the byte limit too.
    let mut reader = Http2Preface::new();
    reader.feed(&bytes).unwrap();
    let filler = frame(0xa, 0, 0, &[0; 100]);
    let err = (0..70).map(|_| reader.feed(&filler)).find_map(Result::err);
    assert_eq!(
        err,
        Some(Http2FingerprintError::TooManyFrames {
            limit: MAX_PREFACE_FRAMES
        })
    );

    let mut reader = Http2Preface::new();
    reader.feed(&bytes).unwrap();
    let filler = frame(0xa, 0, 0, &[0; 16_000]);
    let err = (0..5).map(|_| reader.feed(&filler)).find_map(Result::err);
    assert_eq!(
        err,
        Some(Http2FingerprintError::TooLarge {
            limit: MAX_PREFACE_BYTES
        })
    );
    // The error sticks.
    assert_eq!(
        reader.feed(&[]),
        Err(Http2FingerprintError::TooLarge {
            limit: MAX_PREFACE_BYTES
        })
    );

    // A frame ending exactly at the limit is read; a byte more is too many.
    let mut reader = Http2Preface::new();
    reader.feed(&bytes).unwrap();
    let room = u32::try_from(MAX_PREFACE_BYTES - bytes.len() - 9)
        .unwrap()
        .to_be_bytes();
    assert_eq!(
        reader.feed(&[room[1], room[2], room[3], 0x0a, 0, 0, 0, 0, 0]).unwrap(),
        None
    );
    let rest = vec![0; MAX_PREFACE_BYTES];
    assert_eq!(
        reader.feed(&rest),
        Err(Http2FingerprintError::TooLarge {
            limit: MAX_PREFACE_BYTES
        })
    );
}

#[test]
fn renders_at_most_twelve_settings_and_eight_priorities() {
    let mut bytes = PREFACE.to_vec();
    let entries: Vec<(u16, u32)> = (0..20).map(|i| (u16::MAX - i, u32::MAX)).collect();
    bytes.extend(settings(&entries));
    bytes.extend(window_update(0, 0x7fff_ffff));
    for stream in (1..40).step_by(2) {
        bytes.extend(priority(0x7fff_fff0 + stream, true, 0x7fff_ffff, 255));
    }
    let mut block = Vec::new();
    for _ in 0..12 {
        block.extend([0x82, 0x84, 0x87, 0x41, 0x00]);
    }
    bytes.extend(frame(1, 0x04, 1, &block));
    let fp = fingerprint_of(&bytes).unwrap().unwrap();
    let parts: Vec<&str> = fp.split('|').collect();
    assert_eq!(parts[0].split(';').count(), 12);
    assert_eq!(parts[1], "2147483647");
    assert_eq!(parts[2].split(',').count(), 8);
    assert!(parts[2].starts_with("2147483633:1:2147483647:256,"));
    assert_eq!(parts[3], "m,p,s,a,m,p,s,a");
    assert!(fp.len() <= tollgate::Http2Fingerprint::MAX_LEN);
}

/// Client bytes captured on 127.0.0.1 (see tests/data/h2/README.md). Each
/// expectation is the output of `tests/data/h2/tshark_akamai.py` on a pcap
/// made from the same bytes with text2pcap: tshark 4.0.17's own HTTP/2 and
/// HPACK dissection, not this crate's.
#[test]
fn captured_clients() {
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "chromium 156, TLS",
            include_bytes!("data/h2/chromium-156-tls.bin"),
            "1:65536;2:0;4:6291456;6:262144|15663105|0|m,a,s,p",
        ),
        (
            "curl 7.88.1, h2c",
            include_bytes!("data/h2/curl-7.88.1-h2c.bin"),
            "3:100;4:33554432;2:0|33488897|0|m,p,s,a",
        ),
        (
            "curl 7.88.1, TLS",
            include_bytes!("data/h2/curl-7.88.1-tls.bin"),
            "3:100;4:33554432;2:0|33488897|0|m,p,s,a",
        ),
        (
            "nghttp 1.52.0, h2c",
            include_bytes!("data/h2/nghttp-1.52.0-h2c.bin"),
            "3:100;4:65535|00|3:0:0:201,5:0:0:101,7:0:0:1,9:0:7:1,11:0:3:1|m,p,s,a",
        ),
    ];
    for (client, bytes, expected) in cases {
        assert_eq!(fingerprint_of(bytes).unwrap().as_deref(), Some(expected), "{client}");
    }
}

/// Chrome in FoxIO's `http2-with-cookies.pcapng` (TLS secrets embedded):
/// tshark decrypts the first TLS stream, we feed the client's records one by
/// one. Expected value: `tshark_akamai.py http2-with-cookies.pcapng -Y
/// tcp.stream==0`, from tshark's dissection.
#[test]
fn chrome_in_the_decrypted_ja4_capture() {
    let Ok(dir) = std::env::var("TOLLGATE_TESTDATA") else {
        println!("skipping: TOLLGATE_TESTDATA unset");
        return;
    };
    let path = Path::new(&dir).join("ja4/pcap/http2-with-cookies.pcapng");
    assert!(path.is_file(), "missing {}", path.display());
    let Ok(out) = Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .args(["-q", "-z", "follow,tls,raw,0"])
        .output()
    else {
        println!("skipping: tshark not found");
        return;
    };
    assert!(out.status.success(), "tshark failed");
    let text = String::from_utf8(out.stdout).unwrap();
    // One line per decrypted record, hex; the server's side is tab-indented
    // or not depending on who spoke first, so pick the side with the preface.
    let records: Vec<(bool, Vec<u8>)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && l.trim().bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|l| {
            let hex = l.trim();
            let bytes = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            (l.starts_with('\t'), bytes)
        })
        .collect();
    let client_side = records.iter().find(|(_, b)| b.starts_with(PREFACE)).unwrap().0;
    let mut reader = Http2Preface::new();
    let fp = records
        .iter()
        .filter(|(side, _)| *side == client_side)
        .find_map(|(_, record)| reader.feed(record).unwrap())
        .unwrap();
    assert_eq!(fp.as_str(), "1:65536;2:0;3:1000;4:6291456;6:262144|15663105|0|m,a,s,p");
}

proptest! {
    #[test]
    fn arbitrary_frames_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..600), split in 0usize..700) {
        let mut bytes = PREFACE.to_vec();
        bytes.extend(settings(&[(1, 4096)]));
        bytes.extend(&tail);
        let split = split.min(bytes.len());
        let whole = Http2Preface::new().feed(&bytes);
        let mut reader = Http2Preface::new();
        let first = reader.feed(&bytes[..split]);
        let parts = match first {
            Ok(Some(fp)) => Ok(Some(fp)),
            Err(e) => Err(e),
            Ok(None) => reader.feed(&bytes[split..]),
        };
        prop_assert_eq!(whole, parts);
    }
}
