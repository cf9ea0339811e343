//! What the example services share whatever the framework: flags, demo
//! users, demo one-time codes, masking, and building the engine (over the
//! in-process store with [`load`], over Redis in [`crate::store`]).

mod args;
mod engine;
mod logs;
mod otp;
mod users;

pub use args::Args;
pub use engine::{build_engine, build_engine_on, load, load_geo, load_on, load_policy, parse_policy};
pub use logs::{log_code_sent, log_email_changed, logged_user, mask_email};
pub use otp::{DEMO_OTP_CODE, OtpCodes, otp_event};
pub use users::{DEMO_USERS, Users};

use std::error::Error;
use std::net::SocketAddr;

use tollgate_axum::RequestContext;

/// An error for the operator: what went wrong, naming the file.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The rustls configuration for `--tls`: a fresh self-signed certificate
/// for `localhost` and the listen address, ALPN `h2` and `http/1.1`.
pub fn demo_tls(listen: SocketAddr) -> Result<rustls::ServerConfig, BoxError> {
    let names = ["localhost".to_owned(), listen.ip().to_string()];
    let cert = tollgate_tls::self_signed::SelfSigned::generate(names)?;
    Ok(cert.server_config()?)
}

/// The body of `GET /whoami`: what tollgate sees of the caller — the client
/// address and the fingerprints from the connection (`--tls`) or a trusted
/// proxy's headers. A demo aid: a production service would not tell
/// clients what it fingerprints.
pub fn whoami(cx: &RequestContext) -> serde_json::Value {
    serde_json::json!({
        "ip": cx.client.addr.to_string(),
        "ja4": cx.ja4.map(|v| v.to_string()),
        "ja3": cx.ja3.map(|v| v.to_string()),
        "http2": cx.http2.as_ref().map(ToString::to_string),
    })
}
