//! TLS record framing around the ClientHello: where it starts, how many
//! bytes of records carry it, and its handshake bytes reassembled.
//!
//! A network reader asks [`client_hello_len`] (or, across reads without
//! rescanning, a [`ClientHelloLen`]) after each read: it answers once the
//! record and handshake headers tell the size, and refuses early anything
//! that is not a ClientHello or would exceed the caps.
//!
//! ```
//! use tollgate::fingerprint::client_hello_len;
//!
//! // Record header (length 0x00c8) and handshake header (ClientHello, 0x0000c4).
//! let prefix = [0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4];
//! assert_eq!(client_hello_len(&prefix[..4])?, None);
//! assert_eq!(client_hello_len(&prefix)?, Some(5 + 0xc8));
//! # Ok::<(), tollgate::fingerprint::ClientHelloError>(())
//! ```

use std::borrow::Cow;

use super::ClientHelloError;

/// The largest ClientHello handshake message accepted, header included:
/// 64 KiB. Real ClientHellos, even with post-quantum key shares, are a few
/// KiB; the cap bounds what a slow client can make a server buffer.
pub const MAX_CLIENT_HELLO_LEN: usize = 64 * 1024;

/// The most bytes of TLS records (headers included) that may carry one
/// ClientHello: 128 KiB, room for a ClientHello of
/// [`MAX_CLIENT_HELLO_LEN`] split into small records.
pub const MAX_RECORDS_LEN: usize = 2 * MAX_CLIENT_HELLO_LEN;

pub(super) const CONTENT_HANDSHAKE: u8 = 0x16;
pub(super) const HANDSHAKE_CLIENT_HELLO: u8 = 0x01;
const RECORD_HEADER_LEN: usize = 5;
pub(super) const HANDSHAKE_HEADER_LEN: usize = 4;
/// RFC 8446 §5.1: a plaintext fragment is at most 2^14 bytes (RFC 5246
/// allows the same for TLS 1.2 and earlier).
const MAX_FRAGMENT_LEN: usize = 1 << 14;

/// How many bytes of `prefix` (the first bytes a client sent) make up the
/// complete ClientHello: the records carrying it, or the bare handshake
/// message when `prefix` starts with the handshake type `0x01`.
///
/// `Ok(None)`: not known yet, read more. `Ok(Some(n))`: once `n` bytes are
/// there, [`ClientHello::parse`](super::ClientHello::parse) on them gives
/// the answer (`n` may be smaller than what was read: the rest belongs to
/// later messages). Errors are final: not TLS, not a ClientHello, or larger
/// than [`MAX_CLIENT_HELLO_LEN`] / [`MAX_RECORDS_LEN`]. Cheap: it reads
/// only headers and allocates nothing. A reader that asks after every read
/// should keep a [`ClientHelloLen`] instead, which does not read the same
/// headers again.
pub fn client_hello_len(prefix: &[u8]) -> Result<Option<usize>, ClientHelloError> {
    ClientHelloLen::new().update(prefix)
}

/// [`client_hello_len`] for a network reader that asks after each read:
/// it remembers the records it has read whole and resumes after them, so
/// the work over a connection grows with the bytes read, not with the
/// number of reads (a client that sends its hello in thousands of tiny
/// records and reads would otherwise make the reader scan from the start
/// each time).
///
/// ```
/// use tollgate::fingerprint::ClientHelloLen;
///
/// let bytes = [0x16, 0x03, 0x01, 0x00, 0x02, 0x01, 0x00, 0x16, 0x03, 0x01, 0x00, 0x02, 0x00, 0x00];
/// let mut len = ClientHelloLen::new();
/// assert_eq!(len.update(&bytes[..7])?, None);
/// assert_eq!(len.update(&bytes)?, Some(14));
/// # Ok::<(), tollgate::fingerprint::ClientHelloError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientHelloLen {
    /// Offset of the first record not yet read whole.
    pos: usize,
    /// What the records before `pos` told.
    progress: Progress,
    /// The answer, once known.
    done: Option<usize>,
    scanned: usize,
}

/// What the records read so far told about the handshake message.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    header: [u8; HANDSHAKE_HEADER_LEN],
    header_filled: usize,
    needed: Option<usize>,
    carried: usize,
}

impl ClientHelloLen {
    /// Nothing read yet.
    pub fn new() -> Self {
        ClientHelloLen::default()
    }

    /// [`client_hello_len`] of `prefix`, which must start with the bytes
    /// passed to the previous calls (the same buffer, grown by a read).
    pub fn update(&mut self, prefix: &[u8]) -> Result<Option<usize>, ClientHelloError> {
        if let Some(n) = self.done {
            return Ok(Some(n));
        }
        let answer = match prefix.first() {
            None => Ok(None),
            Some(&HANDSHAKE_CLIENT_HELLO) => match prefix.get(..HANDSHAKE_HEADER_LEN) {
                Some(header) => message_len(header).map(Some),
                None => Ok(None),
            },
            Some(&CONTENT_HANDSHAKE) => self.records(prefix),
            Some(_) => Err(ClientHelloError::NotHandshake),
        }?;
        self.done = answer;
        Ok(answer)
    }

