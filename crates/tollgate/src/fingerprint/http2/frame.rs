//! HTTP/2 frame headers and the payloads the fingerprint reads (RFC 9113 §4 and §6).

use super::Http2FingerprintError;

/// The fixed frame header: length (24 bits), type, flags, stream id (31 bits).
pub(super) const HEADER_LEN: usize = 9;

pub(super) const DATA: u8 = 0x0;
pub(super) const HEADERS: u8 = 0x1;
pub(super) const PRIORITY: u8 = 0x2;
pub(super) const SETTINGS: u8 = 0x4;
pub(super) const PUSH_PROMISE: u8 = 0x5;
pub(super) const WINDOW_UPDATE: u8 = 0x8;
pub(super) const CONTINUATION: u8 = 0x9;

pub(super) const FLAG_ACK: u8 = 0x1;
pub(super) const FLAG_END_HEADERS: u8 = 0x4;
const FLAG_PADDED: u8 = 0x8;
const FLAG_PRIORITY: u8 = 0x20;

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Header {
    pub(super) len: u32,
    pub(super) kind: u8,
    pub(super) flags: u8,
    pub(super) stream: u32,
}

impl Header {
    pub(super) fn parse(bytes: [u8; HEADER_LEN]) -> Self {
        let [l0, l1, l2, kind, flags, s0, s1, s2, s3] = bytes;
        Header {
            len: u32::from_be_bytes([0, l0, l1, l2]),
            kind,
            flags,
            // The top bit is reserved and ignored on receipt (§4.1).
            stream: u32::from_be_bytes([s0, s1, s2, s3]) & 0x7fff_ffff,
        }
    }

    fn frame_size_error(&self) -> Http2FingerprintError {
        Http2FingerprintError::FrameSize {
            frame_type: self.kind,
            len: self.len,
        }
    }

    pub(super) fn unexpected(&self) -> Http2FingerprintError {
        Http2FingerprintError::UnexpectedFrame {
            frame_type: self.kind,
            stream: self.stream,
        }
    }
}

/// One PRIORITY frame, as the fingerprint renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Priority {
    pub(super) stream: u32,
    pub(super) exclusive: bool,
    pub(super) depends_on: u32,
    /// The weight 1..=256: the wire octet plus one (§5.3.2 of RFC 7540).
    pub(super) weight: u16,
}

fn be_u32(bytes: &[u8]) -> Option<u32> {
    bytes.get(..4)?.try_into().ok().map(u32::from_be_bytes)
}

/// The (identifier, value) pairs of a SETTINGS payload (§6.5.1), in order.
pub(super) fn settings(
    header: &Header,
    payload: &[u8],
) -> Result<impl Iterator<Item = (u16, u32)>, Http2FingerprintError> {
    if header.stream != 0 {
        return Err(header.unexpected());
    }
    let ack = header.flags & FLAG_ACK != 0;
    if payload.len() % 6 != 0 || (ack && !payload.is_empty()) {
        return Err(header.frame_size_error());
    }
    Ok(payload.chunks_exact(6).map(|entry| {
        let [i0, i1, v0, v1, v2, v3] = entry.try_into().unwrap_or([0; 6]);
        (u16::from_be_bytes([i0, i1]), u32::from_be_bytes([v0, v1, v2, v3]))
    }))
}

/// The window size increment of a WINDOW_UPDATE payload (§6.9).
pub(super) fn window_update(header: &Header, payload: &[u8]) -> Result<u32, Http2FingerprintError> {
    if payload.len() != 4 {
        return Err(header.frame_size_error());
    }
    let increment = be_u32(payload).ok_or_else(|| header.frame_size_error())? & 0x7fff_ffff;
    if increment == 0 {
        return Err(Http2FingerprintError::ZeroWindowIncrement);
    }
    Ok(increment)
}

/// Stream dependency, exclusive flag and weight from 5 bytes (§6.3).
fn priority_fields(stream: u32, bytes: &[u8]) -> Option<Priority> {
    let dependency = be_u32(bytes)?;
    let weight = *bytes.get(4)?;
    Some(Priority {
        stream,
        exclusive: dependency & 0x8000_0000 != 0,
        depends_on: dependency & 0x7fff_ffff,
        weight: u16::from(weight) + 1,
    })
}

