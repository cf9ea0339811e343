//! Event and outcome JSON: any bytes give a record or an error, never a panic,
//! and any event that parses also evaluates and round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::policy::Policy;
use tollgate::{Engine, Record};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(record) = Record::from_json(text) else { return };
    let Ok(engine) = Engine::new(Policy::default()) else {
        return;
    };
    match &record {
        Record::Event(e) => {
            let _ = engine.evaluate(e);
        }
        Record::Outcome(o) => engine.record(o),
    }
    let Ok(json) = serde_json::to_string(&record) else {
        return;
    };
    assert_eq!(Record::from_json(&json).ok().as_ref(), Some(&record));
});
