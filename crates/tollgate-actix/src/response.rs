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
    let headers = response.headers_mut();
    for (name, value) in rejection.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
            headers.append(name, value);
        }
    }
    response
}

/// Adds the `RateLimit-Policy` and `RateLimit` fields for `info` to
/// `headers`, unless the response already carries them (a handler's own,
/// more specific decision wins).
pub fn add_rate_limit_headers(headers: &mut HeaderMap, info: &RateLimitInfo) {
    for (name, value) in rate_limit_headers(info) {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        if headers.contains_key(&name) {
            continue;
        }
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}
