//! [`LoginService`]: the service's state, its tollgate middleware and its
//! routes, assembled into an actix-web app.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::http::{Method, StatusCode};
use actix_web::{App, HttpResponse, web};
use tollgate::store::{AsyncStore, MemoryStore};
use tollgate::{Channel, CredentialKind, Engine, EventKind};
use tollgate_actix::Tollgate;

use super::handlers::{change_email, healthz, login, otp_send, otp_verify, whoami};
use super::json::{BODY_LIMIT, status};
use crate::demo::{OtpCodes, Users};
use crate::ops::Exporter;
use crate::page;

/// The service's in-memory state.
#[derive(Debug)]
pub(super) struct AppState {
    pub(super) users: Users,
    pub(super) otp: OtpCodes,
    pub(super) emails: Mutex<HashMap<String, String>>,
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

/// One of the page's files with its headers.
fn asset_response(asset: &page::Asset) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.insert_header((CONTENT_TYPE, asset.content_type));
    for header in asset.headers() {
        response.insert_header(header);
    }
    response.body(asset.body)
}
