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

use tollgate::EventKind;

#[derive(Clone, Debug, PartialEq, Eq)]
enum PathMatch {
    Exact(Box<str>),
    Prefix(Box<str>),
}

impl PathMatch {
    fn parse(path: &str) -> Self {
        match path.strip_suffix('*') {
            Some(prefix) => PathMatch::Prefix(prefix.into()),
            None => PathMatch::Exact(path.into()),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            PathMatch::Exact(p) => **p == *path,
            PathMatch::Prefix(p) => path.starts_with(&**p),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Route {
    /// Upper-case method name, `None` for any.
    method: Option<Box<str>>,
    path: PathMatch,
    kind: EventKind,
}

/// The protected routes, in the order they were added: the first match wins.
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

    /// The event kind of the first route matching `method` and `path`.
    pub fn find(&self, method: &str, path: &str) -> Option<EventKind> {
        self.routes
            .iter()
            .find(|r| r.method.as_deref().is_none_or(|m| m == method) && r.path.matches(path))
            .map(|r| r.kind)
    }

    /// Whether no route is protected.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_exactly_or_by_prefix() {
        let prefix = PathMatch::parse("/otp/*");
        assert!(prefix.matches("/otp/send"));
        assert!(!prefix.matches("/otp"));
        let exact = PathMatch::parse("/login");
        assert!(exact.matches("/login"));
        assert!(!exact.matches("/login/x"));
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
