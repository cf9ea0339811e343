#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! Parity of the two example services: one table of request sequences run
//! against the axum app (`axum_login`) and the actix-web app
//! (`actix_login`), both served on 127.0.0.1:0 with the demo policy
//! (`examples/demo-policy.toml`) and driven by the same HTTP client. Each
//! step must give the expected status on both, and the two replies must
//! agree on status, content type, `Retry-After` and body.
//!
//! The engines read the real clock and the steps alternate between the two
//! servers, so a `Retry-After` (whole seconds, rounded up) may differ by one
//! when the two requests straddle a second boundary; anything more fails.

mod common;

use std::net::SocketAddr;

use common::{Reply, assert_problem, send};

/// One request and the status both services must answer.
struct Step {
    method: &'static str,
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
    status: u16,
    /// A refusal: its problem type (`throttled`, `denied`, `challenge`).
    problem: Option<&'static str>,
    /// The reply must be identical (status, content type, body) to this
    /// earlier step's: nothing tells the two cases apart.
    same_as: Option<usize>,
}

const fn step(method: &'static str, path: &'static str, body: &'static str, status: u16) -> Step {
    Step {
        method,
        path,
        headers: &[],
        body,
        status,
        problem: None,
        same_as: None,
    }
}

const fn post(path: &'static str, body: &'static str, status: u16) -> Step {
    step("POST", path, body, status)
}

impl Step {
    const fn headers(mut self, headers: &'static [(&'static str, &'static str)]) -> Self {
        self.headers = headers;
        self
    }
    const fn problem(mut self, kind: &'static str) -> Self {
        self.problem = Some(kind);
        self
    }
    const fn same_as(mut self, index: usize) -> Self {
        self.same_as = Some(index);
        self
    }
}

/// A request sequence against fresh servers.
struct Sequence {
    name: &'static str,
    trust_proxies: &'static [&'static str],
    steps: Vec<Step>,
}

const ALICE_OK: &str = r#"{"username":"alice","password":"correct-horse"}"#;
const ALICE_WRONG: &str = r#"{"username":"alice","password":"wrong"}"#;
const BOB_OK: &str = r#"{"username":"bob","password":"battery-staple"}"#;
const BOB_GUESS: &str = r#"{"username":"bob","password":"guess"}"#;
const NOBODY_GUESS: &str = r#"{"username":"nobody-here","password":"guess"}"#;
const DENY_ZONE: &[(&str, &str)] = &[("x-forwarded-for", "203.0.113.7")];
const OTHER_CLIENT: &[(&str, &str)] = &[("x-forwarded-for", "198.51.100.7")];

