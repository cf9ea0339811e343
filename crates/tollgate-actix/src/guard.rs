//! The [`Guard`] extractor: business events from a handler, with the
//! request's context filled in.

use std::fmt;
use std::future::{Ready, ready};

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, Responder, ResponseError};
use tollgate::store::{AsyncStore, MemoryStore, Store};
use tollgate::{Decision, Event, EventKind};
use tollgate_tower::context::RequestContext;
use tollgate_tower::response::Rejection;
use tollgate_tower::{GuardCore, PreAuth};

use crate::TollgateHandle;
use crate::response::{add_rate_limit_headers, misconfigured, rejection_response};

/// The handler's access to tollgate: the request's context and the engine,
/// as the [`Tollgate`](crate::Tollgate) middleware left them in the request
/// extensions, to evaluate the business event once the body is parsed and
/// the username or phone number is known.
///
/// Extracting it on a route the middleware does not wrap is a 500 naming
/// the misconfiguration ([`MissingMiddleware`]), never a panic. For an
/// engine over another store, extract `Guard<YourStore>`; over an
/// [`AsyncStore`] that is not an in-process [`Store`], evaluate with
/// [`evaluate_async`](Guard::evaluate_async).
#[derive(Clone, Debug)]
pub struct Guard<S = MemoryStore> {
    core: GuardCore<S>,
}

/// The context accessors and outcome helpers (`login_failed`,
/// `otp_verify_succeeded`, `record` ...) are the shared [`GuardCore`]'s.
impl<S> std::ops::Deref for Guard<S> {
    type Target = GuardCore<S>;

    fn deref(&self) -> &GuardCore<S> {
        &self.core
    }
}

impl<S: AsyncStore + 'static> FromRequest for Guard<S> {
    type Error = MissingMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = req.extensions();
        let context = extensions.get::<RequestContext>().cloned();
        let tollgate = extensions.get::<TollgateHandle<S>>().cloned();
        ready(match (context, tollgate) {
            (Some(context), Some(tollgate)) => Ok(Guard {
                core: GuardCore::new(context, tollgate, extensions.get::<PreAuth>().cloned()),
            }),
            _ => {
                tracing::error!(path = req.path(), "{}", MissingMiddleware::DETAIL);
                Err(MissingMiddleware(()))
            }
        })
    }
}

impl<S: Store> Guard<S> {
    /// Evaluates an event of `kind` built from the context and completed
    /// by `fill` (`|e| e.with_user(name).with_phone(phone)`). On a route the
    /// middleware protects for the same event type, the limiter buckets it
    /// already spent on this request are not spent again.
    ///
    /// `Ok` carries the event (to report its outcome) and the decision;
    /// `Err` is the refusal (429, 403 or 401), an actix [`ResponseError`]
    /// and [`Responder`]: return it with `?` from a handler returning
    /// `actix_web::Result`. The reasons go to the server log.
    pub fn evaluate(&self, kind: EventKind, fill: impl FnOnce(Event) -> Event) -> Result<Admitted, Refusal> {
        self.evaluate_event(fill(self.event(kind)))
    }

    /// Evaluates an event built by the caller (see [`GuardCore::event`]).
    pub fn evaluate_event(&self, event: Event) -> Result<Admitted, Refusal> {
        let decided = self.core.decide(&event);
        admit(event, decided)
    }
}

/// Over any [`AsyncStore`] (a networked store such as Redis): the same
/// evaluation, awaited; while the store is unavailable the policy's
/// `[store] on_failure` decides. Outcomes: the `*_async` methods of
/// [`GuardCore`] (`guard.login_failed_async(user).await`).
impl<S: AsyncStore> Guard<S> {
    /// [`evaluate`](Guard::evaluate), awaited.
    pub async fn evaluate_async(
        &self,
        kind: EventKind,
        fill: impl FnOnce(Event) -> Event,
    ) -> Result<Admitted, Refusal> {
        self.evaluate_event_async(fill(self.event(kind))).await
    }

