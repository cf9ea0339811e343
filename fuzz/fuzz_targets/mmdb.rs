//! Any bytes as a MaxMind DB: opening, detecting the kind, looking up a few
//! addresses (hot path and details) and verifying give values or errors,
//! never a panic; and where both lookups succeed they agree.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use tollgate::geo::{DbKind, GeoDb};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let kind = DbKind::ALL[usize::from(selector) % DbKind::ALL.len()];

    // Addresses: a fixed few, plus two taken from the input itself.
    let mut ips: Vec<IpAddr> = vec![
        IpAddr::V4(Ipv4Addr::new(1, 1, 1, 1)),
        IpAddr::V4(Ipv4Addr::new(81, 2, 69, 142)),
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304)),
    ];
    if let Some(tail) = bytes.last_chunk::<16>() {
        ips.push(IpAddr::V6(Ipv6Addr::from(*tail)));
        if let Some(v4) = tail.first_chunk::<4>() {
            ips.push(IpAddr::V4(Ipv4Addr::from(*v4)));
        }
    }

    let detected = GeoDb::from_bytes(bytes.to_vec());
    let Ok(db) = GeoDb::with_kind(bytes.to_vec(), kind) else {
        // The same bytes cannot open under one constructor and not the other.
        assert!(detected.is_err());
        return;
    };
    for &ip in &ips {
        let hot = db.lookup(ip);
        if let Ok(info) = &hot {
            let bits = if ip.is_ipv4() || ip.to_canonical().is_ipv4() {
                32
            } else {
                128
            };
            assert!(info.prefix_len.is_none_or(|p| p <= bits), "{ip}: {info:?}");
        }
        let details = db.lookup_details(ip);
        if let (Ok(hot), Ok(details)) = (hot, details) {
            assert_eq!(hot, details.info, "{kind:?} {ip}");
        }
    }
    if selector & 0x80 != 0 {
        let _ = db.verify();
    }
    let _ = format!("{db:?}");
});
