//! Fingerprint rules and the browser-fingerprint table.
//!
//! ```
//! use tollgate::policy::{FingerprintAction, Policy};
//!
//! let policy = Policy::from_toml(r#"
//!     [[fingerprints.rules]]
//!     name = "partner-app"
//!     ja4 = ["t13d190900_9dc949149365_97f8aa674fd9"]
//!     action = "trust"
//!
//!     [[fingerprints.rules]]
//!     name = "known-bots"
//!     lists = ["bot-fingerprints"]   # Engine::set_fingerprint_list
//!     action = { score = 30 }
//!
//!     [[fingerprints.browsers]]
//!     family = "firefox"
//!     ja4 = ["t13d1716h2_5b57614c22b0_eeeeeeeeeeee"]
//!
//!     [fingerprints.structure]
//!     added_extensions = 2
//!
//!     [fingerprints.learn]
//!     accounts = 20
//!     networks = 8
//! "#)?;
//! assert_eq!(policy.fingerprints.rules[0].action, FingerprintAction::Trust);
//! assert_eq!(policy.fingerprints.structure.dropped_ciphers, 3);
//! assert_eq!(policy.fingerprints.learn.window_hours, 72);
//! # Ok::<(), tollgate::policy::PolicyError>(())
//! ```

use super::fingerprint_list::FingerprintList;
use super::fingerprint_shapes::StructureCheck;
use crate::useragent::BrowserFamily;
use crate::{EventType, HeaderFingerprint, Http2Fingerprint, Ja3, Ja4, TlsShape};

/// The built-in browser table (`family fingerprint` lines): see
/// `docs/fingerprint-signals.md` for where each value comes from.
pub const BUILTIN_BROWSER_FINGERPRINTS: &str = include_str!("browser_fingerprints.txt");

/// Fingerprint settings: rules on known fingerprints, and what a browser's
/// handshake looks like for the user-agent consistency check.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Fingerprints {
    /// Allow (trust), score, challenge or deny listed fingerprints.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub rules: Vec<FingerprintRule>,
    /// Use the built-in table of browser fingerprints
    /// ([`BUILTIN_BROWSER_FINGERPRINTS`]); default true.
    pub builtin_browsers: bool,
    /// Browser fingerprints added in the policy.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub browsers: Vec<BrowserFingerprints>,
    /// Names of lists, attached with
    /// [`Engine::set_fingerprint_list`](crate::Engine::set_fingerprint_list),
    /// that add to the browser table (labelled entries to their family,
    /// unlabelled ones to every family).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub browser_lists: Vec<String>,
    /// How a handshake's structure is judged against the families' seed
    /// shapes (built-in, [`BUILTIN_BROWSER_SHAPES`](super::BUILTIN_BROWSER_SHAPES)
    /// when `builtin_browsers` is on, and [`BrowserFingerprints::shapes`]).
    pub structure: StructureCheck,
    /// Learning a family's new fingerprints from the site's own
    /// successful logins.
    pub learn: LearnBrowsers,
}

/// Learning from the site's own traffic (the `[fingerprints.learn]`
/// table): a JA4 that fails the family check becomes known for the family
/// its user agents claim once enough distinct accounts from enough
/// distinct networks signed in successfully with it. See
/// `docs/fingerprint-signals.md`, "Learning".
///
/// Evidence is counted per (family, JA4) in windows of `window_hours`: a
/// value with no successful login for two windows is forgotten. At most
/// `max_entries` values per family are candidates at a time; the one
/// least recently used in a successful login gives way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct LearnBrowsers {
    /// Learn at all; default true.
    pub enabled: bool,
    /// Distinct accounts that must have signed in with the value (1 to
    /// 64); default 10.
    pub accounts: u8,
    /// Distinct networks (the ASN when known, else the address's
    /// `keys.ipv4_prefix` / `keys.ipv6_prefix` network) they must have
    /// signed in from (1 to 64, at most `accounts`); default 5.
    pub networks: u8,
    /// Evidence window in hours (1 to 2160); default 72: a value is
    /// forgotten 3 to 6 days after its last successful login.
    pub window_hours: u16,
    /// Candidate values kept per family (1 to 32); default 32.
    pub max_entries: u8,
}

impl Default for LearnBrowsers {
    fn default() -> Self {
        LearnBrowsers {
            enabled: true,
            accounts: 10,
            networks: 5,
            window_hours: 72,
            max_entries: 32,
        }
    }
}

impl Default for Fingerprints {
    fn default() -> Self {
        Fingerprints {
            rules: Vec::new(),
            builtin_browsers: true,
            browsers: Vec::new(),
            browser_lists: Vec::new(),
            structure: StructureCheck::default(),
            learn: LearnBrowsers::default(),
        }
    }
}

