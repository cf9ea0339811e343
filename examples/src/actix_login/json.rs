//! JSON in and out as the axum app has it: request bodies accepted as
//! axum's `Json` accepts them, and the `{"status": ...}` bodies answered.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde_json::json;
use tollgate_actix::Admitted;

/// The largest body read, as axum's default limit (2 MiB).
pub(super) const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A JSON status body.
pub(super) fn status(code: StatusCode, status: &str) -> HttpResponse {
    HttpResponse::build(code).json(json!({ "status": status }))
}

/// A JSON status body with the admitted decision's `RateLimit` fields.
pub(super) fn admitted_status(code: StatusCode, admitted: &Admitted, status: &str) -> HttpResponse {
    let mut response = HttpResponse::build(code).json(json!({ "status": status }));
    admitted.add_headers(&mut response);
    response
}

/// A malformed body (not JSON, missing fields, bad phone or email): `400`.
pub(super) fn invalid_request() -> HttpResponse {
    status(StatusCode::BAD_REQUEST, "invalid_request")
}

/// The body as JSON, accepted as axum's `Json` accepts it: a JSON content
/// type (`application/json` or `application/*+json`) and a body within
/// [`BODY_LIMIT`] that deserializes. Anything else is `None` (a 400).
pub(super) fn parse_json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Option<T> {
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
