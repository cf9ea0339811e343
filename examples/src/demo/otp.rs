//! The demo one-time codes: [`OtpCodes`] pending per user, and the event
//! of a send or a verification ([`otp_event`]).

use std::collections::HashMap;
use std::sync::Mutex;

use subtle::ConstantTimeEq;
use tollgate::{E164, Event};

/// The one-time code every demo "send" delivers (nothing is really sent).
pub const DEMO_OTP_CODE: &str = "123456";

/// Pending one-time codes: a user who was "sent" a code may verify
/// [`DEMO_OTP_CODE`] once. Each pending code remembers the number it was
/// sent to, so a verification can name it as the send did.
#[derive(Debug, Default)]
pub struct OtpCodes {
    pending: Mutex<HashMap<String, E164>>,
}

impl OtpCodes {
    /// Records that a code was sent to `username` at `phone` (replacing
    /// any code pending for them).
    pub fn sent(&self, username: &str, phone: E164) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(username.to_owned(), phone);
        }
    }

    /// The number `username`'s pending code was sent to, if a code is pending.
    pub fn phone_of(&self, username: &str) -> Option<E164> {
        self.pending.lock().ok()?.get(username).copied()
    }

    /// Whether `code` is right for `username`; a right code is used up.
    /// The comparison takes the same time for every code of the same length.
    pub fn verify(&self, username: &str, code: &str) -> bool {
        let right: bool = DEMO_OTP_CODE.as_bytes().ct_eq(code.as_bytes()).into();
        match self.pending.lock() {
            Ok(mut pending) => right && pending.remove(username).is_some(),
            Err(_) => false,
        }
    }
}

/// The event of an OTP send or verification, as both services build it:
/// the request's context, the user, and the phone number when the service
/// knows it (the number of a send; for a verification, the number the
/// pending code went to). Sends and verifications of one code then name
/// the same account and number.
pub fn otp_event(event: Event, username: &str, phone: Option<E164>) -> Event {
    let event = event.with_user(username);
    match phone {
        Some(phone) => event.with_phone(phone),
        None => event,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use tollgate::UserId;

    #[test]
    fn codes() {
        let codes = OtpCodes::default();
        let phone: E164 = "+447700900123".parse().unwrap();
        assert!(!codes.verify("alice", DEMO_OTP_CODE), "nothing sent yet");
        assert_eq!(codes.phone_of("alice"), None);
        codes.sent("alice", phone);
        assert_eq!(codes.phone_of("alice"), Some(phone));
        assert!(!codes.verify("alice", "000000"));
        assert!(!codes.verify("alice", "1234567"));
        assert!(codes.verify("alice", DEMO_OTP_CODE));
        assert!(!codes.verify("alice", DEMO_OTP_CODE), "used up");
        assert_eq!(codes.phone_of("alice"), None);
    }

    #[test]
    fn otp_events_carry_the_number_when_known() {
        let base = || {
            Event::new(
                tollgate::EventKind::OtpVerify { channel: None },
                tollgate::Timestamp::EPOCH,
            )
        };
        let phone: E164 = "+447700900123".parse().unwrap();
        let known = otp_event(base(), "alice", Some(phone));
        assert_eq!(known.user, Some(UserId::from("alice")));
        assert_eq!(known.phone, Some(phone));
        assert_eq!(otp_event(base(), "alice", None).phone, None);
    }
}
