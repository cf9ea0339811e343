//! Plain-text fingerprint lists: one fingerprint per line, optionally
//! labelled with the browser family it belongs to.
//!
//! ```
//! use tollgate::policy::{Fingerprint, FingerprintList};
//! use tollgate::useragent::BrowserFamily;
//!
//! let text = "\
//! ## bots seen on 2026-11-20
//! t13d190900_9dc949149365_97f8aa674fd9      # Go net/http
//! ja3:e7d705a3286e19ea42f587b344ee6865
//! http2:1:65536;4:131072;5:16384|12517377|3:0:0:201|m,p,a,s
//! header:c4f1e2a9
//! chromium t13d1516h2_8daaf6152771_e5627efa2ab1
//! ";
//! let list = FingerprintList::parse(text)?;
//! assert_eq!(list.len(), 5);
//! let go: Fingerprint = "t13d190900_9dc949149365_97f8aa674fd9".parse()?;
//! assert!(list.any().contains(&go));
//! assert_eq!(list.family(BrowserFamily::Chromium).len(), 1);
//!
//! let err = FingerprintList::parse("\n# ok\nnot a fingerprint\n").unwrap_err();
//! assert_eq!(err.line(), 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The format is described on [`FingerprintList`].
//!
//! The core does no I/O: the caller reads the file and passes its text.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use crate::useragent::BrowserFamily;
use crate::{FieldError, HeaderFingerprint, Http2Fingerprint, Ja3, Ja4};

/// What kind of fingerprint a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FingerprintKind {
    /// JA4 TLS client fingerprint.
    Ja4,
    /// JA3 TLS client fingerprint (MD5).
    Ja3,
    /// Akamai-form HTTP/2 fingerprint.
    Http2,
    /// Header-set fingerprint.
    Header,
}

impl FingerprintKind {
    /// The prefix that declares the kind in a list: `ja4`, `ja3`, `http2`, `header`.
    pub fn as_str(self) -> &'static str {
        match self {
            FingerprintKind::Ja4 => "ja4",
            FingerprintKind::Ja3 => "ja3",
            FingerprintKind::Http2 => "http2",
            FingerprintKind::Header => "header",
        }
    }
}

/// One fingerprint of any kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Fingerprint {
    /// A JA4.
    Ja4(Ja4),
    /// A JA3.
    Ja3(Ja3),
    /// An HTTP/2 fingerprint.
    Http2(Http2Fingerprint),
    /// A header fingerprint.
    Header(HeaderFingerprint),
}

impl Fingerprint {
    /// Its kind.
    pub fn kind(&self) -> FingerprintKind {
        match self {
            Fingerprint::Ja4(_) => FingerprintKind::Ja4,
            Fingerprint::Ja3(_) => FingerprintKind::Ja3,
            Fingerprint::Http2(_) => FingerprintKind::Http2,
            Fingerprint::Header(_) => FingerprintKind::Header,
        }
    }
}

impl FromStr for Fingerprint {
    type Err = FieldError;

    /// Reads `kind:value` or a value whose kind shows in its form (see the
    /// [`FingerprintList`] format).
    fn from_str(s: &str) -> Result<Self, FieldError> {
        let declared = [
            FingerprintKind::Ja4,
            FingerprintKind::Ja3,
            FingerprintKind::Http2,
            FingerprintKind::Header,
        ]
        .into_iter()
        .find_map(|k| {
            s.strip_prefix(k.as_str())
                .and_then(|r| r.strip_prefix(':'))
                .map(|v| (k, v))
        });
        match declared {
            Some((FingerprintKind::Ja4, v)) => v.parse().map(Fingerprint::Ja4),
            Some((FingerprintKind::Ja3, v)) => v.parse().map(Fingerprint::Ja3),
            Some((FingerprintKind::Http2, v)) => v.parse().map(Fingerprint::Http2),
            Some((_, v)) => v.parse().map(Fingerprint::Header),
            // Neither JA4 nor JA3 has a `|`; an HTTP/2 fingerprint may be 32 or 36 long.
            None if s.contains('|') => s.parse().map(Fingerprint::Http2),
            None if s.len() == 36 => s.parse().map(Fingerprint::Ja4),
            None if s.len() == 32 => s.parse().map(Fingerprint::Ja3),
            None => Err(FieldError::new(
                "fingerprint",
                "expected a JA4, a JA3, an HTTP/2 fingerprint or a kind prefix",
            )),
        }
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fingerprint::Ja4(v) => write!(f, "ja4:{v}"),
            Fingerprint::Ja3(v) => write!(f, "ja3:{v}"),
            Fingerprint::Http2(v) => write!(f, "http2:{v}"),
            Fingerprint::Header(v) => write!(f, "header:{v}"),
        }
    }
}

