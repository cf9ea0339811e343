//! Kinds of event, and the small enums they carry.

use std::fmt;

/// A delivery channel for one-time passwords.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Channel {
    /// Text message.
    Sms,
    /// Voice call reading the code out.
    Voice,
    /// Email.
    Email,
    /// WhatsApp message.
    Whatsapp,
}

impl Channel {
    /// Every channel, in declaration order.
    pub const ALL: [Channel; 4] = [Channel::Sms, Channel::Voice, Channel::Email, Channel::Whatsapp];

    /// The name used in JSON and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Voice => "voice",
            Channel::Email => "email",
            Channel::Whatsapp => "whatsapp",
        }
    }
}

/// Which credential a credential change touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum CredentialKind {
    /// The password.
    Password,
    /// The account's email address.
    Email,
    /// The account's phone number.
    Phone,
    /// An MFA factor (authenticator, passkey, recovery codes).
    MfaFactor,
}

/// What an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// A login attempt (username and password submitted).
    Login,
    /// An account creation.
    Signup,
    /// The service is about to send a one-time password.
    OtpSend {
        /// How the code would be delivered.
        channel: Channel,
    },
    /// A one-time password was submitted for verification.
    OtpVerify {
        /// How the code was delivered, when known.
        channel: Option<Channel>,
    },
    /// A password, email, phone or MFA factor is about to change.
    CredentialChange {
        /// What changes.
        what: CredentialKind,
    },
}

impl EventKind {
    /// The kind without its details, as policies name it.
    pub fn event_type(&self) -> EventType {
        match self {
            EventKind::Login => EventType::Login,
            EventKind::Signup => EventType::Signup,
            EventKind::OtpSend { .. } => EventType::OtpSend,
            EventKind::OtpVerify { .. } => EventType::OtpVerify,
            EventKind::CredentialChange { .. } => EventType::CredentialChange,
        }
    }

    /// The OTP channel, for OTP events that name one.
    pub fn channel(&self) -> Option<Channel> {
        match *self {
            EventKind::OtpSend { channel } => Some(channel),
            EventKind::OtpVerify { channel } => channel,
            _ => None,
        }
    }
}

/// The type of an event, as policies and thresholds name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum EventType {
    /// [`EventKind::Login`]
    Login,
    /// [`EventKind::Signup`]
    Signup,
    /// [`EventKind::OtpSend`]
    OtpSend,
    /// [`EventKind::OtpVerify`]
    OtpVerify,
    /// [`EventKind::CredentialChange`]
    CredentialChange,
}

impl EventType {
    /// Every event type, in declaration order.
    pub const ALL: [EventType; 5] = [
        EventType::Login,
        EventType::Signup,
        EventType::OtpSend,
        EventType::OtpVerify,
        EventType::CredentialChange,
    ];

    /// The name used in JSON and policies.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Login => "login",
            EventType::Signup => "signup",
            EventType::OtpSend => "otp_send",
            EventType::OtpVerify => "otp_verify",
            EventType::CredentialChange => "credential_change",
        }
    }

    /// A bit unique to this type, for cheap set membership.
    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