    /// How many header bytes (record headers, and the handshake header
    /// inside the first fragments) all calls have read: about the input's
    /// length however it arrived, which tests of the linear cost check.
    pub fn scanned(&self) -> usize {
        self.scanned
    }

    fn records(&mut self, prefix: &[u8]) -> Result<Option<usize>, ClientHelloError> {
        for record in Records::resuming(prefix, self.pos) {
            let record = record?;
            let mut progress = self.progress;
            for (slot, byte) in progress
                .header
                .iter_mut()
                .skip(progress.header_filled)
                .zip(record.fragment)
            {
                *slot = *byte;
                progress.header_filled += 1;
                self.scanned += 1;
            }
            self.scanned += RECORD_HEADER_LEN;
            if progress.needed.is_none() && progress.header_filled == HANDSHAKE_HEADER_LEN {
                progress.needed = Some(message_len(&progress.header)?);
            }
            progress.carried += record.declared_len;
            if progress.needed.is_some_and(|n| progress.carried >= n) {
                return Ok(Some(record.end));
            }
            // A record cut short is read again once more of it is there:
            // its fragment may hold handshake header bytes still missing.
            if record.fragment.len() < record.declared_len {
                break;
            }
            self.progress = progress;
            self.pos = record.end;
        }
        Ok(None)
    }
}

/// The full length of the handshake message starting with `header` (its
/// first four bytes; fewer give `Incomplete` unless the type already fails).
pub(super) fn message_len(header: &[u8]) -> Result<usize, ClientHelloError> {
    match header {
        [] => Err(ClientHelloError::Incomplete),
        [kind, ..] if *kind != HANDSHAKE_CLIENT_HELLO => Err(ClientHelloError::NotClientHello(*kind)),
        [_, a, b, c, ..] => {
            let len = HANDSHAKE_HEADER_LEN + usize::from(*a) * 65_536 + usize::from(*b) * 256 + usize::from(*c);
            if len > MAX_CLIENT_HELLO_LEN {
                Err(ClientHelloError::TooLarge)
            } else {
                Ok(len)
            }
        }
        _ => Err(ClientHelloError::Incomplete),
    }
}

/// The handshake bytes carried by the records at the start of `input`, as
/// far as they go: borrowed when one record holds them, joined otherwise.
/// Stops at the record that completes the ClientHello.
pub(super) fn handshake_bytes(input: &[u8]) -> Result<Cow<'_, [u8]>, ClientHelloError> {
    let mut joined: Cow<'_, [u8]> = Cow::Borrowed(&[]);
    let mut needed: Option<usize> = None;
    for record in Records::new(input) {
        let record = record?;
        if joined.is_empty() {
            joined = Cow::Borrowed(record.fragment);
        } else {
            joined.to_mut().extend_from_slice(record.fragment);
        }
        if needed.is_none() {
            if let Some(header) = joined.get(..HANDSHAKE_HEADER_LEN) {
                needed = Some(message_len(header)?);
            }
        }
        if needed.is_some_and(|n| joined.len() >= n) {
            break;
        }
    }
    Ok(joined)
}

/// One handshake record, or as much of it as `input` holds.
#[derive(Debug)]
struct Record<'a> {
    /// The fragment bytes present (fewer than declared at the end of input).
    fragment: &'a [u8],
    /// The fragment length the record header declares.
    declared_len: usize,
    /// Offset in the input just past this record.
    end: usize,
}

