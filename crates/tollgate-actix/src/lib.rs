//! actix-web adapter for [tollgate]: the [`Tollgate`] middleware
//! enforces pre-authentication limits before handlers run, and the
//! [`Guard`] extractor lets handlers evaluate the business event once they
//! know the username or phone number. Refusals are the same responses as in
//! every tollgate adapter (see [`tollgate_tower::response`]): 429 with
//! `Retry-After` and RateLimit headers, 403 and 401 (challenge) with
//! `application/problem+json` bodies that never say which signal fired; the
//! reasons go to the server log through `tracing`.
//!
//! The engine's store may be any [`AsyncStore`](tollgate::store::AsyncStore)
//! (Redis): the middleware awaits it on protected routes, and handlers
//! extract `Guard<TheStore>` and call
//! [`evaluate_async`](tollgate_tower::GuardCore::evaluate_async) and the
//! `*_async` outcome helpers (`guard.login_failed_async(user).await`). While
//! the store is unavailable, the policy's `[store] on_failure` decides.
//!
//! ```
//! use std::sync::Arc;
//! use actix_web::{App, HttpResponse, test, web};
//! use tollgate::{Engine, EventKind};
//! use tollgate::policy::Policy;
//! use tollgate_actix::{Guard, Tollgate};
//!
//! async fn login(guard: Guard, body: web::Json<serde_json::Value>) -> actix_web::Result<HttpResponse> {
//!     let user = body["username"].as_str().unwrap_or_default().to_owned();
//!     let admitted = guard.evaluate(EventKind::Login, |event| event.with_user(user))?;
//!     // ... check the password, then tell the engine how it went:
//!     guard.failed(admitted.event());
//!     Ok(HttpResponse::Unauthorized().json(serde_json::json!({"status": "invalid_credentials"})))
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let engine = Arc::new(Engine::new(Policy::default())?);
//! let app = test::init_service(
//!     App::new()
//!         .wrap(Tollgate::from_engine(engine).protect("/otp/*", EventKind::OtpSend { channel: tollgate::Channel::Sms }))
//!         .route("/login", web::post().to(login)),
//! )
//! .await;
//! let request = test::TestRequest::post()
//!     .uri("/login")
//!     .peer_addr("203.0.113.7:50000".parse()?)
//!     .set_json(serde_json::json!({"username": "alice", "password": "hunter2"}))
//!     .to_request();
//! let response = test::call_service(&app, request).await;
//! assert_eq!(response.status(), 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! In a server, build the [`Tollgate`] once and `.wrap(tollgate.clone())`
//! in the `HttpServer::new` closure, so all workers share the engine (the
//! README's example; the `tls` module, feature `tls`, serves it with
//! native TLS fingerprints).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod guard;
mod middleware;
mod response;
#[cfg(feature = "tls")]
pub mod tls;

pub use guard::{Actix, Admitted, Guard, MissingMiddleware, Refusal};
pub use middleware::{Tollgate, TollgateMiddleware, socket_peer};
pub use response::{add_rate_limit_headers, rejection_response};
pub use tollgate_tower::context::{ContextConfig, RequestContext};
pub use tollgate_tower::response::{Rejection, ResponseConfig};
pub use tollgate_tower::{ConnectionFingerprints, PreAuth, TollgateHandle, log_store_transition};
