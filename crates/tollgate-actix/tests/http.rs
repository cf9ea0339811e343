#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The middleware and the guard behind a real `HttpServer` on 127.0.0.1:0,
//! driven by a minimal HTTP/1.1 client over `std::net::TcpStream`, so the
//! socket peer is real.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::{App, HttpResponse, web};
use serde_json::{Value, json};
use tollgate::net::TrustedProxies;
use tollgate::policy::Policy;
use tollgate::{Channel, Engine, EventKind};
use tollgate_actix::{ContextConfig, Guard, Tollgate};

mod common;
use common::{Reply, post, send, serve};

const JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";

fn engine(toml: &str) -> Arc<Engine> {
    Arc::new(Engine::new(Policy::from_toml(toml).unwrap()).unwrap())
}

fn trusting_loopback() -> ContextConfig {
    ContextConfig::new(TrustedProxies::parse(["127.0.0.0/8"]).unwrap())
}

const LOGIN_IP: &str = r#"
[[limits]]
name = "login-ip"
events = ["login"]
key = ["ip"]
rate = "1/hour"
burst = 2
"#;

/// A pre-auth-protected `/login` and an unprotected `/ok`; the handler
/// counts its calls.
fn protected_login(engine: Arc<Engine>, context: ContextConfig) -> (SocketAddr, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let tollgate = Tollgate::new(engine, context)
        .protect("/login", EventKind::Login)
        .protect("/otp/*", EventKind::OtpSend { channel: Channel::Sms });
    let addr = serve(move || {
        let counter = Arc::clone(&counter);
        let handler = move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { HttpResponse::Ok().json(json!({"status": "ok"})) }
        };
        App::new()
            .wrap(tollgate.clone())
            .route("/login", web::post().to(handler.clone()))
            .route("/otp/send", web::post().to(handler))
            .route("/ok", web::get().to(HttpResponse::Ok))
    });
    (addr, calls)
}

fn assert_problem(reply: &Reply, status: u16, kind: &str) -> Value {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    let body = reply.json();
    assert_eq!(body["status"], status);
    assert_eq!(body["type"], format!("urn:tollgate:problem/{kind}"));
    for secret in ["login-ip", "blocked", "reason", "zone", "127.0.0.1", "ja4"] {
        assert!(!reply.body.contains(secret), "the body names {secret}: {}", reply.body);
    }
    body
}

#[test]
fn allows_with_rate_limit_headers_then_throttles_with_retry_after() {
    let (addr, calls) = protected_login(engine(LOGIN_IP), ContextConfig::default());
    let login = json!({"username": "alice", "password": "x"});

    let first = post(addr, "/login", &[], login.clone());
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.json()["status"], "ok");
    let policy = first.header("ratelimit-policy").unwrap();
    assert!(policy.starts_with("\"login-ip\";q=2;w="), "{policy}");
    assert!(
        first.header("ratelimit").unwrap().starts_with("\"login-ip\";r=1;t="),
        "{first:?}"
    );

    assert_eq!(post(addr, "/login", &[], login.clone()).status, 200);

    let third = post(addr, "/login", &[], login);
    assert_problem(&third, 429, "throttled");
    let retry: u64 = third.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1, "{third:?}");
    assert!(third.header("ratelimit-policy").is_some(), "{third:?}");
    assert!(third.header("ratelimit").unwrap().contains(";r=0;"), "{third:?}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the handler is not called on a refusal"
    );

    // Unprotected routes are untouched.
    let ok = send(addr, "GET", "/ok", &[], "");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.header("ratelimit"), None);
}

#[test]
fn deny_zone_answers_403_problem_json_without_calling_the_handler() {
    let toml = r#"
[[zones]]
name = "blocked"
events = ["otp_send"]
cidrs = ["127.0.0.0/8"]
action = "deny"
"#;
    let (addr, calls) = protected_login(engine(toml), ContextConfig::default());
    let reply = post(addr, "/otp/send", &[], json!({"phone": "+15555550100"}));
    let body = assert_problem(&reply, 403, "denied");
    assert!(body.get("challenge").is_none());
    assert_eq!(reply.header("retry-after"), None);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // The zone applies to OTP sends only: a protected login goes through.
    assert_eq!(post(addr, "/login", &[], json!({})).status, 200);
}

