//! Policy TOML and JSON: any text gives a policy or an error naming the
//! problem; an accepted policy installs in an engine and round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tollgate::Engine;
use tollgate::policy::Policy;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Policy::from_json(text);
    let Ok(policy) = Policy::from_toml(text) else { return };
    let Ok(toml) = policy.to_toml() else {
        panic!("accepted policy does not serialize")
    };
    assert_eq!(Policy::from_toml(&toml).ok().as_ref(), Some(&policy));
    assert!(Engine::new(policy).is_ok());
});
