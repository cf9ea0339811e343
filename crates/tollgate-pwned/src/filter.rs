//! Loading a filter file and looking hashes up in it.
//!
//! ```
//! use tollgate::password::PasswordSha1;
//! use tollgate_pwned::{Builder, FingerprintBits, PwnedFilter};
//!
//! let corpus = format!("{}:3861493\n", PasswordSha1::of("password").hex());
//! let mut file = std::io::Cursor::new(Vec::new());
//! Builder::new(FingerprintBits::Eight).build(corpus.as_bytes(), &mut file)?;
//! let filter = PwnedFilter::from_bytes(file.into_inner())?;
//! assert!(filter.contains(&PasswordSha1::of("password")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::File;
use std::path::Path;

use memmap2::Mmap;
use tollgate::password::PasswordSha1;

use crate::format::{ENTRY_LEN, FilterError, HEADER_LEN, Header, Shard, checksum};
use crate::fuse::{self, FingerprintBits};

/// Why a filter file could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be opened, read or mapped.
    #[error("cannot read filter file: {0}")]
    Io(#[from] std::io::Error),
    /// The bytes are not a valid filter.
    #[error(transparent)]
    Format(#[from] FilterError),
}

#[derive(Debug)]
enum Storage {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Storage {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Mapped(m) => m,
            Self::Owned(v) => v,
        }
    }
}

/// A loaded Pwned Passwords filter: answers "is this SHA-1 in the corpus?"
/// with no false negatives and a small false-positive rate (see
/// `docs/pwned.md`). Lookups read the fingerprints where they lie, in the
/// mapping or the buffer, without copying them.
#[derive(Debug)]
pub struct PwnedFilter {
    storage: Storage,
    header: Header,
    shards: Vec<Shard>,
}

impl PwnedFilter {
    /// Memory-maps a filter file and verifies it (a full read, once).
    ///
    /// The file must not change while mapped: replace a filter by writing
    /// a new file and renaming it over the old one, never by editing it in
    /// place (the builder and `tollgate pwned build` work that way).
    ///
    /// # Errors
    /// [`LoadError::Io`] when the file cannot be opened or mapped,
    /// [`LoadError::Format`] when it is not a valid filter.
    pub fn open(path: &Path) -> Result<Self, LoadError> {
        let file = File::open(path)?;
        Ok(Self::parse(Storage::Mapped(map(&file)?))?)
    }

    /// Reads a filter file into memory (no mapping) and verifies it.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn read(path: &Path) -> Result<Self, LoadError> {
        Ok(Self::parse(Storage::Owned(std::fs::read(path)?))?)
    }

    /// Takes a filter already in memory and verifies it.
    ///
    /// # Errors
    /// [`FilterError`] when the bytes are not a valid filter.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, FilterError> {
        Self::parse(Storage::Owned(bytes))
    }

    fn parse(storage: Storage) -> Result<Self, FilterError> {
        let bytes = storage.bytes();
        let header = Header::decode(bytes)?;
        let index_len = header.shard_count() * ENTRY_LEN;
        let index_start = usize::try_from(header.index_offset).map_err(|_| FilterError::Corrupt("index offset"))?;
        let index = index_start
            .checked_add(index_len)
            .filter(|&end| end == bytes.len() && index_start >= HEADER_LEN)
            .and_then(|end| bytes.get(index_start..end))
            .ok_or(FilterError::Corrupt("shard index is not at the end of the file"))?;
        // Structure first, then checksums: a damaged index is reported as
        // what it is, and the fuzzer reaches the entry checks.
        let mut shards = Vec::with_capacity(header.shard_count());
        let mut keys = 0u64;
        for entry in index.chunks_exact(ENTRY_LEN) {
            let shard = Shard::decode(entry, header.width, header.index_offset)?;
            keys = keys.saturating_add(u64::from(shard.key_count));
            shards.push(shard);
        }
        let head = bytes.get(..56).ok_or(FilterError::Corrupt("header"))?;
        let stored = bytes
            .get(56..HEADER_LEN)
            .and_then(|s| s.try_into().ok())
            .map(u64::from_le_bytes);
        if stored != Some(checksum(&[head, index])) {
            return Err(FilterError::Checksum("header and index"));
        }
        for shard in &shards {
            let fingerprints = bytes
                .get(shard.start..shard.end)
                .ok_or(FilterError::Corrupt("shard range"))?;
            if checksum(&[fingerprints]) != shard.checksum {
                return Err(FilterError::Checksum("shard fingerprints"));
            }
        }
        if keys != header.key_count {
            return Err(FilterError::Corrupt("shard key counts do not add up"));
        }
        Ok(Self {
            storage,
            header,
            shards,
        })
    }

    /// Whether the password hash is (probably) in the corpus.
    #[must_use]
    pub fn contains(&self, hash: &PasswordSha1) -> bool {
        self.contains_key(hash.key64())
    }

    /// Whether a 64-bit key (the first 8 SHA-1 bytes, big-endian; see
    /// [`PasswordSha1::key64`]) is (probably) in the filter.
    #[must_use]
    pub fn contains_key(&self, key: u64) -> bool {
        let index = shard_of(key, self.header.shard_bits);
        let Some(shard) = self.shards.get(index) else {
            return false;
        };
        if shard.key_count == 0 {
            return false;
        }
        let fingerprints = self.storage.bytes().get(shard.start..shard.end).unwrap_or_default();
        fuse::contains(key, &shard.descriptor, self.header.width, fingerprints)
    }

    /// Distinct keys in the filter.
    #[must_use]
    pub fn key_count(&self) -> u64 {
        self.header.key_count
    }

    /// The fingerprint width.
    #[must_use]
    pub fn fingerprint_bits(&self) -> FingerprintBits {
        self.header.width
    }

    /// Number of shards.
    #[must_use]
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The smallest corpus count the builder kept (1 when it kept all).
    #[must_use]
    pub fn min_count(&self) -> u64 {
        self.header.min_count
    }

    /// Size of the file in bytes.
    #[must_use]
    pub fn file_len(&self) -> u64 {
        self.header.file_len
    }

    /// File bits per key (everything: header, index and fingerprints).
    #[must_use]
    pub fn bits_per_key(&self) -> f64 {
        if self.header.key_count == 0 {
            return 0.0;
        }
        self.header.file_len as f64 * 8.0 / self.header.key_count as f64
    }
}

/// The shard of a key: its top `bits` bits.
pub(crate) fn shard_of(key: u64, bits: u8) -> usize {
    key.checked_shr(64 - u32::from(bits)).unwrap_or(0) as usize
}

/// Maps the whole file read-only.
#[allow(unsafe_code)]
fn map(file: &File) -> std::io::Result<Mmap> {
    // SAFETY: `Mmap::map` is unsafe because the mapping aliases the file:
    // if another process truncates or rewrites it while mapped, reads see
    // the new bytes or fault (SIGBUS). The contract, documented on
    // `PwnedFilter::open` and in docs/pwned.md, is that filter files are
    // immutable once written and are replaced by rename, never edited in
    // place; the builder writes a temporary file and renames it. Every read
    // through the mapping is bounds-checked against the length taken at
    // map time, and the bytes are only ever read.
    unsafe { Mmap::map(file) }
}