/// Handshake records from the start of the input, checked: content type,
/// version, fragment size, [`MAX_RECORDS_LEN`]. Ends at the end of input;
/// a record header cut short ends it silently (the caller sees too few
/// bytes).
#[derive(Debug)]
struct Records<'a> {
    input: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> Records<'a> {
    fn new(input: &'a [u8]) -> Self {
        Records::resuming(input, 0)
    }

    /// Records from `pos`, the end of a record read before.
    fn resuming(input: &'a [u8], pos: usize) -> Self {
        Records {
            input,
            pos,
            failed: false,
        }
    }

    fn read(&mut self) -> Option<Result<Record<'a>, ClientHelloError>> {
        let rest = self.input.get(self.pos..)?;
        let [content_type, major, _minor, len_hi, len_lo] = *rest.get(..RECORD_HEADER_LEN)? else {
            return None;
        };
        if content_type != CONTENT_HANDSHAKE {
            // Only the first byte can tell TLS from something else; a later
            // non-handshake record interrupts the ClientHello.
            return Some(Err(if self.pos == 0 {
                ClientHelloError::NotHandshake
            } else {
                ClientHelloError::malformed("record interleaved in the ClientHello")
            }));
        }
        if major != 0x03 {
            return Some(Err(ClientHelloError::NotHandshake));
        }
        let declared_len = usize::from(u16::from_be_bytes([len_hi, len_lo]));
        if declared_len == 0 || declared_len > MAX_FRAGMENT_LEN {
            return Some(Err(ClientHelloError::malformed("record length")));
        }
        let end = self.pos + RECORD_HEADER_LEN + declared_len;
        if end > MAX_RECORDS_LEN {
            return Some(Err(ClientHelloError::TooLarge));
        }
        let fragment = rest.get(RECORD_HEADER_LEN..).unwrap_or_default();
        let fragment = fragment.get(..declared_len).unwrap_or(fragment);
        self.pos = end;
        Some(Ok(Record {
            fragment,
            declared_len,
            end,
        }))
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, ClientHelloError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.read();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fragment: &[u8]) -> Vec<u8> {
        let len = u16::try_from(fragment.len()).unwrap().to_be_bytes();
        [&[0x16, 0x03, 0x01, len[0], len[1]][..], fragment].concat()
    }

    #[test]
    fn length_known_from_headers_across_split_records() {
        let message = [&[0x01, 0x00, 0x00, 0x06][..], &[9; 6]].concat();
        let input = [record(&message[..2]), record(&message[2..7]), record(&message[7..])].concat();
        for cut in 0..input.len() {
            let got = client_hello_len(&input[..cut]).unwrap();
            // The header is known in the second record, but only the third
            // record's header says where the message ends.
            assert_eq!(got.is_some(), cut >= 7 + 10 + 5, "cut {cut}: {got:?}");
        }
        assert_eq!(client_hello_len(&input).unwrap(), Some(input.len()));
        assert_eq!(handshake_bytes(&input).unwrap().as_ref(), &message[..]);
    }

    #[test]
    fn resumed_answers_agree_with_fresh_ones_at_every_cut() {
        let message = [&[0x01, 0x00, 0x00, 0x0c][..], &[9; 12]].concat();
        let split = [
            record(&message[..1]),
            record(&message[1..3]),
            record(&message[3..9]),
            record(&message[9..]),
            record(&[0x14]),
        ]
        .concat();
        let bare = [&message[..], &[7; 3]].concat();
        for input in [split, bare, b"GET / HTTP/1.1\r\n".to_vec()] {
            let mut resumed = ClientHelloLen::new();
            for cut in 0..=input.len() {
                let fresh = client_hello_len(&input[..cut]);
                assert_eq!(resumed.update(&input[..cut]), fresh, "cut {cut}");
            }
        }
    }

    #[test]
    fn byte_by_byte_reads_of_one_byte_records_scan_linearly() {
        let message = [&[0x01, 0x00, 0x03, 0xfc][..], &vec![5; 0x03fc]].concat();
        let input: Vec<u8> = message.chunks(1).flat_map(record).collect();
        let mut resumed = ClientHelloLen::new();
        let mut rescans = 0;
        for cut in 0..=input.len() {
            // The last record's header tells where the hello ends.
            let known = cut + 1 >= input.len();
            assert_eq!(resumed.update(&input[..cut]).unwrap(), known.then_some(input.len()));
            let mut fresh = ClientHelloLen::new();
            let _ = fresh.update(&input[..cut]);
            rescans += fresh.scanned();
        }
        // Each record header is read once, and once more while its fragment
        // has not arrived; scanning from the start after each read instead
        // costs the square of the record count.
        assert!(
            resumed.scanned() <= 2 * input.len(),
            "{} for {}",
            resumed.scanned(),
            input.len()
        );
        assert!(rescans > 100 * input.len(), "{rescans}");
    }

    #[test]
    fn bare_handshake_length_and_errors() {
        assert_eq!(client_hello_len(&[0x01, 0x00, 0x01]), Ok(None));
        assert_eq!(client_hello_len(&[0x01, 0x00, 0x01, 0x00]), Ok(Some(4 + 256)));
        assert_eq!(
            client_hello_len(&[0x01, 0x01, 0x00, 0x00]),
            Err(ClientHelloError::TooLarge)
        );
        assert_eq!(client_hello_len(b"GET /"), Err(ClientHelloError::NotHandshake));
        assert_eq!(
            client_hello_len(&record(&[0x02, 0, 0, 1])),
            Err(ClientHelloError::NotClientHello(0x02))
        );
        assert_eq!(
            client_hello_len(&[0x16, 0x03, 0x01, 0x00, 0x00]),
            Err(ClientHelloError::malformed("record length"))
        );
        assert_eq!(
            client_hello_len(&[0x16, 0x47, 0x45, 0x54, 0x20]),
            Err(ClientHelloError::NotHandshake)
        );
    }

    #[test]
    fn tiny_records_hit_the_record_cap() {
        let message = [&[0x01, 0x00, 0x80, 0x00][..], &vec![0; 0x8000]].concat();
        let input: Vec<u8> = message.chunks(1).flat_map(record).collect();
        assert_eq!(client_hello_len(&input), Err(ClientHelloError::TooLarge));
        assert_eq!(handshake_bytes(&input).unwrap_err(), ClientHelloError::TooLarge);
    }
}
