//! A bounds-checked cursor over a possibly truncated message.
//!
//! The cursor knows two ends: the bytes that are there, and the length the
//! message declares. Reading past the declared end is a malformed message;
//! reading past the bytes that are there, but within the declared end, only
//! means more input is needed. That is what lets
//! [`ClientHello::parse`](super::ClientHello::parse) tell
//! [`Incomplete`](super::ClientHelloError::Incomplete) from
//! [`Malformed`](super::ClientHelloError::Malformed) on a prefix.

use super::ClientHelloError;

#[derive(Debug)]
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    /// A cursor over `bytes`, the first bytes of a message `declared_len` long.
    pub(super) fn truncated(bytes: &'a [u8], declared_len: usize) -> Self {
        Reader {
            bytes,
            pos: 0,
            end: declared_len,
        }
    }

    /// A cursor over a complete message.
    pub(super) fn complete(bytes: &'a [u8]) -> Self {
        Reader::truncated(bytes, bytes.len())
    }

    pub(super) fn is_at_end(&self) -> bool {
        self.pos >= self.end
    }

    pub(super) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], ClientHelloError> {
        let next = self.pos.checked_add(n).ok_or(ClientHelloError::malformed(what))?;
        if next > self.end {
            return Err(ClientHelloError::malformed(what));
        }
        let slice = self.bytes.get(self.pos..next).ok_or(ClientHelloError::Incomplete)?;
        self.pos = next;
        Ok(slice)
    }

    pub(super) fn u8(&mut self, what: &'static str) -> Result<u8, ClientHelloError> {
        match self.take(1, what)? {
            [b] => Ok(*b),
            _ => Err(ClientHelloError::malformed(what)),
        }
    }

    pub(super) fn u16(&mut self, what: &'static str) -> Result<u16, ClientHelloError> {
        match self.take(2, what)? {
            [a, b] => Ok(u16::from_be_bytes([*a, *b])),
            _ => Err(ClientHelloError::malformed(what)),
        }
    }

    /// A vector with a one-byte length prefix.
    pub(super) fn vec8(&mut self, what: &'static str) -> Result<&'a [u8], ClientHelloError> {
        let len = self.u8(what)?;
        self.take(usize::from(len), what)
    }

    /// A vector with a two-byte length prefix.
    pub(super) fn vec16(&mut self, what: &'static str) -> Result<&'a [u8], ClientHelloError> {
        let len = self.u16(what)?;
        self.take(usize::from(len), what)
    }
}

/// Big-endian 16-bit values; `what` is reported when the length is odd.
pub(super) fn u16_list(bytes: &[u8], what: &'static str) -> Result<Vec<u16>, ClientHelloError> {
    let pairs = bytes.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(ClientHelloError::malformed(what));
    }
    Ok(pairs
        .filter_map(|p| match p {
            [a, b] => Some(u16::from_be_bytes([*a, *b])),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_end_is_malformed_available_end_is_incomplete() {
        let mut r = Reader::truncated(&[0, 3, 1], 5);
        assert_eq!(r.vec16("v"), Err(ClientHelloError::Incomplete));
        let mut r = Reader::truncated(&[0, 9, 1], 5);
        assert_eq!(r.vec16("v"), Err(ClientHelloError::malformed("v")));
        let mut r = Reader::complete(&[0, 1, 7]);
        assert_eq!(r.vec16("v"), Ok(&[7u8][..]));
        assert!(r.is_at_end());
    }

    #[test]
    fn odd_u16_lists_are_malformed() {
        assert_eq!(u16_list(&[1, 2, 3, 4], "l"), Ok(vec![0x0102, 0x0304]));
        assert!(u16_list(&[1, 2, 3], "l").is_err());
    }
}