/// A set of fingerprints of every kind; lookups never allocate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FingerprintSet {
    pub(crate) ja4: HashSet<Ja4>,
    pub(crate) ja3: HashSet<Ja3>,
    pub(crate) http2: HashSet<Http2Fingerprint>,
    pub(crate) header: HashSet<HeaderFingerprint>,
}

impl FingerprintSet {
    /// Adds a fingerprint.
    pub fn insert(&mut self, fp: Fingerprint) {
        match fp {
            Fingerprint::Ja4(v) => self.ja4.insert(v),
            Fingerprint::Ja3(v) => self.ja3.insert(v),
            Fingerprint::Http2(v) => self.http2.insert(v),
            Fingerprint::Header(v) => self.header.insert(v),
        };
    }

    /// Whether the set holds `fp`.
    pub fn contains(&self, fp: &Fingerprint) -> bool {
        match fp {
            Fingerprint::Ja4(v) => self.ja4.contains(v),
            Fingerprint::Ja3(v) => self.ja3.contains(v),
            Fingerprint::Http2(v) => self.http2.contains(v),
            Fingerprint::Header(v) => self.header.contains(v),
        }
    }

    /// How many fingerprints of all kinds.
    pub fn len(&self) -> usize {
        self.ja4.len() + self.ja3.len() + self.http2.len() + self.header.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any fingerprint of the event is in the set.
    pub(crate) fn matches(&self, event: &crate::Event) -> bool {
        event.ja4.is_some_and(|v| self.ja4.contains(&v))
            || event.ja3.is_some_and(|v| self.ja3.contains(&v))
            || event.http2.as_ref().is_some_and(|v| self.http2.contains(v))
            || event.header_fp.as_ref().is_some_and(|v| self.header.contains(v))
    }
}

impl FingerprintSet {
    pub(crate) fn union_with(&mut self, other: &FingerprintSet) {
        self.ja4.extend(other.ja4.iter().copied());
        self.ja3.extend(other.ja3.iter().copied());
        self.http2.extend(other.http2.iter().cloned());
        self.header.extend(other.header.iter().cloned());
    }
}

impl Extend<Fingerprint> for FingerprintSet {
    fn extend<I: IntoIterator<Item = Fingerprint>>(&mut self, iter: I) {
        iter.into_iter().for_each(|fp| self.insert(fp));
    }
}

/// A parsed list file: unlabelled entries and, per browser family, the
/// entries labelled with it.
///
/// # Format
///
/// * One entry per line, `[family] fingerprint`. Lines end in `\n` or
///   `\r\n`; a byte-order mark is ignored; `#` starts a comment anywhere on
///   a line; blank lines are skipped; whitespace around an entry is ignored.
/// * `family` (`chromium`, `firefox`, `safari`) labels a browser's own
///   fingerprint. Only the browser table reads labels: an unlabelled entry
///   in a list named by `fingerprints.browser_lists` counts for every
///   family; a rule's list matches every entry, labelled or not.
/// * The kind is declared by a prefix (`ja4:`, `ja3:`, `http2:`, `header:`)
///   or inferred: a valid JA4, 32 hex digits (JA3), or text with a `|`
///   (the Akamai HTTP/2 form). Header fingerprints need their prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FingerprintList {
    any: FingerprintSet,
    families: [FingerprintSet; 3],
}