fn table() -> Vec<Sequence> {
    vec![
        Sequence {
            name: "healthz and routing",
            trust_proxies: &[],
            steps: vec![
                step("GET", "/healthz", "", 200),
                step("GET", "/login", "", 405),
                step("POST", "/healthz", "", 405),
                step("GET", "/nowhere", "", 404),
            ],
        },
        Sequence {
            name: "the login page and the widget's files, outside the login's protection",
            trust_proxies: &["127.0.0.1/32"],
            steps: vec![
                step("GET", "/", "", 200),
                step("GET", "/altcha.js", "", 200),
                step("GET", "/altcha.css", "", 200),
                step("GET", "/altcha-worker.js", "", 200),
                step("POST", "/", "", 405),
                // From the deny zone: the login is refused, the page is not.
                step("GET", "/", "", 200).headers(DENY_ZONE).same_as(0),
                post("/login", ALICE_OK, 403).headers(DENY_ZONE).problem("denied"),
            ],
        },
        Sequence {
            name: "login ok",
            trust_proxies: &[],
            steps: vec![post("/login", ALICE_OK, 200), post("/login", BOB_OK, 200)],
        },
        Sequence {
            name: "wrong password and unknown user are the same 401",
            trust_proxies: &[],
            steps: vec![
                post("/login", ALICE_WRONG, 401),
                post("/login", r#"{"username":"nobody-here","password":"wrong"}"#, 401).same_as(0),
            ],
        },
        Sequence {
            name: "failures throttle with Retry-After, known and unknown users alike",
            trust_proxies: &[],
            steps: vec![
                post("/login", BOB_GUESS, 401),
                post("/login", BOB_GUESS, 401),
                post("/login", BOB_GUESS, 401),
                // Even the right password: tollgate evaluates first.
                post("/login", BOB_OK, 429).problem("throttled"),
                post("/login", NOBODY_GUESS, 401),
                post("/login", NOBODY_GUESS, 401),
                post("/login", NOBODY_GUESS, 401),
                post("/login", NOBODY_GUESS, 429).problem("throttled").same_as(3),
                post("/login", ALICE_OK, 200),
            ],
        },
        Sequence {
            name: "deny zone via a trusted proxy and X-Forwarded-For",
            trust_proxies: &["127.0.0.1/32"],
            steps: vec![
                post("/login", ALICE_OK, 403).headers(DENY_ZONE).problem("denied"),
                post("/account/email", r#"{"username":"alice","email":"a@example.com"}"#, 403)
                    .headers(DENY_ZONE)
                    .problem("denied"),
                post("/login", ALICE_OK, 200).headers(OTHER_CLIENT),
            ],
        },
        Sequence {
            name: "spoofed X-Forwarded-For from an untrusted peer is ignored",
            trust_proxies: &[],
            steps: vec![post("/login", ALICE_OK, 200).headers(DENY_ZONE)],
        },
        Sequence {
            name: "OTP sends to one number throttle",
            trust_proxies: &[],
            steps: vec![
                post(
                    "/otp/send",
                    r#"{"username":"alice","phone":"+447700900123","channel":"sms"}"#,
                    202,
                ),
                post(
                    "/otp/send",
                    r#"{"username":"bob","phone":"+447700900123","channel":"voice"}"#,
                    202,
                ),
                post(
                    "/otp/send",
                    r#"{"username":"nobody-here","phone":"+447700900123","channel":"sms"}"#,
                    202,
                )
                .same_as(0),
                post(
                    "/otp/send",
                    r#"{"username":"carol","phone":"+447700900123","channel":"sms"}"#,
                    429,
                )
                .problem("throttled"),
                post(
                    "/otp/send",
                    r#"{"username":"alice","phone":"+447700900999","channel":"sms"}"#,
                    202,
                ),
                post(
                    "/otp/send",
                    r#"{"username":"alice","phone":"07700 900999","channel":"sms"}"#,
                    400,
                ),
                post(
                    "/otp/send",
                    r#"{"username":"alice","phone":"+447700900999","channel":"pigeon"}"#,
                    400,
                ),
            ],
        },
        Sequence {
            name: "OTP verify: the sent code once, guessing burns the code",
            trust_proxies: &[],
            steps: vec![
                post("/otp/verify", r#"{"username":"alice","code":"123456"}"#, 401),
                post(
                    "/otp/send",
                    r#"{"username":"alice","phone":"+15555550100","channel":"sms"}"#,
                    202,
                ),
                post("/otp/verify", r#"{"username":"alice","code":"000000"}"#, 401).same_as(0),
                post("/otp/verify", r#"{"username":"nobody-here","code":"000000"}"#, 401).same_as(0),
                post("/otp/verify", r#"{"username":"alice","code":"123456"}"#, 200),
                post("/otp/verify", r#"{"username":"alice","code":"123456"}"#, 401),
                post("/otp/verify", r#"{"username":"bob","code":"111111"}"#, 401),
                post("/otp/verify", r#"{"username":"bob","code":"111111"}"#, 401),
                post("/otp/verify", r#"{"username":"bob","code":"111111"}"#, 401),
                post("/otp/verify", r#"{"username":"bob","code":"111111"}"#, 401),
                post("/otp/verify", r#"{"username":"bob","code":"111111"}"#, 401),
                post("/otp/verify", r#"{"username":"bob","code":"111111"}"#, 403).problem("denied"),
            ],
        },
        Sequence {
            name: "email changes, then a challenge",
            trust_proxies: &[],
            steps: vec![
                post(
                    "/account/email",
                    r#"{"username":"carol","email":"c1@example.com"}"#,
                    200,
                ),
                post(
                    "/account/email",
                    r#"{"username":"carol","email":"c2@example.com"}"#,
                    200,
                ),
                post(
                    "/account/email",
                    r#"{"username":"carol","email":"c3@example.com"}"#,
                    200,
                ),
                post(
                    "/account/email",
                    r#"{"username":"carol","email":"c4@example.com"}"#,
                    401,
                )
                .problem("challenge"),
                post("/account/email", r#"{"username":"carol","email":"not-an-email"}"#, 400),
            ],
        },
        Sequence {
            name: "malformed bodies are 400",
            trust_proxies: &[],
            steps: vec![
                post("/login", "not json", 400),
                post("/login", r#"{"username":"alice"}"#, 400).same_as(0),
                post("/login", ALICE_OK, 400)
                    .headers(&[("content-type", "text/plain")])
                    .same_as(0),
                post("/otp/verify", "[]", 400).same_as(0),
                post("/account/email", "", 400).same_as(0),
            ],
        },
    ]
}

fn retry_after(reply: &Reply) -> Option<u64> {
    reply.header("retry-after").map(|v| v.parse().unwrap())
}

async fn run(sequence: &Sequence) {
    let axum = common::serve_axum(sequence.trust_proxies).await;
    let actix = common::serve_actix(sequence.trust_proxies);
    let mut replies: Vec<(Reply, Reply)> = Vec::new();
    for (i, step) in sequence.steps.iter().enumerate() {
        let at = |app: &str| format!("{}, step {i} ({} {}), {app}", sequence.name, step.method, step.path);
        let call = |addr: SocketAddr| send(addr, step.method, step.path, step.headers, step.body);
        let a = call(axum).await;
        let b = call(actix).await;
        for (app, reply) in [("axum", &a), ("actix", &b)] {
            assert_eq!(reply.status, step.status, "{}: {reply:?}", at(app));
            if let Some(kind) = step.problem {
                assert_problem(reply, step.status, kind);
            }
            if step.status == 429 {
                let secs = retry_after(reply).unwrap_or_else(|| panic!("{}: no Retry-After", at(app)));
                assert!((1..=3600).contains(&secs), "{}: {secs}", at(app));
            }
            if step.status == 401 && step.problem == Some("challenge") {
                assert_eq!(reply.header("cache-control"), Some("no-store"), "{}", at(app));
            }
            if let Some(earlier) = step.same_as {
                let (ea, eb) = &replies[earlier];
                let e = if app == "axum" { ea } else { eb };
                assert_eq!(
                    (reply.status, reply.header("content-type"), &reply.body),
                    (e.status, e.header("content-type"), &e.body),
                    "{}: differs from step {earlier}",
                    at(app)
                );
            }
        }
        assert_eq!(a.status, b.status, "{}", at("both"));
        assert_eq!(a.header("content-type"), b.header("content-type"), "{}", at("both"));
        assert_eq!(a.body, b.body, "{}", at("both"));
        match (retry_after(&a), retry_after(&b)) {
            (None, None) => {}
            (Some(x), Some(y)) => assert!(x.abs_diff(y) <= 1, "{}: Retry-After {x} vs {y}", at("both")),
            other => panic!("{}: Retry-After {other:?}", at("both")),
        }
        replies.push((a, b));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_and_actix_examples_answer_the_table_alike() {
    let table = table();
    assert!(table.len() >= 10);
    for sequence in &table {
        run(sequence).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_and_its_files_are_the_same_bytes_and_headers() {
    let axum = common::serve_axum(&[]).await;
    let actix = common::serve_actix(&[]);
    for asset in &tollgate_examples::page::ASSETS {
        let a = send(axum, "GET", asset.path, &[], "").await;
        let b = send(actix, "GET", asset.path, &[], "").await;
        for reply in [&a, &b] {
            assert_eq!(reply.status, 200, "{}: {reply:?}", asset.path);
            assert_eq!(reply.body.as_bytes(), asset.body, "{}", asset.path);
            assert_eq!(reply.header("content-type"), Some(asset.content_type), "{}", asset.path);
            assert_eq!(
                reply.header("x-content-type-options"),
                Some("nosniff"),
                "{}",
                asset.path
            );
            let csp = reply.header("content-security-policy");
            assert_eq!(csp.is_some(), asset.is_page, "{}: {csp:?}", asset.path);
        }
        for name in ["content-security-policy", "referrer-policy"] {
            assert_eq!(a.header(name), b.header(name), "{}: {name}", asset.path);
        }
    }
    let page = send(axum, "GET", "/", &[], "").await;
    assert_eq!(
        page.header("content-security-policy"),
        Some(tollgate_examples::page::content_security_policy())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_the_same_400() {
    let axum = common::serve_axum(&[]).await;
    let actix = common::serve_actix(&[]);
    // Past actix-web's default payload limit (256 KiB), within axum's (2 MiB);
    // then past both.
    for size in [300 * 1024, 3 * 1024 * 1024] {
        let body = format!(r#"{{"username":"alice","password":"{}"}}"#, "x".repeat(size));
        let a = send(axum, "POST", "/login", &[], &body).await;
        let b = send(actix, "POST", "/login", &[], &body).await;
        assert_eq!(
            (a.status, a.header("content-type"), &a.body),
            (b.status, b.header("content-type"), &b.body),
            "{size}"
        );
    }
}
