//! Building a filter file from the Pwned Passwords downloader output.
//!
//! The input is text, one hash a line: `SHA1HEX:COUNT` (the downloader's
//! format; upper- or lower-case hex, CRLF or LF; a line without `:COUNT`
//! counts as 1). The builder streams it: keys are sharded by the top bits
//! of the hash and only the current shard's keys are held, so memory
//! follows the largest shard, not the corpus. That needs the input sorted
//! by hash at shard granularity, which the downloader's output is (it is
//! written prefix by prefix, `00000` to `FFFFF`); a line that goes back to
//! an earlier shard is an error ([`BuildError::Unsorted`]) naming the line,
//! and `LC_ALL=C sort` fixes such a file.
//!
//! ```
//! use tollgate::password::PasswordSha1;
//! use tollgate_pwned::{Builder, FingerprintBits, PwnedFilter};
//!
//! let input = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\r\n\
//!              7C4A8D09CA3762AF61E59520943DC26494F8941B:1\r\n";
//! let mut out = std::io::Cursor::new(Vec::new());
//! let stats = Builder::new(FingerprintBits::Sixteen).min_count(2).build(input.as_bytes(), &mut out)?;
//! assert_eq!((stats.keys, stats.below_min_count), (1, 1));
//! let filter = PwnedFilter::from_bytes(out.into_inner())?;
//! assert!(filter.contains(&PasswordSha1::of("password")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{BufRead, Seek, SeekFrom, Write};
use std::path::Path;

use tollgate::password::PasswordSha1;
use xorf::{BinaryFuse8, BinaryFuse16};

use crate::filter::shard_of;
use crate::format::{HEADER_LEN, Header, MAX_SHARD_BITS, Shard, checksum};
use crate::fuse::{Descriptor, FingerprintBits};

/// Why a filter could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Reading the input or writing the output failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not `SHA1HEX[:COUNT]`.
    #[error("line {line}: expected SHA1HEX:COUNT ({reason})")]
    Line {
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A line belongs to a shard the builder has already written.
    #[error("line {line}: input is not sorted by hash (sort it with `LC_ALL=C sort`)")]
    Unsorted {
        /// 1-based line number.
        line: u64,
    },
    /// Shard bits above 16.
    #[error("shard bits must be at most {MAX_SHARD_BITS}")]
    ShardBits,
    /// A shard holds more keys than the format's 32-bit count.
    #[error("shard {0} has too many keys; use more shard bits")]
    ShardTooLarge(usize),
    /// xorf could not build a shard's filter (it retries seeds, so this
    /// should not happen with distinct keys).
    #[error("filter construction failed for shard {shard}: {reason}")]
    Construction {
        /// The shard.
        shard: usize,
        /// xorf's message.
        reason: &'static str,
    },
}

/// What a build read and wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BuildStats {
    /// Input lines with a hash.
    pub lines: u64,
    /// Lines dropped because their count was below the minimum.
    pub below_min_count: u64,
    /// Distinct 64-bit keys in the filter (hashes sharing their first 8
    /// bytes, or repeated lines, count once).
    pub keys: u64,
    /// Keys in the largest shard: what sets peak memory.
    pub largest_shard: u64,
    /// Bytes written.
    pub file_len: u64,
}

/// Builds filter files; see the module documentation for the input format.
#[derive(Clone, Copy, Debug)]
pub struct Builder {
    width: FingerprintBits,
    min_count: u64,
    shard_bits: u8,
}

impl Builder {
    /// A builder keeping every hash, with 256 shards (8 shard bits): about
    /// 4 million keys a shard for the full billion-hash corpus.
    #[must_use]
    pub const fn new(width: FingerprintBits) -> Self {
        Self {
            width,
            min_count: 1,
            shard_bits: 8,
        }
    }

    /// Keep only hashes seen at least `min` times in breaches.
    #[must_use]
    pub const fn min_count(mut self, min: u64) -> Self {
        self.min_count = min;
        self
    }

    /// Split the key space into `1 << bits` shards (0..=16). More shards
    /// means less memory while building, slightly more bits per key.
    #[must_use]
    pub const fn shard_bits(mut self, bits: u8) -> Self {
        self.shard_bits = bits;
        self
    }

