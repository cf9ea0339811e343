//! Just enough HPACK (RFC 7541) to list the header names of one block.
//!
//! Names are resolved through the static and dynamic tables and
//! Huffman-decoded when literal; values are skipped, except that a value
//! added to the dynamic table is Huffman-decoded to learn its length, which
//! the table's size accounting (§4.1) needs so later indices resolve right.

use std::collections::VecDeque;

use super::huffman;

/// Why a header block could not be decoded.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, Copy, PartialEq, Eq)]
pub enum HpackError {
    /// The block ends inside an integer or a string.
    #[error("the header block is truncated")]
    Truncated,
    /// An integer does not fit in 32 bits (RFC 7541 §5.1).
    #[error("an integer in the header block overflows")]
    IntegerOverflow,
    /// An index is zero or past the end of the tables (§2.3.3).
    #[error("header table index {index} does not exist")]
    BadIndex {
        /// The index the block referred to.
        index: u32,
    },
    /// A Huffman-coded string is malformed (§5.2).
    #[error("a Huffman-coded string is malformed")]
    BadHuffman,
    /// A dynamic table size update exceeds the limit (§6.3).
    #[error("dynamic table size update to {size} exceeds {limit}")]
    TableSizeTooLarge {
        /// The requested size.
        size: u32,
        /// The largest size accepted.
        limit: u32,
    },
    /// A dynamic table size update follows a header field (§4.2).
    #[error("dynamic table size update after a header field")]
    MisplacedTableSizeUpdate,
}

/// The largest dynamic table a size update may ask for. The server's
/// SETTINGS_HEADER_TABLE_SIZE is what bounds the client's encoder; this
/// reader does not see it, so it accepts any size up to a generous 64 KiB.
pub(super) const MAX_TABLE_SIZE: u32 = 65_536;

/// The dynamic table's size before any update (§4.2, the SETTINGS default).
const DEFAULT_TABLE_SIZE: usize = 4_096;

/// Per-entry overhead in the size accounting (§4.1).
const ENTRY_OVERHEAD: usize = 32;

/// Names of the static table, RFC 7541 Appendix A; index 1 is the first.
const STATIC_NAMES: [&[u8]; 61] = [
    b":authority",
    b":method",
    b":method",
    b":path",
    b":path",
    b":scheme",
    b":scheme",
    b":status",
    b":status",
    b":status",
    b":status",
    b":status",
    b":status",
    b":status",
    b"accept-charset",
    b"accept-encoding",
    b"accept-language",
    b"accept-ranges",
    b"accept",
    b"access-control-allow-origin",
    b"age",
    b"allow",
    b"authorization",
    b"cache-control",
    b"content-disposition",
    b"content-encoding",
    b"content-language",
    b"content-length",
    b"content-location",
    b"content-range",
    b"content-type",
    b"cookie",
    b"date",
    b"etag",
    b"expect",
    b"expires",
    b"from",
    b"host",
    b"if-match",
    b"if-modified-since",
    b"if-none-match",
    b"if-range",
    b"if-unmodified-since",
    b"last-modified",
    b"link",
    b"location",
    b"max-forwards",
    b"proxy-authenticate",
    b"proxy-authorization",
    b"range",
    b"referer",
    b"refresh",
    b"retry-after",
    b"server",
    b"set-cookie",
    b"strict-transport-security",
    b"transfer-encoding",
    b"user-agent",
    b"vary",
    b"via",
    b"www-authenticate",
];

/// A header block decoder that keeps names only.
#[derive(Debug)]
pub(super) struct Decoder {
    /// Newest first: dynamic index 62 is the front.
    names: VecDeque<(Box<[u8]>, usize)>,
    size: usize,
    capacity: usize,
}

impl Decoder {
    pub(super) fn new() -> Self {
        Decoder {
            names: VecDeque::new(),
            size: 0,
            capacity: DEFAULT_TABLE_SIZE,
        }
    }

