#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! Spellings of a protected path sent to real actix-web and axum servers on
//! 127.0.0.1: percent-encoded letters, repeated and trailing slashes, dot
//! segments, other cases, query strings, absolute-form targets. Each is
//! either refused before any handler runs (400, 404, 405) or evaluated before
//! the handler exactly as the protected path is: a client in a deny zone
//! gets 403 on every spelling that would reach the handler, and an allowed
//! one reaches it with the layer's pre-authentication record and the
//! route's limit in its RateLimit fields. Also with a path normaliser
//! (actix-web's `NormalizePath`, a tower one in front of axum's router)
//! running after tollgate, and for HEAD, which axum hands to GET handlers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tollgate::policy::Policy;
use tollgate::{Channel, Engine, EventKind, Timestamp};

mod common;
use common::{Reply, send};

const OTP_SMS: EventKind = EventKind::OtpSend { channel: Channel::Sms };

/// Every event the test protects is denied to the loopback client.
const DENY: &str = r#"
[[zones]]
name = "loopback"
events = ["login", "otp_send"]
cidrs = ["127.0.0.0/8"]
action = "deny"
"#;

/// Generous limits whose names tell which event the layer evaluated.
const ALLOW: &str = r#"
[[limits]]
name = "login-ip"
events = ["login"]
key = ["ip"]
rate = "100000/min"
burst = 100000

[[limits]]
name = "otp-ip"
events = ["otp_send"]
key = ["ip"]
rate = "100000/min"
burst = 100000
"#;

fn engine(policy: &str) -> Arc<Engine> {
    Arc::new(Engine::new(Policy::from_toml(policy).unwrap()).unwrap())
}

fn fixed_clock() -> Timestamp {
    Timestamp::from_unix_millis(1_700_000_000_000)
}

/// The handlers answer 200 with `x-pre-auth: yes` when the layer's
/// pre-authentication record reached them, `no` when it did not (a bypass).
const PRE_AUTH: &str = "x-pre-auth";

/// Where tollgate sits relative to a path normaliser.
#[derive(Clone, Copy, Debug)]
enum Setup {
    /// Tollgate only.
    Plain,
    /// A normaliser (merge slashes, trim trailing ones) between tollgate and
    /// the router: the router sees another path than tollgate.
    NormaliserInside,
}

mod actix {
    use actix_web::middleware::{NormalizePath, TrailingSlash};
    use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, web};
    use tollgate_actix::{PreAuth, Tollgate};

    use super::*;

    async fn reached(req: HttpRequest) -> HttpResponse {
        let pre = if req.extensions().get::<PreAuth>().is_some() {
            "yes"
        } else {
            "no"
        };
        HttpResponse::Ok().insert_header((PRE_AUTH, pre)).body("reached")
    }

    pub(super) fn start(policy: &str, setup: Setup) -> SocketAddr {
        let tollgate = Tollgate::from_engine(engine(policy))
            .clock(fixed_clock)
            .protect_method(actix_web::http::Method::POST, "/login", EventKind::Login)
            .protect("/otp/*", OTP_SMS)
            .protect_method(actix_web::http::Method::GET, "/link", EventKind::Login);
        common::serve(move || {
            let app = App::new();
            // The last `wrap` runs first: tollgate before the normaliser.
            let normalise = matches!(setup, Setup::NormaliserInside);
            app.wrap(actix_web::middleware::Condition::new(
                normalise,
                NormalizePath::new(TrailingSlash::Trim),
            ))
            .wrap(tollgate.clone())
            .route("/login", web::post().to(reached))
            .route("/otp/{channel}", web::post().to(reached))
            .route("/link", web::get().to(reached))
        })
    }
}

mod axum_app {
    use axum::Router;
    use axum::extract::Request;
    use axum::response::{IntoResponse, Response};
    use axum::routing::{get, post};
    use tollgate_axum::PreAuth;
    use tower::Layer;

    use super::*;

    async fn reached(request: Request) -> Response {
        let pre = if request.extensions().get::<PreAuth>().is_some() {
            "yes"
        } else {
            "no"
        };
        ([(PRE_AUTH, pre)], "reached").into_response()
    }

    /// What `tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash`
    /// does: slashes merged at both ends, the trailing ones removed.
    async fn normalise(mut request: Request) -> Request {
        let path = request.uri().path();
        let trimmed = format!("/{}", path.trim_matches('/'));
        if trimmed != path {
            let target = match request.uri().query() {
                Some(query) => format!("{trimmed}?{query}"),
                None => trimmed,
            };
            let mut parts = request.uri().clone().into_parts();
            parts.path_and_query = Some(target.parse().unwrap());
            *request.uri_mut() = axum::http::Uri::from_parts(parts).unwrap();
        }
        request
    }

