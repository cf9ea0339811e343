//! The structural browser-family check: does a ClientHello have the shape
//! of a browser family's handshake, whatever its exact JA4?
//!
//! A browser release changes a handshake in a few known ways: it adds an
//! extension (ECH, a post-quantum key share, a new ALPS code point), drops
//! a legacy cipher suite, or adds a signature algorithm. Its cipher-suite
//! family, its GREASE habit, its ALPN and the extensions it already sent
//! stay. A non-browser TLS stack (OpenSSL behind python-requests or curl,
//! Go, Java) differs on several of these at once. So a handshake fits a
//! family when, against one of the family's seed shapes:
//!
//! * transport, TLS version and the first ALPN value are the same;
//! * GREASE is used or not, as in the seed;
//! * every cipher suite is one of the seed's, and at most
//!   [`StructureCheck::dropped_ciphers`] of the seed's are missing;
//! * every extension of the seed is there (after [`normalized`]
//!   extensions: the ones that come and go per connection are left out,
//!   and ALPS's old and new code points are one), and at most
//!   [`StructureCheck::added_extensions`] are new;
//! * the seed's signature algorithms appear in the same order (others may
//!   be inserted anywhere).
//!
//! ```
//! use tollgate::TlsShape;
//! use tollgate::policy::{StructureCheck, fits_shape};
//!
//! let seed: TlsShape = "t13d1715h2_002f,1301,c009_000a,000d,0015,0033_0403,0804".parse()?;
//! let release: TlsShape = "t13d1615h2_002f,1301_000a,000d,0033,fe0d_0403,0904,0804".parse()?;
//! let openssl: TlsShape = "t13d1615h2_002f,0067,1301_000a,000d,0033_0403,0804".parse()?;
//! let tolerance = StructureCheck::default();
//! assert!(fits_shape(&seed, &release, &tolerance));
//! assert!(!fits_shape(&seed, &openssl, &tolerance));
//! # Ok::<(), tollgate::FieldError>(())
//! ```

use std::collections::HashSet;

use super::fingerprint_list::{FingerprintList, FingerprintSet};
use super::fingerprints::Fingerprints;
use crate::useragent::{BrowserFamily, browser_family};
use crate::{Event, Ja4, TlsShape};

/// The built-in seed shapes (`family JA4_r[+grease]` lines): see
/// `docs/fingerprint-signals.md` for where each comes from.
pub const BUILTIN_BROWSER_SHAPES: &str = include_str!("browser_shapes.txt");

/// How far a handshake may stray from a family's seed shape and still be
/// judged that family's (the `[fingerprints.structure]` table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct StructureCheck {
    /// Judge a handshake that carries its shape ([`crate::Event::tls_shape`])
    /// on structure; when false, only exact JA4 values count. Default true.
    pub enabled: bool,
    /// Extensions a handshake may have beyond the seed's; default 4.
    pub added_extensions: u8,
    /// Seed cipher suites a handshake may lack; default 3.
    pub dropped_ciphers: u8,
}

impl Default for StructureCheck {
    fn default() -> Self {
        StructureCheck {
            enabled: true,
            added_extensions: 4,
            dropped_ciphers: 3,
        }
    }
}

/// Upper bounds for the tolerances: past them the check stops telling a
/// browser from a library that copies part of one.
pub(crate) const MAX_ADDED_EXTENSIONS: u8 = 16;
pub(crate) const MAX_DROPPED_CIPHERS: u8 = 16;

const EXT_PADDING: u16 = 0x0015;
const EXT_PRE_SHARED_KEY: u16 = 0x0029;
const EXT_EARLY_DATA: u16 = 0x002a;
const EXT_COOKIE: u16 = 0x002c;
const EXT_ALPS_OLD: u16 = 0x4469;
const EXT_ALPS: u16 = 0x44cd;

