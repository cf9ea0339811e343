//! The allow path stays allocation-free when the login comes from a real
//! browser: a Chrome user agent with Chrome's JA4, so the user-agent /
//! fingerprint consistency check (UA classification, table lookup) runs on
//! every evaluation under `Policy::default()`. One profiler per process, so
//! one test per file.

use tollgate::policy::Policy;
use tollgate::{Engine, Ja4};
use tollgate_benches::{allow_path_run, login_events};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Events measured (and warmed up first).
const EVENTS: usize = 1_000;

const CHROME_UA: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

#[test]
fn browser_logins_allow_path_does_not_allocate() -> Result<(), Box<dyn std::error::Error>> {
    let _profiler = dhat::Profiler::builder().testing().build();
    let engine = Engine::new(Policy::default())?;
    // Chrome's JA4 from the built-in browser table, on every event.
    let chrome: Ja4 = "t13d1516h2_8daaf6152771_02713d6af862".parse()?;
    let mut events = login_events(EVENTS);
    for event in &mut events {
        event.ja4 = Some(chrome);
        event.user_agent = Some(CHROME_UA.to_owned());
    }
    let run = allow_path_run(&engine, &mut events, || dhat::HeapStats::get().total_blocks);
    assert_eq!(
        run.keys_after, run.keys_after_warm_up,
        "no key may be created while measuring"
    );
    assert_eq!(
        run.allowed, EVENTS,
        "a browser whose JA4 matches its user agent is a reason-free allow"
    );
    assert_eq!(
        run.blocks, 0,
        "{EVENTS} allow-path evaluations allocated {} blocks",
        run.blocks
    );
    Ok(())
}
