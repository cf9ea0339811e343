//! Turning tollgate's framework-neutral responses into actix-web ones.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use tollgate::RateLimitInfo;
use tollgate_tower::response::{Rejection, rate_limit_headers};

/// The actix response for a rejection: its status, headers and
/// problem+json body.
pub fn rejection_response(rejection: Rejection) -> HttpResponse {
    let status = StatusCode::from_u16(rejection.status).unwrap_or(StatusCode::FORBIDDEN);
    let mut response = HttpResponse::with_body(status, rejection.body).map_into_boxed_body();
    for (name, value) in rejection.headers.into_iter().filter_map(header) {
        response.headers_mut().append(name, value);
    }
    response
}

/// A header as actix's types (its `http` is not the one tollgate-tower
/// uses), or `None` if it is not a valid one.
pub(crate) fn header((name, value): (&str, String)) -> Option<(HeaderName, HeaderValue)> {
    Some((
        HeaderName::from_bytes(name.as_bytes()).ok()?,
        HeaderValue::from_str(&value).ok()?,
    ))
}

/// Adds the `RateLimit-Policy` and `RateLimit` fields for `info` to
/// `headers`, unless the response already carries them (a handler's own,
/// more specific decision wins).
pub fn add_rate_limit_headers(headers: &mut HeaderMap, info: &RateLimitInfo) {
    for (name, value) in rate_limit_headers(info).into_iter().filter_map(header) {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
}
