//! Geo and ASN lookups in MaxMind-format databases.
//!
//! ```
//! use tollgate::geo::{GeoDb, GeoSet};
//!
//! # // A one-record IPv4 City database: 0.0.0.0/1 is London, GB.
//! # let bytes: Vec<u8> = [
//! #     &b"\x00\x00\x11\x00\x00\x01"[..], // search tree: one node
//! #     &[0; 16],                         // data section separator
//! #     b"\xe3Dcity\xe1Enames\xe1BenFLondonGcountry\xe1Hiso_codeBGBHlocation\xe3Oaccuracy_radius\xa1\x0a\
//! #       Hlatitudeh@I\xc1\xd1N;\xcd6Ilongitudeh\xbf\xb7\xd5f\xcfA\xf2\x13",
//! #     b"\xab\xcd\xefMaxMind.com",
//! #     b"\xe9[binary_format_major_version\xa1\x02[binary_format_minor_version\xa0Kbuild_epoch\x04\x02eS\xf1\x00\
//! #       Mdatabase_typeMGeoLite2-CityKdescription\xe0Jip_version\xa1\x04Ilanguages\x00\x04Jnode_count\xc1\x01\
//! #       Krecord_size\xa1\x18",
//! # ].concat();
//! // The host reads the file, or memory-maps it in its own crate:
//! // let bytes = std::fs::read("/var/lib/GeoIP/GeoLite2-City.mmdb")?;
//! let geo = GeoSet::new().with(GeoDb::from_bytes(bytes)?);
//!
//! // The hot path: a small Copy struct, nothing allocated.
//! let info = geo.lookup("81.2.69.142".parse()?)?;
//! assert_eq!(info.country, Some("GB".parse()?));
//! assert_eq!(info.location.map(|l| l.accuracy_km()), Some(10));
//! assert!(!info.anonymous.is_anonymous());
//!
//! // Names, for display and logs.
//! let details = geo.lookup_details("81.2.69.142".parse()?)?;
//! assert_eq!(details.city.as_deref(), Some("London"));
//!
//! // No data for an address: every field is None.
//! assert!(geo.lookup("203.0.113.9".parse()?)?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A [`GeoDb`] is one database of a supported [`DbKind`] (City, Country,
//! ASN, ISP, Enterprise, Anonymous-IP, Anonymous-Plus, IP-Risk,
//! Residential-Proxy: GeoIP2/GeoLite2, DB-IP, ip-location-db), detected from
//! its metadata. A [`GeoSet`] merges any subset of them. [`GeoInfo`] is what
//! the decision path uses: country, location, ASN, [`AnonymousFlags`] and
//! the network's prefix length; [`GeoDetails`] adds city name,
//! organisation, ISP and anonymizer provider, and costs more. Which fields
//! are read, how kinds are detected and what each path costs is in
//! `docs/geo.md`.
//!
//! The core opens no file: the host hands over the bytes, as anything that
//! is `AsRef<[u8]> + Send + Sync + 'static` (a `Vec<u8>`, or a memory map
//! made in the host's crate). A corrupt database gives a [`GeoError`] at
//! open or at lookup, never a panic.

mod db;
mod error;
mod info;
mod kind;
mod record;
mod set;

pub use db::GeoDb;
pub use error::{GeoError, MmdbError};
pub use info::{AnonymousFlags, GeoDetails, GeoInfo};
pub use kind::DbKind;
pub use set::GeoSet;