    /// Decodes one complete header block, calling `on_name` with each field
    /// name in order.
    pub(super) fn decode(&mut self, block: &[u8], mut on_name: impl FnMut(&[u8])) -> Result<(), HpackError> {
        let mut input = Cursor { rest: block };
        let mut seen_field = false;
        let mut name = Vec::new();
        while let Some(&first) = input.rest.first() {
            if first & 0x80 != 0 {
                // Indexed field (§6.1): name and value from a table.
                let index = input.integer(7)?;
                on_name(self.name(index)?);
                seen_field = true;
            } else if first & 0xe0 == 0x20 {
                // Dynamic table size update (§6.3).
                if seen_field {
                    return Err(HpackError::MisplacedTableSizeUpdate);
                }
                let size = input.integer(5)?;
                if size > MAX_TABLE_SIZE {
                    return Err(HpackError::TableSizeTooLarge {
                        size,
                        limit: MAX_TABLE_SIZE,
                    });
                }
                self.capacity = size as usize;
                self.evict(0);
            } else {
                // Literal field (§6.2): with incremental indexing (01), or
                // without / never indexed (0000 / 0001).
                let indexing = first & 0xc0 == 0x40;
                let index = input.integer(if indexing { 6 } else { 4 })?;
                name.clear();
                if index == 0 {
                    input.string(|b| name.push(b))?;
                } else {
                    name.extend_from_slice(self.name(index)?);
                }
                on_name(&name);
                if indexing {
                    let mut value_len = 0usize;
                    input.string(|_| value_len = value_len.saturating_add(1))?;
                    self.insert(&name, value_len);
                } else {
                    input.skip_string()?;
                }
                seen_field = true;
            }
        }
        Ok(())
    }

    fn name(&self, index: u32) -> Result<&[u8], HpackError> {
        let bad = HpackError::BadIndex { index };
        let at = usize::try_from(index).map_err(|_| bad)?;
        match at {
            0 => Err(bad),
            1..=61 => STATIC_NAMES.get(at - 1).copied().ok_or(bad),
            _ => self.names.get(at - 62).map(|(name, _)| &name[..]).ok_or(bad),
        }
    }

    fn insert(&mut self, name: &[u8], value_len: usize) {
        let size = name.len().saturating_add(value_len).saturating_add(ENTRY_OVERHEAD);
        // An entry larger than the table empties it and is not added (§4.4).
        self.evict(size);
        if size <= self.capacity {
            self.names.push_front((name.into(), size));
            self.size = self.size.saturating_add(size);
        }
    }

    /// Evicts the oldest entries until `room` more bytes fit.
    fn evict(&mut self, room: usize) {
        while self.size.saturating_add(room) > self.capacity {
            match self.names.pop_back() {
                Some((_, size)) => self.size = self.size.saturating_sub(size),
                None => break,
            }
        }
    }
}

