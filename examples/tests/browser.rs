#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The login page (`GET /`, `examples/assets/login.html`) in a real
//! browser: Debian's headless Chromium driven through `chromedriver`, against
//! both services running as child processes (`browser --serve axum|actix
//! FLAGS`, as in `reload.rs`). A user types a username and password and
//! clicks "Sign in"; the test reads what the page then shows.
//!
//! * A login that tollgate challenges with a proof of work completes: the
//!   vendored ALTCHA widget solves the challenge in the page and the page
//!   resends the login with the solution; the server counted the challenge
//!   and the solved proof of work.
//! * A throttled login shows the wait in words, a denied one the refusal; a
//!   challenge the page cannot meet (no proof of work offered, or a second
//!   factor asked for) says what it needs.
//! * The page's Content-Security-Policy blocks nothing the page and the
//!   widget need (the console has no CSP report).
//!
//! Skips with a notice when no Chromium or chromedriver is installed
//! (`.ci/run` installs them); fails if they are there but do not work.

mod common;

use std::path::Path;

use common::process::Service;
use common::webdriver::{Driver, Session, find_browser};

/// 32 bytes in hex, as `openssl rand -hex 32` prints.
const POW_SECRET: &str = "5e7a0c1d2b3f49586a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b";

/// 16 bytes in hex, for `--redis`.
const KEY_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

/// Every login from loopback (the browser) is challenged by a network zone,
/// an automation-class reason: a proof of work clears it.
const CHALLENGE_LOOPBACK: &str = r#"
[[zones]]
name = "loopback-challenged"
events = ["login"]
cidrs = ["127.0.0.0/8", "::1/128"]
action = "challenge"
"#;

/// Every login from loopback is refused. Only logins: the page itself must
/// still load.
const DENY_LOOPBACK: &str = r#"
[[zones]]
name = "loopback-denied"
events = ["login"]
cidrs = ["127.0.0.0/8", "::1/128"]
action = "deny"
"#;

/// The same zone, with the counters in a Redis that is down and
/// `fail_open`: the decision carries `store.unavailable`, so a solution's
/// single use cannot be checked and the challenge asks for a second factor.
const CHALLENGE_LOOPBACK_STORE_DOWN: &str = r#"
[store]
on_failure = "fail_open"

[[zones]]
name = "loopback-challenged"
events = ["login"]
cidrs = ["127.0.0.0/8", "::1/128"]
action = "challenge"
"#;

fn main() {
    common::process::test_main(|runtime| {
        let Some((chromium, chromedriver)) = find_browser() else {
            println!(
                "browser: skipped (no chromium and chromedriver on PATH: `apt-get install chromium \
                 chromium-driver`, or set TOLLGATE_CHROMIUM and TOLLGATE_CHROMEDRIVER)"
            );
            return;
        };
        let driver = Driver::start(&chromium, &chromedriver);
        let dir = tempfile::tempdir().unwrap();
        let challenge = dir.path().join("challenge.toml");
        std::fs::write(&challenge, CHALLENGE_LOOPBACK).unwrap();
        let deny = dir.path().join("deny.toml");
        std::fs::write(&deny, DENY_LOOPBACK).unwrap();
        let store_down = dir.path().join("store-down.toml");
        std::fs::write(&store_down, CHALLENGE_LOOPBACK_STORE_DOWN).unwrap();
        let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-policy.toml");
        for framework in ["axum", "actix"] {
            runtime.block_on(a_challenged_sign_in_completes(&driver, framework, &challenge));
            println!("test browser::{framework}::a_challenged_sign_in_completes ... ok");
            runtime.block_on(a_throttled_sign_in_says_how_long_to_wait(&driver, framework, &demo));
            println!("test browser::{framework}::a_throttled_sign_in_says_how_long_to_wait ... ok");
            runtime.block_on(a_denied_sign_in_says_it_was_refused(&driver, framework, &deny));
            println!("test browser::{framework}::a_denied_sign_in_says_it_was_refused ... ok");
            runtime.block_on(a_challenge_without_proof_of_work_is_explained(
                &driver, framework, &challenge,
            ));
            println!("test browser::{framework}::a_challenge_without_proof_of_work_is_explained ... ok");
            runtime.block_on(a_second_factor_challenge_is_explained(&driver, framework, &store_down));
            println!("test browser::{framework}::a_second_factor_challenge_is_explained ... ok");
        }
    });
}

/// A browser on the service's page, checked to be the login page.
async fn open_page(driver: &Driver, service: &Service) -> Session {
    let browser = driver.session().await;
    browser.goto(&format!("http://{}/", service.addr)).await;
    assert_eq!(browser.script("return document.title").await, "Sign in · tollgate demo");
    browser
}

/// Clicks "Sign in" and waits until the page has an outcome (not
/// "working"): its kind (`data-kind`) and text.
async fn submit(browser: &Session) -> (String, String) {
    browser
        .script("document.getElementById('message').dataset.kind = ''; return true")
        .await;
    browser.click("#submit").await;
    let outcome = browser
        .wait_for(
            "const m = document.getElementById('message'); const k = m.dataset.kind; \
             return k && k !== 'working' ? [k, m.textContent] : null",
        )
        .await;
    (
        outcome[0].as_str().unwrap().to_owned(),
        outcome[1].as_str().unwrap().to_owned(),
    )
}

