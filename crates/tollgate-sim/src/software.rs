//! The client software people and bots show up with: what the TLS
//! handshake (JA4) and the user agent of each say. The JA4 strings are
//! those published for current Chrome, Firefox and Safari, and for Go's
//! `net/http` client.
//!
//! The `*_NEXT` entries are the next release of each browser, for the
//! browser-release drift ([`Traffic::browser_release`](crate::Traffic::browser_release)):
//! the handshake of tollgate's built-in seed for the family
//! (`browser_shapes.txt`) with one extension added that the Chromium 156
//! and Firefox ESR 153 captures in tollgate's test data carry and the seeds
//! do not: `0xca34` for Chromium, ECH (`0xfe0d`) for Firefox and Safari.
//! Their JA4 is computed from that shape, and no table lists it (a test
//! checks).

/// A client software stack: what its TLS handshake and user agent say.
#[derive(Debug)]
pub(crate) struct Software {
    /// The JA4; empty when it is computed from `shape`.
    pub(crate) ja4: &'static str,
    pub(crate) user_agent: &'static str,
    /// The handshake's structure (`JA4_r[+grease]`), for entries that
    /// send it; the others carry their JA4 only.
    pub(crate) shape: Option<&'static str>,
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
    /// The next releases of the browsers above, in the same order.
    pub(crate) const CHROME_DESKTOP_NEXT: u8 = 9;
    pub(crate) const CHROME_ANDROID_NEXT: u8 = 10;
    pub(crate) const FIREFOX_NEXT: u8 = 11;
    pub(crate) const SAFARI_MAC_NEXT: u8 = 12;
    pub(crate) const SAFARI_IOS_NEXT: u8 = 13;
    pub(crate) const EDGE_NEXT: u8 = 14;
}

/// The next release of a browser, for the ones that have one.
pub(crate) fn next_release(software: u8) -> Option<u8> {
    match software {
        sw::CHROME_DESKTOP => Some(sw::CHROME_DESKTOP_NEXT),
        sw::CHROME_ANDROID => Some(sw::CHROME_ANDROID_NEXT),
        sw::FIREFOX => Some(sw::FIREFOX_NEXT),
        sw::SAFARI_MAC => Some(sw::SAFARI_MAC_NEXT),
        sw::SAFARI_IOS => Some(sw::SAFARI_IOS_NEXT),
        sw::EDGE => Some(sw::EDGE_NEXT),
        _ => None,
    }
}

/// Chromium's seed handshake with `0xca34` added. (Not ECH: Chromium with
/// ECH is in the built-in table already, from FoxIO's mapping.)
const CHROMIUM_NEXT: &str = "t13d1517h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ca34,ff01_0403,0804,0401,0503,0805,0501,0806,0601+grease";
/// Firefox's seed handshake with ECH added.
const FIREFOX_NEXT: &str = "t13d1716h2_002f,0035,009c,009d,1301,1302,1303,c009,c00a,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0015,0017,001c,0022,0023,002b,002d,0033,fe0d,ff01_0403,0503,0603,0804,0805,0806,0401,0501,0601,0203,0201";
/// Safari's seed handshake with ECH added.
const SAFARI_NEXT: &str = "t13d2015h2_000a,002f,0035,009c,009d,1301,1302,1303,c008,c009,c00a,c012,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,002b,002d,0033,fe0d,ff01_0403,0804,0401,0503,0203,0805,0805,0501,0806,0601,0201+grease";

const fn next(user_agent: &'static str, shape: &'static str) -> Software {
    Software {
        ja4: "",
        user_agent,
        shape: Some(shape),
    }
}

const fn known(ja4: &'static str, user_agent: &'static str) -> Software {
    Software {
        ja4,
        user_agent,
        shape: None,
    }
}

pub(crate) const SOFTWARE: [Software; 15] = [
    known(CHROME_JA4, CHROME_WIN_UA),
    known(
        CHROME_JA4,
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Mobile Safari/537.36",
    ),
    known(
        FIREFOX_JA4,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0",
    ),
    known(
        SAFARI_JA4,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    ),
    known(
        SAFARI_JA4,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    ),
    known(
        CHROME_JA4,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 Edg/122.0.0.0",
    ),
    known(GO_JA4, CHROME_WIN_UA),
    known(
        CHROME_JA4,
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    ),
    known(
        CHROME_JA4,
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
    ),
    next(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
        CHROMIUM_NEXT,
    ),
    next(
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36",
        CHROMIUM_NEXT,
    ),
    next(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0",
        FIREFOX_NEXT,
    ),
    next(
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        SAFARI_NEXT,
    ),
    next(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        SAFARI_NEXT,
    ),
    next(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 Edg/123.0.0.0",
        CHROMIUM_NEXT,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_are_in_no_table_and_fit_their_family() {
        let table = tollgate::policy::FingerprintList::parse(tollgate::policy::BUILTIN_BROWSER_FINGERPRINTS).unwrap();
        for index in 0..SOFTWARE.len() as u8 {
            let Some(next) = next_release(index) else { continue };
            let shape: tollgate::TlsShape = SOFTWARE[usize::from(next)].shape.unwrap().parse().unwrap();
            let ja4 = tollgate::policy::Fingerprint::Ja4(shape.ja4());
            let families = tollgate::useragent::BrowserFamily::ALL;
            assert!(families.iter().all(|f| !table.family(*f).contains(&ja4)), "{shape}");
        }
    }
}
