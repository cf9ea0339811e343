#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The layer and the Guard behind `axum::serve` on 127.0.0.1, driven by a
//! real HTTP client. The engine reads the real clock, so limits are sized
//! to be timing-proof: burst 2 at 1/hour throttles the third request.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use http::{HeaderMap, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tollgate::policy::Policy;
use tollgate::{Engine, EventKind};
use tollgate_axum::{Guard, Refusal};

const JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";

#[derive(serde::Deserialize)]
struct Login {
    username: String,
    #[serde(default)]
    compromised: bool,
}

async fn login(guard: Guard, Json(body): Json<Login>) -> Result<impl IntoResponse, Refusal> {
    let admitted = guard.evaluate(EventKind::Login, |e| {
        e.with_user(body.username.as_str())
            .with_compromised_password(body.compromised)
    })?;
    guard.login_succeeded(&body.username);
    Ok((admitted, Json(serde_json::json!({"status": "ok"}))))
}

fn app(policy: &str) -> Router {
    let engine = Arc::new(Engine::new(Policy::from_toml(policy).unwrap()).unwrap());
    Router::new()
        .route("/hello", get(|| async { "hi" }))
        .route("/login", post(login))
        .route("/signup", post(|| async { "created" }))
        .layer(
            tollgate_axum::layer(engine)
                .protect("/login", EventKind::Login)
                .protect("/signup", EventKind::Signup),
        )
}

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
rate = "1/h"
burst = 2
"#;

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    addr
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

async fn send(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body.to_owned()))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

async fn login_as(addr: SocketAddr, user: &str, headers: &[(&str, &str)]) -> Reply {
    send(addr, "POST", "/login", headers, &format!(r#"{{"username":"{user}"}}"#)).await
}

#[tokio::test]
async fn allow_then_throttle_with_retry_after_and_rate_limit_headers() {
    let addr = serve(app(POLICY)).await;
    let first = login_as(addr, "alice", &[]).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.json()["status"], "ok");
    assert_eq!(first.header("ratelimit-policy"), Some("\"login-ip\";q=2;w=7200"));
    assert!(
        first.header("ratelimit").unwrap().starts_with("\"login-ip\";r=1;"),
        "{first:?}"
    );

    // The layer and the Guard evaluate the same login: the IP is charged once.
    let second = login_as(addr, "bob", &[]).await;
    assert_eq!(second.status, 200, "{second:?}");
    assert!(second.header("ratelimit").unwrap().starts_with("\"login-ip\";r=0;"));

    let third = login_as(addr, "carol", &[]).await;
    assert_eq!(third.status, 429, "{third:?}");
    let retry: u64 = third.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(third.header("content-type"), Some("application/problem+json"));
    assert!(third.header("ratelimit-policy").is_some());
    assert!(third.header("ratelimit").unwrap().starts_with("\"login-ip\";r=0;"));
    let body = third.json();
    assert_eq!(body["status"], 429);
    assert_eq!(body["type"], "urn:tollgate:problem/throttled");
    assert!(!third.body.contains("login-ip"), "the body does not name the rule");

    // Unprotected routes behind the layer are untouched.
    let hello = send(addr, "GET", "/hello", &[], "").await;
    assert_eq!(hello.status, 200);
    assert_eq!(hello.body, "hi");
    assert!(hello.header("ratelimit").is_none());
}

#[tokio::test]
async fn deny_zone_is_403_problem_json() {
    let addr = serve(app(POLICY)).await;
    let reply = send(addr, "POST", "/signup", &[], "{}").await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    let body = reply.json();
    assert_eq!(body["type"], "urn:tollgate:problem/denied");
    assert_eq!(body["status"], 403);
    assert!(!reply.body.contains("loopback"), "the body does not name the zone");
}

#[tokio::test]
async fn compromised_password_is_a_401_challenge_from_the_guard() {
    let addr = serve(app(POLICY)).await;
    let reply = send(addr, "POST", "/login", &[], r#"{"username":"dave","compromised":true}"#).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some("application/problem+json"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    assert_eq!(body["type"], "urn:tollgate:problem/challenge");
    assert_eq!(
        body["challenge"],
        serde_json::json!({"step_up": "second_factor", "methods": ["passkey", "totp"]})
    );
}

#[tokio::test]
async fn spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let addr = serve(app(POLICY)).await;
    let mut statuses = Vec::new();
    for fake in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        statuses.push(login_as(addr, "erin", &[("x-forwarded-for", fake)]).await.status);
    }
    assert_eq!(statuses, [200, 200, 429], "the limit keys on the real peer");

    // Control: from a trusted proxy, each forwarded client has its own quota.
    let trusted = format!("[network]\ntrusted_proxies = [\"127.0.0.1/32\"]\n{POLICY}");
    let addr = serve(app(&trusted)).await;
    let mut statuses = Vec::new();
    for fake in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        statuses.push(login_as(addr, "erin", &[("x-forwarded-for", fake)]).await.status);
    }
    assert_eq!(statuses, [200, 200, 200]);
}

const JA4_POLICY: &str = r#"
[[limits]]
name = "login-ja4"
events = ["login"]
key = ["ja4"]
rate = "1/h"
burst = 1
"#;

#[tokio::test]
async fn fingerprint_header_from_an_untrusted_peer_is_ignored() {
    let addr = serve(app(JA4_POLICY)).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(login_as(addr, "frank", &[("x-ja4", JA4)]).await.status);
    }
    assert_eq!(statuses, [200, 200, 200], "no JA4 believed: the rule counts nothing");

    // Control: the same header from a trusted proxy is the key.
    let trusted = format!("[network]\ntrusted_proxies = [\"127.0.0.1/32\"]\n{JA4_POLICY}");
    let addr = serve(app(&trusted)).await;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        statuses.push(login_as(addr, "frank", &[("x-ja4", JA4)]).await.status);
    }
    assert_eq!(statuses, [200, 429]);
}

#[tokio::test]
async fn guard_without_layer_is_a_500_naming_the_misconfiguration() {
    let app = Router::new().route("/login", post(login));
    let addr = serve(app).await;
    let reply = login_as(addr, "gina", &[]).await;
    assert_eq!(reply.status, 500);
    assert!(reply.body.contains("TollgateLayer"), "{}", reply.body);
}

#[tokio::test]
async fn missing_connect_info_is_a_500() {
    use tower::ServiceExt;
    let request = Request::builder().uri("/hello").body(Body::empty()).unwrap();
    let reply = app(POLICY).oneshot(request).await.unwrap();
    assert_eq!(reply.status(), 500);
}

#[tokio::test]
async fn the_guards_tighter_quota_is_the_one_reported() {
    let policy = r#"
[[limits]]
name = "login-ip"
events = ["login"]
key = ["ip"]
rate = "1/h"
burst = 5

[[limits]]
name = "login-user"
events = ["login"]
key = ["user"]
rate = "1/h"
burst = 1
"#;
    let addr = serve(app(policy)).await;
    let first = login_as(addr, "hank", &[]).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert!(
        first.header("ratelimit").unwrap().starts_with("\"login-user\";r=0;"),
        "{first:?}"
    );
    let second = login_as(addr, "hank", &[]).await;
    assert_eq!(second.status, 429, "{second:?}");
    let other = login_as(addr, "ivy", &[]).await;
    assert_eq!(other.status, 200, "{other:?}");
}
