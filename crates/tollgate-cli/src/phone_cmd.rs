//! `tollgate phone NUMBER`: what tollgate makes of a destination number —
//! its E.164 form, country, calling code and line type by the numbering
//! plan, its risk tier under the policy, and whether a first OTP send on
//! the channel would be allowed.

use std::io::Write;
use std::path::Path;

use serde_json::json;
use tollgate::{Channel, Country, Engine, Event, EventKind, Timestamp, phone};

use crate::error::CliError;
use crate::policy_cmd;

/// The phone channels a send can use.
fn channel(name: &str) -> Result<Channel, CliError> {
    Channel::ALL
        .into_iter()
        .find(|c| c.as_str() == name && *c != Channel::Email)
        .ok_or_else(|| CliError::Input(format!("--channel {name:?}: expected sms, voice or whatsapp")))
}

pub(crate) fn run(
    number: &str,
    channel_name: &str,
    region: Option<&str>,
    policy: Option<&Path>,
) -> Result<(), CliError> {
    let channel = channel(channel_name)?;
    let region: Option<Country> = region
        .map(|r| {
            r.parse()
                .map_err(|_| CliError::Input(format!("--region {r:?}: expected a two-letter country code")))
        })
        .transpose()?;
    // The error names what is wrong with the number, never the number.
    let e164 = phone::normalize(number, region).map_err(|e| CliError::Input(format!("phone number: {e}")))?;
    let info = phone::classify(&e164);
    let engine = Engine::new(policy_cmd::load(policy)?).map_err(CliError::Engine)?;
    // A first send by a fresh engine: only what the number and channel
    // decide, no counter has history.
    let send = Event::new(EventKind::OtpSend { channel }, Timestamp::EPOCH).with_phone(e164);
    let decision = engine.evaluate(&send);
    let out = json!({
        "e164": format!("+{}", e164.digits()),
        "country": info.country.map(|c| c.to_string()),
        "calling_code": info.calling_code,
        "number_type": info.number_type.as_str(),
        "valid": info.is_valid(),
        "risk_tier": engine.risk_tier(&e164).as_str(),
        "channel": channel.as_str(),
        "allowed": decision.is_allow(),
        "decision": decision,
    });
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &out).map_err(std::io::Error::from)?;
    writeln!(stdout)?;
    Ok(())
}
