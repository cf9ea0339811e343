//! What a generated event stands for: its business step, what the
//! service finds out when it goes ahead, and what a report singles out.

use tollgate::{Channel, CredentialKind, EventKind};

/// The business step an event stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Step {
    Login,
    Signup,
    /// An SMS code is about to be sent.
    OtpSend,
    /// A code is about to be read out in a voice call.
    VoiceSend,
    OtpVerify,
    PasswordChange,
    EmailChange,
}

impl Step {
    pub(crate) const ALL: [Step; 7] = [
        Step::Login,
        Step::Signup,
        Step::OtpSend,
        Step::VoiceSend,
        Step::OtpVerify,
        Step::PasswordChange,
        Step::EmailChange,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Login => "login",
            Step::Signup => "signup",
            Step::OtpSend => "otp_send",
            Step::VoiceSend => "otp_voice",
            Step::OtpVerify => "otp_verify",
            Step::PasswordChange => "password_change",
            Step::EmailChange => "email_change",
        }
    }

    pub(crate) fn kind(self) -> EventKind {
        match self {
            Step::Login => EventKind::Login,
            Step::Signup => EventKind::Signup,
            Step::OtpSend => EventKind::OtpSend { channel: Channel::Sms },
            Step::VoiceSend => EventKind::OtpSend {
                channel: Channel::Voice,
            },
            Step::OtpVerify => EventKind::OtpVerify {
                channel: Some(Channel::Sms),
            },
            Step::PasswordChange => EventKind::CredentialChange {
                what: CredentialKind::Password,
            },
            Step::EmailChange => EventKind::CredentialChange {
                what: CredentialKind::Email,
            },
        }
    }
}

/// What the service finds out if it goes ahead with the event, and reports
/// back to the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Truth {
    /// Right password, right code, change applied.
    Succeeds,
    /// Wrong password or code.
    Fails,
    /// Nothing is reported (sending a code, creating an account).
    Unreported,
}

/// What a report singles out about an event, beyond its scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    Plain,
    /// A legitimate event at the destination of a flight taken today.
    Landed,
    /// A takeover login minutes after the victim's own successful login.
    Teleport,
    /// A takeover's credential change: sent only if its login went ahead.
    AfterTakeover,
    /// A legitimate login that fails on a typo, or the login after it.
    Typo,
    /// A legitimate password reset after a forgotten password.
    Reset,
    /// A legitimate login of the account a brute-force run is attacking,
    /// from when the run starts.
    Targeted,
    /// A legitimate login, code request or code entry of an account an
    /// account-DoS run bombs, from when the run starts.
    Bombed,
    /// A bot's code request for the account it just signed up: sent only
    /// if the sign-up went ahead (a refused sign-up leaves no account).
    AfterSignup,
}

impl Tag {
    pub(crate) const COUNT: usize = 9;

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}
