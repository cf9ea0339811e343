#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The middleware and the guard over a counter store that is down (a fake
//! `AsyncStore` that fails): `fail_closed` answers 429 before the handler,
//! `fail_open` lets the request through. In process, with actix's test
//! service.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, HttpResponse, web};
use tollgate::policy::Policy;
use tollgate::store::{AsyncStore, Op, OpResult, StoreError};
use tollgate::{Engine, EventKind, Timestamp};
use tollgate_actix::{Guard, Refusal, Tollgate};

#[derive(Debug)]
struct Down;

impl AsyncStore for Down {
    async fn execute(&self, _at: Timestamp, _ops: &[Op], _results: &mut [OpResult]) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

async fn login(guard: Guard<Down>) -> Result<HttpResponse, Refusal> {
    let admitted = guard.evaluate_async(EventKind::Login, |e| e.with_user("alice")).await?;
    guard.login_failed_async("alice").await;
    let codes: Vec<&str> = admitted.decision().reasons.iter().map(|r| r.code.as_str()).collect();
    Ok(HttpResponse::Ok().body(codes.join(",")))
}

fn run(store_section: &str) -> (StatusCode, String) {
    let policy = Policy::from_toml(&format!("[store]\n{store_section}")).unwrap();
    let engine = Arc::new(Engine::builder(policy).store(Down).build().unwrap());
    actix_web::rt::System::new().block_on(async move {
        let tollgate = Tollgate::from_engine(engine).protect("/login", EventKind::Login);
        let app = init_service(App::new().wrap(tollgate).route("/login", web::post().to(login))).await;
        let request = TestRequest::post()
            .uri("/login")
            .peer_addr("203.0.113.5:4000".parse().unwrap())
            .to_request();
        let response = call_service(&app, request).await;
        let status = response.status();
        let body = read_body(response).await;
        (status, String::from_utf8(body.to_vec()).unwrap())
    })
}

#[test]
fn fail_closed_answers_429() {
    assert_eq!(run(r#"on_failure = "fail_closed""#).0, StatusCode::TOO_MANY_REQUESTS);
}

#[test]
fn fail_open_passes_the_request_through() {
    assert_eq!(
        run(r#"on_failure = "fail_open""#),
        (StatusCode::OK, "store.unavailable".to_owned())
    );
}
