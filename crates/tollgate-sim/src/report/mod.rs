//! The text report: one table row per scenario and a total, then the
//! reasons, steps and outcomes behind the numbers.
//!
//! Everything but the events/s column depends only on the seed, the event
//! count and the policy, so two runs can be compared line by line.

use std::io::{self, Write};

use super::header::Header;
use super::tally::{Tallies, Tally};
use super::traffic::{SPRAYED_PASSWORDS, Scenario, Step, Tag};

mod outcomes;

use outcomes::{write_abroad, write_account_dos, write_brute_force, write_cap_trip, write_friction, write_takeover};

/// The reason code of a send refused by a closed service cap.
const SERVICE_CAP: &str = "otp.service_cap";
const COMPROMISED: &str = "credentials.compromised_password";
const SPRAYED: &str = "credentials.sprayed_password";
const RISKY_CHANGE: &str = "change.after_risky_login";
const CHANGE: &str = "change.after_login";

const COLUMNS: [&str; 9] = [
    "scenario",
    "events",
    "allowed",
    "challenged",
    "throttled",
    "denied",
    "attack success",
    "legit friction",
    "events/s",
];

/// Writes the report on a replay: one table row per scenario and a total,
/// then the reasons, steps and outcomes behind the numbers.
pub fn write(out: &mut impl Write, header: &Header<'_>, tallies: &Tallies) -> io::Result<()> {
    super::header::write(out, header)?;
    writeln!(out)?;
    let legit = tallies.get(Scenario::Legitimate);
    let mut rows: Vec<[String; 9]> = vec![COLUMNS.map(str::to_string)];
    for scenario in Scenario::ALL {
        let t = tallies.get(scenario);
        let success = if scenario.is_attack() {
            percent(t.actions.allowed, t.events)
        } else {
            "-".into()
        };
        let friction = if scenario.is_attack() {
            "-".into()
        } else {
            percent(t.not_allowed(), t.events)
        };
        rows.push(row(scenario.name(), t, success, friction));
    }
    let attacks = tallies.attacks();
    rows.push(row(
        "total",
        &tallies.total(),
        percent(attacks.actions.allowed, attacks.events),
        percent(legit.not_allowed(), legit.events),
    ));
    write_table(out, &rows)?;

    writeln!(out)?;
    writeln!(out, "top reasons (reason[rule]: events it fired on):")?;
    for scenario in Scenario::ALL {
        let top = tallies.get(scenario).top_reasons(3);
        let text = if top.is_empty() {
            "none fired".to_string()
        } else {
            join(top.iter().map(|(reason, n)| format!("{reason} {}", group(*n))))
        };
        writeln!(out, "  {:<22} {text}", scenario.name())?;
    }

    writeln!(out)?;
    writeln!(out, "allowed by step (allowed/events):")?;
    for scenario in Scenario::ALL {
        let t = tallies.get(scenario);
        let steps = Step::ALL
            .iter()
            .zip(&t.steps)
            .filter(|(_, c)| c.events > 0)
            .map(|(step, c)| format!("{} {}/{}", step.name(), group(c.allowed), group(c.events)));
        let steps = join(steps);
        let steps = if steps.is_empty() { "no events" } else { &steps };
        writeln!(out, "  {:<22} {steps}", scenario.name())?;
    }

    if Scenario::ALL.iter().any(|s| tallies.get(*s).monitored.total() > 0) {
        writeln!(out)?;
        writeln!(
            out,
            "monitor mode (events where a monitored rule fired: the verdict had it been enforced):"
        )?;
        for scenario in Scenario::ALL {
            let m = &tallies.get(scenario).monitored;
            writeln!(
                out,
                "  {:<22} allowed {} · challenged {} · throttled {} · denied {}",
                scenario.name(),
                group(m.allowed),
                group(m.challenged),
                group(m.throttled),
                group(m.denied)
            )?;
        }
    }

    writeln!(out)?;
    writeln!(out, "outcomes:")?;
    writeln!(
        out,
        "  {:<22} {} of {} correct logins, codes and changes went through (allowed, or challenged and passed)",
        Scenario::Legitimate.name(),
        group(legit.succeeded),
        group(legit.would_succeed)
    )?;
    let landed = legit.logins(Tag::Landed);
    writeln!(
        out,
        "  {:<22} after a flight today: {} of {} logins at the destination allowed, {} challenged, {} refused",
        "",
        group(landed.allowed),
        group(landed.total()),
        group(landed.challenged),
        group(landed.throttled + landed.denied)
    )?;
    write_friction(out, legit)?;
    for scenario in [Scenario::CredentialStuffing, Scenario::StuffingBrowserFp] {
        let stuffing = tallies.get(scenario);
        writeln!(
            out,
            "  {:<22} {} accounts taken over, of {} attempts with valid credentials",
            scenario.name(),
            group(stuffing.succeeded),
            group(stuffing.would_succeed)
        )?;
    }
    let pwned = tallies.get(Scenario::StuffingPwned);
    writeln!(
        out,
        "  {:<22} {} accounts taken over, of {} attempts with valid credentials; {} of {} attempts flagged compromised",
        Scenario::StuffingPwned.name(),
        group(pwned.succeeded),
        group(pwned.would_succeed),
        group(pwned.fired(COMPROMISED)),
        group(pwned.events)
    )?;
    let impersonating = tallies.get(Scenario::StuffingImpersonating);
    writeln!(
        out,
        "  {:<22} {} accounts taken over, of {} attempts with valid credentials; {} of {} attempts named unknown users",
        Scenario::StuffingImpersonating.name(),
        group(impersonating.succeeded),
        group(impersonating.would_succeed),
        group(impersonating.unknown_users),
        group(impersonating.events)
    )?;
    let spraying = tallies.get(Scenario::PasswordSpraying);
    writeln!(
        out,
        "  {:<22} {} of {} vulnerable accounts (own password among the {} sprayed) taken over; {} attempts, {} flagged {SPRAYED}",
        Scenario::PasswordSpraying.name(),
        group(spraying.succeeded),
        group(spraying.would_succeed),
        SPRAYED_PASSWORDS.len(),
        group(spraying.events),
        group(spraying.fired(SPRAYED))
    )?;
    writeln!(
        out,
        "  {:<22} collateral: {} legitimate logins flagged {SPRAYED} (members whose own password is a sprayed one)",
        "",
        group(tallies.get(Scenario::Legitimate).fired(SPRAYED))
    )?;
    let stealer = tallies.get(Scenario::Infostealer);
    let (login, email) = (stealer.step(Step::Login), stealer.step(Step::EmailChange));
    writeln!(
        out,
        "  {:<22} {} of {} logins with a stolen password let in; then {} of {} email changes went through, {} challenged, {} refused; {} more not sent: their login was refused",
        Scenario::Infostealer.name(),
        group(login.succeeded),
        group(login.events),
        group(email.succeeded),
        group(email.events),
        group(stealer.changes(Tag::AfterTakeover).challenged),
        group(stealer.changes(Tag::AfterTakeover).throttled + stealer.changes(Tag::AfterTakeover).denied),
        group(stealer.unsent)
    )?;
    let spread_runs = [
        (Scenario::SpreadPumping, "low-risk numbers"),
        (
            Scenario::SpreadPumpingVerified,
            "rented US numbers, 97 in 100 of them then entered,",
        ),
    ];
    for (scenario, numbers) in spread_runs {
        let spread = tallies.get(scenario);
        writeln!(
            out,
            "  {:<22} {} SMS sent to distinct {numbers} right after a bot sign-up, of {} bot sign-ups ({} let through; {} later steps not taken: their sign-up or code was refused)",
            scenario.name(),
            group(spread.step(Step::OtpSend).allowed),
            group(spread.step(Step::Signup).events),
            group(spread.step(Step::Signup).allowed),
            group(spread.unsent)
        )?;
    }
    let bot = tallies.get(Scenario::OtpBotRotating).step(Step::OtpSend);
    writeln!(
        out,
        "  {:<22} {} SMS sent to numbers of one country, a new residential exit there each time, of {} requested",
        Scenario::OtpBotRotating.name(),
        group(bot.allowed),
        group(bot.events)
    )?;
    let sends = tallies.get(Scenario::OtpPumping).step(Step::OtpSend);
    writeln!(
        out,
        "  {:<22} {} SMS sent to the pumped number block, of {} requested",
        Scenario::OtpPumping.name(),
        group(sends.allowed),
        group(sends.events)
    )?;
    let calls = tallies.get(Scenario::VoiceIrsf).step(Step::VoiceSend);
    writeln!(
        out,
        "  {:<22} {} voice codes called out to the high-risk block, of {} requested",
        Scenario::VoiceIrsf.name(),
        group(calls.allowed),
        group(calls.events)
    )?;
    write_takeover(out, tallies)?;
    write_cap_trip(out, tallies)?;
    write_brute_force(out, tallies)?;
    write_account_dos(out, tallies)?;
    write_abroad(out, legit)?;
    writeln!(out)?;
    header.store.write(out)
}

