//! The filter file layout, its checks and its errors.
//!
//! All integers are little-endian.
//!
//! | bytes | field |
//! |---|---|
//! | 0..8 | magic `TGPWNED\0` |
//! | 8..10 | format version (1) |
//! | 10 | fingerprint bits (8 or 16) |
//! | 11 | shard bits `b` (0..=16): shard = top `b` bits of the hash |
//! | 12..16 | reserved, 0 |
//! | 16..24 | distinct keys in the filter |
//! | 24..28 | shard count (`1 << b`) |
//! | 28..32 | reserved, 0 |
//! | 32..40 | offset of the shard index |
//! | 40..48 | minimum count the builder kept |
//! | 48..56 | total file length |
//! | 56..64 | checksum of bytes 0..56 and the shard index |
//!
//! Then the fingerprints of every shard, one after another, and at the end
//! the shard index: per shard 40 bytes (seed u64, fingerprint offset u64,
//! slot count u32, segment length u32, segment count length u32, key count
//! u32, checksum of the shard's fingerprint bytes u64). The index comes last
//! so the builder can stream shards out before it knows their sizes.

use crate::fuse::{Descriptor, FingerprintBits};

pub(crate) const MAGIC: [u8; 8] = *b"TGPWNED\0";
pub(crate) const VERSION: u16 = 1;
pub(crate) const HEADER_LEN: usize = 64;
pub(crate) const ENTRY_LEN: usize = 40;
/// 65,536 shards; the 5-hex-digit corpus prefix has 20 bits.
pub(crate) const MAX_SHARD_BITS: u8 = 16;

/// Why bytes are not a usable filter file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterError {
    /// Shorter than the header, or than the length the header records.
    #[error("filter file truncated: {actual} bytes, expected {expected}")]
    Truncated {
        /// Bytes needed.
        expected: u64,
        /// Bytes present.
        actual: u64,
    },
    /// Does not start with the filter magic.
    #[error("not a tollgate pwned-passwords filter (bad magic)")]
    BadMagic,
    /// Written by an unknown format version.
    #[error("unsupported filter format version {0}")]
    Version(u16),
    /// A header or index field is out of range or inconsistent.
    #[error("corrupt filter: {0}")]
    Corrupt(&'static str),
    /// The header or index checksum does not match.
    #[error("filter checksum mismatch in {0}")]
    Checksum(&'static str),
}

/// The parsed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) width: FingerprintBits,
    pub(crate) shard_bits: u8,
    pub(crate) key_count: u64,
    pub(crate) index_offset: u64,
    pub(crate) min_count: u64,
    pub(crate) file_len: u64,
}

/// One shard's index entry, validated against the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) descriptor: Descriptor,
    /// Byte range of the fingerprints; empty for a shard without keys.
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) key_count: u32,
    pub(crate) checksum: u64,
}

impl Header {
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        let fields: [(usize, &[u8]); 9] = [
            (0, &MAGIC),
            (8, &VERSION.to_le_bytes()),
            (10, &[self.width.bits()]),
            (11, &[self.shard_bits]),
            (16, &self.key_count.to_le_bytes()),
            (24, &(1u32 << self.shard_bits).to_le_bytes()),
            (32, &self.index_offset.to_le_bytes()),
            (40, &self.min_count.to_le_bytes()),
            (48, &self.file_len.to_le_bytes()),
        ];
        for (at, bytes) in fields {
            if let Some(slot) = out.get_mut(at..at + bytes.len()) {
                slot.copy_from_slice(bytes);
            }
        }
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, FilterError> {
        let header = bytes.get(..HEADER_LEN).ok_or(FilterError::Truncated {
            expected: HEADER_LEN as u64,
            actual: bytes.len() as u64,
        })?;
        if header.get(..8) != Some(&MAGIC[..]) {
            return Err(FilterError::BadMagic);
        }
        let version = u16::from_le_bytes(array(header, 8)?);
        if version != VERSION {
            return Err(FilterError::Version(version));
        }
        let width = header
            .get(10)
            .and_then(|&b| FingerprintBits::from_bits(b))
            .ok_or(FilterError::Corrupt("fingerprint width is not 8 or 16"))?;
        let shard_bits = header.get(11).copied().unwrap_or(u8::MAX);
        if shard_bits > MAX_SHARD_BITS {
            return Err(FilterError::Corrupt("too many shard bits"));
        }
        if u32::from_le_bytes(array(header, 24)?) != 1u32 << shard_bits {
            return Err(FilterError::Corrupt("shard count does not match shard bits"));
        }
        let file_len = u64::from_le_bytes(array(header, 48)?);
        if file_len != bytes.len() as u64 {
            return Err(if file_len > bytes.len() as u64 {
                FilterError::Truncated {
                    expected: file_len,
                    actual: bytes.len() as u64,
                }
            } else {
                FilterError::Corrupt("trailing bytes after the recorded length")
            });
        }
        Ok(Self {
            width,
            shard_bits,
            key_count: u64::from_le_bytes(array(header, 16)?),
            index_offset: u64::from_le_bytes(array(header, 32)?),
            min_count: u64::from_le_bytes(array(header, 40)?),
            file_len,
        })
    }

