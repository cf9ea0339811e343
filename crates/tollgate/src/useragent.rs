//! Which mainstream browser a user agent claims to be.
//!
//! A small classifier for one question: does the `User-Agent` header claim
//! a browser whose TLS and HTTP/2 handshakes we can recognise? It looks for
//! a few product tokens, in an order that follows how browsers copy each
//! other's tokens (every Chromium says `Safari/`, every browser on iOS is
//! WebKit whatever its brand). It allocates nothing and never fails;
//! anything it does not recognise is `None`, which turns the
//! user-agent/fingerprint consistency signal off for that event.
//!
//! ```
//! use tollgate::useragent::{BrowserFamily, browser_family};
//!
//! let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
//!     (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0";
//! assert_eq!(browser_family(edge), Some(BrowserFamily::Chromium));
//! // Chrome on iOS runs on WebKit and Apple's TLS stack.
//! let crios = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 \
//!     (KHTML, like Gecko) CriOS/122.0.6261.89 Mobile/15E148 Safari/604.1";
//! assert_eq!(browser_family(crios), Some(BrowserFamily::Safari));
//! assert_eq!(browser_family("python-requests/2.31.0"), None);
//! ```

use std::fmt;
use std::str::FromStr;

/// A family of browsers sharing one TLS and HTTP/2 stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum BrowserFamily {
    /// Chrome, Chromium, Edge, Opera, Brave, Samsung Internet, Android
    /// WebView: BoringSSL and Chromium's HTTP/2.
    Chromium,
    /// Firefox on desktop and Android: NSS.
    Firefox,
    /// Safari, and every browser or web view on iOS and iPadOS (WebKit,
    /// Apple's network stack).
    Safari,
}

impl BrowserFamily {
    /// Every family.
    pub const ALL: [BrowserFamily; 3] = [BrowserFamily::Chromium, BrowserFamily::Firefox, BrowserFamily::Safari];

    /// The name used in policies and list files: `chromium`, `firefox`, `safari`.
    pub fn as_str(self) -> &'static str {
        match self {
            BrowserFamily::Chromium => "chromium",
            BrowserFamily::Firefox => "firefox",
            BrowserFamily::Safari => "safari",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for BrowserFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not `chromium`, `firefox` or `safari`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected a browser family: chromium, firefox or safari")]
pub struct UnknownFamily;

impl FromStr for BrowserFamily {
    type Err = UnknownFamily;

    fn from_str(s: &str) -> Result<Self, UnknownFamily> {
        BrowserFamily::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or(UnknownFamily)
    }
}

/// The browser family a user agent claims, or `None` for anything else
/// (libraries, bots that say so, legacy browsers, empty or odd strings).
///
/// Only strings shaped like a modern browser's (`Mozilla/5.0 (`...) count;
/// tokens are matched case-sensitively, as browsers send them.
pub fn browser_family(user_agent: &str) -> Option<BrowserFamily> {
    let ua = user_agent.trim_start();
    if !ua.starts_with("Mozilla/5.0 (") {
        return None;
    }
    let has = |token: &str| ua.contains(token);
    // Self-declared crawlers copy browser tokens but are not browsers.
    if ["bot", "Bot", "spider", "Spider", "crawler", "Crawler"]
        .iter()
        .any(|t| has(t))
    {
        return None;
    }
    let apple_mobile = has("iPhone") || has("iPad") || has("iPod");
    if apple_mobile && has("AppleWebKit/") {
        return Some(BrowserFamily::Safari);
    }
    if has("Chrome/") || has("Chromium/") || has("HeadlessChrome/") {
        return Some(BrowserFamily::Chromium);
    }
    if has("Firefox/") && has("Gecko/") {
        return Some(BrowserFamily::Firefox);
    }
    if has("AppleWebKit/") && has("Version/") && has("Safari/") {
        return Some(BrowserFamily::Safari);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Real user agents, as browsers and tools sent them.
    const TABLE: &[(&str, Option<BrowserFamily>)] = &[
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
            Some(BrowserFamily::Chromium),
        ),
        (
            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36",
            Some(BrowserFamily::Chromium),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0",
            Some(BrowserFamily::Chromium),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
            Some(BrowserFamily::Chromium),
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-S901B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
            Some(BrowserFamily::Chromium),
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36",
            Some(BrowserFamily::Chromium),
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/122.0.0.0 Safari/537.36",
            Some(BrowserFamily::Chromium),
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
            Some(BrowserFamily::Firefox),
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
            Some(BrowserFamily::Firefox),
        ),
        (
            "Mozilla/5.0 (Android 14; Mobile; rv:123.0) Gecko/123.0 Firefox/123.0",
            Some(BrowserFamily::Firefox),
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
            Some(BrowserFamily::Safari),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
            Some(BrowserFamily::Safari),
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/119.0 Mobile/15E148 Safari/605.1.15",
            Some(BrowserFamily::Safari),
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 309.0.0.28.112",
            Some(BrowserFamily::Safari),
        ),
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            None,
        ),
        (
            "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
            None,
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko", None),
        ("Opera/9.80 (Windows NT 6.1; U; en) Presto/2.10.289 Version/12.00", None),
        ("curl/8.5.0", None),
        ("python-requests/2.31.0", None),
        ("Go-http-client/2.0", None),
        ("okhttp/4.12.0", None),
        ("MyBank/5.2.1 (iPhone; iOS 17.3; Scale/3.00)", None),
        ("", None),
    ];

    #[test]
    fn real_user_agents() {
        for (ua, want) in TABLE {
            assert_eq!(browser_family(ua), *want, "{ua}");
        }
    }

    #[test]
    fn family_names_round_trip() {
        for f in BrowserFamily::ALL {
            assert_eq!(f.as_str().parse::<BrowserFamily>(), Ok(f));
        }
        assert_eq!("chrome".parse::<BrowserFamily>(), Err(UnknownFamily));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_needs_the_mozilla_prefix(ua in "\\PC{0,200}") {
            let family = browser_family(&ua);
            if !ua.trim_start().starts_with("Mozilla/5.0 (") {
                proptest::prop_assert_eq!(family, None);
            }
        }
    }
}
