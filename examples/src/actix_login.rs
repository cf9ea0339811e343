//! The demo login service on actix-web: the app the `actix_login` example
//! serves and the tests drive. Same contract as the axum one
//! ([`crate::axum_login`], `docs/login-service.md`): same routes, status
//! codes, bodies and headers for the same requests (`tests/parity.rs`).
//!
//! The [`Tollgate`] middleware evaluates pre-authentication limits before
//! the handlers run; the [`Guard`] then evaluates the business event with
//! the username or phone number, and logins and code verifications report
//! their outcome back to the engine. As in the axum app, the handlers are
//! generic over the engine's [`AsyncStore`] (in-process or Redis) and await it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::HttpServer;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::{Method, StatusCode};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tollgate::password::PasswordSha1;
use tollgate::store::{AsyncStore, MemoryStore};
use tollgate::{Channel, CredentialKind, E164, Engine, EventKind};
use tollgate_actix::tls::listen_tls;
use tollgate_actix::{Admitted, Guard, Refusal, RequestContext, Tollgate};
use tollgate_metrics::{Registry, TollgateMetrics};
use tollgate_tls::Acceptor;

use crate::decision_log;
use crate::demo::{self, Args, BoxError, OtpCodes, Users, demo_tls, load};
use crate::ops::{self, Exporter, PolicyFile, Reloader};
use crate::page;
use crate::store::{describe, redis_engine};

/// The `actix_login` example: the service the flags describe, until Ctrl-C
/// or SIGTERM. Reloads `--policy` on SIGHUP (and with `--watch-policy` on
/// change) and serves `/metrics` with `--metrics`. Runs in an actix system.
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
    actix_web::rt::spawn(ops::reload_task(reloader, args.watch_policy)?);
    let mut service = LoginService::new(engine, users);
    if let Some(exporter) = exporter {
        service = service.with_metrics(exporter);
    }
    // One state and one engine for all workers. actix-web stops on Ctrl-C
    // and SIGTERM, finishing the requests in flight.
    let store = describe(args);
    let policy = args
        .policy
        .as_ref()
        .map_or("built-in default".into(), |p| p.display().to_string());
    let server = if args.tls {
        // Native capture: actix-web's own TLS binding gives no access to the
        // ClientHello, so the server is built on tollgate-tls's acceptor.
        let listener =
            std::net::TcpListener::bind(args.listen).map_err(|e| format!("--listen {}: {e}", args.listen))?;
        let addr = listener.local_addr()?;
        let acceptor = Acceptor::new(Arc::new(demo_tls(args.listen)?));
        let server = listen_tls(Server::build(), listener, acceptor, move || service.clone().app())?.run();
        tracing::info!(listen = %addr, tls = true, %policy, geo_databases = args.mmdb.len(), trusted_proxies = trusted,
            %store, metrics = args.metrics, "actix_login: serving the demo login service");
        server
    } else {
        let server = HttpServer::new(move || service.clone().app())
            .bind(args.listen)
            .map_err(|e| format!("--listen {}: {e}", args.listen))?;
        for addr in server.addrs() {
            tracing::info!(listen = %addr, tls = false, %policy, geo_databases = args.mmdb.len(),
                trusted_proxies = trusted, %store, metrics = args.metrics, "actix_login: serving the demo login service");
        }
        server.run()
    };
    server.await?;
    tracing::info!("actix_login: stopped");
    Ok(())
}

/// The service's in-memory state.
#[derive(Debug)]
struct AppState {
    users: Users,
    otp: OtpCodes,
    emails: Mutex<HashMap<String, String>>,
}

/// The demo login service: its state and its tollgate middleware, shared by
/// every worker: `HttpServer::new(move || service.clone().app())`. `S` is
/// the engine's store (the in-process one by default).
#[derive(Debug)]
pub struct LoginService<S = MemoryStore> {
    state: web::Data<AppState>,
    tollgate: Tollgate<S>,
    metrics: Option<Exporter>,
}

// Not derived: that would ask for `S: Clone`, and the store is shared, not cloned.
impl<S> Clone for LoginService<S> {
    fn clone(&self) -> Self {
        LoginService {
            state: self.state.clone(),
            tollgate: self.tollgate.clone(),
            metrics: self.metrics.clone(),
        }
    }
}