impl FingerprintList {
    /// Reads a list (format above); the first bad line fails the whole
    /// list with its line number.
    pub fn parse(text: &str) -> Result<FingerprintList, FingerprintListError> {
        let mut list = FingerprintList::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, raw) in text.lines().enumerate() {
            let entry = raw.split('#').next().unwrap_or_default().trim();
            if entry.is_empty() {
                continue;
            }
            let error = |message| FingerprintListError {
                line: index.saturating_add(1),
                message,
            };
            let (family, value) = match entry.split_once(char::is_whitespace) {
                Some((label, rest)) => match label.parse::<BrowserFamily>() {
                    Ok(family) => (Some(family), rest.trim_start()),
                    Err(_) => (None, entry),
                },
                None => (None, entry),
            };
            let fp = value.parse::<Fingerprint>().map_err(|e| error(e.to_string()))?;
            match family.and_then(|f| list.families.get_mut(f.index())) {
                Some(set) => set.insert(fp),
                None => list.any.insert(fp),
            }
        }
        Ok(list)
    }

    /// The unlabelled entries.
    pub fn any(&self) -> &FingerprintSet {
        &self.any
    }

    /// The entries labelled with `family`.
    pub fn family(&self, family: BrowserFamily) -> &FingerprintSet {
        // `families` has one set per family, so the fallback is never used.
        self.families.get(family.index()).unwrap_or(&self.any)
    }

    /// Every entry, labelled or not.
    pub fn len(&self) -> usize {
        self.any.len() + self.families.iter().map(FingerprintSet::len).sum::<usize>()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether any fingerprint of the event is on the list, labelled or not.
    pub(crate) fn matches(&self, event: &crate::Event) -> bool {
        self.any.matches(event) || self.families.iter().any(|s| s.matches(event))
    }
}

/// A list line that is not a fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FingerprintListError {
    line: usize,
    message: String,
}

impl FingerprintListError {
    /// The 1-based line number.
    pub fn line(&self) -> usize {
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_inferred_or_declared() {
        let kind = |s: &str| s.parse::<Fingerprint>().map(|f| f.kind());
        assert_eq!(kind("t13d1516h2_8daaf6152771_02713d6af862"), Ok(FingerprintKind::Ja4));
        assert_eq!(kind("E7D705A3286E19EA42F587B344EE6865"), Ok(FingerprintKind::Ja3));
        assert_eq!(kind("1:65536;4:6291456|15663105|0|m,a,s,p"), Ok(FingerprintKind::Http2));
        assert_eq!(kind("header:abc def"), Ok(FingerprintKind::Header));
        assert_eq!(kind("http2:x"), Ok(FingerprintKind::Http2));
        assert!(kind("ja4:e7d705a3286e19ea42f587b344ee6865").is_err());
        assert!(kind("abc").is_err());
    }

    #[test]
    fn display_reads_back() {
        for s in [
            "ja4:t13d1516h2_8daaf6152771_02713d6af862",
            "header:a b",
            "http2:1:2|3|0|m,a,s,p",
        ] {
            assert_eq!(s.parse::<Fingerprint>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn errors_count_every_line() {
        let err = FingerprintList::parse(
            "\u{feff}# head\r\n\nfirefox t13d1715h2_5b57614c22b0_7121afd63204\r\nfirefox nope\n",
        )
        .unwrap_err();
        assert_eq!(err.line(), 4);
        assert!(err.to_string().starts_with("line 4: "), "{err}");
    }

    #[test]
    fn labels_sort_entries_by_family() {
        let list = FingerprintList::parse(
            "safari t13d2014h2_a09f3c656075_14788d8d241b\nt13d190900_9dc949149365_97f8aa674fd9 # go\n",
        )
        .unwrap();
        assert_eq!(list.family(BrowserFamily::Safari).len(), 1);
        assert_eq!(list.family(BrowserFamily::Firefox).len(), 0);
        assert_eq!((list.any().len(), list.len()), (1, 2));
    }
}
