//! Properties of ClientHello parsing that must hold for any input, checked
//! with proptest on random bytes and on mutations and re-framings of the
//! ClientHellos captured in `tests/data/clienthellos_local.jsonl` (the
//! cargo-fuzz target `client_hello` checks the same at greater length).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use proptest::prelude::*;
use tollgate::Ja4;
use tollgate::fingerprint::{ClientHello, ClientHelloError, Transport, client_hello_len};

/// The handshake messages inside the captured records (each fits one record).
fn captured_messages() -> Vec<Vec<u8>> {
    let text = include_str!("data/clienthellos_local.jsonl");
    text.lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let hex = v["records_hex"].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            bytes[5..].to_vec()
        })
        .collect()
}

fn well_formed(hello: &ClientHello) {
    for transport in [Transport::Tcp, Transport::Quic] {
        let ja4 = hello.ja4(transport);
        assert_eq!(ja4.as_str().parse::<Ja4>(), Ok(ja4));
        assert_eq!(hello.ja4_r(transport).get(..10), ja4.as_str().get(..10));
    }
    assert_eq!(hello.ja3_string().matches(',').count(), 4);
}

proptest! {
    #[test]
    fn random_bytes_give_an_answer(first in prop::sample::select(vec![0x16u8, 0x01, 0x00]), rest in prop::collection::vec(any::<u8>(), 0..600)) {
        let bytes = [&[first][..], &rest].concat();
        let parsed = ClientHello::parse(&bytes);
        if let Ok(hello) = &parsed {
            well_formed(hello);
            prop_assert!(matches!(client_hello_len(&bytes), Ok(Some(_))));
        }
    }

    #[test]
    fn mutated_captures_never_panic(index in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let messages = captured_messages();
        let mut message = index.get(&messages).clone();
        let at = at.index(message.len());
        message[at] = byte;
        if let Ok(hello) = ClientHello::parse(&message) {
            well_formed(&hello);
        }
    }

    #[test]
    fn any_record_split_parses_the_same(index in any::<prop::sample::Index>(), size in 1usize..2000, cut in any::<prop::sample::Index>()) {
        let messages = captured_messages();
        let message = index.get(&messages);
        let records: Vec<u8> = message
            .chunks(size)
            .flat_map(|c| {
                let len = u16::try_from(c.len()).unwrap().to_be_bytes();
                [&[0x16, 0x03, 0x03, len[0], len[1]][..], c].concat()
            })
            .collect();
        prop_assert_eq!(client_hello_len(&records), Ok(Some(records.len())));
        prop_assert_eq!(ClientHello::parse(&records), ClientHello::parse(message));
        // Every strict prefix lacks message bytes: the last record ends with the message.
        let cut = cut.index(records.len());
        prop_assert_eq!(ClientHello::parse(&records[..cut]), Err(ClientHelloError::Incomplete));
    }
}
