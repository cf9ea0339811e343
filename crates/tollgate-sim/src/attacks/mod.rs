//! The bulk attacks, all sent through a rotating residential proxy
//! network (account takeover is in [`takeover`](super::takeover)). Each
//! exit is a subscriber line of one of the catalog's 38 ISPs, drawn
//! uniformly, and carries that ISP's country and ASN and the position of
//! one of its country's cities (radius 5 to 50 km, 100 km for mobile).
//!
//! * **Credential stuffing** runs from 02:00 to 10:00 UTC at a steady rate
//!   (with the default 200,000 events: 30,000 attempts, about 62 a
//!   minute, about 55 % of all logins while it runs). It works through a
//!   combo list: 30 % of the usernames exist here, and 1 in 60 of those
//!   comes with the member's real, reused password — 0.5 % of attempts are
//!   valid credentials. Every request is Go's HTTP client claiming a
//!   Chrome user agent, with no device cookie; each proxy exit address is
//!   used for two to six attempts, spread over 38 ASNs in 16 countries.
//! * **Stuffing with a browser fingerprint** is the same campaign (same
//!   combo-list mix, proxies and pace: 28,000 attempts by default) from
//!   14:00 to 22:00 UTC, by a crew whose tool has a real Chrome TLS
//!   handshake (a browser farm, or a TLS-impersonating client) and sends
//!   the matching Windows Chrome user agent: nothing about its software
//!   gives it away.
//! * **Stuffing against a compromised-password check** (`stuffing_pwned`,
//!   added on top of the requested split: 6,000 attempts by default) is
//!   the browser crew's tool again, from 10:00 to 14:00 UTC, against a
//!   service that checks each submitted password against a breach corpus:
//!   70 % of attempts, valid or not, are flagged compromised (combo lists
//!   come from breaches; the corpus lags the newest ones).
//! * **SMS pumping** runs from 13:00 to 16:00 UTC (16,000 events by
//!   default, about 90 a minute). An automated Chrome creates accounts
//!   with fresh user ids and device cookies; each sign-up asks for an SMS
//!   code to the next number of one Latvian block (+37126541000 to
//!   +37126541999, in order) and asks again zero to two times. No code is
//!   ever entered. Each exit address serves two to five sign-ups.
//!
//! * **Voice IRSF** runs from 06:00 to 09:00 UTC (2,000 events by
//!   default): the same kind of bot farm signs up accounts and asks for
//!   one to three voice codes each to the next number of a Cuban block
//!   (+5354120000 upward), where a revenue-sharing operator answers the
//!   calls. No code is entered.
//!
//! Bots do not slow down when refused: a throttled attempt is dropped and
//! the next combo or number is tried, as stuffing and pumping tools do.
//!
//! `stuffing` holds the three stuffing campaigns, `toll_fraud` the
//! sign-up bot farm behind SMS pumping and voice IRSF; both go through
//! the rotating `proxies` at the even pace of `sampling::paced`.

mod proxies;
mod stuffing;
mod toll_fraud;

pub(crate) use stuffing::{BOT_STUFFING, BROWSER_STUFFING, PWNED_STUFFING};
pub(crate) use toll_fraud::{OtpPumping, VoiceIrsf};

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use super::stuffing::{BOT_STUFFING, credential_stuffing};
    use super::toll_fraud::otp_pumping;
    use crate::catalog::Catalog;

    #[test]
    fn same_seed_same_attacks() {
        let run = |seed| {
            let (mut out, catalog) = (Vec::new(), Catalog::new().unwrap());
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            credential_stuffing(&mut rng, &catalog, BOT_STUFFING, 1_000, 100, &mut out);
            otp_pumping(&mut rng, &catalog, 1_000, &mut out);
            out
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }
}
