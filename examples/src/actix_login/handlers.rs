//! The handlers of the contract's routes and the bodies they read: each
//! business handler evaluates its event with the [`Guard`] before it looks
//! at credentials, and reports the outcome back.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use tollgate::password::PasswordSha1;
use tollgate::store::AsyncStore;
use tollgate::{Channel, CredentialKind, E164, EventKind};
use tollgate_actix::{Guard, Refusal, RequestContext};

use super::json::{admitted_status, invalid_request, parse_json, status};
use super::service::AppState;
use crate::demo;

pub(super) async fn healthz() -> HttpResponse {
    status(StatusCode::OK, "ok")
}

pub(super) async fn whoami(request: HttpRequest) -> HttpResponse {
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

pub(super) async fn login<S: AsyncStore + 'static>(
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

pub(super) async fn otp_send<S: AsyncStore + 'static>(
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

pub(super) async fn otp_verify<S: AsyncStore + 'static>(
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

pub(super) async fn change_email<S: AsyncStore + 'static>(
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