/// A PRIORITY frame (§6.3).
pub(super) fn priority(header: &Header, payload: &[u8]) -> Result<Priority, Http2FingerprintError> {
    if header.stream == 0 {
        return Err(header.unexpected());
    }
    if payload.len() != 5 {
        return Err(header.frame_size_error());
    }
    priority_fields(header.stream, payload).ok_or_else(|| header.frame_size_error())
}

/// The header block fragment of a HEADERS frame, without padding and
/// priority fields (§6.2).
pub(super) fn headers_fragment<'a>(header: &Header, payload: &'a [u8]) -> Result<&'a [u8], Http2FingerprintError> {
    // Client-initiated streams are odd (§5.1.1).
    if header.stream % 2 == 0 {
        return Err(header.unexpected());
    }
    let mut rest = payload;
    let mut pad = 0usize;
    if header.flags & FLAG_PADDED != 0 {
        let (&len, after) = rest.split_first().ok_or(Http2FingerprintError::BadPadding)?;
        pad = usize::from(len);
        rest = after;
    }
    if header.flags & FLAG_PRIORITY != 0 {
        rest = rest.get(5..).ok_or_else(|| header.frame_size_error())?;
    }
    let end = rest.len().checked_sub(pad).ok_or(Http2FingerprintError::BadPadding)?;
    rest.get(..end).ok_or(Http2FingerprintError::BadPadding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: u32, kind: u8, flags: u8, stream: u32) -> Header {
        Header {
            len,
            kind,
            flags,
            stream,
        }
    }

    #[test]
    fn parses_the_frame_header() {
        let h = Header::parse([0, 0, 0x12, 4, 0, 0x80, 0, 0, 3]);
        assert_eq!(h, header(18, SETTINGS, 0, 3));
    }

    #[test]
    fn settings_payloads() {
        let h = header(12, SETTINGS, 0, 0);
        let payload = [0, 1, 0, 1, 0, 0, 0, 4, 0, 0x60, 0, 0];
        assert_eq!(
            settings(&h, &payload).unwrap().collect::<Vec<_>>(),
            [(1, 65536), (4, 6_291_456)]
        );
        assert!(settings(&h, &payload[..7]).is_err());
        assert!(settings(&header(6, SETTINGS, FLAG_ACK, 0), &payload[..6]).is_err());
        assert!(settings(&header(0, SETTINGS, 0, 1), &[]).is_err());
    }

    #[test]
    fn headers_padding_and_priority_are_stripped() {
        let h = header(0, HEADERS, FLAG_PADDED | FLAG_PRIORITY, 1);
        let payload = [2, 0x80, 0, 0, 0, 255, 0x82, 0x84, 0, 0];
        assert_eq!(headers_fragment(&h, &payload).unwrap(), [0x82, 0x84]);
        assert_eq!(
            headers_fragment(&h, &[9, 0, 0, 0, 0, 0]),
            Err(Http2FingerprintError::BadPadding)
        );
        assert_eq!(headers_fragment(&h, &[]), Err(Http2FingerprintError::BadPadding));
        assert!(headers_fragment(&header(0, HEADERS, 0, 2), &[]).is_err());
    }

    #[test]
    fn priority_and_window_update() {
        let h = header(5, PRIORITY, 0, 3);
        let p = priority(&h, &[0x80, 0, 0, 1, 200]).unwrap();
        assert_eq!(
            p,
            Priority {
                stream: 3,
                exclusive: true,
                depends_on: 1,
                weight: 201
            }
        );
        assert!(priority(&header(5, PRIORITY, 0, 0), &[0; 5]).is_err());
        let w = header(4, WINDOW_UPDATE, 0, 0);
        assert_eq!(window_update(&w, &[0x80, 0xef, 0, 1]), Ok(0x00ef_0001));
        assert_eq!(
            window_update(&w, &[0x80, 0, 0, 0]),
            Err(Http2FingerprintError::ZeroWindowIncrement)
        );
    }
}
