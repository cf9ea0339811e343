//! What reading a plan's results sees: the event's facts, and what the
//! results established about the client before any detector's reasons
//! are read.

use crate::facts::Facts;
use crate::policy::{Exempt, Policy};
use crate::{EventType, Timestamp};

/// What reading results sees: the event's facts, and what the results
/// established about the client before any detector's reasons are read.
#[derive(Debug)]
pub(crate) struct Reading<'a> {
    pub(crate) policy: &'a Policy,
    pub(crate) facts: &'a Facts,
    pub(crate) event_type: EventType,
    pub(crate) at: Timestamp,
    /// The event names a device id (not the fingerprint stand-in).
    pub(crate) device_id: bool,
    /// The service vouches for the device id as the account's own (the
    /// event names both)
    /// ([`Event::host_known_device`](crate::Event::host_known_device)):
    /// known device and known client from the start.
    pub(crate) host_known_device: bool,
    /// The event carries its handshake's structure, so a user-agent
    /// mismatch was judged on it rather than on an exact JA4 that a new
    /// browser release may not be listed with yet.
    pub(crate) shaped: bool,
    /// The event's JA4 offered no ALPN, which no browser release does: a
    /// user-agent mismatch on it is judged without the handshake's shape.
    pub(crate) without_alpn: bool,
    /// A code verification from the network that asked for the code.
    pub(crate) code_requester: bool,
    /// The event's device id was seen in one of the user's successful logins.
    pub(crate) known_device: bool,
    /// The event's client (device id, or JA4 and user agent) was seen in one
    /// of the user's successful logins.
    pub(crate) known_client: bool,
    /// The send's number verified a code before (for the event's account).
    pub(crate) known_number: bool,
    /// The event's network prefix was seen in one of the user's successful
    /// logins.
    pub(crate) known_prefix: bool,
    /// The event's account has no successful login on record (a username
    /// nobody has, or an account new or dormant past familiarity's memory).
    pub(crate) account_without_history: bool,
    /// The event's device id (not the fingerprint stand-in) was seen in a
    /// successful login to any account within familiarity's window: a
    /// browser that signs in here, whatever username it now names.
    pub(crate) returning_device: bool,
    /// How many usernames the event's device id named today, when read.
    pub(crate) device_usernames: Option<u64>,
    /// The send comes within `otp.cross.signup_recent_minutes` of the
    /// account's recorded sign-up.
    pub(crate) new_account: bool,
}

impl Reading<'_> {
    /// Whether the login comes from somewhere the account never signed in
    /// from: neither its network prefix nor its client is in the history.
    /// Without a device id the client is its JA4 and user agent, which
    /// every user of one browser release shares and a stealer log records:
    /// dropping the cookie and borrowing the victim's user agent through a
    /// proxy on the victim's ISP would pass as "known", so the stand-in
    /// never vouches; only a device id or the network prefix does.
    pub(crate) fn stranger(&self) -> bool {
        stranger(self.known_prefix, self.known_client, self.device_id)
    }

    /// Whether the login names a username without history from a browser
    /// that signs in here (a device id with a successful login to any
    /// account) that has named at most `familiarity.typo_usernames`
    /// usernames today: a person mistyping theirs, whom attack mode and
    /// `familiarity.stranger` leave alone. A device id past that bound is a
    /// client trying names, and gets no pass.
    pub(crate) fn mistyped_username(&self) -> bool {
        let bound = u64::from(self.policy.familiarity.typo_usernames);
        self.account_without_history && self.returning_device && self.device_usernames.is_some_and(|n| n <= bound)
    }

    /// Whether a control listing `except` leaves this event alone: its
    /// client is one of the listed kinds the results vouched for.
    pub(crate) fn spared_by(&self, except: &[Exempt]) -> bool {
        except.iter().any(|e| match e {
            Exempt::CodeRequester => self.code_requester,
            Exempt::KnownDevice => self.known_device,
            Exempt::KnownNumber => self.known_number,
        })
    }
}

/// A stranger to an account: neither the network prefix nor the client is
/// in its history, where only a device id vouches for a client
/// ([`Reading::stranger`]).
pub(crate) fn stranger(known_prefix: bool, known_client: bool, device_id: bool) -> bool {
    !(known_prefix || (known_client && device_id))
}
