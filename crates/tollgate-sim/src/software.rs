//! The client software people and bots show up with: what the TLS
//! handshake (JA4) and the user agent of each say. The JA4 strings are
//! those published for current Chrome, Firefox and Safari, and for Go's
//! `net/http` client.

/// A client software stack: what its TLS handshake and user agent say.
#[derive(Debug)]
pub(crate) struct Software {
    pub(crate) ja4: &'static str,
    pub(crate) user_agent: &'static str,
}

pub(crate) const CHROME_JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";
const FIREFOX_JA4: &str = "t13d1715h2_5b57614c22b0_3d5424432f57";
const SAFARI_JA4: &str = "t13d2014h2_a09f3c656075_14788d8d241b";
const GO_JA4: &str = "t13d190900_9dc949149365_97f8aa674fd9";
const CHROME_WIN_UA: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";

/// Indices into [`SOFTWARE`].
pub(crate) mod sw {
    pub(crate) const CHROME_DESKTOP: u8 = 0;
    pub(crate) const CHROME_ANDROID: u8 = 1;
    pub(crate) const FIREFOX: u8 = 2;
    pub(crate) const SAFARI_MAC: u8 = 3;
    pub(crate) const SAFARI_IOS: u8 = 4;
    pub(crate) const EDGE: u8 = 5;
    /// Go's HTTP client claiming to be Chrome: the stuffing bot.
    pub(crate) const GO_BOT: u8 = 6;
    /// Automated Chrome: the pumping bot gets past sign-up forms with a real browser.
    pub(crate) const HEADLESS_CHROME: u8 = 7;
    /// An anti-detect browser: Chromium's handshake under a spoofed macOS
    /// Chrome user agent, as account-takeover crews use.
    pub(crate) const ANTI_DETECT: u8 = 8;
}

pub(crate) const SOFTWARE: [Software; 9] = [
    Software {
        ja4: CHROME_JA4,
        user_agent: CHROME_WIN_UA,
    },
    Software {
        ja4: CHROME_JA4,
        user_agent: "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36",
    },
    Software {
        ja4: FIREFOX_JA4,
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    },
    Software {
        ja4: SAFARI_JA4,
        user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    },
    Software {
        ja4: SAFARI_JA4,
        user_agent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    },
    Software {
        ja4: CHROME_JA4,
        user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0",
    },
    Software {
        ja4: GO_JA4,
        user_agent: CHROME_WIN_UA,
    },
    Software {
        ja4: CHROME_JA4,
        user_agent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    },
    Software {
        ja4: CHROME_JA4,
        user_agent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    },
];
