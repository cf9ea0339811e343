//! The Akamai HTTP/2 fingerprint, read from the first bytes a client sends.
//!
//! [`Http2Preface`] is fed the client's bytes on a decrypted (or h2c
//! prior-knowledge) connection, in chunks of any size, and returns the
//! [`Http2Fingerprint`] once the first request's header block is complete.
//! It performs no I/O: the caller reads, feeds, and hands the same bytes on
//! to its HTTP/2 server. The format and every choice made where the 2017
//! Akamai paper is silent are in `docs/http2-fingerprint.md`.
//!
//! ```
//! use tollgate::fingerprint::Http2Preface;
//!
//! let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
//! // SETTINGS: HEADER_TABLE_SIZE = 65536, INITIAL_WINDOW_SIZE = 6291456.
//! bytes.extend([0, 0, 12, 4, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 4, 0, 0x60, 0, 0]);
//! // WINDOW_UPDATE on stream 0, increment 15663105.
//! bytes.extend([0, 0, 4, 8, 0, 0, 0, 0, 0, 0, 0xef, 0, 1]);
//! // HEADERS on stream 1 (END_STREAM | END_HEADERS): indexed :method GET,
//! // :authority "a", :scheme https, :path /.
//! bytes.extend([0, 0, 6, 1, 5, 0, 0, 0, 1, 0x82, 0x41, 0x01, b'a', 0x87, 0x84]);
//!
//! let mut reader = Http2Preface::new();
//! let (head, tail) = bytes.split_at(30);
//! assert_eq!(reader.feed(head)?, None);
//! let fp = reader.feed(tail)?.expect("complete");
//! assert_eq!(fp.as_str(), "1:65536;4:6291456|15663105|0|m,a,s,p");
//! # Ok::<(), tollgate::fingerprint::Http2FingerprintError>(())
//! ```

mod frame;
mod hpack;
mod huffman;

use std::fmt::Write as _;

pub use hpack::HpackError;

use crate::Http2Fingerprint;
use frame::Priority;

/// The connection preface every HTTP/2 client sends first (RFC 9113 §3.4).
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Bytes read before giving up, preface included.
pub const MAX_PREFACE_BYTES: usize = 64 * 1024;

/// Frames read before giving up.
pub const MAX_PREFACE_FRAMES: usize = 64;

/// SETTINGS entries rendered; later ones are left out.
const MAX_SETTINGS: usize = 12;

/// PRIORITY frames kept and rendered; later ones are left out.
const MAX_PRIORITIES: usize = 8;

/// Pseudo-headers rendered; later ones are left out.
const MAX_PSEUDO: usize = 8;

