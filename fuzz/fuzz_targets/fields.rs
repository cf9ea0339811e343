//! The field parsers: JA4, JA3, E.164, country, ASN, header names, rates and
//! key dimensions. Whatever parses must print back to something that parses
//! to the same value.
#![no_main]

use std::fmt::Display;
use std::str::FromStr;

use libfuzzer_sys::fuzz_target;
use tollgate::policy::{Dimension, Rate};
use tollgate::{Asn, Country, E164, HeaderFingerprint, HeaderName, Http2Fingerprint, Ja3, Ja4};

fn round_trip<T: FromStr + Display + PartialEq + std::fmt::Debug>(s: &str) {
    if let Ok(v) = s.parse::<T>() {
        assert_eq!(v.to_string().parse::<T>().ok(), Some(v));
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    round_trip::<Ja4>(s);
    round_trip::<Ja3>(s);
    round_trip::<Country>(s);
    round_trip::<Asn>(s);
    round_trip::<HeaderName>(s);
    round_trip::<HeaderFingerprint>(s);
    round_trip::<Http2Fingerprint>(s);
    round_trip::<Rate>(s);
    round_trip::<Dimension>(s);
    // E164 prints masked; its digits must read back.
    if let Ok(p) = s.parse::<E164>() {
        assert_eq!(format!("+{}", p.digits()).parse::<E164>().ok(), Some(p));
    }
});
