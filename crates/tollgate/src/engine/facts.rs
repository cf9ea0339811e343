//! What the engine knows about an event beyond its own fields.

use crate::{Asn, Country, Event, Location};

/// Values resolved for an event: taken from the event when resolved
/// upstream (a CDN header), otherwise looked up. All `Copy`, so a plan
/// carries them to `conclude` without allocating.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Facts {
    pub(crate) country: Option<Country>,
    pub(crate) asn: Option<Asn>,
    pub(crate) location: Option<Location>,
}

impl Facts {
    pub(crate) fn gather(event: &Event) -> Facts {
        Facts {
            country: event.country,
            asn: event.asn,
            location: event.location,
        }
    }
}
