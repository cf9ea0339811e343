//! The HTTP/2 fingerprint reader: arbitrary bytes after a valid preface, fed
//! in arbitrary pieces, must never panic and must give the same answer as
//! feeding everything at once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::fingerprint::Http2Preface;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

fuzz_target!(|data: &[u8]| {
    // The first byte picks the split points; the preface is usually
    // prepended so the fuzzer spends its time on frames and HPACK.
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let mut input = Vec::with_capacity(PREFACE.len() + rest.len());
    if control & 1 == 0 {
        input.extend_from_slice(PREFACE);
    }
    input.extend_from_slice(rest);

    let whole = Http2Preface::new().feed(&input);

    let step = usize::from(control >> 1).max(1);
    let mut reader = Http2Preface::new();
    let mut pieces = Ok(None);
    for chunk in input.chunks(step) {
        pieces = reader.feed(chunk);
        if !matches!(pieces, Ok(None)) {
            break;
        }
    }
    assert_eq!(whole, pieces);
    if let Ok(Some(fp)) = whole {
        assert!(fp.as_str().parse::<tollgate::Http2Fingerprint>().is_ok());
    }
});
