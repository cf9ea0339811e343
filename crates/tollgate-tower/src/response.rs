//! What a decision looks like on the wire, framework-neutral.
//!
//! | action | status | headers | body |
//! | --- | --- | --- | --- |
//! | allow | the handler's | `RateLimit-Policy`, `RateLimit` | the handler's |
//! | throttle | 429 | `Retry-After` (whole seconds, rounded up, at least 1), `RateLimit-Policy`, `RateLimit` | RFC 9457 problem+json |
//! | deny | 403 | — | RFC 9457 problem+json |
//! | challenge | 401 | `Cache-Control: no-store` | problem+json with a `challenge` member: the step-up that suits (`step_up`: `proof_of_work` or `second_factor`), the step-up `methods` the client may use, and for a proof of work the ALTCHA challenge (`pow`) |
//!
//! Bodies never say which signal fired: that is for the server log. The
//! RateLimit fields follow the IETF httpapi draft
//! (`RateLimit-Policy: "login-ip";q=60;w=120`, `RateLimit: "login-ip";r=59;t=2`).
//! `docs/http.md` is the full contract.
//!
//! ```
//! use tollgate::{Action, Decision};
//! use tollgate_tower::response::{Rejection, ResponseConfig};
//!
//! let mut d = Decision::allow();
//! d.action = Action::Deny;
//! let r = Rejection::from_decision(&d, &ResponseConfig::default()).unwrap();
//! assert_eq!(r.status, 403);
//! assert_eq!(r.content_type(), "application/problem+json");
//! assert!(!r.body.contains("reason"));
//! ```

use http::{HeaderName, HeaderValue};
use tollgate::{Action, Decision, RateLimitInfo, StepUp};

/// How rejections are written.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseConfig {
    /// Step-up methods offered in a challenge, e.g. `["passkey", "totp"]`.
    pub step_up: Vec<String>,
    /// Base of the problem `type` URIs; the action is appended
    /// (`{base}/throttled`, `/denied`, `/challenge`).
    pub problem_base: String,
}

impl Default for ResponseConfig {
    fn default() -> Self {
        ResponseConfig {
            step_up: vec!["passkey".into(), "totp".into()],
            problem_base: "urn:tollgate:problem".into(),
        }
    }
}

/// A refusal to send instead of the handler's response.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejection {
    /// HTTP status: 429, 403 or 401.
    pub status: u16,
    /// Header names (lower case) and values, `content-type` included.
    pub headers: Vec<(&'static str, String)>,
    /// The problem+json body.
    pub body: String,
}

impl Rejection {
    /// The rejection for a decision, or `None` when it allows.
    pub fn from_decision(decision: &Decision, config: &ResponseConfig) -> Option<Rejection> {
        let base = &config.problem_base;
        let (status, title, kind, detail) = match decision.action {
            Action::Allow => return None,
            Action::Throttle { .. } => (
                429,
                "Too Many Requests",
                "throttled",
                "Too many attempts. Try again later.",
            ),
            Action::Challenge => (
                401,
                "Additional verification required",
                "challenge",
                "Complete one of the offered verification methods and retry.",
            ),
            _ => (403, "Forbidden", "denied", "This request cannot be completed."),
        };
        let mut body = serde_json::json!({
            "type": format!("{base}/{kind}"),
            "title": title,
            "status": status,
            "detail": detail,
        });
        if let (Action::Challenge, Some(fields)) = (decision.action, body.as_object_mut()) {
            fields.insert("challenge".into(), challenge(decision, config));
        }
        let mut headers = vec![("content-type", "application/problem+json".to_owned())];
        if let Some(secs) = decision.action.retry_after_secs() {
            headers.push(("retry-after", secs.to_string()));
        }
        if matches!(decision.action, Action::Throttle { .. }) {
            headers.extend(
                decision
                    .rate_limit
                    .as_ref()
                    .map(rate_limit_headers)
                    .into_iter()
                    .flatten(),
            );
        }
        if decision.action == Action::Challenge {
            headers.push(("cache-control", "no-store".to_owned()));
        }
        Some(Rejection {
            status,
            headers,
            body: body.to_string(),
        })
    }

    /// A 500 for a server misconfiguration (a missing layer or peer): never
    /// the client's fault, so `detail` says what to fix.
    pub fn misconfigured(detail: &str) -> Rejection {
        let body = serde_json::json!({
            "type": "urn:tollgate:problem/misconfigured",
            "title": "Server misconfigured",
            "status": 500,
            "detail": detail,
        });
        Rejection {
            status: 500,
            headers: vec![("content-type", "application/problem+json".to_owned())],
            body: body.to_string(),
        }
    }

    /// The `content-type` header's value.
    pub fn content_type(&self) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| *n == "content-type")
            .map_or("", |(_, v)| v.as_str())
    }

    /// As an `http` response with a body made from the JSON text.
    pub fn into_response<B: From<String>>(self) -> http::Response<B> {
        let mut response = http::Response::new(B::from(self.body));
        *response.status_mut() = http::StatusCode::from_u16(self.status).unwrap_or(http::StatusCode::FORBIDDEN);
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            if let Ok(value) = http::HeaderValue::from_str(&value) {
                headers.append(name, value);
            }
        }
        response
    }
}