#[test]
fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    let toml = format!("{LOGIN_IP}\n[[zones]]\nname = \"blocked\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"\n");
    let (addr, _) = protected_login(engine(&toml), ContextConfig::default());
    // A spoofed address in a deny zone does not get the real peer denied...
    let spoofed = post(addr, "/login", &[("X-Forwarded-For", "198.51.100.7")], json!({}));
    assert_eq!(spoofed.status, 200, "{spoofed:?}");
    // ...and rotating spoofed addresses does not escape the per-IP limit.
    assert_eq!(
        post(addr, "/login", &[("X-Forwarded-For", "203.0.113.1")], json!({})).status,
        200
    );
    let third = post(addr, "/login", &[("X-Forwarded-For", "203.0.113.2")], json!({}));
    assert_eq!(third.status, 429, "{third:?}");

    // The same header from a trusted proxy is believed.
    let (trusted, _) = protected_login(engine(&toml), trusting_loopback());
    let denied = post(trusted, "/login", &[("X-Forwarded-For", "198.51.100.7")], json!({}));
    assert_problem(&denied, 403, "denied");
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let reply = post(trusted, "/login", &[("X-Forwarded-For", client)], json!({}));
        assert_eq!(reply.status, 200, "each forwarded client has its own quota: {reply:?}");
    }
}

/// `/whoami` reports the context the guard sees.
fn whoami(context: ContextConfig) -> SocketAddr {
    let tollgate = Tollgate::new(engine(""), context);
    serve(move || {
        App::new().wrap(tollgate.clone()).route(
            "/whoami",
            web::get().to(|guard: Guard| async move {
                let cx = guard.context();
                HttpResponse::Ok().json(json!({
                    "ip": cx.client.addr.to_string(),
                    "ja4": cx.ja4.map(|j| j.as_str().to_owned()),
                }))
            }),
        )
    })
}

#[test]
fn fingerprint_headers_from_an_untrusted_peer_are_ignored() {
    let headers = [("x-ja4", JA4), ("X-Forwarded-For", "198.51.100.7")];
    let untrusted = send(whoami(ContextConfig::default()), "GET", "/whoami", &headers, "").json();
    assert_eq!(untrusted["ip"], "127.0.0.1");
    assert_eq!(untrusted["ja4"], Value::Null);

    let trusted = send(whoami(trusting_loopback()), "GET", "/whoami", &headers, "").json();
    assert_eq!(trusted["ip"], "198.51.100.7");
    assert_eq!(trusted["ja4"], JA4);

    // A limit keyed on JA4 cannot be aimed at through the header.
    let toml = r#"
[[limits]]
name = "otp-ja4"
events = ["otp_send"]
key = ["ja4"]
rate = "1/hour"
burst = 1
"#;
    let (addr, _) = protected_login(engine(toml), ContextConfig::default());
    for _ in 0..3 {
        let reply = post(addr, "/otp/send", &[("x-ja4", JA4)], json!({}));
        assert_eq!(reply.status, 200, "{reply:?}");
    }
    let (trusted, _) = protected_login(engine(toml), trusting_loopback());
    assert_eq!(post(trusted, "/otp/send", &[("x-ja4", JA4)], json!({})).status, 200);
    assert_problem(
        &post(trusted, "/otp/send", &[("x-ja4", JA4)], json!({})),
        429,
        "throttled",
    );
}

#[derive(serde::Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// The example contract's login: the guard evaluates the business event,
/// a known-compromised password is flagged, outcomes are recorded.
async fn guarded_login(guard: Guard, body: web::Json<Login>) -> actix_web::Result<HttpResponse> {
    let compromised = body.password == "password123";
    let allowed = guard.evaluate(EventKind::Login, |event| {
        event
            .with_user(body.username.as_str())
            .with_compromised_password(compromised)
    })?;
    let ok = body.password == "correct horse";
    let mut response = if ok {
        HttpResponse::Ok().json(json!({"status": "ok"}))
    } else {
        HttpResponse::Unauthorized().json(json!({"status": "invalid_credentials"}))
    };
    allowed.add_headers(&mut response);
    if ok {
        guard.succeeded(allowed.event())
    } else {
        guard.failed(allowed.event())
    }
    Ok(response)
}

