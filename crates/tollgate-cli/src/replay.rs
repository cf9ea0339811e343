//! One decision as a JSON line: the event it was made on, identifiers
//! masked, and the decision as `tollgate score` prints it. A service
//! writes these to a decision log; `tollgate score` reads them, decides
//! each event again under the policy it is given and prints the same
//! record with the new decision, the logged one beside it.
//!
//! ```
//! use tollgate::{Action, Decision, Event, EventKind, Timestamp};
//! use tollgate_cli::replay::DecisionRecord;
//!
//! let event = Event::new(EventKind::Login, Timestamp::from_unix_millis(1_700_000_000_000))
//!     .with_ip("203.0.113.0".parse()?)
//!     .with_user("5f0c6a1e2d3b4a59");
//! let mut decision = Decision::allow();
//! decision.action = Action::Deny;
//! let line = DecisionRecord::new(event, &decision).to_json_line()?;
//! assert!(line.starts_with(r#"{"event":{"kind":"login""#));
//! let read = DecisionRecord::from_json(&line)?;
//! assert_eq!(read.action(), Some("deny"));
//! assert!(DecisionRecord::is_record(&line));
//! assert!(!DecisionRecord::is_record(r#"{"kind":"login","at":1}"#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What the event holds
//!
//! The event is in `tollgate score`'s input form, with the identifiers a
//! decision observer sees ([`tollgate::observe::Observation`]) in their
//! masked forms:
//!
//! * `ip`: the network of the policy's `keys.ipv4_prefix` /
//!   `keys.ipv6_prefix` (`203.0.113.0` for `203.0.113.7` under /24);
//! * `user`: the keyed hash of the account (16 hex digits, the engine's
//!   [`user_hash`](tollgate::Engine::user_hash)), which keys limits as the
//!   account did: every event of one account carries the same hash;
//! * `country`, `asn`: as resolved for the decision (from a geo database
//!   or upstream), so a replay needs no database;
//! * `ja4`: the client's TLS fingerprint (software, not a person).
//!
//! The phone number is never in the event: a masked number
//! (`+44********23`) is not a number a limit could key on. It travels
//! beside the event ([`DecisionRecord::phone`]) for the analyst's eyes.
//! Passwords and one-time codes never reach the engine, so never a log.

use serde::{Deserialize, Serialize};
use tollgate::{Country, Decision, Event};

/// One logged (or replayed) decision. Serialized with `event` first, so a
/// reader can tell a record from a plain event by its first member
/// ([`DecisionRecord::is_record`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionRecord {
    /// The event, identifiers masked, in `tollgate score`'s input form.
    pub event: Event,
    /// The decision, exactly as `tollgate score` prints one (`action`,
    /// `retry_after_ms`, `score`, `reasons`, `rate_limit`, `advice`,
    /// `monitored`).
    pub decision: serde_json::Value,
    /// The phone number of an OTP event, masked (`+44********23`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The phone number's country, for OTP events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_country: Option<Country>,
    /// In a replay: the decision the log held, beside the new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged: Option<serde_json::Value>,
}

impl DecisionRecord {
    /// The record of `decision` on `event` (whose identifiers the caller
    /// has masked), with no phone number and nothing logged before.
    pub fn new(event: Event, decision: &Decision) -> Self {
        DecisionRecord {
            event,
            decision: decision_json(decision),
            phone: None,
            phone_country: None,
            logged: None,
        }
    }

    /// Reads one record.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The record as one line of JSON, without the newline.
    pub fn to_json_line(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Whether `json` (one line, or the start of a pretty-printed object)
    /// is a record rather than a plain event or outcome: an object whose
    /// first member is `event`. Events have no `event` member at all.
    pub fn is_record(json: &str) -> bool {
        json.trim_start()
            .strip_prefix('{')
            .is_some_and(|rest| rest.trim_start().starts_with("\"event\""))
    }

    /// The decision's action (`allow`, `challenge`, `throttle`, `deny`).
    pub fn action(&self) -> Option<&str> {
        self.decision.get("action")?.as_str()
    }

    /// The logged decision's action, in a replay.
    pub fn logged_action(&self) -> Option<&str> {
        self.logged.as_ref()?.get("action")?.as_str()
    }

    /// The same record with `decision` as its decision and the one it held
    /// as the logged one: what a replay prints.
    pub fn replayed(mut self, decision: &Decision) -> Self {
        let logged = std::mem::replace(&mut self.decision, decision_json(decision));
        self.logged = Some(logged);
        self
    }
}

/// A decision as `tollgate score` prints it: [`Decision`]'s own
/// serialization, the one place that shape is defined.
fn decision_json(decision: &Decision) -> serde_json::Value {
    // A map of strings, numbers and arrays of plain structs: serializing
    // it into a `Value` cannot fail; `Null` stands in if it ever did.
    serde_json::to_value(decision).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use std::time::Duration;
    use tollgate::{Action, Channel, EventKind, Timestamp};

    #[test]
    fn records_round_trip_and_replays_keep_the_logged_decision() {
        let event = Event::new(
            EventKind::OtpSend { channel: Channel::Sms },
            Timestamp::from_unix_millis(5),
        )
        .with_user("00000000000000ff")
        .with_ip("198.51.100.0".parse().unwrap());
        let mut throttle = Decision::allow();
        throttle.action = Action::Throttle {
            retry_after: Duration::from_millis(1500),
        };
        throttle.score = 10;
        let mut record = DecisionRecord::new(event.clone(), &throttle);
        record.phone = Some("+44********23".into());
        record.phone_country = Some("GB".parse().unwrap());
        let line = record.to_json_line().unwrap();
        assert!(DecisionRecord::is_record(&line), "{line}");
        assert!(line.contains(r#""retry_after_ms":1500"#), "{line}");
        let read = DecisionRecord::from_json(&line).unwrap();
        assert_eq!(read, record);
        assert_eq!(read.event, event);
        assert_eq!(read.action(), Some("throttle"));
        assert_eq!(read.decision, serde_json::to_value(&throttle).unwrap());

        let replayed = read.replayed(&Decision::allow());
        assert_eq!(replayed.action(), Some("allow"));
        assert_eq!(replayed.logged_action(), Some("throttle"));
        let again = DecisionRecord::from_json(&replayed.to_json_line().unwrap()).unwrap();
        assert_eq!(again, replayed);
    }

    #[test]
    fn plain_events_and_unknown_members_are_not_records() {
        assert!(!DecisionRecord::is_record(r#"{"kind":"login","at":1}"#));
        assert!(!DecisionRecord::is_record("not json"));
        assert!(DecisionRecord::is_record("{\n  \"event\": {"));
        let err = DecisionRecord::from_json(r#"{"event":{"kind":"login","at":1},"decision":{},"extra":1}"#);
        assert!(err.unwrap_err().to_string().contains("unknown field `extra`"));
        let outcome = r#"{"event":{"kind":"login","at":1,"outcome":"failed"},"decision":{}}"#;
        assert!(
            DecisionRecord::from_json(outcome).is_err(),
            "a record holds an event, not an outcome"
        );
    }
}
