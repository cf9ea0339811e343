//! Which requests an adapter evaluates before the handler: paths (exact, or
//! a prefix ending in `*`), optionally one method, each with its event kind.
//! Shared by the tower layer and the actix-web middleware so both match
//! routes the same way.
//!
//! ```
//! use tollgate::{Channel, EventKind};
//! use tollgate_tower::routes::Routes;
//!
//! let mut routes = Routes::default();
//! routes.add(Some("POST"), "/login", EventKind::Login);
//! routes.add(None, "/otp/*", EventKind::OtpSend { channel: Channel::Sms });
//! assert_eq!(routes.find("POST", "/login"), Some(EventKind::Login));
//! assert_eq!(routes.find("GET", "/login"), None, "another method");
//! assert_eq!(routes.find("GET", "/login/x"), None, "exact paths match exactly");
//! assert!(routes.find("PUT", "/otp/send").is_some());
//! ```

use std::borrow::Cow;

use tollgate::EventKind;

/// A protected path as given, and its canonical form (see [`canonical`]).
#[derive(Clone, Debug, PartialEq, Eq)]
enum PathMatch {
    Exact {
        raw: Box<str>,
        canonical: Box<[u8]>,
    },
    /// The canonical prefix keeps a trailing `/` the pattern had, so
    /// `/otp/*` does not match `/otpx`.
    Prefix {
        raw: Box<str>,
        canonical: Box<[u8]>,
    },
}

impl PathMatch {
    fn parse(path: &str) -> Self {
        match path.strip_suffix('*') {
            Some(prefix) => {
                let mut canonical = canonical(prefix).unwrap_or_else(|| prefix.as_bytes().to_vec());
                if prefix.ends_with('/') && canonical != b"/" {
                    canonical.push(b'/');
                }
                PathMatch::Prefix {
                    raw: prefix.into(),
                    canonical: canonical.into(),
                }
            }
            None => PathMatch::Exact {
                raw: path.into(),
                canonical: canonical(path).unwrap_or_else(|| path.as_bytes().to_vec()).into(),
            },
        }
    }

    /// `path` exactly as the router sees it.
    fn matches_raw(&self, path: &str) -> bool {
        match self {
            PathMatch::Exact { raw, .. } => **raw == *path,
            PathMatch::Prefix { raw, .. } => path.starts_with(&**raw),
        }
    }

    /// `path` in canonical form: the prefix `/otp/` also takes `/otp`,
    /// which a normaliser appending slashes would turn into `/otp/`.
    fn matches_canonical(&self, path: &[u8]) -> bool {
        match self {
            PathMatch::Exact { canonical, .. } => **canonical == *path,
            PathMatch::Prefix { canonical, .. } => {
                path.starts_with(canonical) || canonical.strip_suffix(b"/").is_some_and(|c| c == path)
            }
        }
    }
}

/// The canonical form of a request path, `None` when `path` already is
/// one: every `%XX` escape decoded (once), empty and `.` segments dropped,
/// `..` segments resolved, no trailing slash.
///
/// It is deliberately looser than any router: routes are matched on what the
/// router matches and, failing that, on this form, so a request reaches an
/// unprotected handler only if neither matches. A looser form costs an
/// evaluation on a request the router then refuses (404); a stricter one
/// would let a spelling the router or a path normaliser accepts walk past
/// the limits.
fn canonical(path: &str) -> Option<Vec<u8>> {
    let already = path.starts_with('/')
        && !path.contains('%')
        && (path == "/" || path.split('/').skip(1).all(|s| !matches!(s, "" | "." | "..")));
    if already {
        return None;
    }
    let decoded = percent_decode(path.as_bytes());
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in decoded.split(|&b| b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    if segments.is_empty() {
        return Some(b"/".to_vec());
    }
    let mut out = Vec::with_capacity(decoded.len() + 1);
    for segment in segments {
        out.push(b'/');
        out.extend_from_slice(segment);
    }
    Some(out)
}

/// Decodes every valid `%XX` escape; invalid ones stay as they are.
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&byte, tail)) = rest.split_first() {
        let escape = match tail {
            [hi, lo, ..] if byte == b'%' => hex(*hi).zip(hex(*lo)).map(|(h, l)| h << 4 | l),
            _ => None,
        };
        match (escape, tail.get(2..)) {
            (Some(decoded), Some(after)) => {
                out.push(decoded);
                rest = after;
            }
            _ => {
                out.push(byte);
                rest = tail;
            }
        }
    }
    out
}

fn hex(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Route {
    /// Upper-case method name, `None` for any.
    method: Option<Box<str>>,
    path: PathMatch,
    kind: EventKind,
}

impl Route {
    /// `HEAD` counts as `GET`: axum hands HEAD requests to GET handlers
    /// (actix-web answers them 404 or 405, so the extra match is harmless).
    fn method_matches(&self, method: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m == method || (m == "GET" && method == "HEAD"))
    }
}

/// The protected routes, in the order they were added: the first match wins.
///
/// A request matches a route when its method does (`HEAD` counts as `GET`)
/// and its path does, either as given (the string the framework's router
/// matches) or, failing every route that way, in a canonical form:
/// percent-escapes decoded, repeated slashes merged, dot segments resolved,
/// trailing slashes dropped. So `/%6Cogin`, `//login`, `/login/` and
/// `/./login` are all evaluated as `/login`, whatever decoding the router or
/// a path normaliser (actix-web's `NormalizePath`, tower-http's) does before
/// the handler runs, and whichever side of tollgate it sits. Case is kept:
/// both routers match paths case-sensitively. The query string is never
/// part of the path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    routes: Vec<Route>,
}

