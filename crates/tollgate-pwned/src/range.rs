//! The HIBP range API's response format, parsed without I/O.
//!
//! `GET /range/{first 5 hex of the SHA-1}` answers with one line per known
//! hash in that range, `SUFFIX:COUNT`: the other 35 hex digits (upper-case)
//! and how often the password was seen, separated by CRLF. With the
//! `Add-Padding: true` request header the answer is padded to 800–1,000
//! lines with fake suffixes whose count is 0; count 0 means "not pwned".
//!
//! ```
//! use tollgate::password::PasswordSha1;
//! use tollgate_pwned::range;
//!
//! let body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n\
//!             00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2\r\n\
//!             2DC183F740EE76F27B78EB39C8AD972A757:0\r\n";
//! assert_eq!(range::count(body, &PasswordSha1::of("lauragpe"))?, 1);
//! // A padding line is not a hit.
//! assert_eq!(range::count(body, &PasswordSha1::of("P@ssw0rd"))?, 0);
//! # Ok::<(), range::RangeError>(())
//! ```

use tollgate::password::PasswordSha1;

/// One line of a range response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeEntry<'a> {
    /// The 35 hex digits after the prefix, as sent.
    pub suffix: &'a str,
    /// Times seen in breaches; 0 on padding lines.
    pub count: u64,
}

/// Why a response body is not in the range format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RangeError {
    /// A line is not `SUFFIX:COUNT` with a 35-hex-digit suffix.
    #[error("range response line {0} is not SUFFIX:COUNT")]
    Line(usize),
}

/// The lines of a response, CRLF or LF; blank lines are skipped.
pub fn entries(body: &str) -> impl Iterator<Item = Result<RangeEntry<'_>, RangeError>> {
    body.split('\n').enumerate().filter_map(|(i, line)| {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            return None;
        }
        let entry = line.split_once(':').and_then(|(suffix, count)| {
            let hex = suffix.len() == 35 && suffix.bytes().all(|b| b.is_ascii_hexdigit());
            let count = count.parse::<u64>().ok()?;
            hex.then_some(RangeEntry { suffix, count })
        });
        Some(entry.ok_or(RangeError::Line(i + 1)))
    })
}

/// How often `hash` was seen, from the response for its prefix: 0 when
/// its suffix is absent or only on a padding line. The whole body is
/// checked, so a garbled response is an error rather than "not pwned".
///
/// # Errors
/// [`RangeError`] for the first malformed line.
pub fn count(body: &str, hash: &PasswordSha1) -> Result<u64, RangeError> {
    let suffix = hash.suffix_hex();
    let mut found = 0;
    for entry in entries(body) {
        let entry = entry?;
        if entry.suffix.eq_ignore_ascii_case(&suffix) {
            found = found.max(entry.count);
        }
    }
    Ok(found)
}
