#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! One table of request sequences run against an actix-web app and an axum
//! app built the same way on the same policy, each served on 127.0.0.1:0 and
//! driven by the same minimal HTTP client: every response must match
//! (status, content type, `Retry-After`, RateLimit fields, cache control,
//! body).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use tollgate::policy::Policy;
use tollgate::{Channel, Engine, EventKind};

mod common;
use common::{Reply, send};

const JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";
/// Values a client sends to look like someone else.
const CLIENT_JA4: [&str; 2] = [
    "t13d0000h2_000000000000_000000000000",
    "t13d0000h2_111111111111_111111111111",
];
const CORRECT: &str = "correct horse";
const COMPROMISED: &str = "password123";

const POLICY: &str = r#"
[[zones]]
name = "loopback-signups"
events = ["signup"]
cidrs = ["127.0.0.0/8"]
action = "deny"

[[limits]]
name = "login-ip"
events = ["login"]
key = ["ip"]
rate = "1/hour"
burst = 2

[[limits]]
name = "login-user"
events = ["login"]
key = ["user"]
rate = "1/hour"
burst = 2

[[limits]]
name = "otp-ja4"
events = ["otp_send"]
key = ["ja4"]
rate = "1/hour"
burst = 1

# Only the JA4 limit may answer the OTP sequences: no resend backoff.
[otp]
resend = []
"#;

fn policy(trusted: bool) -> String {
    if trusted {
        format!("[network]\ntrusted_proxies = [\"127.0.0.1/32\"]\n{POLICY}")
    } else {
        POLICY.to_owned()
    }
}

fn engine(trusted: bool) -> Arc<Engine> {
    Arc::new(Engine::new(Policy::from_toml(&policy(trusted)).unwrap()).unwrap())
}

const OTP_SMS: EventKind = EventKind::OtpSend { channel: Channel::Sms };

#[derive(serde::Deserialize)]
struct Login {
    username: String,
    password: String,
}

#[derive(serde::Deserialize)]
struct OtpSend {
    username: String,
}

mod actix {
    use super::*;
    use actix_web::{App, HttpResponse, web};
    use tollgate_actix::{Guard, Tollgate};

    async fn login(guard: Guard, body: web::Json<Login>) -> actix_web::Result<HttpResponse> {
        let admitted = guard.evaluate(EventKind::Login, |e| {
            e.with_user(body.username.as_str())
                .with_compromised_password(body.password == COMPROMISED)
        })?;
        let mut response = if body.password == CORRECT {
            guard.succeeded(admitted.event());
            HttpResponse::Ok().json(json!({"status": "ok"}))
        } else {
            guard.failed(admitted.event());
            HttpResponse::Unauthorized().json(json!({"status": "invalid_credentials"}))
        };
        admitted.add_headers(&mut response);
        Ok(response)
    }

    async fn otp_send(guard: Guard, body: web::Json<OtpSend>) -> actix_web::Result<HttpResponse> {
        let admitted = guard.evaluate(OTP_SMS, |e| e.with_user(body.username.as_str()))?;
        let mut response = HttpResponse::Accepted().json(json!({"status": "sent"}));
        admitted.add_headers(&mut response);
        Ok(response)
    }

    pub(super) fn start(trusted: bool) -> SocketAddr {
        let tollgate = Tollgate::from_engine(engine(trusted))
            .protect("/login", EventKind::Login)
            .protect("/signup", EventKind::Signup)
            .protect("/otp/*", OTP_SMS);
        common::serve(move || {
            App::new()
                .wrap(tollgate.clone())
                .route(
                    "/hello",
                    web::get().to(|| async { HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("hi") }),
                )
                .route("/login", web::post().to(login))
                .route(
                    "/signup",
                    web::post().to(|| async { HttpResponse::Ok().json(json!({"status": "created"})) }),
                )
                .route("/otp/send", web::post().to(otp_send))
        })
    }
}

mod axum_app {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use tollgate_axum::Guard;

    async fn login(guard: Guard, Json(body): Json<Login>) -> Response {
        let admitted = match guard.evaluate(EventKind::Login, |e| {
            e.with_user(body.username.as_str())
                .with_compromised_password(body.password == COMPROMISED)
        }) {
            Ok(admitted) => admitted,
            Err(refusal) => return refusal.into_response(),
        };
        if body.password == CORRECT {
            guard.succeeded(admitted.event());
            (admitted, Json(json!({"status": "ok"}))).into_response()
        } else {
            guard.failed(admitted.event());
            (
                StatusCode::UNAUTHORIZED,
                admitted,
                Json(json!({"status": "invalid_credentials"})),
            )
                .into_response()
        }
    }

    async fn otp_send(guard: Guard, Json(body): Json<OtpSend>) -> Response {
        match guard.evaluate(OTP_SMS, |e| e.with_user(body.username.as_str())) {
            Ok(admitted) => (StatusCode::ACCEPTED, admitted, Json(json!({"status": "sent"}))).into_response(),
            Err(refusal) => refusal.into_response(),
        }
    }

    pub(super) fn start(trusted: bool) -> SocketAddr {
        let app = Router::new()
            .route("/hello", get(|| async { "hi" }))
            .route("/login", post(login))
            .route("/signup", post(|| async { Json(json!({"status": "created"})) }))
            .route("/otp/send", post(otp_send))
            .layer(
                tollgate_axum::layer(engine(trusted))
                    .protect("/login", EventKind::Login)
                    .protect("/signup", EventKind::Signup)
                    .protect("/otp/*", OTP_SMS),
            );
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
                    .await
                    .unwrap();
            });
        });
        rx.recv_timeout(Duration::from_secs(10)).unwrap()
    }
}