/// Extensions as the structural check compares them: sorted, without those
/// a client sends on some connections only (padding depends on the
/// hello's size, pre_shared_key and early_data on a resumable session,
/// cookie on a HelloRetryRequest), and with ALPS's draft code point
/// `0x4469` read as its successor `0x44cd` (Chromium moved in 2024; the
/// extension is the same).
pub fn normalized(extensions: &[u16]) -> Vec<u16> {
    let mut out: Vec<u16> = extensions
        .iter()
        .filter(|e| !matches!(**e, EXT_PADDING | EXT_PRE_SHARED_KEY | EXT_EARLY_DATA | EXT_COOKIE))
        .map(|e| if *e == EXT_ALPS_OLD { EXT_ALPS } else { *e })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether `shape` has the structure of `seed` within `tolerance` (rules
/// in the module documentation). Linear in the lists' lengths.
pub fn fits_shape(seed: &TlsShape, shape: &TlsShape, tolerance: &StructureCheck) -> bool {
    fits(
        seed,
        &normalized(seed.extensions()),
        shape,
        &normalized(shape.extensions()),
        tolerance,
    )
}

/// [`fits_shape`] with both extension lists [`normalized`] already.
fn fits(
    seed: &TlsShape,
    seed_extensions: &[u16],
    shape: &TlsShape,
    extensions: &[u16],
    tolerance: &StructureCheck,
) -> bool {
    if seed.transport() != shape.transport()
        || seed.version() != shape.version()
        || seed.alpn() != shape.alpn()
        || seed.grease() != shape.grease()
    {
        return false;
    }
    let (ciphers, seed_ciphers) = (shape.cipher_suites(), seed.cipher_suites());
    if !ciphers.iter().all(|c| seed_ciphers.contains(c)) {
        return false;
    }
    let present = seed_ciphers.iter().filter(|c| ciphers.contains(c)).count();
    if seed_ciphers.len().saturating_sub(present) > usize::from(tolerance.dropped_ciphers) {
        return false;
    }
    if !seed_extensions.iter().all(|e| extensions.binary_search(e).is_ok()) {
        return false;
    }
    if extensions.len().saturating_sub(seed_extensions.len()) > usize::from(tolerance.added_extensions) {
        return false;
    }
    is_subsequence(seed.signature_algorithms(), shape.signature_algorithms())
}

/// Whether `part` appears in `whole` in order, other values between.
fn is_subsequence(part: &[u16], whole: &[u16]) -> bool {
    let mut rest = whole.iter();
    part.iter().all(|p| rest.any(|w| w == p))
}

/// One bad line of a shape list.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ShapeListError {
    line: usize,
    message: String,
}

impl ShapeListError {
    /// The 1-based line number.
    pub fn line(&self) -> usize {
        self.line
    }
}

/// Reads `family JA4_r[+grease]` lines (`#` comments, blank lines).
pub fn parse_shapes(text: &str) -> Result<Vec<(BrowserFamily, TlsShape)>, ShapeListError> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let entry = raw.split('#').next().unwrap_or_default().trim();
        if entry.is_empty() {
            continue;
        }
        let error = |message: String| ShapeListError {
            line: index.saturating_add(1),
            message,
        };
        let (family, shape) = entry
            .split_once(char::is_whitespace)
            .ok_or_else(|| error("expected `family JA4_r`".into()))?;
        let family = family.parse::<BrowserFamily>().map_err(|e| error(e.to_string()))?;
        let shape = shape.trim().parse::<TlsShape>().map_err(|e| error(e.to_string()))?;
        out.push((family, shape));
    }
    Ok(out)
}

/// The built-in seed shapes, parsed. The text is part of the crate and a
/// test parses it, so the fallback (no seeds) is never taken.
pub(crate) fn builtin_shapes() -> Vec<(BrowserFamily, TlsShape)> {
    parse_shapes(BUILTIN_BROWSER_SHAPES).unwrap_or_default()
}

/// What of an event contradicts the browser family its user agent claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mismatch {
    pub(crate) family: BrowserFamily,
    /// The JA4, when the TLS handshake is not the family's.
    pub(crate) tls: Option<Ja4>,
    /// The HTTP/2 fingerprint is not the family's.
    pub(crate) http2: bool,
}

/// The browser-family check, compiled: per family (by
/// [`BrowserFamily::index`]) the known fingerprints and the seed shapes.
#[derive(Debug, Default)]
pub(crate) struct BrowserJudge {
    browsers: [FingerprintSet; 3],
    /// Seeds, each with its [`normalized`] extensions.
    shapes: [Vec<(TlsShape, Vec<u16>)>; 3],
    structure: StructureCheck,
}