fn row(name: &str, t: &Tally, success: String, friction: String) -> [String; 9] {
    let per_sec = match t.engine_time.as_secs_f64() {
        s if s > 0.0 => group((t.events as f64 / s) as u64),
        _ => "-".into(),
    };
    [
        name.to_string(),
        group(t.events),
        group(t.actions.allowed),
        group(t.actions.challenged),
        group(t.actions.throttled),
        group(t.actions.denied),
        success,
        friction,
        per_sec,
    ]
}

/// Left-aligns the first column, right-aligns the rest.
fn write_table(out: &mut impl Write, rows: &[[String; 9]]) -> io::Result<()> {
    let mut widths = [0usize; 9];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i == 0 {
                line.push_str(&format!("{cell:<width$}"));
            } else {
                line.push_str(&format!("  {cell:>width$}"));
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(" · ")
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".into();
    }
    format!("{:.2}%", part as f64 * 100.0 / whole as f64)
}

/// `1234567` as `1,234,567`.
pub(crate) fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::StoreFigures;

    #[test]
    fn numbers_are_grouped_and_percentages_guarded() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(percent(1, 0), "-");
        assert_eq!(percent(1, 3), "33.33%");
    }

    #[test]
    fn an_empty_run_still_reports() {
        let header = Header {
            seed: 1,
            requested: 0,
            generated: 0,
            people: 0,
            policy: "built-in default",
            rules: 13,
            store: StoreFigures {
                keys: 0,
                max_keys: 10,
                ..StoreFigures::default()
            },
            warm_up: 0,
            warm_up_days: 0,
            browser_release: None,
            alone: None,
            host_known_devices: false,
            imported: None,
        };
        let mut out = Vec::new();
        write(&mut out, &header, &Tallies::default()).unwrap();
        let text = String::from_utf8(out).unwrap();
        for name in [
            "legitimate",
            "credential_stuffing",
            "stuffing_browser_fp",
            "otp_pumping",
            "account_takeover",
            "sms_cap_trip",
            "account_dos",
            "stuffing_impersonating",
            "password_spraying",
            "infostealer",
            "spread_pumping",
            "spread_pumping_verified",
            "otp_bot_rotating",
            "total",
            "none fired",
        ] {
            assert!(text.contains(name), "{text}");
        }
    }
}
