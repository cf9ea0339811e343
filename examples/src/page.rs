//! The login page both example services serve at `GET /`: one HTML file
//! (`examples/assets/login.html`, no build step) that signs in through the
//! JSON contract and solves proof-of-work challenges with the vendored
//! ALTCHA widget (`examples/assets/altcha/`), and the widget's three files.
//!
//! Both services serve [`ASSETS`] with [`Asset::headers`], so they answer
//! with the same bytes and headers. The page's Content-Security-Policy
//! ([`content_security_policy`]) allows the service's own scripts, styles,
//! worker and `fetch`, and the page's inline script and style by their
//! hashes, nothing else: no `'unsafe-inline'`, no `blob:`.

use std::sync::OnceLock;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The page itself.
pub const LOGIN_HTML: &str = include_str!("../assets/login.html");

/// One file the services serve at `path`.
#[derive(Debug)]
pub struct Asset {
    /// The route (`GET` only).
    pub path: &'static str,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The bytes, compiled in.
    pub body: &'static [u8],
    /// Whether this is the HTML page (it alone carries the CSP).
    pub is_page: bool,
}

/// The page and the widget's files, page first.
pub const ASSETS: [Asset; 4] = [
    Asset {
        path: "/",
        content_type: "text/html; charset=utf-8",
        body: LOGIN_HTML.as_bytes(),
        is_page: true,
    },
    Asset {
        path: "/altcha.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/altcha/altcha.js"),
        is_page: false,
    },
    Asset {
        path: "/altcha.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/altcha/altcha.css"),
        is_page: false,
    },
    Asset {
        path: "/altcha-worker.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/altcha/worker.js"),
        is_page: false,
    },
];

impl Asset {
    /// The response headers besides `Content-Type`: `nosniff` on every
    /// file (a script must never be read as anything else), and on the page
    /// its CSP and no framing (clickjacking a login form).
    pub fn headers(&self) -> Vec<(&'static str, &'static str)> {
        let mut headers = vec![("x-content-type-options", "nosniff")];
        if self.is_page {
            headers.push(("content-security-policy", content_security_policy()));
            headers.push(("referrer-policy", "no-referrer"));
        }
        headers
    }
}

/// The page's Content-Security-Policy, computed once from the page.
///
/// The ALTCHA widget's external build needs only `'self'`: its styles are a
/// file, its workers start from `/altcha-worker.js`, and it changes element
/// styles through the CSSOM only (which CSP does not govern). The page's
/// own inline `<script>` and `<style>` are allowed by their SHA-256, so an
/// injected script or style is refused even if markup got in.
pub fn content_security_policy() -> &'static str {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        let scripts = hashes(LOGIN_HTML, "<script>", "</script>");
        let styles = hashes(LOGIN_HTML, "<style>", "</style>");
        format!(
            "default-src 'none'; script-src 'self'{scripts}; style-src 'self'{styles}; \
             worker-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; \
             base-uri 'none'; frame-ancestors 'none'"
        )
    })
}

/// ` 'sha256-…'` for the text of every `open`…`close` block in `html`
/// (`open` exactly: a `<script src=…>` has no inline text to allow).
fn hashes(html: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some((_, after)) = rest.split_once(open) {
        let Some((text, tail)) = after.split_once(close) else {
            break;
        };
        let digest = Sha256::digest(text.as_bytes());
        out.push_str(" 'sha256-");
        out.push_str(&base64::engine::general_purpose::STANDARD.encode(digest));
        out.push('\'');
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn the_policy_allows_each_inline_block_by_hash_and_nothing_inline_else() {
        let csp = content_security_policy();
        // One inline script and one inline style in the page.
        assert_eq!(csp.matches("'sha256-").count(), 2, "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert!(!csp.contains("blob:") && !csp.contains("data:"), "{csp}");
        // The hash of the page's script as a browser computes it: the text
        // between the tags, byte for byte.
        let start = LOGIN_HTML.find("<script>\n").unwrap() + "<script>".len();
        let end = start + LOGIN_HTML[start..].find("</script>").unwrap();
        let expected =
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&LOGIN_HTML.as_bytes()[start..end]));
        assert!(
            csp.contains(&format!("script-src 'self' 'sha256-{expected}';")),
            "{csp}"
        );
    }

    #[test]
    fn hashes_skip_unclosed_and_attributed_blocks() {
        let html = "<script src=/a.js></script><script>x</script><script>unclosed";
        let one = hashes(html, "<script>", "</script>");
        assert_eq!(one.matches("sha256").count(), 1);
        assert_eq!(hashes("<p>", "<script>", "</script>"), "");
    }

    #[test]
    fn the_page_names_the_routes_it_loads() {
        for asset in &ASSETS[1..] {
            assert!(LOGIN_HTML.contains(&format!("\"{}\"", asset.path)), "{}", asset.path);
        }
        assert!(LOGIN_HTML.contains("x-tollgate-pow"));
        assert!(!ASSETS[1].body.is_empty() && ASSETS[1..].iter().all(|a| !a.is_page));
    }
}