/// One request of a sequence.
struct Step {
    method: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: Value,
    /// The status both frameworks must answer.
    status: u16,
}

fn get(path: &'static str, status: u16) -> Step {
    Step {
        method: "GET",
        path,
        headers: Vec::new(),
        body: Value::Null,
        status,
    }
}

fn login(user: &str, password: &str, headers: &[(&'static str, &'static str)], status: u16) -> Step {
    Step {
        method: "POST",
        path: "/login",
        headers: headers.to_vec(),
        body: json!({"username": user, "password": password}),
        status,
    }
}

fn post(path: &'static str, body: Value, headers: &[(&'static str, &'static str)], status: u16) -> Step {
    Step {
        method: "POST",
        path,
        headers: headers.to_vec(),
        body,
        status,
    }
}

/// The shared table: (name, policy trusts the loopback peer as a proxy, steps).
fn table() -> Vec<(&'static str, bool, Vec<Step>)> {
    let otp = || json!({"username": "ivan"});
    vec![
        (
            "allow, then throttle by IP",
            false,
            vec![
                login("alice", "wrong", &[], 401),
                login("bob", CORRECT, &[], 200),
                login("carol", CORRECT, &[], 429),
                get("/hello", 200),
            ],
        ),
        (
            "compromised password is a challenge",
            false,
            vec![login("dave", COMPROMISED, &[], 401)],
        ),
        (
            "deny zone on sign-up",
            false,
            vec![post("/signup", json!({}), &[], 403), get("/hello", 200)],
        ),
        (
            "spoofed X-Forwarded-For from an untrusted peer is ignored",
            false,
            vec![
                login("erin", "wrong", &[("X-Forwarded-For", "198.51.100.1")], 401),
                login("frank", "wrong", &[("X-Forwarded-For", "198.51.100.2")], 401),
                login("grace", "wrong", &[("X-Forwarded-For", "198.51.100.3")], 429),
            ],
        ),
        (
            "X-Forwarded-For from a trusted proxy is believed",
            true,
            vec![
                login("erin", "wrong", &[("X-Forwarded-For", "198.51.100.1")], 401),
                login("frank", "wrong", &[("X-Forwarded-For", "198.51.100.2")], 401),
                login("grace", "wrong", &[("X-Forwarded-For", "198.51.100.3")], 401),
                post("/signup", json!({}), &[("X-Forwarded-For", "198.51.100.4")], 200),
            ],
        ),
        (
            "the account's limit through the guard",
            true,
            vec![
                login("heidi", "wrong", &[("X-Forwarded-For", "203.0.113.1")], 401),
                login("heidi", "wrong", &[("X-Forwarded-For", "203.0.113.2")], 401),
                login("heidi", "wrong", &[("X-Forwarded-For", "203.0.113.3")], 429),
            ],
        ),
        (
            "fingerprint header from an untrusted peer is ignored",
            false,
            vec![
                post("/otp/send", otp(), &[("x-ja4", JA4)], 202),
                post("/otp/send", otp(), &[("x-ja4", JA4)], 202),
                post("/otp/send", otp(), &[("x-ja4", JA4)], 202),
            ],
        ),
        (
            "fingerprint header from a trusted proxy is the key",
            true,
            vec![
                post("/otp/send", otp(), &[("x-ja4", JA4)], 202),
                post("/otp/send", otp(), &[("x-ja4", JA4)], 429),
            ],
        ),
        (
            "a client's fingerprint header before the trusted proxy's: the proxy's is the key",
            true,
            vec![
                post("/otp/send", otp(), &[("x-ja4", CLIENT_JA4[0]), ("x-ja4", JA4)], 202),
                post("/otp/send", otp(), &[("x-ja4", CLIENT_JA4[1]), ("x-ja4", JA4)], 429),
            ],
        ),
    ]
}

/// What must be identical: everything but the seconds until a quota
/// refills (`t=`), which may tick between the two servers.
fn normalize(reply: &Reply) -> Value {
    let header = |name: &str| reply.header(name).map(str::to_owned);
    let ratelimit = header("ratelimit").map(|v| v.split(";t=").next().unwrap_or_default().to_owned());
    let retry_after = header("retry-after").map(|v| v.parse::<u64>().unwrap() >= 1);
    let body = serde_json::from_str::<Value>(&reply.body).unwrap_or_else(|_| Value::String(reply.body.clone()));
    json!({
        "status": reply.status,
        "content-type": header("content-type"),
        "retry-after>=1": retry_after,
        "ratelimit-policy": header("ratelimit-policy"),
        "ratelimit": ratelimit,
        "cache-control": header("cache-control"),
        "body": body,
    })
}

fn run(addr: SocketAddr, step: &Step) -> Reply {
    let body = if step.body.is_null() {
        String::new()
    } else {
        step.body.to_string()
    };
    send(addr, step.method, step.path, &step.headers, &body)
}

#[test]
fn actix_and_axum_answer_every_sequence_identically() {
    for (name, trusted, steps) in table() {
        let actix = actix::start(trusted);
        let axum = axum_app::start(trusted);
        for (i, step) in steps.iter().enumerate() {
            let a = run(actix, step);
            let b = run(axum, step);
            assert_eq!(a.status, step.status, "{name}, step {i}: actix {a:?}");
            assert_eq!(
                normalize(&a),
                normalize(&b),
                "{name}, step {i} {} {}: actix vs axum",
                step.method,
                step.path
            );
        }
    }
}
