//! The demo login service on axum: the router the `axum_login` example
//! serves and the tests drive (contract: `docs/login-service.md`).
//!
//! tollgate evaluates every business request before the service looks at
//! credentials: the layer first (pre-authentication limits by IP, network,
//! fingerprint), then the [`Guard`] with the username or phone number. Logins
//! and code verifications report their outcome back to the engine.
//!
//! One code path serves every store: the handlers are generic over the
//! engine's [`AsyncStore`] and await it (the in-process store answers at
//! once; Redis in one round trip per evaluation).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;
use tollgate::password::PasswordSha1;
use tollgate::store::AsyncStore;
use tollgate::{Channel, CredentialKind, E164, Engine, EventKind};
use tollgate_axum::{Guard, Refusal, RequestContext};
use tollgate_metrics::{Registry, TollgateMetrics};
use tollgate_tls::Acceptor;

use crate::decision_log;
use crate::demo::{self, Args, BoxError, OtpCodes, Users, demo_tls, load};
use crate::ops::{self, Exporter, PolicyFile, Reloader};
use crate::page;
use crate::store::{describe, redis_engine};

/// The service's in-memory state.
#[derive(Debug)]
struct AppState {
    users: Users,
    otp: OtpCodes,
    emails: Mutex<HashMap<String, String>>,
}

/// The router: the routes of the contract behind the tollgate layer, and
/// the login page ([`page_router`]) outside it, over an engine on any
/// store (`Arc<Engine>` for the in-process one).
/// Serve it with `into_make_service_with_connect_info::<SocketAddr>()`.
pub fn app<S: AsyncStore + 'static>(engine: Arc<Engine<S>>, users: Users) -> Router {
    let state = Arc::new(AppState {
        users,
        otp: OtpCodes::default(),
        emails: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/healthz", get(healthz))
        .route("/whoami", get(whoami))
        .route("/login", post(login::<S>))
        .route("/otp/send", post(otp_send::<S>))
        .route("/otp/verify", post(otp_verify::<S>))
        .route("/account/email", post(change_email::<S>))
        .with_state(state)
        .layer(
            tollgate_axum::layer(engine)
                .protect_method(axum::http::Method::POST, "/login", EventKind::Login)
                .protect_method(
                    axum::http::Method::POST,
                    "/otp/send",
                    EventKind::OtpSend { channel: Channel::Sms },
                )
                .protect_method(
                    axum::http::Method::POST,
                    "/otp/verify",
                    EventKind::OtpVerify { channel: None },
                )
                .protect_method(
                    axum::http::Method::POST,
                    "/account/email",
                    EventKind::CredentialChange {
                        what: CredentialKind::Email,
                    },
                ),
        )
        // After the layer: the page and its files are outside tollgate.
        .merge(page_router())
}

/// `GET /` (the login page) and the ALTCHA widget's files
/// ([`page::ASSETS`]), with their headers.
pub fn page_router() -> Router {
    page::ASSETS.iter().fold(Router::new(), |router, asset| {
        router.route(
            asset.path,
            get(move || async move {
                (
                    [(CONTENT_TYPE, asset.content_type)],
                    AppendHeaders(asset.headers()),
                    asset.body,
                )
            }),
        )
    })
}

/// `GET /metrics`: everything in `exporter`, in the Prometheus text
/// format. Merge it into the app *after* the tollgate layer (as [`run`]
/// does): scrapes are not decisions.
pub fn metrics_router(exporter: Exporter) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let exporter = exporter.clone();
            async move {
                match exporter.render() {
                    Ok(text) => ([(CONTENT_TYPE, tollgate_metrics::CONTENT_TYPE)], text).into_response(),
                    Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR, "metrics_unavailable"),
                }
            }
        }),
    )
}

