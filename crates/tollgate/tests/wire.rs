//! The JSON form of events: clear errors, no panics.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use proptest::prelude::*;
use tollgate::{Channel, CredentialKind, Event, EventKind, Outcome, Record};

fn err(json: &str) -> String {
    Record::from_json(json).unwrap_err().to_string()
}

#[test]
fn full_event_round_trips() {
    let json = r#"{"kind":"otp_send","channel":"voice","at":1700000000000,"ip":"2001:db8::7",
        "user":"alice","phone":"+447700900123","ja4":"t13d1516h2_8daaf6152771_02713d6af862",
        "ja3":"e7d705a3286e19ea42f587b344ee6865","http2":"1:65536;4:6291456|15663105|0|m,a,s,p",
        "header_fp":"h2:8f3a","user_agent":"Mozilla/5.0","headers":{"X-Client-Id":"web-1"},
        "device":"dev-1","country":"gb","asn":"AS64500","compromised_password":true,
        "host_known_device":true}"#;
    let event = Event::from_json(json).unwrap();
    assert_eq!(
        event.kind,
        EventKind::OtpSend {
            channel: Channel::Voice
        }
    );
    assert_eq!(event.header("x-client-id"), Some("web-1"));
    assert_eq!(event.country.unwrap().as_str(), "GB");
    assert_eq!(event.asn.unwrap().0, 64500);
    assert!(event.host_known_device);
    let back = serde_json::to_string(&event).unwrap();
    assert_eq!(Event::from_json(&back).unwrap(), event);
    assert!(back.contains("+447700900123"), "serialized events must read back");
    assert!(back.contains(r#""host_known_device":true"#), "{back}");
    assert!(!format!("{event:?}").contains("7700900"), "Debug masks the phone");
}

#[test]
fn outcomes_are_records_with_an_outcome_field() {
    let r = Record::from_json(
        r#"{"kind":"credential_change","what":"password","at":5,"user":"bob","outcome":"succeeded"}"#,
    )
    .unwrap();
    let Record::Outcome(o) = r else {
        panic!("not an outcome")
    };
    assert_eq!(
        o.event.kind,
        EventKind::CredentialChange {
            what: CredentialKind::Password
        }
    );
    let back: Outcome = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
    assert_eq!(back, o);
    assert!(Event::from_json(r#"{"kind":"login","at":1,"outcome":"failed"}"#).is_err());
}

#[test]
fn malformed_events_name_the_problem() {
    assert!(err("").contains("EOF"));
    assert!(err("[]").contains("expected an event object"));
    assert!(err("7").contains("expected an event object"));
    assert!(err(r#"{"at":1}"#).contains("missing field `kind`"));
    assert!(err(r#"{"kind":"login"}"#).contains("missing field `at`"));
    assert!(err(r#"{"kind":"logon","at":1}"#).contains("unknown variant `logon`"));
    assert!(err(r#"{"kind":"login","at":-1}"#).contains("invalid value"));
    assert!(err(r#"{"kind":"login","at":1,"ip":"1.2.3"}"#).contains("invalid IP address"));
    assert!(err(r#"{"kind":"login","at":1,"phone":"555-1234"}"#).contains("invalid phone"));
    assert!(err(r#"{"kind":"login","at":1,"ja4":"abc"}"#).contains("invalid ja4"));
    assert!(err(r#"{"kind":"login","at":1,"asn":-5}"#).contains("negative"));
    assert!(err(r#"{"kind":"login","at":1,"IP":"1.2.3.4"}"#).contains("unknown field `IP`"));
    assert!(err(r#"{"kind":"otp_send","at":1}"#).contains("needs a `channel`"));
    assert!(err(r#"{"kind":"login","at":1,"channel":"sms"}"#).contains("only allowed on otp_send"));
    assert!(err(r#"{"kind":"credential_change","at":1}"#).contains("needs `what`"));
    assert!(err(r#"{"kind":"login","at":1,"headers":{"bad name":"x"}}"#).contains("header name"));
}

#[test]
fn error_messages_never_echo_a_phone_number() {
    for json in [
        r#"{"kind":"login","at":1,"phone":"+1555123456789012"}"#,
        r#"{"kind":"login","at":1,"phone":15551234567}"#,
        r#"{"kind":"login","at":1,"phone":-15551234567}"#,
        r#"{"kind":"login","at":1,"phone":15551234567.0}"#,
    ] {
        let msg = err(json);
        assert!(!msg.contains("555123"), "{msg}");
    }
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        let _ = Record::from_json(&s);
    }

    #[test]
    fn arbitrary_field_values_never_panic(field in "[a-z_]{1,12}", value in ".{0,40}") {
        let json = format!(r#"{{"kind":"login","at":1,"{field}":{}}}"#, serde_json::Value::String(value));
        let _ = Record::from_json(&json);
    }
}
