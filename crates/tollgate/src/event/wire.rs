//! The JSON (and TOML) form of events and outcomes.
//!
//! One flat object per record. `kind` and `at` are required; an `outcome`
//! field (`"succeeded"` / `"failed"`) turns the record into an [`Outcome`].
//! Unknown fields are rejected, so a misspelt field name is an error rather
//! than a signal silently missing.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::*;

/// A JSON record that is either an event or an outcome report.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// An event to decide on.
    Event(Event),
    /// Feedback on an earlier event.
    Outcome(Outcome),
}

/// Why a JSON record could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// Not valid JSON, or a field has the wrong type or form.
    #[error("invalid event JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An outcome report was given where an event was expected.
    #[error("expected an event, found an outcome report (it has an `outcome` field)")]
    NotAnEvent,
}

impl Record {
    /// Parses one JSON record.
    ///
    /// ```
    /// use tollgate::Record;
    ///
    /// let r = Record::from_json(r#"{"kind":"login","at":1700000000000,"user":"alice","outcome":"failed"}"#)?;
    /// assert!(matches!(r, Record::Outcome(o) if o.is_failure()));
    /// let err = Record::from_json(r#"{"kind":"login","at":1,"usr":"alice"}"#).unwrap_err();
    /// assert!(err.to_string().contains("unknown field `usr`"));
    /// # Ok::<(), tollgate::WireError>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Record, WireError> {
        let wire: WireRecord = serde_json::from_str(json)?;
        wire.into_record().map_err(|e| WireError::Json(de::Error::custom(e)))
    }
}

impl Event {
    /// Parses one JSON event; outcome reports are refused.
    ///
    /// ```
    /// let e = tollgate::Event::from_json(r#"{"kind":"otp_send","channel":"sms","at":1,"phone":"+15551234567"}"#)?;
    /// assert_eq!(e.kind.channel(), Some(tollgate::Channel::Sms));
    /// assert!(tollgate::Event::from_json(r#"{"kind":"otp_send","at":1}"#).is_err());
    /// # Ok::<(), tollgate::WireError>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Event, WireError> {
        match Record::from_json(json)? {
            Record::Event(e) => Ok(e),
            Record::Outcome(_) => Err(WireError::NotAnEvent),
        }
    }
}

/// The flat record, both ways. Serializing clones the event's fields into
/// it: serialization is for logs and replays, not the decision path.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an event object")]
struct WireRecord {
    kind: EventType,
    at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    what: Option<CredentialKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<OutcomeResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    phone: Option<E164>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ja4: Option<Ja4>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ja3: Option<Ja3>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tls_shape: Option<TlsShape>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    http2: Option<Http2Fingerprint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    header_fp: Option<HeaderFingerprint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<HeaderName, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    device: Option<DeviceId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    country: Option<Country>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    asn: Option<Asn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    compromised_password: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    host_known_device: bool,
}

impl WireRecord {
    fn from_event(e: &Event, outcome: Option<OutcomeResult>) -> Self {
        let (channel, what) = match e.kind {
            EventKind::OtpSend { channel } => (Some(channel), None),
            EventKind::OtpVerify { channel } => (channel, None),
            EventKind::CredentialChange { what } => (None, Some(what)),
            EventKind::Login | EventKind::Signup => (None, None),
        };
        WireRecord {
            kind: e.kind.event_type(),
            at: e.at,
            channel,
            what,
            outcome,
            ip: e.ip,
            user: e.user.clone(),
            phone: e.phone,
            ja4: e.ja4,
            ja3: e.ja3,
            tls_shape: e.tls_shape.clone(),
            http2: e.http2.clone(),
            header_fp: e.header_fp.clone(),
            user_agent: e.user_agent.clone(),
            headers: e.headers.iter().cloned().collect(),
            device: e.device.clone(),
            country: e.country,
            asn: e.asn,
            location: e.location,
            compromised_password: e.compromised_password,
            host_known_device: e.host_known_device,
        }
    }

    fn into_record(self) -> Result<Record, &'static str> {
        let kind = match (self.kind, self.channel, self.what) {
            (EventType::OtpSend, Some(channel), None) => EventKind::OtpSend { channel },
            (EventType::OtpSend, None, _) => return Err("`otp_send` needs a `channel`"),
            (EventType::OtpVerify, channel, None) => EventKind::OtpVerify { channel },
            (EventType::CredentialChange, None, Some(what)) => EventKind::CredentialChange { what },
            (EventType::CredentialChange, _, None) => return Err("`credential_change` needs `what`"),
            (EventType::Login, None, None) => EventKind::Login,
            (EventType::Signup, None, None) => EventKind::Signup,
            (_, Some(_), _) => return Err("`channel` is only allowed on otp_send and otp_verify"),
            (_, _, Some(_)) => return Err("`what` is only allowed on credential_change"),
        };
        let event = Event {
            kind,
            at: self.at,
            ip: self.ip,
            user: self.user,
            phone: self.phone,
            ja4: self.ja4,
            ja3: self.ja3,
            tls_shape: self.tls_shape,
            http2: self.http2,
            header_fp: self.header_fp,
            user_agent: self.user_agent,
            headers: self.headers.into_iter().collect(),
            device: self.device,
            country: self.country,
            asn: self.asn,
            location: self.location,
            forwarding_anomaly: None,
            compromised_password: self.compromised_password,
            host_known_device: self.host_known_device,
            pow: None,
            password: None,
        };
        Ok(match self.outcome {
            None => Record::Event(event),
            Some(result) => Record::Outcome(Outcome {
                event,
                result,
                decision: None,
            }),
        })
    }
}