/// The `axum_login` example: the service the flags describe, until Ctrl-C
/// or SIGTERM. Reloads `--policy` on SIGHUP (and with `--watch-policy` on
/// change) and serves `/metrics` with `--metrics`.
pub async fn run(args: Args) -> Result<(), BoxError> {
    // One serving path, generic over the store.
    match redis_engine(&args).await? {
        Some((engine, users)) => {
            let mut metrics = ops::metrics_for(&args, &engine, None);
            let log = decision_log::from_args(&args, &engine, metrics.as_mut())?;
            decision_log::flushed(log, serve(engine, users, metrics, &args)).await
        }
        None => {
            let (engine, users) = load(&args)?;
            let mut metrics = ops::metrics_for(&args, &engine, Some(Arc::clone(&engine)));
            let log = decision_log::from_args(&args, &engine, metrics.as_mut())?;
            decision_log::flushed(log, serve(engine, users, metrics, &args)).await
        }
    }
}

async fn serve<S: AsyncStore + 'static>(
    engine: Arc<Engine<S>>,
    users: Users,
    metrics: Option<(Arc<TollgateMetrics>, Registry)>,
    args: &Args,
) -> Result<(), BoxError> {
    let trusted = !engine.policy().network.trusted_proxies.proxies().is_empty();
    let (metrics, exporter) = metrics.map(|(m, r)| (m, Exporter::new(r))).unzip();
    let reloader = match PolicyFile::from_args(args) {
        Some(file) => Some(Arc::new(Reloader::new(Arc::clone(&engine), file, metrics)?)),
        None => None,
    };
    tokio::spawn(ops::reload_task(reloader, args.watch_policy)?);
    let mut app = app(engine, users);
    if let Some(exporter) = exporter {
        app = app.merge(metrics_router(exporter));
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        tls = args.tls,
        policy = %args.policy.as_ref().map_or("built-in default".into(), |p| p.display().to_string()),
        geo_databases = args.mmdb.len(),
        trusted_proxies = trusted,
        store = %describe(args),
        metrics = args.metrics,
        "axum_login: serving the demo login service"
    );
    if args.tls {
        // Native capture: the acceptor fingerprints each ClientHello (and
        // HTTP/2 connection) before rustls and hyper see them.
        let acceptor = Acceptor::new(Arc::new(demo_tls(args.listen)?));
        tollgate_tls::serve::serve_with_shutdown(listener, acceptor, app, shutdown()).await?;
    } else {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown())
            .await?;
    }
    Ok(())
}

/// Ctrl-C or (on Unix) SIGTERM: finish the requests in flight, then exit.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("axum_login: shutting down");
}

fn status(code: StatusCode, status: &str) -> Response {
    (code, Json(json!({ "status": status }))).into_response()
}

/// A malformed body (not JSON, missing fields, bad phone or email): `400`.
fn invalid_request() -> Response {
    status(StatusCode::BAD_REQUEST, "invalid_request")
}

async fn healthz() -> Response {
    status(StatusCode::OK, "ok")
}

