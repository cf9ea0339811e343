//! Fingerprint list files (`Engine::set_fingerprint_list`): any bytes give
//! a list or a line-numbered error, never a panic; every parsed entry
//! prints back to text that parses to the same entry and is found again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::policy::{Fingerprint, FingerprintList};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match FingerprintList::parse(&text) {
        Ok(list) => {
            for line in text.strip_prefix('\u{feff}').unwrap_or(&text).lines() {
                let entry = line.split('#').next().unwrap_or_default().trim();
                // Unlabelled single-token lines are entries of the `any` set.
                if entry.is_empty() || entry.contains(char::is_whitespace) {
                    continue;
                }
                let fp: Fingerprint = entry.parse().expect("a line the list accepted parses alone");
                assert!(list.any().contains(&fp), "{entry}");
                let again: Fingerprint = fp.to_string().parse().expect("Display output parses");
                assert_eq!(again, fp);
            }
        }
        Err(err) => {
            assert!(err.line() >= 1 && err.line() <= text.lines().count().max(1));
        }
    }
});
