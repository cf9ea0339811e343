//! The residential proxy network the bulk bots go through: each exit
//! address is handed out a few times, then the network rotates to another
//! subscriber line of an ISP drawn uniformly.

use std::net::IpAddr;

use rand::Rng;

use crate::catalog::{self, Catalog};
use crate::places::Place;
use crate::sampling::between;

/// A proxy exit: ISP, address and where a geo database puts it.
pub(super) type Exit = (u8, IpAddr, Place);

/// Residential proxy exits: each address is handed out a few times, then
/// the network rotates to another subscriber line somewhere else.
#[derive(Debug)]
pub(super) struct Proxies {
    current: Option<Exit>,
    uses_left: u64,
    uses: (u64, u64),
}

impl Proxies {
    pub(super) fn new(min_uses: u64, max_uses: u64) -> Self {
        Proxies {
            current: None,
            uses_left: 0,
            uses: (min_uses, max_uses),
        }
    }

    pub(super) fn exit(&mut self, rng: &mut impl Rng, catalog: &Catalog) -> Exit {
        match self.current {
            Some(exit) if self.uses_left > 0 => {
                self.uses_left -= 1;
                exit
            }
            _ => {
                let isp = catalog::any_isp(rng);
                let (ip, place) = catalog::proxy_exit(rng, catalog, isp);
                self.current = Some((isp, ip, place));
                self.uses_left = between(rng, self.uses.0, self.uses.1).saturating_sub(1);
                (isp, ip, place)
            }
        }
    }
}