impl BrowserJudge {
    /// The built-in table and seeds (when on), `attached` lists and the
    /// policy's own entries.
    pub(crate) fn compile<'a>(spec: &Fingerprints, attached: impl Iterator<Item = &'a FingerprintList>) -> Self {
        let mut browsers: [FingerprintSet; 3] = Default::default();
        let mut add = |list: &FingerprintList| {
            for family in BrowserFamily::ALL {
                if let Some(set) = browsers.get_mut(family.index()) {
                    set.union_with(list.family(family));
                    set.union_with(list.any());
                }
            }
        };
        if spec.builtin_browsers {
            add(&super::builtin_browsers());
        }
        attached.for_each(add);
        let mut shapes: [Vec<(TlsShape, Vec<u16>)>; 3] = Default::default();
        let builtin = if spec.builtin_browsers {
            builtin_shapes()
        } else {
            Vec::new()
        };
        let own = spec
            .browsers
            .iter()
            .flat_map(|b| b.shapes.iter().map(|s| (b.family, s.clone())));
        for (family, shape) in builtin.into_iter().chain(own) {
            if let Some(list) = shapes.get_mut(family.index()) {
                let extensions = normalized(shape.extensions());
                list.push((shape, extensions));
            }
        }
        for b in &spec.browsers {
            if let Some(set) = browsers.get_mut(b.family.index()) {
                set.ja4.extend(b.ja4.iter().copied());
                set.http2.extend(b.http2.iter().cloned());
            }
        }
        BrowserJudge {
            browsers,
            shapes,
            structure: spec.structure,
        }
    }

    /// What of the event contradicts the family its user agent claims;
    /// `None` when it claims none.
    pub(crate) fn mismatch(&self, event: &Event) -> Option<Mismatch> {
        let family = browser_family(event.user_agent.as_deref()?)?;
        let known = self.browsers.get(family.index())?;
        let shapes = self.shapes.get(family.index())?;
        let tls = self.tls_mismatch(event, &known.ja4, shapes);
        let http2 = event
            .http2
            .as_ref()
            .is_some_and(|v| !known.http2.is_empty() && !known.http2.contains(v));
        Some(Mismatch { family, tls, http2 })
    }

    /// The event's JA4 when its TLS handshake is not one of the family's:
    /// the JA4 is not in the table and, when the event carries its shape
    /// and the family has seeds, the shape fits none of them. A family
    /// with neither JA4 values nor seeds judges nothing.
    fn tls_mismatch(&self, event: &Event, table: &HashSet<Ja4>, shapes: &[(TlsShape, Vec<u16>)]) -> Option<Ja4> {
        let ja4 = event.ja4.or_else(|| event.tls_shape.as_ref().map(TlsShape::ja4))?;
        if table.contains(&ja4) {
            return None;
        }
        let mismatch = match &event.tls_shape {
            Some(shape) if self.structure.enabled && !shapes.is_empty() => {
                let extensions = normalized(shape.extensions());
                !shapes
                    .iter()
                    .any(|(seed, seed_extensions)| fits(seed, seed_extensions, shape, &extensions, &self.structure))
            }
            _ => !table.is_empty(),
        };
        mismatch.then_some(ja4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::builtin_browsers;

    fn seed(family: BrowserFamily) -> TlsShape {
        builtin_shapes().into_iter().find(|(f, _)| *f == family).unwrap().1
    }

    #[test]
    fn every_seed_reproduces_a_table_entry() {
        let table = builtin_browsers();
        let shapes = builtin_shapes();
        assert_eq!(shapes.len(), 4);
        for (family, shape) in shapes {
            let ja4 = shape.ja4();
            assert!(
                table.family(family).ja4.contains(&ja4),
                "{family} {shape} hashes to {ja4}, not in the table"
            );
        }
    }

    #[test]
    fn tolerance_bounds_hold() {
        let chromium = seed(BrowserFamily::Chromium);
        let text = chromium.to_string();
        let strict = StructureCheck {
            added_extensions: 0,
            dropped_ciphers: 0,
            ..StructureCheck::default()
        };
        assert!(fits_shape(&chromium, &chromium, &strict));
        // One extension added: needs a tolerance of one.
        let added: TlsShape = text.replace("ff01_", "fe0d,ff01_").parse().unwrap();
        assert!(!fits_shape(&chromium, &added, &strict));
        assert!(fits_shape(&chromium, &added, &StructureCheck::default()));
        // An extension removed never fits.
        let removed: TlsShape = text.replace("0023,", "").parse().unwrap();
        assert!(!fits_shape(&chromium, &removed, &StructureCheck::default()));
        // A cipher dropped fits within the tolerance; a foreign one never.
        let dropped: TlsShape = text.replace("002f,", "").parse().unwrap();
        assert!(!fits_shape(&chromium, &dropped, &strict));
        assert!(fits_shape(&chromium, &dropped, &StructureCheck::default()));
        let foreign: TlsShape = text.replace("002f,", "000a,002f,").parse().unwrap();
        assert!(!fits_shape(&chromium, &foreign, &StructureCheck::default()));
        // GREASE and signature-algorithm order are part of the shape.
        let no_grease: TlsShape = text.trim_end_matches("+grease").parse().unwrap();
        assert!(!fits_shape(&chromium, &no_grease, &StructureCheck::default()));
        let reordered: TlsShape = text.replace("0403,0804", "0804,0403").parse().unwrap();
        assert!(!fits_shape(&chromium, &reordered, &StructureCheck::default()));
        // Per-connection extensions and the ALPS move do not count.
        let resumed: TlsShape = text
            .replace("0015,", "")
            .replace("002d,", "0029,002d,")
            .replace("4469", "44cd")
            .parse()
            .unwrap();
        assert!(fits_shape(&chromium, &resumed, &strict));
    }

    #[test]
    fn shape_lists_name_the_bad_line() {
        let err = parse_shapes("# x\nchromium t13d1516h2_002f_\nchrome t13d1516h2_002f_\n").unwrap_err();
        assert_eq!(err.line(), 3);
        assert!(parse_shapes("firefox nonsense").is_err());
        assert!(parse_shapes("firefox").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(a in "[0-9a-f,_+tgres13dh2]{0,120}", b in "[0-9a-f,_+tgres13dh2]{0,120}") {
            if let (Ok(x), Ok(y)) = (a.parse::<TlsShape>(), b.parse::<TlsShape>()) {
                let _ = fits_shape(&x, &y, &StructureCheck::default());
            }
        }
    }
}