    pub(crate) fn shard_count(&self) -> usize {
        1usize << self.shard_bits
    }
}

impl Shard {
    pub(crate) fn encode(&self, width: FingerprintBits) -> [u8; ENTRY_LEN] {
        let mut out = [0u8; ENTRY_LEN];
        let d = &self.descriptor;
        let slots = self.end.saturating_sub(self.start) / width.bytes();
        let fields: [(usize, &[u8]); 7] = [
            (0, &d.seed.to_le_bytes()),
            (8, &(self.start as u64).to_le_bytes()),
            (16, &(slots as u32).to_le_bytes()),
            (20, &d.segment_length.to_le_bytes()),
            (24, &d.segment_count_length.to_le_bytes()),
            (28, &self.key_count.to_le_bytes()),
            (32, &self.checksum.to_le_bytes()),
        ];
        for (at, bytes) in fields {
            if let Some(slot) = out.get_mut(at..at + bytes.len()) {
                slot.copy_from_slice(bytes);
            }
        }
        out
    }

    /// Decodes an entry and checks it against the file: its fingerprints
    /// lie between the header and the index, and their count is exactly
    /// what the descriptor's probes can reach.
    pub(crate) fn decode(entry: &[u8], width: FingerprintBits, data_end: u64) -> Result<Self, FilterError> {
        let descriptor = Descriptor {
            seed: u64::from_le_bytes(array(entry, 0)?),
            segment_length: u32::from_le_bytes(array(entry, 20)?),
            segment_count_length: u32::from_le_bytes(array(entry, 24)?),
        };
        let offset = u64::from_le_bytes(array(entry, 8)?);
        let slots = u32::from_le_bytes(array(entry, 16)?);
        let key_count = u32::from_le_bytes(array(entry, 28)?);
        let checksum = u64::from_le_bytes(array(entry, 32)?);
        let corrupt = FilterError::Corrupt;
        if key_count == 0 {
            if slots != 0 {
                return Err(corrupt("empty shard with fingerprints"));
            }
        } else if !descriptor.is_well_formed() || descriptor.slots().is_none_or(|need| need > slots as usize) {
            return Err(corrupt("shard has fewer fingerprints than its descriptor reaches"));
        }
        let len = u64::from(slots) * width.bytes() as u64;
        let end = offset.checked_add(len).ok_or(corrupt("shard offset overflows"))?;
        if offset < HEADER_LEN as u64 || end > data_end {
            return Err(corrupt("shard fingerprints outside the data area"));
        }
        Ok(Self {
            descriptor,
            start: usize::try_from(offset).map_err(|_| corrupt("shard offset too large"))?,
            end: usize::try_from(end).map_err(|_| corrupt("shard end too large"))?,
            key_count,
            checksum,
        })
    }
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N], FilterError> {
    bytes
        .get(at..at.saturating_add(N))
        .and_then(|s| s.try_into().ok())
        .ok_or(FilterError::Corrupt("field out of range"))
}

/// A fast 64-bit checksum against accidental corruption (truncation, bit
/// flips, a half-copied file), not against tampering: a word-at-a-time
/// multiply-xor mix, several GB/s, so a whole file is verified when opened.
#[must_use]
pub(crate) fn checksum(parts: &[&[u8]]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    for part in parts {
        let words = part.chunks_exact(8);
        let tail = words.remainder();
        for word in words {
            let w = word.iter().rev().fold(0u64, |v, &b| v << 8 | u64::from(b));
            h = (h ^ w).wrapping_mul(K).rotate_left(29);
        }
        let t = tail.iter().rev().fold(0u64, |v, &b| v << 8 | u64::from(b));
        h = (h ^ t ^ (part.len() as u64)).wrapping_mul(K).rotate_left(29);
    }
    h ^ (h >> 32)
}
