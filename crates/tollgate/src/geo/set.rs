//! Several databases looked up together, their answers merged.

use std::net::IpAddr;

use super::{DbKind, GeoDb, GeoDetails, GeoError, GeoInfo};

/// Any set of [`GeoDb`]s — City, Country, ASN, ISP, Anonymous-IP,
/// Anonymous-Plus, IP-Risk, Residential-Proxy — looked up as one.
///
/// Databases are consulted in [`DbKind`] order (Enterprise, City, Country,
/// ISP, ASN, then the anonymizer kinds), databases of one kind in the order
/// they were added. Each field comes from the first database that has it;
/// the anonymizer flags are the union of all. An empty set answers every
/// lookup with an empty [`GeoInfo`].
///
/// A set is immutable once built and `Send + Sync`: to swap databases at run
/// time, build a new set and swap an `Arc` to it.
///
/// ```
/// use tollgate::geo::GeoSet;
///
/// let set = GeoSet::new();
/// assert!(set.is_empty());
/// assert!(set.lookup("192.0.2.1".parse()?)?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default)]
pub struct GeoSet {
    dbs: Vec<GeoDb>,
}

impl GeoSet {
    /// A set with no database.
    pub fn new() -> GeoSet {
        GeoSet::default()
    }

    /// Adds a database.
    pub fn with(mut self, db: GeoDb) -> GeoSet {
        self.insert(db);
        self
    }

    /// Adds a database.
    pub fn insert(&mut self, db: GeoDb) {
        let at = self.dbs.partition_point(|d| d.kind() <= db.kind());
        self.dbs.insert(at, db);
    }

    /// The databases, in lookup order.
    pub fn databases(&self) -> impl ExactSizeIterator<Item = &GeoDb> {
        self.dbs.iter()
    }

    /// The set has no database.
    pub fn is_empty(&self) -> bool {
        self.dbs.is_empty()
    }

    /// The set has a database of this kind.
    pub fn has(&self, kind: DbKind) -> bool {
        self.dbs.iter().any(|d| d.kind() == kind)
    }

    /// The merged hot-path fields for `ip` (see [`GeoDb::lookup`]). Fails
    /// with the first database's error if any database hits corrupt data.
    pub fn lookup(&self, ip: IpAddr) -> Result<GeoInfo, GeoError> {
        let mut info = GeoInfo::default();
        for db in &self.dbs {
            info = info.or(db.lookup(ip)?);
        }
        Ok(info)
    }

    /// Like [`lookup`](GeoSet::lookup), but a database that hits corrupt
    /// data does not spoil the others: returns what the rest know, and the
    /// first error if there was one. For a decision path that would rather
    /// keep the country from a good City database than lose it to a bad
    /// record in an anonymizer database.
    pub fn lookup_best_effort(&self, ip: IpAddr) -> (GeoInfo, Option<GeoError>) {
        let mut info = GeoInfo::default();
        let mut first_error = None;
        for db in &self.dbs {
            match db.lookup(ip) {
                Ok(part) => info = info.or(part),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        (info, first_error)
    }

    /// The merged details for `ip` (see [`GeoDb::lookup_details`]).
    pub fn lookup_details(&self, ip: IpAddr) -> Result<GeoDetails, GeoError> {
        let mut details = GeoDetails::default();
        for db in &self.dbs {
            details = details.or(db.lookup_details(ip)?);
        }
        Ok(details)
    }
}

impl FromIterator<GeoDb> for GeoSet {
    fn from_iter<I: IntoIterator<Item = GeoDb>>(iter: I) -> GeoSet {
        let mut set = GeoSet::new();
        for db in iter {
            set.insert(db);
        }
        set
    }
}
