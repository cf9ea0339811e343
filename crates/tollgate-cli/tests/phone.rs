//! `tollgate phone`: number facts, risk tier and whether a send is allowed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::process::{Command, Output};

use serde_json::Value;

fn tollgate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_voice_call_to_cuba_is_high_risk_and_not_allowed() {
    let v = json(&tollgate(&["phone", "+5351234567", "--channel", "voice"]));
    assert_eq!(v["e164"], "+5351234567");
    assert_eq!(v["country"], "CU");
    assert_eq!(v["calling_code"], 53);
    assert_eq!(v["number_type"], "mobile");
    assert_eq!(v["risk_tier"], "high");
    assert_eq!(v["allowed"], false);
    assert_eq!(v["decision"]["action"], "deny");
    assert_eq!(v["decision"]["reasons"][0]["rule"], "voice-high-risk");
    // SMS to the same number is challenged, so not allowed outright either.
    let sms = json(&tollgate(&["phone", "+5351234567"]));
    assert_eq!(
        (sms["channel"].as_str(), sms["decision"]["action"].as_str()),
        (Some("sms"), Some("challenge"))
    );
}

#[test]
fn a_national_number_with_its_region_and_a_premium_rate_line() {
    let gb = json(&tollgate(&["phone", "07400 123456", "--region", "GB"]));
    assert_eq!(gb["e164"], "+447400123456");
    assert_eq!(gb["risk_tier"], "medium");
    assert_eq!(gb["allowed"], true);
    let premium = json(&tollgate(&["phone", "+1 900 234 5678", "--channel", "whatsapp"]));
    assert_eq!(premium["number_type"], "premium_rate");
    assert_eq!(premium["risk_tier"], "high");
    assert_eq!(premium["allowed"], false);
}

#[test]
fn a_policy_file_changes_the_answer_and_bad_input_fails_cleanly() {
    let dir = std::env::temp_dir().join(format!("tollgate-phone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("policy.toml");
    std::fs::write(&policy, "[[otp.tiers]]\nprefix = \"53\"\ntier = \"medium\"\n").unwrap();
    let v = json(&tollgate(&[
        "phone",
        "+5351234567",
        "--channel",
        "voice",
        "--policy",
        policy.to_str().unwrap(),
    ]));
    assert_eq!(
        (v["risk_tier"].as_str(), v["allowed"].as_bool()),
        (Some("medium"), Some(true))
    );

    let bad = tollgate(&["phone", "+5351234567", "--channel", "email"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("expected sms, voice or whatsapp"));
    let bad = tollgate(&["phone", "0740012345"]);
    assert_eq!(bad.status.code(), Some(1));
    // The error never echoes the number.
    assert!(!String::from_utf8_lossy(&bad.stderr).contains("0740012345"));
}
