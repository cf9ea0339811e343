//! An async client for the HIBP Pwned Passwords range API (feature `client`).
//!
//! k-anonymity: only the first 5 hex digits of the SHA-1 leave the
//! process, in the path `GET /range/{prefix}`; the suffix is compared
//! locally against the answer's ~1,000 lines. `Add-Padding: true` is always
//! sent, so the response size does not tell an observer which prefix
//! (and so roughly which password) was asked for.
//!
//! Transport: hyper-util's pooled client over hyper-rustls, HTTP/1.1, the
//! ring provider and the Mozilla roots compiled in (webpki-roots). These
//! are already in the workspace for the TLS adapter (hyper, rustls with
//! ring), which keeps the added build to hyper-rustls and webpki-roots; no
//! C toolchain, no system certificate store to depend on.
//!
//! Every request has a deadline. When the API cannot be asked (timeout,
//! network, HTTP status, garbled body), [`FailMode`] decides what
//! [`RangeClient::check`] reports: `Open` assumes not compromised (logins
//! keep working during an HIBP outage), `Closed` assumes compromised.
//!
//! ```no_run
//! use std::time::Duration;
//! use tollgate::password::PasswordSha1;
//! use tollgate_pwned::client::{FailMode, RangeClient};
//!
//! # async fn demo() -> Result<(), tollgate_pwned::client::ClientError> {
//! let client = RangeClient::new()?.timeout(Duration::from_millis(800)).fail_mode(FailMode::Open);
//! let verdict = client.check(&PasswordSha1::of("password")).await;
//! assert!(verdict.is_compromised());
//! # Ok(()) }
//! ```

use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tollgate::password::PasswordSha1;

use crate::range::{self, RangeError};

/// The public API's base URL.
pub const HIBP_BASE_URL: &str = "https://api.pwnedpasswords.com";

/// A padded answer is about 1,000 lines of 40 bytes; anything far larger
/// is not a range response.
const MAX_BODY: usize = 1 << 20;

/// What to assume when the API cannot be asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailMode {
    /// Assume not compromised: availability first.
    Open,
    /// Assume compromised: the caller then asks for a step-up or a new password.
    Closed,
}

/// Why a range lookup did not give an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The TLS configuration could not be built.
    #[error("tls setup: {0}")]
    Tls(#[from] rustls::Error),
    /// The base URL does not make a valid request URI.
    #[error("invalid range API URL")]
    Url,
    /// Connecting or sending failed.
    #[error("range API request failed: {0}")]
    Request(#[from] hyper_util::client::legacy::Error),
    /// Reading the body failed or it exceeded 1 MiB.
    #[error("range API body: {0}")]
    Body(Box<dyn std::error::Error + Send + Sync>),
    /// The API answered with a status other than 200.
    #[error("range API answered HTTP {0}")]
    Status(u16),
    /// The deadline passed.
    #[error("range API timed out after {0:?}")]
    Timeout(Duration),
    /// The body is not UTF-8 `SUFFIX:COUNT` lines.
    #[error("range API body is not in the range format: {0}")]
    Format(#[from] RangeError),
}

/// The answer of [`RangeClient::check`].
#[derive(Debug)]
#[non_exhaustive]
pub enum RangeVerdict {
    /// Seen `count` times in breaches.
    Pwned {
        /// Times seen.
        count: u64,
    },
    /// Not in the corpus (or only on a padding line).
    NotPwned,
    /// The API could not be asked; the fail mode chose the assumption.
    Unavailable {
        /// `true` under [`FailMode::Closed`].
        assumed_compromised: bool,
        /// What went wrong, for logs (it holds no password material).
        error: ClientError,
    },
}

impl RangeVerdict {
    /// The flag for [`tollgate::Event::with_compromised_password`].
    #[must_use]
    pub fn is_compromised(&self) -> bool {
        match self {
            Self::Pwned { .. } => true,
            Self::NotPwned => false,
            Self::Unavailable {
                assumed_compromised, ..
            } => *assumed_compromised,
        }
    }
}

/// A range API client; cheap to clone (the connection pool is shared).
#[derive(Clone, Debug)]
pub struct RangeClient {
    http: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    base: String,
    timeout: Duration,
    fail_mode: FailMode,
}

impl RangeClient {
    /// A client for [`HIBP_BASE_URL`] with a 2 s deadline, failing open.
    /// Needs a tokio runtime with the time driver when used.
    ///
    /// # Errors
    /// [`ClientError::Tls`] if rustls rejects the ring provider's defaults.
    pub fn new() -> Result<Self, ClientError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            http: Client::builder(TokioExecutor::new()).build(https),
            base: HIBP_BASE_URL.to_owned(),
            timeout: Duration::from_secs(2),
            fail_mode: FailMode::Open,
        })
    }

    /// Ask another server speaking the range format (a mirror, or a test
    /// server); `http://` is allowed.
    #[must_use]
    pub fn base_url(mut self, base: &str) -> Self {
        base.trim_end_matches('/').clone_into(&mut self.base);
        self
    }

    /// The deadline for connecting, sending and reading the whole answer.
    #[must_use]
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What [`check`](Self::check) assumes when the API cannot be asked.
    #[must_use]
    pub const fn fail_mode(mut self, mode: FailMode) -> Self {
        self.fail_mode = mode;
        self
    }

    /// How often the password was seen (0: not pwned), or why the API
    /// could not say.
    ///
    /// # Errors
    /// [`ClientError`] on timeout, transport error, non-200 status or a
    /// body not in the range format.
    pub async fn lookup(&self, hash: &PasswordSha1) -> Result<u64, ClientError> {
        let uri: hyper::Uri = format!("{}/range/{}", self.base, hash.prefix())
            .parse()
            .map_err(|_| ClientError::Url)?;
        let request = hyper::Request::get(uri)
            .header("Add-Padding", "true")
            .header(
                hyper::header::USER_AGENT,
                concat!("tollgate-pwned/", env!("CARGO_PKG_VERSION")),
            )
            .body(Empty::new())
            .map_err(|_| ClientError::Url)?;
        let exchange = async {
            let response = self.http.request(request).await?;
            let status = response.status();
            if status != hyper::StatusCode::OK {
                return Err(ClientError::Status(status.as_u16()));
            }
            let body = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(ClientError::Body)?
                .to_bytes();
            let text = std::str::from_utf8(&body).map_err(|e| ClientError::Body(Box::new(e)))?;
            Ok(range::count(text, hash)?)
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| ClientError::Timeout(self.timeout))?
    }

    /// [`lookup`](Self::lookup) with the fail mode applied.
    pub async fn check(&self, hash: &PasswordSha1) -> RangeVerdict {
        match self.lookup(hash).await {
            Ok(0) => RangeVerdict::NotPwned,
            Ok(count) => RangeVerdict::Pwned { count },
            Err(error) => RangeVerdict::Unavailable {
                assumed_compromised: self.fail_mode == FailMode::Closed,
                error,
            },
        }
    }
}
