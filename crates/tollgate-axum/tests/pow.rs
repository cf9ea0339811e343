#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! Proof of work over HTTP, through the layer and the Guard behind
//! `axum::serve` on 127.0.0.1: the 401 carries ALTCHA's challenge, the
//! solved `x-tollgate-pow` header lets one request through, its replay is
//! refused, and a malformed header is no solution (never a 500).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine as _;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tollgate::policy::Policy;
use tollgate::pow::{PowConfig, PowSecret, hash_hex};
use tollgate::{Engine, EventKind};
use tollgate_axum::{Guard, Refusal};

/// Logins from loopback are challenged by a network zone (automation
/// class); a compromised password adds an account-risk challenge.
const POLICY: &str = r#"
[[zones]]
name = "loopback"
events = ["login"]
cidrs = ["127.0.0.0/8"]
action = "challenge"
"#;

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
    Ok((admitted, Json(serde_json::json!({"status": "ok"}))))
}

async fn serve() -> SocketAddr {
    let engine = Engine::builder(Policy::from_toml(POLICY).unwrap())
        .proof_of_work(
            PowConfig::new(PowSecret::new(*b"http test proof-of-work secret!!").unwrap())
                .with_difficulty(100, 2_000)
                .unwrap(),
        )
        .build()
        .unwrap();
    let app = Router::new()
        .route("/login", post(login))
        .layer(tollgate_axum::layer(Arc::new(engine)).protect("/login", EventKind::Login));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .unwrap();
    });
    addr
}

async fn post_login(addr: SocketAddr, body: &str, pow: Option<&str>) -> (u16, serde_json::Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder()
        .method("POST")
        .uri(format!("http://{addr}/login"))
        .header("content-type", "application/json");
    if let Some(pow) = pow {
        request = request.header("x-tollgate-pow", pow);
    }
    let response = client
        .request(request.body(Full::new(Bytes::from(body.to_owned()))).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

/// What the ALTCHA widget does with `challenge.pow`: find the number, then
/// base64 the payload.
fn solve(pow: &serde_json::Value) -> String {
    let salt = pow["salt"].as_str().unwrap();
    let challenge = pow["challenge"].as_str().unwrap();
    let number = (0..=pow["maxnumber"].as_u64().unwrap())
        .find(|n| hash_hex(&format!("{salt}{n}")) == challenge)
        .unwrap();
    let payload = serde_json::json!({
        "algorithm": pow["algorithm"],
        "challenge": challenge,
        "number": number,
        "salt": salt,
        "signature": pow["signature"],
        "took": 12,
    });
    base64::engine::general_purpose::STANDARD.encode(payload.to_string())
}

#[tokio::test]
async fn a_solved_challenge_passes_once_over_http() {
    let addr = serve().await;
    let alice = r#"{"username":"alice"}"#;
    let (status, body) = post_login(addr, alice, None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["challenge"]["step_up"], "proof_of_work");
    let pow = &body["challenge"]["pow"];
    assert_eq!(pow["algorithm"], "SHA-256");
    let keys: Vec<&String> = pow.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "exactly ALTCHA's members: {keys:?}");
    let header = solve(pow);

    // The layer and the handler both evaluate the request: one claim.
    let (status, body) = post_login(addr, alice, Some(&header)).await;
    assert_eq!((status, &body["status"]), (200, &serde_json::json!("ok")), "{body}");

    let (status, body) = post_login(addr, alice, Some(&header)).await;
    assert_eq!(status, 401, "the replay is refused: {body}");
    assert_ne!(
        body["challenge"]["pow"]["challenge"], pow["challenge"],
        "with a fresh challenge"
    );
}

#[tokio::test]
async fn malformed_headers_are_no_solution() {
    let addr = serve().await;
    for header in ["", "%%%", "e30=", "bm90IGpzb24="] {
        let (status, body) = post_login(addr, r#"{"username":"bob"}"#, Some(header)).await;
        assert_eq!(status, 401, "{header:?}: {body}");
        assert_eq!(body["challenge"]["step_up"], "proof_of_work");
    }
}

#[tokio::test]
async fn a_solution_never_passes_an_account_risk_challenge() {
    let addr = serve().await;
    let (_, body) = post_login(addr, r#"{"username":"carol"}"#, None).await;
    let header = solve(&body["challenge"]["pow"]);
    // The layer admits (the solution clears the zone); the handler's
    // evaluation adds the compromised password: a second factor is needed.
    let (status, body) = post_login(addr, r#"{"username":"carol","compromised":true}"#, Some(&header)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["challenge"]["step_up"], "second_factor");
    assert!(body["challenge"].get("pow").is_none());
}
