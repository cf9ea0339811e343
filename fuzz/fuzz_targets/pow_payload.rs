//! The proof-of-work header: arbitrary bytes as an `x-tollgate-pow` value
//! (and as the JSON inside it). Anything that is not a solution's JSON is
//! no solution; what parses is verified for every event type without
//! panicking and is never accepted (an input cannot carry this secret's
//! signature); a solution from the header is the one its JSON gives.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::pow::{PowConfig, PowSecret, PowSolution};
use tollgate::{EventType, Timestamp};
use tollgate_tower::context::parse_pow_header;

fuzz_target!(|data: &[u8]| {
    let Ok(secret) = PowSecret::new(*b"fuzzing proof-of-work secret 32b") else { return };
    let config = PowConfig::new(secret);
    let at = Timestamp::from_unix_millis(1_700_000_000_000);
    let check = |s: &PowSolution| {
        for event_type in EventType::ALL {
            assert!(config.verify(s, event_type, at).is_err());
        }
    };
    if let Some(s) = parse_pow_header(data) {
        check(&s);
    }
    if let Ok(s) = PowSolution::from_json(data) {
        check(&s);
    }
});
