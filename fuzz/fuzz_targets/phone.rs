//! Phone parsing: any input and default region give an E.164 number or a
//! typed error, never a panic. An accepted number has a known calling code,
//! classifies without panicking and is masked when shown; an error's message
//! quotes no digit of the input. Short-code costs never panic either.
//!
//! Input: one byte choosing the default region (or none), then the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::phone::{self, NumberType};

const REGIONS: [Option<&str>; 12] = [
    None,
    Some("GB"),
    Some("US"),
    Some("DE"),
    Some("RU"),
    Some("KZ"),
    Some("FR"),
    Some("IT"),
    Some("AR"),
    Some("BY"),
    Some("IR"),
    Some("ZZ"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&switch, rest)) = data.split_first() else {
        return;
    };
    let region = REGIONS[usize::from(switch) % REGIONS.len()].and_then(|r| r.parse().ok());
    let input = String::from_utf8_lossy(rest);
    match phone::normalize(&input, region) {
        Ok(e164) => {
            let info = phone::classify(&e164);
            assert!(info.calling_code > 0);
            let digits = e164.digits();
            assert!(digits.starts_with(&info.calling_code.to_string()));
            assert!(info.is_valid() == (info.number_type != NumberType::Unknown));
            let shown = e164.to_string();
            let visible = shown.bytes().filter(u8::is_ascii_digit).count();
            assert!(visible <= info.calling_code.to_string().len() + 2, "{shown}");
            assert_eq!(shown.len(), digits.len() + 1);
        }
        Err(e) => assert!(!e.to_string().bytes().any(|b| b.is_ascii_digit()), "{e}"),
    }
    if let Some(region) = region {
        let _ = phone::short_number_cost(&input, region);
    }
    if let Ok(e164) = format!("+{}", input.trim_start_matches('+')).parse() {
        let _ = phone::classify(&e164);
    }
});