    /// Builds a filter from `input` into `out`, then writes a fresh file
    /// safely: into `<out>.tmp<pid>` first, renamed over `out` when
    /// complete, so a process mapping the old filter never sees a partial
    /// file.
    ///
    /// # Errors
    /// As [`build`](Self::build); the temporary file is removed.
    pub fn build_to_path<R: BufRead>(&self, input: R, out: &Path) -> Result<BuildStats, BuildError> {
        let mut name = out.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".tmp{}", std::process::id()));
        let tmp = out.with_file_name(name);
        let result = std::fs::File::create(&tmp)
            .map_err(BuildError::from)
            .and_then(|file| {
                let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
                let stats = self.build(input, &mut writer)?;
                writer.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                Ok(stats)
            })
            .and_then(|stats| Ok(std::fs::rename(&tmp, out).map(|()| stats)?));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Builds a filter from `input` into `out`.
    ///
    /// # Errors
    /// [`BuildError`]: unreadable or malformed input, unsorted input, or a
    /// failed write.
    pub fn build<R: BufRead, W: Write + Seek>(&self, mut input: R, mut out: W) -> Result<BuildStats, BuildError> {
        if self.shard_bits > MAX_SHARD_BITS {
            return Err(BuildError::ShardBits);
        }
        let shard_count = 1usize << self.shard_bits;
        out.write_all(&[0u8; HEADER_LEN])?;
        let mut pos = HEADER_LEN as u64;
        let mut stats = BuildStats::default();
        let mut shards: Vec<Shard> = Vec::with_capacity(shard_count);
        let mut keys: Vec<u64> = Vec::new();
        let mut current = 0usize;
        let mut line = Vec::new();
        let mut number = 0u64;
        loop {
            line.clear();
            if input.read_until(b'\n', &mut line)? == 0 {
                break;
            }
            number += 1;
            let Some((hash, count)) = parse_line(&line).map_err(|reason| BuildError::Line { line: number, reason })?
            else {
                continue;
            };
            stats.lines += 1;
            if count < self.min_count {
                stats.below_min_count += 1;
                continue;
            }
            let key = hash.key64();
            let shard = shard_of(key, self.shard_bits);
            if shard < current {
                return Err(BuildError::Unsorted { line: number });
            }
            while current < shard {
                shards.push(self.finish_shard(current, &mut keys, &mut out, &mut pos, &mut stats)?);
                current += 1;
            }
            keys.push(key);
        }
        while current < shard_count {
            shards.push(self.finish_shard(current, &mut keys, &mut out, &mut pos, &mut stats)?);
            current += 1;
        }
        let index: Vec<u8> = shards.iter().flat_map(|s| s.encode(self.width)).collect();
        out.write_all(&index)?;
        let file_len = pos + index.len() as u64;
        let header = Header {
            width: self.width,
            shard_bits: self.shard_bits,
            key_count: stats.keys,
            index_offset: pos,
            min_count: self.min_count,
            file_len,
        }
        .encode();
        let head = header.get(..56).unwrap_or_default();
        let sum = checksum(&[head, &index]);
        out.seek(SeekFrom::Start(0))?;
        out.write_all(head)?;
        out.write_all(&sum.to_le_bytes())?;
        out.seek(SeekFrom::Start(file_len))?;
        out.flush()?;
        stats.file_len = file_len;
        Ok(stats)
    }

    /// Builds one shard's filter from the collected keys, writes its
    /// fingerprints and empties `keys` (keeping its allocation).
    fn finish_shard<W: Write>(
        &self,
        shard: usize,
        keys: &mut Vec<u64>,
        out: &mut W,
        pos: &mut u64,
        stats: &mut BuildStats,
    ) -> Result<Shard, BuildError> {
        keys.sort_unstable();
        keys.dedup();
        let key_count = u32::try_from(keys.len()).map_err(|_| BuildError::ShardTooLarge(shard))?;
        let construction = |reason| BuildError::Construction { shard, reason };
        let (descriptor, bytes) = if keys.is_empty() {
            let none = Descriptor {
                seed: 0,
                segment_length: 0,
                segment_count_length: 0,
            };
            (none, Vec::new())
        } else {
            match self.width {
                FingerprintBits::Eight => {
                    let f = BinaryFuse8::try_from(keys.as_slice()).map_err(construction)?;
                    (descriptor(&f.descriptor), f.fingerprints.into_vec())
                }
                FingerprintBits::Sixteen => {
                    let f = BinaryFuse16::try_from(keys.as_slice()).map_err(construction)?;
                    let bytes = f.fingerprints.iter().flat_map(|f| f.to_le_bytes()).collect();
                    (descriptor(&f.descriptor), bytes)
                }
            }
        };
        out.write_all(&bytes)?;
        let start = usize::try_from(*pos).map_err(|_| BuildError::ShardTooLarge(shard))?;
        *pos += bytes.len() as u64;
        stats.keys += u64::from(key_count);
        stats.largest_shard = stats.largest_shard.max(u64::from(key_count));
        keys.clear();
        Ok(Shard {
            descriptor,
            start,
            end: start.saturating_add(bytes.len()),
            key_count,
            checksum: checksum(&[&bytes]),
        })
    }
}

fn descriptor(d: &xorf::Descriptor) -> Descriptor {
    Descriptor {
        seed: d.seed,
        segment_length: d.segment_length,
        segment_count_length: d.segment_count_length,
    }
}

/// `SHA1HEX[:COUNT]` with an optional CR/LF; `None` for a blank line.
fn parse_line(line: &[u8]) -> Result<Option<(PasswordSha1, u64)>, &'static str> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.is_empty() {
        return Ok(None);
    }
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8")?;
    let (hex, count) = match text.split_once(':') {
        Some((hex, count)) => (hex, count.parse::<u64>().map_err(|_| "count is not a number")?),
        None => (text, 1),
    };
    let hash = PasswordSha1::from_hex(hex).map_err(|_| "not a 40-digit SHA-1 (NTLM files are not supported)")?;
    Ok(Some((hash, count)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let h = "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8";
        assert_eq!(parse_line(format!("{h}:12\r\n").as_bytes()).unwrap().unwrap().1, 12);
        assert_eq!(parse_line(h.as_bytes()).unwrap().unwrap().1, 1);
        assert_eq!(parse_line(b"\r\n").unwrap(), None);
        assert!(parse_line(format!("{h}:x").as_bytes()).is_err());
        assert!(parse_line(b"8846F7EAEE8FB117AD06BDD830B7586C:1").is_err());
    }
}
