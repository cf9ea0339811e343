//! Which kind of database a file is, from its metadata `database_type`.

use std::fmt;

/// The kinds of MaxMind-format database the geo lookups read.
///
/// A [`GeoDb`](super::GeoDb) detects its kind from the database's metadata
/// (`database_type`, e.g. `GeoIP2-City`, `GeoLite2-ASN`,
/// `DBIP-City-Lite`); [`DbKind::detect`] is that rule. The declaration order
/// is the order in which a [`GeoSet`](super::GeoSet) consults its databases:
/// the first one that knows a field wins it.
///
/// ```
/// use tollgate::geo::DbKind;
///
/// assert_eq!(DbKind::detect("GeoLite2-City"), Some(DbKind::City));
/// assert_eq!(DbKind::detect("DBIP-ASN-Lite (compat=GeoLite2-ASN)"), Some(DbKind::Asn));
/// assert_eq!(DbKind::detect("GeoIP2-Connection-Type"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DbKind {
    /// GeoIP2 Enterprise and DB-IP "compat=Enterprise" databases: a City
    /// record whose `traits` also carry the ASN, ISP and organisation.
    Enterprise,
    /// City databases (GeoIP2/GeoLite2 City, DB-IP City and Location):
    /// country, city and location.
    City,
    /// Country databases: the country only.
    Country,
    /// GeoIP2 ISP: ASN, its organisation, the ISP and the organisation.
    Isp,
    /// GeoLite2 ASN and compatible: ASN and its organisation.
    Asn,
    /// GeoIP Anonymous Plus: the anonymizer flags, confidence and provider.
    AnonymousPlus,
    /// GeoIP2 Anonymous IP: the anonymizer flags.
    AnonymousIp,
    /// GeoIP2 IP Risk: the anonymizer flags it carries (the risk score is not read).
    IpRisk,
    /// GeoIP Residential Proxy: every network in it is a residential proxy.
    ResidentialProxy,
}

impl DbKind {
    /// Every kind, in lookup order.
    pub const ALL: [DbKind; 9] = [
        DbKind::Enterprise,
        DbKind::City,
        DbKind::Country,
        DbKind::Isp,
        DbKind::Asn,
        DbKind::AnonymousPlus,
        DbKind::AnonymousIp,
        DbKind::IpRisk,
        DbKind::ResidentialProxy,
    ];

    /// The kind a metadata `database_type` names, or `None` for a database
    /// these lookups cannot use (Connection-Type, Domain, a format test db).
    ///
    /// The rule, case-insensitive: if the name carries a `(compat=…)` hint
    /// (DB-IP does this) the hint is classified, else the whole name; the
    /// first of these substrings that occurs decides: `anonymous-plus`,
    /// `residential-proxy`, `anonymous-ip`, `ip-risk`, `enterprise` or
    /// `location-isp`, `city` or `location`, `country`, `isp`, `asn`. This covers MaxMind's
    /// GeoIP2/GeoLite2 names (including regional `GeoIP2-City-Europe` and
    /// `-Shield` variants), DB-IP's (`DBIP-City-Lite`, `DBIP-Location
    /// (compat=City)`, `DBIP-ISP (compat=Enterprise)` …) and the plain
    /// `country ipv4` / `asn ipv6` / `city ipv4` names of ip-location-db.
    pub fn detect(database_type: &str) -> Option<DbKind> {
        let lower = database_type.to_ascii_lowercase();
        let name = match lower.split_once("compat=") {
            Some((_, hint)) => hint.split(')').next().unwrap_or(hint),
            None => lower.as_str(),
        };
        const RULES: [(&str, DbKind); 11] = [
            ("anonymous-plus", DbKind::AnonymousPlus),
            ("residential-proxy", DbKind::ResidentialProxy),
            ("anonymous-ip", DbKind::AnonymousIp),
            ("ip-risk", DbKind::IpRisk),
            ("enterprise", DbKind::Enterprise),
            ("location-isp", DbKind::Enterprise),
            ("city", DbKind::City),
            ("location", DbKind::City),
            ("country", DbKind::Country),
            ("isp", DbKind::Isp),
            ("asn", DbKind::Asn),
        ];
        RULES
            .iter()
            .find(|(needle, _)| name.contains(needle))
            .map(|&(_, kind)| kind)
    }

