//! Login attacks that adapt to the defences (issue 15): nothing about
//! their software or network gives them away, and they go slowly.
//!
//! All of them run a real browser's TLS stack under its own user agent
//! (drawn from the legitimate population's mix of Chrome, Safari, Firefox
//! and Edge, desktop and mobile; for infostealers, the victim's own), with
//! a new device cookie on every attempt, through residential proxy exits
//! in the victim's own country: subscriber lines of that country's ISPs
//! (80 % fixed broadband, 20 % mobile), each exit used once (infostealers:
//! one to three times, for victims of one city).
//!
//! * **Impersonating stuffing** (`stuffing_impersonating`, 3 % on top of
//!   the split: 6,000 attempts with the default 200,000 events) works
//!   through a combo list over the whole day, about four attempts a minute,
//!   each at a time its victim's own city is awake. 60 % of the usernames
//!   have no account here (the service reports those as unknown users);
//!   of the rest, one in 15 comes with the member's real password, so
//!   about 2.7 % of attempts hold valid credentials. Unknown usernames are
//!   tried from exits in a country drawn like the members' homes.
//! * **Password spraying** (`password_spraying`, 4.5 % on top: 9,000
//!   attempts by default) tries three common passwords, each once against
//!   every account of a list (3,000 accounts by default, 85 % of them
//!   members, the rest unknown usernames), one password per eight-hour
//!   round, about six attempts a minute. 1.5 % of members chose one of the
//!   three passwords (the same members in every scenario, legitimate ones
//!   included, whose own logins submit it): the round with their password
//!   gets in if let through. Every login in the simulation carries the
//!   SHA-1 of the password it submits.
//! * **Infostealer logins** (`infostealer`, 0.5 % on top: about 500
//!   victims by default) use a member's real password from a stealer log,
//!   at a time the victim's city is awake, from a residential exit in the
//!   victim's own city (each exit serves one to three victims of that
//!   city), in the browser the log recorded (the victim's own, handshake
//!   and user agent) with a fresh profile per victim.
//!   A login that goes ahead is followed 1 to 5 minutes later by an email
//!   change (sent only then, as for the takeover crew). The stolen device
//!   cookie is not replayed: the simulation keeps no member's cookies.
//!
//! One scenario a module (`impersonating`, `spraying`, `infostealer`);
//! what they share is in `disguise` (the browser, the exit and the login
//! that pass for a member's) and `targets` (whom they aim at).

mod disguise;
mod impersonating;
mod infostealer;
mod spraying;
mod targets;

pub(crate) use disguise::{real_browser, residential_exit};
pub(crate) use impersonating::ImpersonatingStuffing;
pub(crate) use infostealer::Infostealer;
pub(crate) use spraying::PasswordSpraying;

/// The members of a 20,000-event legitimate day (seed 1), whom the
/// scenarios' tests attack.
#[cfg(test)]
fn population(out: &mut Vec<crate::traffic::SimEvent>) -> crate::legit::Population {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    let catalog = crate::catalog::Catalog::new().unwrap();
    crate::legit::generate(&mut ChaCha8Rng::seed_from_u64(1), &catalog, 20_000, out)
}
