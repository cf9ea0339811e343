//! TLS ClientHello parsing: any bytes give a ClientHello or a typed error,
//! never a panic. A parsed hello yields well-formed JA4 / JA4_r / JA3 for
//! both transports, `client_hello_len` agrees with `parse`, and the same
//! handshake split into records of any size parses the same.
//!
//! Input: one byte choosing a record size (1 to 256), then the bytes to
//! parse as they are (records or a bare handshake message).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::Ja4;
use tollgate::fingerprint::{ClientHello, Transport, client_hello_len};

fuzz_target!(|data: &[u8]| {
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let parsed = ClientHello::parse(data);
    match client_hello_len(data) {
        Ok(Some(n)) if n <= data.len() => {
            assert_eq!(
                ClientHello::parse(&data[..n]),
                parsed,
                "client_hello_len {n} disagrees with parse"
            );
            // A bare message one byte short is unfinished. (A record one byte
            // short may still hold the whole message, which parse accepts.)
            if n > 0 && data.first() == Some(&0x01) {
                assert!(ClientHello::parse(&data[..n - 1]).is_err());
            }
        }
        // The records are cut short; the handshake message inside may still be whole.
        Ok(Some(_)) => assert!(parsed.is_err() || data.first() == Some(&0x16)),
        Ok(None) | Err(_) => assert!(parsed.is_err()),
    }
    let Ok(hello) = parsed else { return };
    for transport in [Transport::Tcp, Transport::Quic] {
        let ja4 = hello.ja4(transport);
        assert_eq!(ja4.as_str().parse::<Ja4>(), Ok(ja4));
        let raw = hello.ja4_r(transport);
        assert_eq!(raw.get(..10), ja4.as_str().get(..10));
    }
    let ja3 = hello.ja3_string();
    assert_eq!(ja3.matches(',').count(), 4, "{ja3}");
    let _ = hello.ja3();

    // The bare handshake message, re-framed into small records.
    if data.first() == Some(&0x01)
        && let Ok(Some(n)) = client_hello_len(data)
    {
        let size = usize::from(split) + 1;
        let records: Vec<u8> = data[..n]
            .chunks(size)
            .flat_map(|c| {
                let [hi, lo] = (c.len() as u16).to_be_bytes();
                [&[0x16, 0x03, 0x01, hi, lo][..], c].concat()
            })
            .collect();
        if records.len() <= tollgate::fingerprint::MAX_RECORDS_LEN {
            assert_eq!(ClientHello::parse(&records).as_ref(), Ok(&hello));
        }
    }
});
