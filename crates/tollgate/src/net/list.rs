//! Plain-text IP lists: the format of common public blocklists (Spamhaus
//! DROP, FireHOL netsets, Emerging Threats), one address or CIDR network
//! per line.
//!
//! ```
//! use tollgate::net::IpSet;
//!
//! let text = "\
//! ; Spamhaus DROP List
//! 1.10.16.0/20 ; SBL256894
//! ## FireHOL style comment
//!
//!   192.0.2.7      # a single address is a /32
//! 2001:db8::/32
//! ";
//! let set = IpSet::parse_list(text)?;
//! assert_eq!(set.len(), 3);
//! assert!(set.contains("1.10.31.255".parse()?));
//!
//! // Strict parsing names the first bad line; lenient parsing skips it.
//! let err = IpSet::parse_list("10.0.0.0/8\nnot-an-ip\n").unwrap_err();
//! assert_eq!((err.line(), err.text()), (2, "not-an-ip"));
//! let lenient = IpSet::parse_list_lenient("10.0.0.0/8\nnot-an-ip\n");
//! assert_eq!((lenient.set.len(), lenient.skipped), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Format
//!
//! * One entry per line: an IPv4 or IPv6 address, or a CIDR network.
//!   Lines end in `\n` or `\r\n`; a byte-order mark before the first line is
//!   ignored.
//! * `#` or `;` starts a comment anywhere on a line: the rest of the line is
//!   ignored (Spamhaus DROP writes `1.10.16.0/20 ; SBL256894`).
//! * Whitespace around an entry is ignored; blank and comment-only lines are
//!   skipped.
//! * A network with host bits set after its prefix (`192.0.2.1/24`) is
//!   accepted and truncated to its network (`192.0.2.0/24`); IPv4-mapped
//!   IPv6 entries become IPv4 (see [`parse_net`]).
//! * Anything else on a line is an error: ranges (`a-b`), netmasks,
//!   host names, several entries on one line.
//!
//! The core does no I/O: the caller reads the file and passes its text.
//! Several files combine by chaining their [`list_entries`].

use ipnet::IpNet;

use super::IpSet;
use super::addr::{excerpt, parse_net};

/// A list line that is not an address or network.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: `{text}` is not an IP address or CIDR network")]
pub struct ListError {
    line: usize,
    text: String,
}

impl ListError {
    /// The 1-based line number.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The offending entry (the line without its comment and surrounding
    /// whitespace), cut to 64 characters (an ellipsis marks the cut).
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// What [`IpSet::parse_list_lenient`] kept and skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LenientList {
    /// The networks of every line that parsed.
    pub set: IpSet,
    /// How many entry lines were skipped because they did not parse.
    pub skipped: usize,
    /// The first skipped line, to log.
    pub first_error: Option<ListError>,
}

/// The entries of a list's text, one `Result` per entry line (blank and
/// comment-only lines yield nothing). See the [module docs](self) for the
/// format.
///
/// ```
/// use tollgate::net::{IpSet, list_entries};
///
/// let (a, b) = ("10.0.0.0/8\n", "192.0.2.0/24 ; SBL1\n");
/// let both: IpSet = list_entries(a).chain(list_entries(b)).collect::<Result<_, _>>()?;
/// assert_eq!(both.len(), 2);
/// # Ok::<(), tollgate::net::ListError>(())
/// ```
pub fn list_entries(text: &str) -> ListEntries<'_> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    ListEntries {
        lines: text.lines(),
        line: 0,
    }
}

/// Iterator over the entries of a list: see [`list_entries`].
#[derive(Clone, Debug)]
pub struct ListEntries<'a> {
    lines: std::str::Lines<'a>,
    line: usize,
}

impl Iterator for ListEntries<'_> {
    type Item = Result<IpNet, ListError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let raw = self.lines.next()?;
            self.line = self.line.saturating_add(1);
            let entry = raw.split(['#', ';']).next().unwrap_or_default().trim();
            if entry.is_empty() {
                continue;
            }
            return Some(parse_net(entry).map_err(|_| ListError {
                line: self.line,
                text: excerpt(entry),
            }));
        }
    }
}

impl IpSet {
    /// Reads a list (see the [module docs](crate::net::list) for the
    /// format); the first line that is not an address or network fails the
    /// whole list with its line number.
    pub fn parse_list(text: &str) -> Result<IpSet, ListError> {
        list_entries(text).collect()
    }

    /// Reads a list like [`parse_list`](IpSet::parse_list), but skips lines
    /// that do not parse and counts them: threat feeds carry junk lines, and
    /// the caller decides whether a few justify refusing the list.
    pub fn parse_list_lenient(text: &str) -> LenientList {
        let mut skipped = 0usize;
        let mut first_error = None;
        let set = list_entries(text)
            .filter_map(|entry| match entry {
                Ok(net) => Some(net),
                Err(err) => {
                    skipped = skipped.saturating_add(1);
                    first_error.get_or_insert(err);
                    None
                }
            })
            .collect();
        LenientList {
            set,
            skipped,
            first_error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers_count_comments_and_blanks() {
        let err = IpSet::parse_list("\u{feff}# head\n\n10.0.0.0/8\r\n  ; x\n10.0.0.0/33 ; SBL9\n").unwrap_err();
        assert_eq!(err.line(), 5);
        assert_eq!(err.text(), "10.0.0.0/33");
        assert_eq!(
            err.to_string(),
            "line 5: `10.0.0.0/33` is not an IP address or CIDR network"
        );
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        let set = IpSet::parse_list("\u{feff}192.0.2.1\n").unwrap();
        assert_eq!(set.len(), 1);
    }
}