async fn whoami(Extension(cx): Extension<RequestContext>) -> Response {
    Json(demo::whoami(&cx)).into_response()
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login<S: AsyncStore + 'static>(
    State(state): State<Arc<AppState>>,
    guard: Guard<S>,
    body: Result<Json<LoginBody>, JsonRejection>,
) -> Result<Response, Refusal> {
    let Ok(Json(body)) = body else {
        return Ok(invalid_request());
    };
    // tollgate first: a refused attempt never reaches the password check.
    let admitted = guard
        .evaluate_async(EventKind::Login, |e| {
            // The digest the spraying check keys on (never stored).
            e.with_user(body.username.as_str())
                .with_password(PasswordSha1::of(&body.password))
        })
        .await?;
    if state.users.check(&body.username, &body.password) {
        guard.succeeded_with_async(admitted.event(), admitted.decision()).await;
        Ok((admitted, Json(json!({"status": "ok"}))).into_response())
    } else {
        // Unknown user or wrong password: the same answer, and a failure
        // either way (failure-counting limits learn); an unknown user is
        // reported as such for the site-wide attack mode.
        if state.users.exists(&body.username) {
            guard.failed_async(admitted.event()).await;
        } else {
            guard.unknown_user_async(admitted.event()).await;
        }
        Ok((
            StatusCode::UNAUTHORIZED,
            admitted,
            Json(json!({"status": "invalid_credentials"})),
        )
            .into_response())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum ChannelBody {
    Sms,
    Voice,
}

#[derive(Deserialize)]
struct OtpSendBody {
    username: String,
    phone: String,
    channel: ChannelBody,
}

async fn otp_send<S: AsyncStore + 'static>(
    State(state): State<Arc<AppState>>,
    guard: Guard<S>,
    body: Result<Json<OtpSendBody>, JsonRejection>,
) -> Result<Response, Refusal> {
    let Ok(Json(body)) = body else {
        return Ok(invalid_request());
    };
    let Ok(phone) = body.phone.parse::<E164>() else {
        return Ok(invalid_request());
    };
    let channel = match body.channel {
        ChannelBody::Sms => Channel::Sms,
        ChannelBody::Voice => Channel::Voice,
    };
    let admitted = guard
        .evaluate_async(EventKind::OtpSend { channel }, |e| {
            demo::otp_event(e, &body.username, Some(phone))
        })
        .await?;
    // Unknown users get the same 202; nothing is sent to them.
    if state.users.exists(&body.username) {
        state.otp.sent(&body.username, phone);
        let user = demo::logged_user(guard.tollgate().engine(), &body.username);
        demo::log_code_sent(user, &phone, channel);
    }
    // Recorded as sent for unknown users too: the service answered "sent",
    // and limits that count sends (resend backoff, caps, spend) must not
    // behave differently for accounts that do not exist. A refused request
    // is never recorded.
    guard.succeeded_with_async(admitted.event(), admitted.decision()).await;
    Ok((StatusCode::ACCEPTED, admitted, Json(json!({"status": "sent"}))).into_response())
}

#[derive(Deserialize)]
struct OtpVerifyBody {
    username: String,
    code: String,
}

async fn otp_verify<S: AsyncStore + 'static>(
    State(state): State<Arc<AppState>>,
    guard: Guard<S>,
    body: Result<Json<OtpVerifyBody>, JsonRejection>,
) -> Result<Response, Refusal> {
    let Ok(Json(body)) = body else {
        return Ok(invalid_request());
    };
    // The number the pending code went to, as the send named it: both
    // events then name the same code.
    let phone = state.otp.phone_of(&body.username);
    let admitted = guard
        .evaluate_async(EventKind::OtpVerify { channel: None }, |e| {
            demo::otp_event(e, &body.username, phone)
        })
        .await?;
    if state.otp.verify(&body.username, &body.code) {
        guard.succeeded_with_async(admitted.event(), admitted.decision()).await;
        Ok((admitted, Json(json!({"status": "ok"}))).into_response())
    } else {
        guard.failed_async(admitted.event()).await;
        Ok((
            StatusCode::UNAUTHORIZED,
            admitted,
            Json(json!({"status": "invalid_code"})),
        )
            .into_response())
    }
}

#[derive(Deserialize)]
struct EmailBody {
    username: String,
    email: String,
}

async fn change_email<S: AsyncStore + 'static>(
    State(state): State<Arc<AppState>>,
    guard: Guard<S>,
    body: Result<Json<EmailBody>, JsonRejection>,
) -> Result<Response, Refusal> {
    let Ok(Json(body)) = body else {
        return Ok(invalid_request());
    };
    let well_formed = body
        .email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if !well_formed {
        return Ok(invalid_request());
    }
    let admitted = guard
        .evaluate_async(
            EventKind::CredentialChange {
                what: CredentialKind::Email,
            },
            |e| e.with_user(body.username.as_str()),
        )
        .await?;
    // A demo without sessions: a real service changes the email of the
    // authenticated account only. Unknown users get the same 200.
    if state.users.exists(&body.username) {
        let user = demo::logged_user(guard.tollgate().engine(), &body.username);
        demo::log_email_changed(user, &body.email);
        if let Ok(mut emails) = state.emails.lock() {
            emails.insert(body.username.clone(), body.email.clone());
        }
    }
    guard.succeeded_with_async(admitted.event(), admitted.decision()).await;
    Ok((admitted, Json(json!({"status": "ok"}))).into_response())
}