/// A challenge's `challenge` member: which step-up suits, the methods on
/// offer, and the proof of work in the exact shape the ALTCHA widget reads
/// (`algorithm`, `challenge`, `salt`, `signature`, `maxnumber`).
fn challenge(decision: &Decision, config: &ResponseConfig) -> serde_json::Value {
    let step_up = decision.step_up().unwrap_or(StepUp::SecondFactor);
    let mut challenge = serde_json::json!({
        "step_up": step_up.as_str(),
        "methods": config.step_up,
    });
    if let (Some(pow), Some(fields)) = (&decision.pow, challenge.as_object_mut()) {
        fields.insert(
            "pow".into(),
            serde_json::json!({
                "algorithm": pow.algorithm,
                "challenge": pow.challenge,
                "salt": pow.salt,
                "signature": pow.signature,
                "maxnumber": pow.maxnumber,
            }),
        );
    }
    challenge
}

/// The `RateLimit-Policy` and `RateLimit` header values for a quota (IETF
/// httpapi RateLimit fields; seconds rounded up).
pub fn rate_limit_headers(info: &RateLimitInfo) -> [(&'static str, String); 2] {
    let secs = |d: std::time::Duration| d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let name = &info.policy;
    [
        (
            "ratelimit-policy",
            format!("\"{name}\";q={};w={}", info.limit, secs(info.window).max(1)),
        ),
        (
            "ratelimit",
            format!("\"{name}\";r={};t={}", info.remaining, secs(info.reset)),
        ),
    ]
}

/// [`rate_limit_headers`] as typed header pairs, for the tower layer's
/// allow path: the names are constants and the values take the formatted
/// strings without copying them. `None` if a policy name made a value
/// invalid (policy names are validated, so never in practice).
pub(crate) fn rate_limit_header_values(info: &RateLimitInfo) -> Option<[(HeaderName, HeaderValue); 2]> {
    const POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
    const LIMIT: HeaderName = HeaderName::from_static("ratelimit");
    let [(_, policy), (_, limit)] = rate_limit_headers(info);
    Some([
        (POLICY, HeaderValue::try_from(policy).ok()?),
        (LIMIT, HeaderValue::try_from(limit).ok()?),
    ])
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn decision(action: Action) -> Decision {
        let mut d = Decision::allow();
        d.action = action;
        d
    }

    #[test]
    fn allow_is_not_a_rejection() {
        assert_eq!(
            Rejection::from_decision(&Decision::allow(), &ResponseConfig::default()),
            None
        );
    }

    #[test]
    fn throttle_rounds_retry_after_up() {
        for (ms, secs) in [(1, "1"), (300, "1"), (1000, "1"), (1001, "2"), (59_999, "60")] {
            let d = decision(Action::Throttle {
                retry_after: Duration::from_millis(ms),
            });
            let r = Rejection::from_decision(&d, &ResponseConfig::default()).unwrap();
            assert_eq!(r.status, 429);
            assert!(
                r.headers.contains(&("retry-after", secs.to_owned())),
                "{ms} ms: {:?}",
                r.headers
            );
        }
    }

    #[test]
    fn challenge_lists_step_up_methods() {
        let r = Rejection::from_decision(&decision(Action::Challenge), &ResponseConfig::default()).unwrap();
        assert_eq!(r.status, 401);
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(
            body["challenge"],
            serde_json::json!({"step_up": "second_factor", "methods": ["passkey", "totp"]})
        );
        assert_eq!(body["type"], "urn:tollgate:problem/challenge");
        assert_eq!(body["status"], 401);
    }

    #[test]
    fn a_proof_of_work_challenge_carries_altchas_fields() {
        use tollgate::pow::{PowConfig, PowSecret};
        use tollgate::{EventType, Timestamp};
        let policy =
            tollgate::policy::Policy::from_toml("[[asns]]\nname = \"h\"\nasns = [64500]\naction = \"challenge\"\n")
                .unwrap();
        let engine = tollgate::Engine::builder(policy)
            .proof_of_work(PowConfig::new(PowSecret::new(*b"0123456789abcdef").unwrap()))
            .build()
            .unwrap();
        let event = tollgate::Event::new(tollgate::EventKind::Login, Timestamp::EPOCH).with_asn(tollgate::Asn(64500));
        let d = engine.evaluate(&event);
        let pow = d.pow.clone().unwrap();
        let r = Rejection::from_decision(&d, &ResponseConfig::default()).unwrap();
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["challenge"]["step_up"], "proof_of_work");
        assert_eq!(
            body["challenge"]["pow"],
            serde_json::json!({
                "algorithm": "SHA-256",
                "challenge": pow.challenge,
                "salt": pow.salt,
                "signature": pow.signature,
                "maxnumber": pow.maxnumber,
            })
        );
        assert!(pow.salt.ends_with(&format!("&event={}&", EventType::Login.as_str())));
    }

    #[test]
    fn rate_limit_fields() {
        let info = RateLimitInfo {
            policy: "login-ip".into(),
            limit: 60,
            window: Duration::from_secs(120),
            remaining: 0,
            reset: Duration::from_millis(1500),
        };
        let [policy, limit] = rate_limit_headers(&info);
        assert_eq!(policy.1, "\"login-ip\";q=60;w=120");
        assert_eq!(limit.1, "\"login-ip\";r=0;t=2");
    }

    #[test]
    fn into_http_response() {
        let r = Rejection::from_decision(&decision(Action::Deny), &ResponseConfig::default()).unwrap();
        let response: http::Response<String> = r.into_response();
        assert_eq!(response.status(), 403);
        assert_eq!(response.headers()["content-type"], "application/problem+json");
    }

    #[test]
    fn misconfigured_is_a_500_saying_what_to_fix() {
        let r = Rejection::misconfigured("add the layer");
        assert_eq!(r.status, 500);
        assert_eq!(r.content_type(), "application/problem+json");
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["type"], "urn:tollgate:problem/misconfigured");
        assert_eq!(body["detail"], "add the layer");
    }
}
