//! One database: opened from bytes the host supplies, looked up by address.

use std::fmt;
use std::net::IpAddr;

use maxminddb::{LookupResult, Reader};

use super::error::MmdbError;
use super::{DbKind, GeoDetails, GeoError, GeoInfo, record};

/// The database bytes, whatever holds them (a `Vec<u8>`, a memory map the
/// host made, a `&'static [u8]` …).
struct Source(Box<dyn AsRef<[u8]> + Send + Sync>);

impl AsRef<[u8]> for Source {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

/// One MaxMind-format database of a supported [`DbKind`].
///
/// The core does no I/O: the host reads the file (or memory-maps it in its
/// own crate) and hands over the bytes. Opening checks the metadata and the
/// shape of the search tree; records are checked as they are read, so a
/// corrupt record is a [`GeoError::Lookup`] for the addresses that reach
/// it, never a panic. [`verify`](GeoDb::verify) checks the whole file up
/// front.
///
/// ```no_run
/// use tollgate::geo::GeoDb;
///
/// let db = GeoDb::from_bytes(std::fs::read("/var/lib/GeoIP/GeoLite2-City.mmdb")?)?;
/// let info = db.lookup("81.2.69.142".parse()?)?;
/// println!("{:?} {:?}", info.country, info.location);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct GeoDb {
    reader: Reader<Source>,
    kind: DbKind,
    byte_len: usize,
}

impl GeoDb {
    /// Opens a database, detecting its kind from the metadata
    /// `database_type` ([`DbKind::detect`]).
    ///
    /// Fails with [`GeoError::Open`] if the bytes are not a MaxMind DB and
    /// [`GeoError::Unsupported`] if it is of a type the lookups do not use.
    pub fn from_bytes<S>(bytes: S) -> Result<GeoDb, GeoError>
    where
        S: AsRef<[u8]> + Send + Sync + 'static,
    {
        let opened = open(bytes)?;
        let database_type = &opened.0.metadata().database_type;
        match DbKind::detect(database_type) {
            Some(kind) => Ok(GeoDb::new(opened, kind)),
            None => Err(GeoError::Unsupported {
                database_type: database_type.clone(),
            }),
        }
    }

    /// Opens a database and reads it as `kind`, whatever its metadata says:
    /// for a producer whose `database_type` is not recognised but whose
    /// records have that kind's layout.
    pub fn with_kind<S>(bytes: S, kind: DbKind) -> Result<GeoDb, GeoError>
    where
        S: AsRef<[u8]> + Send + Sync + 'static,
    {
        Ok(GeoDb::new(open(bytes)?, kind))
    }

    fn new((reader, byte_len): (Reader<Source>, usize), kind: DbKind) -> GeoDb {
        GeoDb { reader, kind, byte_len }
    }

    /// What kind of database this is read as.
    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// The metadata `database_type`, e.g. `GeoLite2-City`.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// When the database was built, in seconds since the Unix epoch.
    pub fn build_epoch(&self) -> u64 {
        self.reader.metadata().build_epoch
    }

    /// The size of the database in bytes.
    pub fn byte_len(&self) -> usize {
        self.byte_len
    }

    /// 4 for an IPv4-only database, 6 for one that also holds IPv6.
    pub fn ip_version(&self) -> u16 {
        self.reader.metadata().ip_version
    }

    /// The hot-path fields for `ip`: all `None` (flags empty) when the
    /// database has no data for it.
    ///
    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is looked up as the
    /// IPv4 address; another IPv6 address in an IPv4-only database is a miss
    /// with no prefix length. Errors only on corrupt data.
    pub fn lookup(&self, ip: IpAddr) -> Result<GeoInfo, GeoError> {
        let ip = canonical(ip);
        let Some(found) = self.find(ip)? else {
            return Ok(GeoInfo::default());
        };
        let mut info = record::hot(self.kind, &found).map_err(|e| self.lookup_error(e))?;
        info.prefix_len = prefix_len(ip, &found);
        Ok(info)
    }

    /// Everything read for `ip`, with names, owned: for display and logs.
    /// Slower than [`lookup`](GeoDb::lookup). Misses and errors as there.
    pub fn lookup_details(&self, ip: IpAddr) -> Result<GeoDetails, GeoError> {
        let ip = canonical(ip);
        let Some(found) = self.find(ip)? else {
            return Ok(GeoDetails::default());
        };
        let mut details = record::details(self.kind, &found).map_err(|e| self.lookup_error(e))?;
        details.info.prefix_len = prefix_len(ip, &found);
        Ok(details)
    }

    /// Checks the whole database: metadata, every search-tree node and every
    /// record it points to. Takes time in proportion to the file (read the
    /// measured cost in `docs/geo.md`); worth running once on a file from an
    /// untrusted source, before swapping it in.
    pub fn verify(&self) -> Result<(), GeoError> {
        self.reader.verify().map_err(|e| GeoError::Verify {
            kind: self.kind,
            source: MmdbError::new(e),
        })
    }

    /// The search-tree lookup, without decoding; `None` when the database
    /// cannot hold the address's family.
    fn find(&self, ip: IpAddr) -> Result<Option<LookupResult<'_, Source>>, GeoError> {
        if ip.is_ipv6() && self.reader.metadata().ip_version == 4 {
            return Ok(None);
        }
        self.reader.lookup(ip).map(Some).map_err(|e| self.lookup_error(e))
    }

    fn lookup_error(&self, e: maxminddb::MaxMindDbError) -> GeoError {
        GeoError::Lookup {
            kind: self.kind,
            source: MmdbError::new(e),
        }
    }
}

/// An IPv4-mapped IPv6 address as the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn open<S>(bytes: S) -> Result<(Reader<Source>, usize), GeoError>
where
    S: AsRef<[u8]> + Send + Sync + 'static,
{
    let len = bytes.as_ref().len();
    let reader = Reader::from_source(Source(Box::new(bytes))).map_err(|e| GeoError::Open(MmdbError::new(e)))?;
    Ok((reader, len))
}

/// The prefix length of the block the lookup landed in, in the address's
/// own family's bits. (An IPv6 database without an IPv4 subtree answers an
/// IPv4 address with an IPv6 block around `::a.b.c.d`; its last 32 bits are
/// the IPv4 part.)
fn prefix_len(ip: IpAddr, found: &LookupResult<'_, Source>) -> Option<u8> {
    let net = found.network().ok()?;
    Some(match (ip, net.is_ipv6()) {
        (IpAddr::V4(_), true) => net.prefix().saturating_sub(96),
        _ => net.prefix(),
    })
}

impl fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeoDb")
            .field("kind", &self.kind)
            .field("database_type", &self.database_type())
            .field("ip_version", &self.ip_version())
            .field("build_epoch", &self.build_epoch())
            .field("byte_len", &self.byte_len)
            .finish()
    }
}