/// Reads integers and strings off the front of a block.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl Cursor<'_> {
    fn byte(&mut self) -> Result<u8, HpackError> {
        let (&b, rest) = self.rest.split_first().ok_or(HpackError::Truncated)?;
        self.rest = rest;
        Ok(b)
    }

    /// An integer with an N-bit prefix (§5.1), at most `u32::MAX`.
    fn integer(&mut self, prefix_bits: u32) -> Result<u32, HpackError> {
        let mask = u8::MAX.checked_shr(8u32.saturating_sub(prefix_bits)).unwrap_or(0);
        let prefix = self.byte()? & mask;
        if prefix < mask {
            return Ok(u32::from(prefix));
        }
        let mut value = u64::from(prefix);
        let mut shift = 0u32;
        loop {
            let b = self.byte()?;
            // Five continuation bytes carry 35 bits: anything longer, or any
            // sum past u32, is an overflow rather than a slow read.
            if shift > 28 {
                return Err(HpackError::IntegerOverflow);
            }
            value += u64::from(b & 0x7f) << shift;
            if value > u64::from(u32::MAX) {
                return Err(HpackError::IntegerOverflow);
            }
            shift += 7;
            if b & 0x80 == 0 {
                return u32::try_from(value).map_err(|_| HpackError::IntegerOverflow);
            }
        }
    }

    /// The raw bytes of a string literal (§5.2) and whether they are Huffman-coded.
    fn raw_string(&mut self) -> Result<(bool, &[u8]), HpackError> {
        let huffman = self.rest.first().is_some_and(|b| b & 0x80 != 0);
        let len = usize::try_from(self.integer(7)?).map_err(|_| HpackError::Truncated)?;
        if len > self.rest.len() {
            return Err(HpackError::Truncated);
        }
        let (bytes, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok((huffman, bytes))
    }

    fn string(&mut self, mut out: impl FnMut(u8)) -> Result<(), HpackError> {
        let (huffman, bytes) = self.raw_string()?;
        if huffman {
            huffman::decode(bytes, out).map_err(|_| HpackError::BadHuffman)
        } else {
            bytes.iter().for_each(|&b| out(b));
            Ok(())
        }
    }

    fn skip_string(&mut self) -> Result<(), HpackError> {
        self.raw_string().map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn names(decoder: &mut Decoder, block: &[u8]) -> Result<Vec<String>, HpackError> {
        let mut out = Vec::new();
        decoder.decode(block, |n| out.push(String::from_utf8_lossy(n).into_owned()))?;
        Ok(out)
    }

    #[test]
    fn rfc_7541_c4_requests_with_huffman() {
        // RFC 7541 C.4.1 to C.4.3: three requests on one connection; the
        // third refers to "custom-key" through the dynamic table.
        let mut d = Decoder::new();
        assert_eq!(
            names(&mut d, &hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")).unwrap(),
            [":method", ":scheme", ":path", ":authority"]
        );
        assert_eq!(d.size, 57);
        assert_eq!(
            names(&mut d, &hex("8286 84be 5886 a8eb 1064 9cbf")).unwrap(),
            [":method", ":scheme", ":path", ":authority", "cache-control"]
        );
        assert_eq!(d.size, 110);
        let third = hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf");
        assert_eq!(
            names(&mut d, &third).unwrap(),
            [":method", ":scheme", ":path", ":authority", "custom-key"]
        );
        assert_eq!(d.size, 164);
        assert_eq!(names(&mut d, &hex("be")).unwrap(), ["custom-key"]);
    }

    #[test]
    fn rfc_7541_c1_integers() {
        assert_eq!(Cursor { rest: &[0x0a] }.integer(5), Ok(10));
        assert_eq!(
            Cursor {
                rest: &[0x1f, 0x9a, 0x0a]
            }
            .integer(5),
            Ok(1337)
        );
        assert_eq!(Cursor { rest: &[0x2a] }.integer(8), Ok(42));
        assert_eq!(
            Cursor {
                rest: &[0x7f, 0x80, 0xff, 0xff, 0xff, 0x0f]
            }
            .integer(7),
            Ok(u32::MAX)
        );
        assert_eq!(
            Cursor {
                rest: &[0x7f, 0x80, 0x80, 0x80, 0x80, 0x10]
            }
            .integer(7),
            Err(HpackError::IntegerOverflow)
        );
        assert_eq!(
            Cursor {
                rest: &[0x7f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]
            }
            .integer(7),
            Err(HpackError::IntegerOverflow)
        );
        assert_eq!(Cursor { rest: &[0x7f, 0x80] }.integer(7), Err(HpackError::Truncated));
    }

    #[test]
    fn rejects_bad_indices_and_updates() {
        let mut d = Decoder::new();
        assert_eq!(names(&mut d, &[0x80]), Err(HpackError::BadIndex { index: 0 }));
        assert_eq!(names(&mut d, &[0xbe]), Err(HpackError::BadIndex { index: 62 }));
        assert_eq!(names(&mut d, &[0x82, 0x20]), Err(HpackError::MisplacedTableSizeUpdate));
        // 31 + 0x7f + (0x7f << 7) + (3 << 14) = 65566, past the limit.
        assert!(matches!(
            names(&mut d, &[0x3f, 0xff, 0xff, 0x03]),
            Err(HpackError::TableSizeTooLarge { .. })
        ));
        assert_eq!(names(&mut d, &[0x40, 0x05, b'a']), Err(HpackError::Truncated));
        assert_eq!(names(&mut d, &[0x40, 0x81, 0x00, 0x00]), Err(HpackError::BadHuffman));
    }

    #[test]
    fn size_update_to_zero_empties_the_table() {
        let mut d = Decoder::new();
        // Literal with indexing, new name "x-a" = "1", then refer to it.
        let first = [0x40, 0x03, b'x', b'-', b'a', 0x01, b'1', 0xbe];
        assert_eq!(names(&mut d, &first).unwrap(), ["x-a", "x-a"]);
        assert_eq!(names(&mut d, &[0x20, 0xbe]), Err(HpackError::BadIndex { index: 62 }));
    }
}