    /// A short stable name: `enterprise`, `city`, `country`, `isp`, `asn`,
    /// `anonymous-plus`, `anonymous-ip`, `ip-risk`, `residential-proxy`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DbKind::Enterprise => "enterprise",
            DbKind::City => "city",
            DbKind::Country => "country",
            DbKind::Isp => "isp",
            DbKind::Asn => "asn",
            DbKind::AnonymousPlus => "anonymous-plus",
            DbKind::AnonymousIp => "anonymous-ip",
            DbKind::IpRisk => "ip-risk",
            DbKind::ResidentialProxy => "residential-proxy",
        }
    }

    /// Which record layout this kind has.
    pub(super) fn family(self) -> Family {
        match self {
            DbKind::Enterprise | DbKind::City | DbKind::Country => Family::Place,
            DbKind::Isp | DbKind::Asn => Family::Network,
            DbKind::AnonymousPlus | DbKind::AnonymousIp | DbKind::IpRisk => Family::Anonymizer,
            DbKind::ResidentialProxy => Family::ResidentialProxy,
        }
    }
}

impl fmt::Display for DbKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Record layouts: which fields a record of this kind can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Family {
    /// `country`, `location`, `city`, Enterprise `traits`; or ip-location-db's
    /// flat `country_code`, `latitude`, `longitude`, `city`.
    Place,
    /// `autonomous_system_number`, `autonomous_system_organization`, `isp`,
    /// `organization`.
    Network,
    /// The `is_*` flags, `anonymizer_confidence`, `provider_name`,
    /// `network_last_seen`.
    Anonymizer,
    /// A hit is the signal; the record adds confidence and provider.
    ResidentialProxy,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_names_producers_use() {
        let cases = [
            ("GeoIP2-City", Some(DbKind::City)),
            ("GeoLite2-City", Some(DbKind::City)),
            ("GeoIP2-City-Europe", Some(DbKind::City)),
            ("GeoIP2-City-Shield", Some(DbKind::City)),
            ("GeoIP2-Country", Some(DbKind::Country)),
            ("GeoLite2-Country", Some(DbKind::Country)),
            ("GeoLite2-ASN", Some(DbKind::Asn)),
            ("GeoIP2-ISP", Some(DbKind::Isp)),
            ("GeoIP2-Enterprise", Some(DbKind::Enterprise)),
            ("GeoIP2-Precision-Enterprise", Some(DbKind::Enterprise)),
            ("GeoIP2-Anonymous-IP", Some(DbKind::AnonymousIp)),
            ("GeoIP-Anonymous-Plus", Some(DbKind::AnonymousPlus)),
            ("GeoIP-Residential-Proxy", Some(DbKind::ResidentialProxy)),
            ("GeoIP2-IP-Risk", Some(DbKind::IpRisk)),
            ("DBIP-City-Lite", Some(DbKind::City)),
            ("DBIP-Country-Lite", Some(DbKind::Country)),
            ("DBIP-ASN-Lite (compat=GeoLite2-ASN)", Some(DbKind::Asn)),
            ("DBIP-Location (compat=City)", Some(DbKind::City)),
            ("DBIP-Location (compat=Country)", Some(DbKind::Country)),
            ("DBIP-ISP (compat=Enterprise)", Some(DbKind::Enterprise)),
            ("DBIP-Location-ISP (compat=Enterprise)", Some(DbKind::Enterprise)),
            ("DBIP-Location-ISP", Some(DbKind::Enterprise)),
            ("country ipv4", Some(DbKind::Country)),
            ("asn ipv6", Some(DbKind::Asn)),
            ("city ipv4", Some(DbKind::City)),
            ("GeoIP2-Connection-Type", None),
            ("GeoIP2-Domain", None),
            ("Test", None),
            ("", None),
        ];
        for (name, kind) in cases {
            assert_eq!(DbKind::detect(name), kind, "{name}");
        }
    }

    #[test]
    fn all_is_in_declaration_order() {
        let mut sorted = DbKind::ALL;
        sorted.sort();
        assert_eq!(sorted, DbKind::ALL);
    }
}
