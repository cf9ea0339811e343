//! The [`Guard`] extractor: business events from a handler, with the
//! request's context filled in; evaluation itself is
//! [`GuardCore`]'s.

use std::future::{Ready, ready};

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, Responder, ResponseError};
use tollgate::store::AsyncStore;
use tollgate_tower::GuardCore;

use crate::response::{header, rejection_response};

tollgate_tower::adapter! {
    /// actix-web's adapter.
    adapter Actix;
    /// The handler's access to tollgate: the request's context and the
    /// engine, as the [`Tollgate`](crate::Tollgate) middleware left them in
    /// the request extensions, to evaluate the business event once the body
    /// is parsed and the username or phone number is known. Extracting it on
    /// a route the middleware does not wrap is a 500 naming the
    /// misconfiguration ([`MissingMiddleware`]), never a panic.
    guard Guard;
    /// An evaluation that allowed, whose `RateLimit` headers
    /// [`add_headers`](Admitted::add_headers) puts on the handler's response.
    admitted Admitted;
    /// An evaluation that refused: a response (429, 403 or 401 with
    /// problem+json, see [`tollgate_tower::response`]). It is a
    /// [`ResponseError`] (for `?`) and a [`Responder`].
    refusal Refusal;
    /// The [`Guard`] was extracted on a route the
    /// [`Tollgate`](crate::Tollgate) middleware does not wrap (or for another
    /// store type): a server misconfiguration, answered with a 500
    /// problem+json that says so.
    missing MissingMiddleware = "tollgate: Guard extracted without the Tollgate middleware (or for another store type): \
                                 wrap the app or scope with tollgate_actix::Tollgate";
}

impl<S: AsyncStore + 'static> FromRequest for Guard<S> {
    type Error = MissingMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let extensions = req.extensions();
        let core = GuardCore::from_parts(extensions.get(), extensions.get(), extensions.get());
        ready(core.map(Guard).ok_or_else(|| {
            tracing::error!(path = req.path(), "{}", MissingMiddleware::DETAIL);
            MissingMiddleware(())
        }))
    }
}

impl Admitted {
    /// The decision's `RateLimit-Policy` and `RateLimit` headers (none
    /// when no limit applied), e.g. for `HttpResponseBuilder::insert_header`.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        self.0.rate_limit_headers().filter_map(header).collect()
    }

    /// Sets the decision's `RateLimit-Policy` and `RateLimit` headers on a
    /// response (the middleware then leaves them as they are).
    pub fn add_headers<B>(&self, response: &mut HttpResponse<B>) {
        for (name, value) in self.headers() {
            response.headers_mut().insert(name, value);
        }
    }
}

impl Refusal {
    /// The actix response.
    pub fn to_response(&self) -> HttpResponse {
        rejection_response(self.0.rejection().clone())
    }
}

impl ResponseError for Refusal {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.rejection().status).unwrap_or(StatusCode::FORBIDDEN)
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        self.to_response()
    }
}

impl Responder for Refusal {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse<Self::Body> {
        rejection_response(self.0.into_rejection())
    }
}

impl ResponseError for MissingMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        rejection_response(self.rejection())
    }
}