    pub(super) fn start(policy: &str, setup: Setup) -> SocketAddr {
        let tollgate = tollgate_axum::layer(engine(policy))
            .clock(fixed_clock)
            .protect_method(axum::http::Method::POST, "/login", EventKind::Login)
            .protect("/otp/*", OTP_SMS)
            .protect_method(axum::http::Method::GET, "/link", EventKind::Login);
        let routes = Router::new()
            .route("/login", post(reached))
            .route("/otp/{channel}", post(reached))
            .route("/link", get(reached));
        let app = match setup {
            // The usual way: the layer on the router's routes.
            Setup::Plain => routes.layer(tollgate),
            // The layer around the whole router, before routing, with the
            // normaliser between them.
            Setup::NormaliserInside => {
                let inner = axum::middleware::map_request(normalise).layer(routes);
                Router::new().fallback_service(tollgate.layer(inner))
            }
        };
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

/// Spellings of `POST /login` (and the limit that must answer them).
const LOGIN_SPELLINGS: &[&str] = &[
    "/login",
    "/%6Cogin",
    "/%6cogin",
    "/l%6Fgin",
    "/%6C%6F%67%69%6E",
    "//login",
    "///login",
    "/login/",
    "/login//",
    "/./login",
    "/%2e/login",
    "/x/../login",
    "/LOGIN",
    "/Login",
    "/login?next=/home",
    "/login?",
    "/%6Cogin?next=/home",
    "/login/?next=/home",
    "/login;jsessionid=1",
    "/login%2F",
    "/%2Flogin",
    "/login%20",
    "http://127.0.0.1/login",
    "http://127.0.0.1/%6Cogin",
    "http://127.0.0.1//login/",
];

/// Spellings of `POST /otp/sms`, under the `/otp/*` prefix.
const OTP_SPELLINGS: &[&str] = &[
    "/otp/sms",
    "/%6Ftp/sms",
    "/otp%2Fsms",
    "//otp/sms",
    "/otp//sms",
    "/otp/sms/",
    "/./otp/sms",
    "/otp/./sms",
    "/otp/.",
    "/otp/..",
    "/otp/%2e%2e",
    "/OTP/sms",
    "/otp/sms?x=1",
];

/// Spellings of `GET /link`, protected for GET only, sent as GET and HEAD.
const LINK_SPELLINGS: &[&str] = &["/link", "/%6Cink", "//link", "/link/", "/link?x=1"];

fn requests() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut all = Vec::new();
    all.extend(LOGIN_SPELLINGS.iter().map(|p| ("POST", *p, "login-ip")));
    all.extend(OTP_SPELLINGS.iter().map(|p| ("POST", *p, "otp-ip")));
    for method in ["GET", "HEAD"] {
        all.extend(LINK_SPELLINGS.iter().map(|p| (method, *p, "login-ip")));
    }
    all
}

fn refused_by_the_server(reply: &Reply) -> bool {
    matches!(reply.status, 400 | 404 | 405)
}

fn servers(policy: &str, setup: Setup) -> [(&'static str, SocketAddr); 2] {
    [
        ("actix", actix::start(policy, setup)),
        ("axum", axum_app::start(policy, setup)),
    ]
}

#[test]
fn a_denied_client_is_refused_on_every_spelling() {
    let mut bypasses = Vec::new();
    for setup in [Setup::Plain, Setup::NormaliserInside] {
        for (framework, addr) in servers(DENY, setup) {
            for (method, path, _) in requests() {
                let reply = send(addr, method, path, &[], "");
                if reply.status != 403 && !refused_by_the_server(&reply) {
                    bypasses.push(format!(
                        "{framework} {setup:?}: {method} {path}: {} pre-auth {:?}",
                        reply.status,
                        reply.header(PRE_AUTH)
                    ));
                }
            }
            let baseline = send(addr, "POST", "/login", &[], "");
            assert_eq!(baseline.status, 403, "{framework} {setup:?}");
        }
    }
    assert!(bypasses.is_empty(), "reached the handler: {bypasses:#?}");
}

#[test]
fn an_allowed_client_is_evaluated_on_every_spelling_that_reaches_the_handler() {
    let mut wrong = Vec::new();
    for setup in [Setup::Plain, Setup::NormaliserInside] {
        for (framework, addr) in servers(ALLOW, setup) {
            let mut reached = 0;
            for (method, path, limit) in requests() {
                let reply = send(addr, method, path, &[], "");
                if refused_by_the_server(&reply) {
                    continue;
                }
                reached += 1;
                let policy = reply.header("ratelimit-policy").unwrap_or_default();
                if reply.status != 200 || reply.header(PRE_AUTH) != Some("yes") || !policy.contains(limit) {
                    wrong.push(format!(
                        "{framework} {setup:?}: {method} {path}: {} pre-auth {:?}, RateLimit-Policy {policy:?}",
                        reply.status,
                        reply.header(PRE_AUTH)
                    ));
                }
            }
            assert!(
                reached >= 6,
                "{framework} {setup:?}: the canonical spellings reach the handlers"
            );
        }
    }
    assert!(wrong.is_empty(), "not evaluated as the route: {wrong:#?}");
}