/// What a matching fingerprint rule does.
///
/// In TOML: `action = "deny"`, or `action = { score = 20 }`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum FingerprintAction {
    /// A known client (a partner's app, an in-house tool): its handshake is
    /// not checked against its user agent. Nothing else is skipped.
    Trust,
    /// Step-up authentication.
    Challenge,
    /// Refuse.
    Deny,
    /// Add points and let the thresholds decide.
    Score(u8),
}

/// Fingerprints and what a match does.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct FingerprintRule {
    /// Unique name, shown in reasons.
    pub name: String,
    /// Event types the rule applies to (empty: all).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub events: Vec<EventType>,
    /// JA4 values.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub ja4: Vec<Ja4>,
    /// JA3 values.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub ja3: Vec<Ja3>,
    /// HTTP/2 fingerprints.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub http2: Vec<Http2Fingerprint>,
    /// Header fingerprints.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub header_fp: Vec<HeaderFingerprint>,
    /// Names of attached fingerprint lists; a list not attached yet matches nothing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub lists: Vec<String>,
    /// What a match does.
    pub action: FingerprintAction,
    /// Report without enforcing.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "std::ops::Not::not"))]
    pub monitor: bool,
}

impl FingerprintRule {
    /// A rule named `name` doing `action`, matching nothing yet: fill in
    /// the fingerprint fields or `lists`.
    pub fn new(name: &str, action: FingerprintAction) -> Self {
        FingerprintRule {
            name: name.to_owned(),
            events: Vec::new(),
            ja4: Vec::new(),
            ja3: Vec::new(),
            http2: Vec::new(),
            header_fp: Vec::new(),
            lists: Vec::new(),
            action,
            monitor: false,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ja4.is_empty()
            && self.ja3.is_empty()
            && self.http2.is_empty()
            && self.header_fp.is_empty()
            && self.lists.is_empty()
    }
}

/// Known TLS and HTTP/2 fingerprints of one browser family, added to the
/// browser table.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct BrowserFingerprints {
    /// The family.
    pub family: BrowserFamily,
    /// Its JA4 values.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub ja4: Vec<Ja4>,
    /// Its HTTP/2 fingerprints.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub http2: Vec<Http2Fingerprint>,
    /// Seed shapes of its handshake (`JA4_r`, `+grease` appended when the
    /// browser sends GREASE), judged with [`Fingerprints::structure`].
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub shapes: Vec<TlsShape>,
}

/// The built-in browser table, parsed. The text is part of the crate and a
/// test parses it, so the fallback (an empty table) is never taken.
pub(crate) fn builtin_browsers() -> FingerprintList {
    FingerprintList::parse(BUILTIN_BROWSER_FINGERPRINTS).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Fingerprint;

    #[test]
    fn builtin_table_parses_and_labels_every_entry() {
        let table = FingerprintList::parse(BUILTIN_BROWSER_FINGERPRINTS).unwrap();
        assert!(table.any().is_empty(), "every built-in entry names its family");
        for family in BrowserFamily::ALL {
            assert!(!table.family(family).ja4.is_empty(), "{family} has no JA4");
        }
        let entries = BUILTIN_BROWSER_FINGERPRINTS
            .lines()
            .filter(|l| !l.split('#').next().unwrap_or_default().trim().is_empty())
            .count();
        assert_eq!(table.len(), entries, "no duplicate entries");
        let chrome: Fingerprint = "t13d1516h2_8daaf6152771_02713d6af862".parse().unwrap();
        assert!(table.family(BrowserFamily::Chromium).contains(&chrome));
        assert!(!table.family(BrowserFamily::Firefox).contains(&chrome));
    }

    /// Every FoxIO browser row is in the built-in table under its family.
    #[test]
    fn builtin_table_covers_foxio_browser_rows() {
        let Ok(dir) = std::env::var("TOLLGATE_TESTDATA") else {
            println!("skipping: TOLLGATE_TESTDATA unset");
            return;
        };
        let csv = std::fs::read_to_string(format!("{dir}/ja4/ja4plus-mapping.csv")).unwrap();
        let table = builtin_browsers();
        let mut seen = 0;
        for row in csv.lines().skip(1) {
            let cols: Vec<&str> = row.split(',').collect();
            let family = match (cols[0], cols[4]) {
                (_, "") => continue,
                ("Chromium Browser", _) => BrowserFamily::Chromium,
                ("Mozilla Firefox", _) => BrowserFamily::Firefox,
                ("Safari", _) => BrowserFamily::Safari,
                _ => continue,
            };
            let ja4: Fingerprint = cols[4].parse().unwrap();
            assert!(table.family(family).contains(&ja4), "{family} {ja4}");
            seen += 1;
        }
        assert_eq!(seen, 12);
    }
}