impl Routes {
    /// Evaluates `kind` on requests to `path` (exact, or a prefix when it
    /// ends in `*`) with `method` (its name, e.g. `"POST"`; `None`: any).
    pub fn add(&mut self, method: Option<&str>, path: &str, kind: EventKind) {
        self.routes.push(Route {
            method: method.map(Into::into),
            path: PathMatch::parse(path),
            kind,
        });
    }

    /// The event kind of the first route matching `method` and `path` (the
    /// path the framework's router matches, without the query string).
    pub fn find(&self, method: &str, path: &str) -> Option<EventKind> {
        let routes = || self.routes.iter().filter(|r| r.method_matches(method));
        if let Some(route) = routes().find(|r| r.path.matches_raw(path)) {
            return Some(route.kind);
        }
        // Even a canonical path is compared again: a pattern's canonical
        // form may differ from it (`/login/` is `/login`).
        let canonical = canonical(path).map_or(Cow::Borrowed(path.as_bytes()), Cow::Owned);
        routes().find(|r| r.path.matches_canonical(&canonical)).map(|r| r.kind)
    }

    /// Whether no route is protected.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tollgate::Channel;

    use super::*;

    const OTP: EventKind = EventKind::OtpSend { channel: Channel::Sms };

    fn routes() -> Routes {
        let mut routes = Routes::default();
        routes.add(Some("POST"), "/login", EventKind::Login);
        routes.add(None, "/otp/*", OTP);
        routes.add(Some("GET"), "/link", EventKind::Signup);
        routes
    }

    #[test]
    fn paths_match_exactly_or_by_prefix() {
        let routes = routes();
        assert_eq!(routes.find("POST", "/otp/send"), Some(OTP));
        assert_eq!(
            routes.find("POST", "/otp"),
            Some(OTP),
            "a normaliser may append the slash"
        );
        assert_eq!(routes.find("POST", "/otpx"), None);
        assert_eq!(routes.find("POST", "/login"), Some(EventKind::Login));
        assert_eq!(routes.find("POST", "/login/x"), None);
        assert_eq!(routes.find("GET", "/login"), None, "another method");
    }

    #[test]
    fn every_spelling_of_a_protected_path_matches() {
        let routes = routes();
        for path in [
            "/%6Cogin",
            "/%6cogin",
            "/l%6F%67in",
            "//login",
            "/login/",
            "/login//",
            "/./login",
            "/%2e/login",
            "/x/../login",
            "/%2Flogin",
            "/login%2F",
        ] {
            assert_eq!(routes.find("POST", path), Some(EventKind::Login), "{path}");
        }
        for path in ["/%6Ftp/send", "//otp/send", "/otp//send", "/otp%2Fsend", "/otp/."] {
            assert_eq!(routes.find("PUT", path), Some(OTP), "{path}");
        }
        for path in ["/LOGIN", "/logi", "/login%", "/login%2", "/log%69n%zz", "/login/x/..x"] {
            assert_eq!(routes.find("POST", path), None, "{path}");
        }
    }

    #[test]
    fn head_counts_as_get() {
        let routes = routes();
        assert_eq!(routes.find("HEAD", "/link"), Some(EventKind::Signup));
        assert_eq!(routes.find("HEAD", "//link/"), Some(EventKind::Signup));
        assert_eq!(routes.find("HEAD", "/login"), None, "HEAD is not POST");
    }

    #[test]
    fn the_routers_own_spelling_wins_over_the_canonical_one() {
        let mut routes = Routes::default();
        routes.add(None, "/a/*", EventKind::Login);
        routes.add(None, "/b/*", EventKind::Signup);
        // The router would hand `/b/../a/x` to a `/b/{*rest}` handler.
        assert_eq!(routes.find("POST", "/b/../a/x"), Some(EventKind::Signup));
        assert_eq!(routes.find("POST", "/c/../a/x"), Some(EventKind::Login));
    }

    #[test]
    fn canonical_forms() {
        let c = |p: &str| canonical(p).map(|v| String::from_utf8(v).unwrap());
        assert_eq!(c("/login"), None);
        assert_eq!(c("/"), None);
        assert_eq!(c(""), Some("/".into()));
        assert_eq!(c("//"), Some("/".into()));
        assert_eq!(c("/.."), Some("/".into()));
        assert_eq!(c("/a/%2e%2E/b/"), Some("/b".into()));
        assert_eq!(c("/%25%36%43"), Some("/%6C".into()), "decoded once");
        assert_eq!(c("/%zz%4"), Some("/%zz%4".into()));
        assert_eq!(canonical("/%ff"), Some(vec![b'/', 0xff]));
    }

    #[test]
    fn the_first_matching_route_wins() {
        let mut routes = Routes::default();
        assert!(routes.is_empty());
        routes.add(None, "/account/*", EventKind::Login);
        routes.add(Some("POST"), "/account/email", EventKind::Signup);
        assert_eq!(routes.find("POST", "/account/email"), Some(EventKind::Login));
    }
}
