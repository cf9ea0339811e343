//! Inputs the fuzz campaign (fuzz/README.md) found, kept as tests.

use tollgate::Record;

/// `fuzz/fuzz_targets/event_json.rs`: an `at` past u64::MAX nanoseconds
/// (after about the year 2554) saturates on reading to u64::MAX ns, which
/// writes back as 18446744073709 ms and reads again as a different instant.
/// A record that reads must write back to the same record, so such a time
/// must either be refused or keep its value.
#[test]
fn far_future_timestamps_round_trip_or_are_refused() {
    for at in ["1700000000111500", "18446744073710", &u64::MAX.to_string()] {
        let json = format!(r#"{{"kind":"login","at":{at},"ip":"203.0.113.7","user":"alice","outcome":"failed"}}"#);
        let Ok(record) = Record::from_json(&json) else {
            continue;
        };
        let again = serde_json::to_string(&record).expect("a record serializes");
        assert_eq!(Record::from_json(&again).ok(), Some(record), "at = {at}");
    }
}