impl<S: AsyncStore + 'static> LoginService<S> {
    /// A service over `engine` with `users`.
    pub fn new(engine: Arc<Engine<S>>, users: Users) -> Self {
        let tollgate = Tollgate::from_engine(engine)
            .protect_method(Method::POST, "/login", EventKind::Login)
            .protect_method(Method::POST, "/otp/send", EventKind::OtpSend { channel: Channel::Sms })
            .protect_method(Method::POST, "/otp/verify", EventKind::OtpVerify { channel: None })
            .protect_method(
                Method::POST,
                "/account/email",
                EventKind::CredentialChange {
                    what: CredentialKind::Email,
                },
            );
        LoginService {
            state: web::Data::new(AppState {
                users,
                otp: OtpCodes::default(),
                emails: Mutex::new(HashMap::new()),
            }),
            tollgate,
            metrics: None,
        }
    }

    /// Also serves `GET /metrics`: everything in `exporter`, in the
    /// Prometheus text format (the middleware decides nothing there).
    #[must_use]
    pub fn with_metrics(mut self, exporter: Exporter) -> Self {
        self.metrics = Some(exporter);
        self
    }

    /// The routes of the contract, the login page and its files
    /// ([`page::ASSETS`]), and the service's state,
    /// without the middleware (wrap the app or scope with
    /// [`LoginService::tollgate`]).
    pub fn configure(&self, cfg: &mut web::ServiceConfig) {
        // Resources, not `cfg.route`: another method on a known path is a
        // 405 (as in axum), not a 404.
        cfg.app_data(self.state.clone())
            .app_data(web::PayloadConfig::new(BODY_LIMIT))
            .service(web::resource("/healthz").route(web::get().to(healthz)))
            .service(web::resource("/whoami").route(web::get().to(whoami)))
            .service(web::resource("/login").route(web::post().to(login::<S>)))
            .service(web::resource("/otp/send").route(web::post().to(otp_send::<S>)))
            .service(web::resource("/otp/verify").route(web::post().to(otp_verify::<S>)))
            .service(web::resource("/account/email").route(web::post().to(change_email::<S>)));
        // The login page and the widget's files: not protected routes, so
        // the middleware decides nothing there.
        for asset in &page::ASSETS {
            cfg.service(web::resource(asset.path).route(web::get().to(move || async move { asset_response(asset) })));
        }
        if let Some(exporter) = &self.metrics {
            let exporter = exporter.clone();
            cfg.service(web::resource("/metrics").route(web::get().to(move || {
                let rendered = exporter.render();
                async move {
                    match rendered {
                        Ok(text) => HttpResponse::Ok()
                            .insert_header((CONTENT_TYPE, tollgate_metrics::CONTENT_TYPE))
                            .body(text),
                        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR, "metrics_unavailable"),
                    }
                }
            })));
        }
    }

    /// The tollgate middleware protecting the four business routes.
    pub fn tollgate(&self) -> Tollgate<S> {
        self.tollgate.clone()
    }

    /// The whole app: the routes behind the tollgate middleware.
    pub fn app(
        self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        let tollgate = self.tollgate();
        App::new().configure(move |cfg| self.configure(cfg)).wrap(tollgate)
    }
}

/// The largest body read, as axum's default limit (2 MiB).
const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A JSON status body.
fn status(code: StatusCode, status: &str) -> HttpResponse {
    HttpResponse::build(code).json(json!({ "status": status }))
}

/// A JSON status body with the admitted decision's `RateLimit` fields.
fn admitted_status(code: StatusCode, admitted: &Admitted, status: &str) -> HttpResponse {
    let mut response = HttpResponse::build(code).json(json!({ "status": status }));
    admitted.add_headers(&mut response);
    response
}

/// One of the page's files with its headers.
fn asset_response(asset: &page::Asset) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header((CONTENT_TYPE, asset.content_type));
    for header in asset.headers() {
        response.insert_header(header);
    }
    response.body(asset.body)
}

/// A malformed body (not JSON, missing fields, bad phone or email): `400`.
fn invalid_request() -> HttpResponse {
    status(StatusCode::BAD_REQUEST, "invalid_request")
}

/// The body as JSON, accepted as axum's `Json` accepts it: a JSON content
/// type (`application/json` or `application/*+json`) and a body within
/// [`BODY_LIMIT`] that deserializes. Anything else is `None` (a 400).
fn parse_json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Option<T> {
    let content_type = req.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (kind, subtype) = essence.split_once('/')?;
    if kind != "application" || !(subtype == "json" || subtype.ends_with("+json")) {
        return None;
    }
    serde_json::from_slice(body).ok()
}

async fn healthz() -> HttpResponse {
    status(StatusCode::OK, "ok")
}

async fn whoami(request: HttpRequest) -> HttpResponse {
    match request.extensions().get::<RequestContext>() {
        Some(cx) => HttpResponse::Ok().json(demo::whoami(cx)),
        None => status(StatusCode::INTERNAL_SERVER_ERROR, "misconfigured"),
    }
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login<S: AsyncStore + 'static>(
    state: web::Data<AppState>,
    guard: Guard<S>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, Refusal> {
    let Some(body) = body.ok().and_then(|body| parse_json::<LoginBody>(&req, &body)) else {
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
        Ok(admitted_status(StatusCode::OK, &admitted, "ok"))
    } else {
        // Unknown user or wrong password: the same answer, and a failure
        // either way (failure-counting limits learn); an unknown user is
        // reported as such for the site-wide attack mode.
        if state.users.exists(&body.username) {
            guard.failed_async(admitted.event()).await;
        } else {
            guard.unknown_user_async(admitted.event()).await;
        }
        Ok(admitted_status(
            StatusCode::UNAUTHORIZED,
            &admitted,
            "invalid_credentials",
        ))
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
    state: web::Data<AppState>,
    guard: Guard<S>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, Refusal> {
    let Some(body) = body.ok().and_then(|body| parse_json::<OtpSendBody>(&req, &body)) else {
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
    Ok(admitted_status(StatusCode::ACCEPTED, &admitted, "sent"))
}

#[derive(Deserialize)]
struct OtpVerifyBody {
    username: String,
    code: String,
}

async fn otp_verify<S: AsyncStore + 'static>(
    state: web::Data<AppState>,
    guard: Guard<S>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, Refusal> {
    let Some(body) = body.ok().and_then(|body| parse_json::<OtpVerifyBody>(&req, &body)) else {
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
        Ok(admitted_status(StatusCode::OK, &admitted, "ok"))
    } else {
        guard.failed_async(admitted.event()).await;
        Ok(admitted_status(StatusCode::UNAUTHORIZED, &admitted, "invalid_code"))
    }
}

#[derive(Deserialize)]
struct EmailBody {
    username: String,
    email: String,
}

async fn change_email<S: AsyncStore + 'static>(
    state: web::Data<AppState>,
    guard: Guard<S>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, Refusal> {
    let Some(body) = body.ok().and_then(|body| parse_json::<EmailBody>(&req, &body)) else {
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
    Ok(admitted_status(StatusCode::OK, &admitted, "ok"))
}
