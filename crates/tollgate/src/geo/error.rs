//! Why a database could not be opened or an address not be looked up.

use std::fmt;

use super::DbKind;

/// A geo database that cannot be used, or a lookup that hit corrupt data.
///
/// Messages name the database kind and what is wrong, never the address
/// looked up.
///
/// ```
/// use tollgate::geo::{GeoDb, GeoError};
///
/// let err = GeoDb::from_bytes(b"not a database".to_vec()).unwrap_err();
/// assert!(matches!(err, GeoError::Open(_)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GeoError {
    /// The bytes are not a readable MaxMind DB: no metadata section, bad
    /// metadata, or a search tree that does not fit the file.
    #[error("not a usable MaxMind DB: {0}")]
    Open(#[source] MmdbError),
    /// The database is readable but of a type these lookups do not use
    /// (e.g. `GeoIP2-Connection-Type`). Use
    /// [`GeoDb::with_kind`](super::GeoDb::with_kind) if it has the layout of
    /// a supported kind under another name.
    #[error("unsupported geo database type `{database_type}`")]
    Unsupported {
        /// The metadata `database_type`.
        database_type: String,
    },
    /// The search tree or the record for an address is corrupt, or the record
    /// has a field of an unexpected type.
    #[error("corrupt data in the {kind} database: {source}")]
    Lookup {
        /// The kind of database that failed.
        kind: DbKind,
        /// What the reader found.
        #[source]
        source: MmdbError,
    },
    /// [`GeoDb::verify`](super::GeoDb::verify) found the database
    /// inconsistent.
    #[error("the {kind} database fails verification: {source}")]
    Verify {
        /// The kind of database that failed.
        kind: DbKind,
        /// What the verifier found.
        #[source]
        source: MmdbError,
    },
}

/// An error from the MaxMind DB reader, kept opaque so the reader's own
/// error type is not part of this crate's API.
pub struct MmdbError(maxminddb::MaxMindDbError);

impl MmdbError {
    pub(super) fn new(inner: maxminddb::MaxMindDbError) -> Self {
        MmdbError(inner)
    }
}

impl fmt::Display for MmdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for MmdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::error::Error for MmdbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}