const LOGIN_USER: &str = r#"
[[limits]]
name = "login-user"
events = ["login"]
key = ["user"]
rate = "1/hour"
burst = 2
"#;

fn guarded(engine: Arc<Engine>) -> SocketAddr {
    let tollgate = Tollgate::from_engine(engine);
    serve(move || {
        App::new()
            .wrap(tollgate.clone())
            .route("/login", web::post().to(guarded_login))
    })
}

#[test]
fn guard_challenges_a_compromised_password_with_401() {
    let addr = guarded(engine(LOGIN_USER));
    let reply = post(
        addr,
        "/login",
        &[],
        json!({"username": "bob", "password": "password123"}),
    );
    let body = assert_problem(&reply, 401, "challenge");
    assert_eq!(
        body["challenge"],
        json!({"step_up": "second_factor", "methods": ["passkey", "totp"]})
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(
        !reply.body.contains("compromised") && !reply.body.contains("password"),
        "{}",
        reply.body
    );
}

#[test]
fn guard_allows_then_throttles_the_business_event() {
    let addr = guarded(engine(LOGIN_USER));
    let wrong = json!({"username": "carol", "password": "wrong"});
    let first = post(addr, "/login", &[], wrong.clone());
    assert_eq!(first.status, 401, "{first:?}");
    assert_eq!(first.json()["status"], "invalid_credentials");
    assert!(
        first.header("ratelimit").unwrap().starts_with("\"login-user\";r=1;"),
        "{first:?}"
    );
    let ok = post(
        addr,
        "/login",
        &[],
        json!({"username": "carol", "password": "correct horse"}),
    );
    assert_eq!(ok.status, 200, "{ok:?}");
    let third = post(addr, "/login", &[], wrong);
    assert_problem(&third, 429, "throttled");
    assert!(third.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // Another account is not affected.
    let dave = post(addr, "/login", &[], json!({"username": "dave", "password": "wrong"}));
    assert_eq!(dave.status, 401, "{dave:?}");
}

#[test]
fn guard_without_the_middleware_is_a_clear_500() {
    let addr = serve(|| App::new().route("/login", web::post().to(guarded_login)));
    let reply = post(addr, "/login", &[], json!({"username": "erin", "password": "x"}));
    assert_eq!(reply.status, 500, "{reply:?}");
    assert!(reply.body.contains("Tollgate middleware"), "{}", reply.body);
}

#[test]
fn guard_on_a_protected_route_does_not_spend_the_ip_quota_twice() {
    let policy = format!("{LOGIN_IP}\n{LOGIN_USER}");
    let tollgate = Tollgate::from_engine(engine(&policy)).protect("/login", EventKind::Login);
    let addr = serve(move || {
        App::new()
            .wrap(tollgate.clone())
            .route("/login", web::post().to(guarded_login))
    });
    let first = post(addr, "/login", &[], json!({"username": "frank", "password": "wrong"}));
    assert_eq!(first.status, 401, "{first:?}");
    // Two requests fit the IP's burst of 2 although each is evaluated by the
    // middleware and by the guard.
    let second = post(
        addr,
        "/login",
        &[],
        json!({"username": "grace", "password": "correct horse"}),
    );
    assert_eq!(second.status, 200, "{second:?}");
    let third = post(
        addr,
        "/login",
        &[],
        json!({"username": "heidi", "password": "correct horse"}),
    );
    assert_problem(&third, 429, "throttled");
}

#[actix_web::test]
async fn a_request_without_a_peer_is_a_500_naming_the_misconfiguration() {
    use actix_web::test;
    let tollgate = Tollgate::from_engine(engine(LOGIN_IP)).protect("/login", EventKind::Login);
    let app = test::init_service(
        App::new()
            .wrap(tollgate)
            .route("/login", web::post().to(HttpResponse::Ok)),
    )
    .await;
    let response = test::call_service(&app, test::TestRequest::post().uri("/login").to_request()).await;
    assert_eq!(response.status(), 500);
    let body: Value = test::read_body_json(response).await;
    assert_eq!(body["type"], "urn:tollgate:problem/misconfigured");
    assert!(body["detail"].as_str().unwrap().contains("peer"));
}

#[actix_web::test]
async fn protect_method_evaluates_only_that_method() {
    use actix_web::http::Method;
    use actix_web::test;
    let tollgate = Tollgate::from_engine(engine(LOGIN_IP)).protect_method(Method::POST, "/login", EventKind::Login);
    let app = test::init_service(App::new().wrap(tollgate).route(
        "/login",
        web::route().to(|guard: Guard| async move {
            let admitted = guard.evaluate(EventKind::Signup, |e| e).unwrap();
            let mut response = HttpResponse::Ok();
            for header in admitted.headers() {
                response.insert_header(header);
            }
            response.json(json!({"pre_auth": guard.pre_auth().is_some()}))
        }),
    ))
    .await;
    let peer = "192.0.2.1:4000".parse().unwrap();
    for (method, pre_auth) in [(Method::GET, false), (Method::POST, true)] {
        let request = test::TestRequest::default()
            .method(method)
            .uri("/login")
            .peer_addr(peer);
        let response = test::call_service(&app, request.to_request()).await;
        assert_eq!(response.status(), 200);
        let limited = response.headers().contains_key("ratelimit");
        assert_eq!(
            limited, pre_auth,
            "RateLimit fields come from the pre-auth decision only"
        );
        let body: Value = test::read_body_json(response).await;
        assert_eq!(body["pre_auth"], pre_auth);
    }
}

/// What the ALTCHA widget sends for a `challenge.pow`: the number found by
/// brute force, in base64 JSON (built by hand: this crate has no base64).
fn solved_pow_header(pow: &Value) -> String {
    let salt = pow["salt"].as_str().unwrap();
    let challenge = pow["challenge"].as_str().unwrap();
    let number = (0..=pow["maxnumber"].as_u64().unwrap())
        .find(|n| tollgate::pow::hash_hex(&format!("{salt}{n}")) == challenge)
        .unwrap();
    let payload = json!({
        "algorithm": pow["algorithm"],
        "challenge": challenge,
        "number": number,
        "salt": salt,
        "signature": pow["signature"],
    })
    .to_string();
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in payload.as_bytes().chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[test]
fn a_solved_proof_of_work_passes_the_middleware_and_the_guard_once() {
    let toml =
        "[[zones]]\nname = \"loopback\"\nevents = [\"login\"]\ncidrs = [\"127.0.0.0/8\"]\naction = \"challenge\"\n";
    let engine = Engine::builder(Policy::from_toml(toml).unwrap())
        .proof_of_work(
            tollgate::pow::PowConfig::new(tollgate::pow::PowSecret::new(*b"actix test proof-of-work secret!").unwrap())
                .with_difficulty(100, 2_000)
                .unwrap(),
        )
        .build()
        .unwrap();
    // Protected by the middleware and evaluated again by the Guard.
    let tollgate = Tollgate::from_engine(Arc::new(engine)).protect("/login", EventKind::Login);
    let addr = serve(move || {
        App::new()
            .wrap(tollgate.clone())
            .route("/login", web::post().to(guarded_login))
    });
    let login = json!({"username": "alice", "password": "correct horse"});
    let first = post(addr, "/login", &[], login.clone());
    let body = assert_problem(&first, 401, "challenge");
    assert_eq!(body["challenge"]["step_up"], "proof_of_work");
    let header = solved_pow_header(&body["challenge"]["pow"]);

    let solved = post(addr, "/login", &[("x-tollgate-pow", header.as_str())], login.clone());
    assert_eq!(solved.status, 200, "{solved:?}");
    let replay = post(addr, "/login", &[("x-tollgate-pow", header.as_str())], login.clone());
    assert_problem(&replay, 401, "challenge");
    let garbage = post(addr, "/login", &[("x-tollgate-pow", "%%%")], login);
    assert_problem(&garbage, 401, "challenge");
}