async fn sign_in(browser: &Session, username: &str, password: &str) -> (String, String) {
    browser.type_into("#username", username).await;
    browser.type_into("#password", password).await;
    submit(browser).await
}

/// Nothing the page loaded or ran was blocked by its CSP.
async fn assert_no_csp_report(browser: &Session) {
    for entry in browser.console().await {
        let message = entry["message"].as_str().unwrap_or_default();
        assert!(
            !message.contains("Content Security Policy") && !message.contains("Refused to"),
            "{entry}"
        );
    }
}

/// The value of the first series starting with `prefix` (0 when none).
fn series(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(prefix)?.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0.0)
}

async fn a_challenged_sign_in_completes(driver: &Driver, framework: &str, policy: &Path) {
    let service = Service::start(framework, policy, &["--pow-secret", POW_SECRET]);
    let browser = open_page(driver, &service).await;
    let outcome = sign_in(&browser, "alice", "correct-horse").await;
    assert_eq!(outcome, ("ok".into(), "Signed in. Welcome, alice.".into()));
    assert_no_csp_report(&browser).await;
    browser.quit().await;

    // The server challenged the first attempt and admitted the second on
    // a proof of work it verified.
    let metrics = service.scrape().await;
    assert!(
        series(
            &metrics,
            r#"tollgate_decisions_total{event="login",action="challenge"}"#
        ) >= 1.0,
        "{metrics}"
    );
    assert!(
        series(&metrics, r#"tollgate_reasons_total{code="challenge.pow_solved""#) >= 1.0,
        "{metrics}"
    );
    assert!(
        series(&metrics, r#"tollgate_decisions_total{event="login",action="allow"}"#) >= 1.0,
        "{metrics}"
    );
    assert_eq!(
        series(&metrics, r#"tollgate_reasons_total{code="challenge.pow_refused""#),
        0.0,
        "{metrics}"
    );
}

async fn a_throttled_sign_in_says_how_long_to_wait(driver: &Driver, framework: &str, policy: &Path) {
    let service = Service::start(framework, policy, &[]);
    let browser = open_page(driver, &service).await;
    // The demo policy's login-failures-user-ip: three wrong passwords for
    // one account from one address, then a wait for one unit to refill
    // (5 minutes).
    let wrong = ("error".to_owned(), "Wrong username or password.".to_owned());
    assert_eq!(sign_in(&browser, "alice", "wrong").await, wrong);
    // The fields keep what was typed: the user clicks again.
    assert_eq!(submit(&browser).await, wrong);
    assert_eq!(submit(&browser).await, wrong);
    // Retry-After is a little under 300 s (the first failure's refill has
    // begun), which the page rounds up to whole minutes.
    assert_eq!(
        submit(&browser).await,
        ("throttled".into(), "Too many attempts. Try again in 5 minutes.".into())
    );
    assert_no_csp_report(&browser).await;
    browser.quit().await;
}

async fn a_denied_sign_in_says_it_was_refused(driver: &Driver, framework: &str, policy: &Path) {
    let service = Service::start(framework, policy, &[]);
    // The page loads although every login from here is denied: it is not
    // behind the login's protection.
    let browser = open_page(driver, &service).await;
    let (kind, text) = sign_in(&browser, "alice", "correct-horse").await;
    assert_eq!(kind, "denied");
    assert!(text.starts_with("Sign-in refused."), "{text}");
    assert_no_csp_report(&browser).await;
    browser.quit().await;
    let metrics = service.scrape().await;
    assert!(
        series(&metrics, r#"tollgate_decisions_total{event="login",action="deny"}"#) >= 1.0,
        "{metrics}"
    );
}

/// Without `--pow-secret` a challenge offers no proof of work: the page
/// cannot meet it and says so instead of spinning.
async fn a_challenge_without_proof_of_work_is_explained(driver: &Driver, framework: &str, policy: &Path) {
    let service = Service::start(framework, policy, &[]);
    let browser = open_page(driver, &service).await;
    assert_eq!(
        sign_in(&browser, "alice", "correct-horse").await,
        (
            "error".into(),
            "This sign-in needs an extra check that this page cannot do.".into()
        )
    );
    assert_eq!(
        browser.script("return document.getElementById('pow').hidden").await,
        true
    );
    browser.quit().await;
}

/// A challenge that asks for a second factor offers no proof of work: the
/// page says what is needed, with no widget left on it.
async fn a_second_factor_challenge_is_explained(driver: &Driver, framework: &str, policy: &Path) {
    // A loopback port nobody listens on: Redis is down.
    let down = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let redis = format!("redis://{down}/");
    let flags = [
        "--pow-secret",
        POW_SECRET,
        "--redis",
        &redis,
        "--key-secret",
        KEY_SECRET,
    ];
    let service = Service::start(framework, policy, &flags);
    let browser = open_page(driver, &service).await;
    let (kind, text) = sign_in(&browser, "alice", "correct-horse").await;
    assert_eq!(kind, "error");
    assert!(text.starts_with("This sign-in needs a second factor"), "{text}");
    assert_eq!(
        browser
            .script("return document.querySelector('altcha-widget') === null")
            .await,
        true
    );
    browser.quit().await;
    let metrics = service.scrape().await;
    assert!(
        series(&metrics, r#"tollgate_reasons_total{code="store.unavailable""#) >= 1.0,
        "{metrics}"
    );
}