    /// [`evaluate_event`](Guard::evaluate_event), awaited.
    pub async fn evaluate_event_async(&self, event: Event) -> Result<Admitted, Refusal> {
        let decided = self.core.decide_async(&event).await;
        admit(event, decided)
    }
}

fn admit(event: Event, decided: (Decision, Option<Rejection>)) -> Result<Admitted, Refusal> {
    match decided {
        (decision, Some(rejection)) => Err(Refusal(Box::new(Refused {
            rejection,
            decision,
            event,
        }))),
        (decision, None) => Ok(Admitted { event, decision }),
    }
}

/// An evaluation that allowed: the event (for its outcome) and the
/// decision, whose `RateLimit` headers [`add_headers`](Admitted::add_headers)
/// puts on the handler's response.
#[derive(Clone, Debug)]
pub struct Admitted {
    event: Event,
    decision: Decision,
}

impl Admitted {
    /// The evaluated event, to report its outcome.
    pub fn event(&self) -> Event {
        self.event.clone()
    }

    /// The decision (an allow, perhaps with reasons and quota).
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// The decision's `RateLimit-Policy` and `RateLimit` headers (none
    /// when no limit applied), e.g. for `HttpResponseBuilder::insert_header`.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let Some(info) = &self.decision.rate_limit else {
            return Vec::new();
        };
        tollgate_tower::response::rate_limit_headers(info)
            .into_iter()
            .filter_map(|(name, value)| {
                Some((
                    HeaderName::from_bytes(name.as_bytes()).ok()?,
                    HeaderValue::from_str(&value).ok()?,
                ))
            })
            .collect()
    }

    /// Sets the decision's `RateLimit-Policy` and `RateLimit` headers on a
    /// response (the middleware then leaves them as they are).
    pub fn add_headers<B>(&self, response: &mut HttpResponse<B>) {
        if let Some(info) = &self.decision.rate_limit {
            let headers = response.headers_mut();
            for (name, _) in tollgate_tower::response::rate_limit_headers(info) {
                headers.remove(name);
            }
            add_rate_limit_headers(headers, info);
        }
    }
}

/// An evaluation that refused: a response (429, 403 or 401 with
/// problem+json, see [`tollgate_tower::response`]). It is a
/// [`ResponseError`] (for `?`) and a [`Responder`].
#[derive(Clone, Debug)]
pub struct Refusal(Box<Refused>);

#[derive(Clone, Debug)]
struct Refused {
    rejection: Rejection,
    decision: Decision,
    event: Event,
}

impl Refusal {
    /// The decision, reasons included (for logs, never for the client).
    pub fn decision(&self) -> &Decision {
        &self.0.decision
    }

    /// The refused event.
    pub fn event(&self) -> &Event {
        &self.0.event
    }

    /// The response that will be sent, framework-neutral.
    pub fn rejection(&self) -> &Rejection {
        &self.0.rejection
    }

    /// The actix response.
    pub fn to_response(&self) -> HttpResponse {
        rejection_response(self.0.rejection.clone())
    }
}

impl fmt::Display for Refusal {
    /// The action only: the reasons are for the server log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tollgate: {}", self.0.decision.action.as_str())
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.rejection.status).unwrap_or(StatusCode::FORBIDDEN)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        self.to_response()
    }
}

impl Responder for Refusal {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse<Self::Body> {
        rejection_response(self.0.rejection)
    }
}

/// The [`Guard`] was extracted on a route the [`Tollgate`](crate::Tollgate)
/// middleware does not wrap (or for another store type): a server
/// misconfiguration, answered with a 500 problem+json that says so.
#[derive(Clone, Debug)]
pub struct MissingMiddleware(());

impl MissingMiddleware {
    const DETAIL: &'static str = "tollgate: Guard extracted without the Tollgate middleware (or for another store type): \
                                  wrap the app or scope with tollgate_actix::Tollgate";
}

impl fmt::Display for MissingMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::DETAIL)
    }
}

impl std::error::Error for MissingMiddleware {}

impl ResponseError for MissingMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        misconfigured(Self::DETAIL)
    }
}