/// Why the client's first bytes gave no HTTP/2 fingerprint.
#[non_exhaustive]
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum Http2FingerprintError {
    /// The bytes do not start with `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
    #[error("not an HTTP/2 client connection preface")]
    BadPreface,
    /// The first frame after the preface is not a SETTINGS frame (RFC 9113 §3.4).
    #[error("the first frame is not SETTINGS")]
    SettingsExpected,
    /// A frame's length is wrong for its type.
    #[error("frame type {frame_type:#04x} with invalid length {len}")]
    FrameSize {
        /// The frame type.
        frame_type: u8,
        /// The length from the frame header.
        len: u32,
    },
    /// A frame that may not appear here: on the wrong stream, a DATA or
    /// PUSH_PROMISE before the first request, or anything but CONTINUATION
    /// inside a header block.
    #[error("unexpected frame type {frame_type:#04x} on stream {stream}")]
    UnexpectedFrame {
        /// The frame type.
        frame_type: u8,
        /// The stream identifier.
        stream: u32,
    },
    /// A padded HEADERS frame whose padding is longer than its payload.
    #[error("padding exceeds the frame payload")]
    BadPadding,
    /// A WINDOW_UPDATE with an increment of zero (RFC 9113 §6.9).
    #[error("WINDOW_UPDATE with a zero increment")]
    ZeroWindowIncrement,
    /// The first request's header block could not be decoded.
    #[error("header block: {0}")]
    Hpack(#[from] HpackError),
    /// More than [`MAX_PREFACE_BYTES`] before the first request was complete.
    #[error("no complete request within the first {limit} bytes")]
    TooLarge {
        /// The byte limit.
        limit: usize,
    },
    /// More than [`MAX_PREFACE_FRAMES`] before the first request was complete.
    #[error("no complete request within the first {limit} frames")]
    TooManyFrames {
        /// The frame limit.
        limit: usize,
    },
}

/// Where the reader is.
#[derive(Debug, Clone)]
enum State {
    Reading,
    Done(Http2Fingerprint),
    Failed(Http2FingerprintError),
}

/// An incremental reader of the client's first HTTP/2 frames.
///
/// Feed it bytes until it returns a fingerprint or an error; after that it
/// ignores further input and repeats its answer. Memory stays under
/// [`MAX_PREFACE_BYTES`] plus the HPACK table.
#[derive(Debug)]
pub struct Http2Preface {
    state: State,
    /// Preface bytes matched so far (0..=24).
    preface_seen: usize,
    /// Unparsed bytes after the preface: at most one partial frame.
    buf: Vec<u8>,
    /// Bytes taken in so far (preface and whole frames parsed).
    consumed: usize,
    frames: usize,
    settings: Option<Vec<(u16, u32)>>,
    window_update: Option<u32>,
    priorities: Vec<Priority>,
    /// The stream and fragments of a header block awaiting CONTINUATION.
    open_block: Option<(u32, Vec<u8>)>,
}

impl Default for Http2Preface {
    fn default() -> Self {
        Self::new()
    }
}

impl Http2Preface {
    /// A reader expecting the connection preface.
    pub fn new() -> Self {
        Http2Preface {
            state: State::Reading,
            preface_seen: 0,
            buf: Vec::new(),
            consumed: 0,
            frames: 0,
            settings: None,
            window_update: None,
            priorities: Vec::new(),
            open_block: None,
        }
    }

    /// Feed the next bytes the client sent; returns Ok(Some(fp)) once the first HEADERS block is
    /// complete, Ok(None) when more input is needed, Err on a protocol violation or over a bound.
    ///
    /// Bytes after the end of the first header block are ignored, so the
    /// caller may feed whole reads.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Option<Http2Fingerprint>, Http2FingerprintError> {
        match &self.state {
            State::Done(fp) => return Ok(Some(fp.clone())),
            State::Failed(err) => return Err(err.clone()),
            State::Reading => {}
        }
        let result = self.advance(bytes);
        match &result {
            Ok(Some(fp)) => self.state = State::Done(fp.clone()),
            Err(err) => self.state = State::Failed(err.clone()),
            Ok(None) => {}
        }
        result
    }

    fn advance(&mut self, mut bytes: &[u8]) -> Result<Option<Http2Fingerprint>, Http2FingerprintError> {
        if self.preface_seen < PREFACE.len() {
            let expected = PREFACE.get(self.preface_seen..).unwrap_or_default();
            let n = expected.len().min(bytes.len());
            let (head, tail) = bytes.split_at(n);
            if expected.get(..n) != Some(head) {
                return Err(Http2FingerprintError::BadPreface);
            }
            self.preface_seen += n;
            self.consumed += n;
            bytes = tail;
        }
        let room = MAX_PREFACE_BYTES.saturating_sub(self.consumed.saturating_add(self.buf.len()));
        let overflow = bytes.len() > room;
        let input = bytes.get(..room).unwrap_or(bytes);

        // Frames that arrive whole are read in place; only a partial frame
        // is copied, to be completed by a later call.
        let result = if self.buf.is_empty() {
            let (result, at) = self.read_frames(input);
            self.buf.extend_from_slice(input.get(at..).unwrap_or_default());
            result
        } else {
            let mut buf = std::mem::take(&mut self.buf);
            buf.extend_from_slice(input);
            let (result, at) = self.read_frames(&buf);
            buf.drain(..at.min(buf.len()));
            self.buf = buf;
            result
        };
        match result {
            Ok(None) if overflow => Err(Http2FingerprintError::TooLarge {
                limit: MAX_PREFACE_BYTES,
            }),
            Ok(None) => Ok(None),
            done => {
                // The answer is final: release the buffers.
                self.buf = Vec::new();
                self.open_block = None;
                done
            }
        }
    }

    /// Handles the whole frames at the start of `data`; returns the outcome
    /// and how many bytes were used.
    fn read_frames(&mut self, data: &[u8]) -> (Result<Option<Http2Fingerprint>, Http2FingerprintError>, usize) {
        let mut at = 0;
        let result = loop {
            let Some(raw) = data.get(at..).and_then(|b| b.first_chunk::<{ frame::HEADER_LEN }>()) else {
                break Ok(None);
            };
            let header = frame::Header::parse(*raw);
            let len = header.len as usize;
            let end = self.consumed.saturating_add(frame::HEADER_LEN).saturating_add(len);
            if end > MAX_PREFACE_BYTES {
                break Err(Http2FingerprintError::TooLarge {
                    limit: MAX_PREFACE_BYTES,
                });
            }
            let start = at + frame::HEADER_LEN;
            let Some(payload) = data.get(start..start.saturating_add(len)) else {
                break Ok(None);
            };
            self.frames += 1;
            if self.frames > MAX_PREFACE_FRAMES {
                break Err(Http2FingerprintError::TooManyFrames {
                    limit: MAX_PREFACE_FRAMES,
                });
            }
            at = start + len;
            self.consumed = end;
            match self.frame(&header, payload) {
                Ok(None) => {}
                done => break done,
            }
        };
        (result, at)
    }

    /// Handles one whole frame.
    fn frame(
        &mut self,
        header: &frame::Header,
        payload: &[u8],
    ) -> Result<Option<Http2Fingerprint>, Http2FingerprintError> {
        if let Some((stream, mut block)) = self.open_block.take() {
            if header.kind != frame::CONTINUATION || header.stream != stream {
                return Err(header.unexpected());
            }
            block.extend_from_slice(payload);
            if header.flags & frame::FLAG_END_HEADERS == 0 {
                self.open_block = Some((stream, block));
                return Ok(None);
            }
            return self.finish(&block).map(Some);
        }
        if self.settings.is_none() && (header.kind != frame::SETTINGS || header.flags & frame::FLAG_ACK != 0) {
            return Err(Http2FingerprintError::SettingsExpected);
        }
        match header.kind {
            frame::SETTINGS => {
                let entries = frame::settings(header, payload)?;
                // Only the preface's SETTINGS frame is the fingerprint; later
                // ones are checked but not recorded.
                if self.settings.is_none() {
                    self.settings = Some(entries.collect());
                }
            }
            frame::WINDOW_UPDATE => {
                let increment = frame::window_update(header, payload)?;
                if header.stream == 0 && self.window_update.is_none() {
                    self.window_update = Some(increment);
                }
            }
            frame::PRIORITY => {
                let priority = frame::priority(header, payload)?;
                if self.priorities.len() < MAX_PRIORITIES {
                    self.priorities.push(priority);
                }
            }
            frame::HEADERS => {
                let fragment = frame::headers_fragment(header, payload)?;
                if header.flags & frame::FLAG_END_HEADERS != 0 {
                    return self.finish(fragment).map(Some);
                }
                self.open_block = Some((header.stream, fragment.to_vec()));
            }
            frame::DATA | frame::PUSH_PROMISE | frame::CONTINUATION => return Err(header.unexpected()),
            // RST_STREAM, PING, GOAWAY and extension frames say nothing the
            // fingerprint records.
            _ => {}
        }
        Ok(None)
    }

    /// Decodes the first header block and renders the fingerprint.
    fn finish(&self, block: &[u8]) -> Result<Http2Fingerprint, Http2FingerprintError> {
        let mut pseudo = Vec::new();
        hpack::Decoder::new().decode(block, |name| {
            let letter = match name {
                b":method" => Some('m'),
                b":authority" => Some('a'),
                b":scheme" => Some('s'),
                b":path" => Some('p'),
                _ => None,
            };
            if let Some(letter) = letter.filter(|_| pseudo.len() < MAX_PSEUDO) {
                pseudo.push(letter);
            }
        })?;
        Ok(self.render(&pseudo))
    }

    fn render(&self, pseudo: &[char]) -> Http2Fingerprint {
        let mut out = String::new();
        let settings = self.settings.as_deref().unwrap_or_default();
        for (i, (id, value)) in settings.iter().take(MAX_SETTINGS).enumerate() {
            let sep = if i == 0 { "" } else { ";" };
            let _ = write!(out, "{sep}{id}:{value}");
        }
        match self.window_update {
            Some(increment) => {
                let _ = write!(out, "|{increment}|");
            }
            // The paper's marker for "no WINDOW_UPDATE frame".
            None => out.push_str("|00|"),
        }
        if self.priorities.is_empty() {
            out.push('0');
        }
        for (i, p) in self.priorities.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(
                out,
                "{sep}{}:{}:{}:{}",
                p.stream,
                u8::from(p.exclusive),
                p.depends_on,
                p.weight
            );
        }
        out.push('|');
        for (i, letter) in pseudo.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push(*letter);
        }
        Http2Fingerprint::from_rendered(out)
    }
}