impl Serialize for Event {
    /// Writes the flat JSON form; the phone number is written in clear, as
    /// the record must read back. Mask before logging serialized events.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireRecord::from_event(self, None).serialize(s)
    }
}

impl Serialize for Outcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireRecord::from_event(&self.event, Some(self.result)).serialize(s)
    }
}

impl Serialize for Record {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Record::Event(e) => e.serialize(s),
            Record::Outcome(o) => o.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        WireRecord::deserialize(d)?.into_record().map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Record::deserialize(d)? {
            Record::Event(e) => Ok(e),
            Record::Outcome(_) => Err(de::Error::custom("expected an event, found an outcome report")),
        }
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Record::deserialize(d)? {
            Record::Outcome(o) => Ok(o),
            Record::Event(_) => Err(de::Error::custom("expected an outcome report (an `outcome` field)")),
        }
    }
}

/// Serde for a type that reads from a string with `FromStr` and writes `text`.
macro_rules! serde_via_str {
    ($ty:ty, $expecting:literal, |$v:ident| $text:expr) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let $v = self;
                s.collect_str(&$text)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(FromStrVisitor::<$ty>::new($expecting))
            }
        }
    };
}

serde_via_str!(Ja4, "a JA4 fingerprint", |v| v);
serde_via_str!(Ja3, "a JA3 hash (32 hex digits)", |v| v);
serde_via_str!(
    TlsShape,
    "a JA4_r string, `+grease` appended when the client sent GREASE",
    |v| v
);
serde_via_str!(Http2Fingerprint, "an HTTP/2 fingerprint", |v| v);
serde_via_str!(HeaderFingerprint, "a header fingerprint", |v| v);
serde_via_str!(HeaderName, "a header name", |v| v);
serde_via_str!(Country, "an ISO 3166-1 alpha-2 country code", |v| v);
serde_via_str!(UserId, "a user id", |v| v);
serde_via_str!(DeviceId, "a device id", |v| v);
serde_via_str!(E164, "an E.164 phone number", |v| format_args!("+{}", v.digits()));

impl FromStr for UserId {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(UserId::new(s))
    }
}

impl FromStr for DeviceId {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(DeviceId::new(s))
    }
}

impl Serialize for Asn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0)
    }
}

impl<'de> Deserialize<'de> for Asn {
    /// Accepts `64500` and `"AS64500"`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct AsnVisitor;
        impl Visitor<'_> for AsnVisitor {
            type Value = Asn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AS number (64500 or \"AS64500\")")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Asn, E> {
                u32::try_from(v)
                    .map(Asn)
                    .map_err(|_| E::custom("AS number out of range (32 bits)"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Asn, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("AS number cannot be negative"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Asn, E> {
                v.parse().map_err(E::custom)
            }
        }
        d.deserialize_any(AsnVisitor)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireLocation {
    latitude: f64,
    longitude: f64,
    #[serde(default)]
    accuracy_km: u16,
}

impl Serialize for Location {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireLocation {
            latitude: self.latitude(),
            longitude: self.longitude(),
            accuracy_km: self.accuracy_km(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Location {
    /// `{"latitude": 52.52, "longitude": 13.40, "accuracy_km": 20}`.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = WireLocation::deserialize(d)?;
        Location::new(w.latitude, w.longitude, w.accuracy_km).map_err(de::Error::custom)
    }
}

struct FromStrVisitor<T> {
    expecting: &'static str,
    _marker: std::marker::PhantomData<T>,
}

impl<T> FromStrVisitor<T> {
    fn new(expecting: &'static str) -> Self {
        FromStrVisitor {
            expecting,
            _marker: std::marker::PhantomData,
        }
    }
}

impl<T> Visitor<'_> for FromStrVisitor<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }

    // serde's default message for a wrong type quotes the value; a number
    // given for a phone field must not end up in a log that way.
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Err(E::custom(format_args!(
            "invalid type: number, expected {}",
            self.expecting
        )))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.visit_u64(v.unsigned_abs())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        self.visit_u64(0)
    }
}
