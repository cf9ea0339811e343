//! Geo and ASN lookups in MaxMind-format databases.
