//! The report's outcome lines for the scenarios whose story a table row
//! cannot tell: takeovers and the changes after them, legitimate friction
//! in detail, brute force, account lockout, the closed SMS cap and codes
//! asked for from abroad.

use std::io::{self, Write};

use super::{CHANGE, RISKY_CHANGE, SERVICE_CAP, group, join};
use crate::tally::{Tallies, Tally};
use crate::traffic::{Scenario, Step, Tag};

/// The takeover outcome: accounts whose login went ahead, by kind of
/// login, and the credential changes that followed.
pub(super) fn write_takeover(out: &mut impl Write, tallies: &Tallies) -> io::Result<()> {
    let t = tallies.get(Scenario::AccountTakeover);
    let login = t.step(Step::Login);
    let (teleport, later) = (t.logins(Tag::Teleport), t.logins(Tag::Plain));
    writeln!(
        out,
        "  {:<22} {} accounts taken over (login allowed), of {} victims with the right password ({} victims)",
        Scenario::AccountTakeover.name(),
        group(login.succeeded),
        group(login.would_succeed),
        group(login.events)
    )?;
    writeln!(
        out,
        "  {:<22} logins allowed: {} of {} minutes after the victim's own (teleporting), {} of {} later",
        "",
        group(teleport.allowed),
        group(teleport.total()),
        group(later.allowed),
        group(later.total())
    )?;
    let changes = [Step::PasswordChange, Step::EmailChange].map(|s| t.step(s));
    let acted = t.changes(Tag::AfterTakeover);
    writeln!(
        out,
        "  {:<22} then {} of {} password/email changes went through, {} challenged, {} refused ({} after a risky login); {} more not sent: their login was refused",
        "",
        group(changes.iter().map(|c| c.succeeded).sum()),
        group(changes.iter().map(|c| c.events).sum()),
        group(acted.challenged),
        group(acted.throttled + acted.denied),
        group(t.fired(RISKY_CHANGE)),
        group(t.unsent)
    )
}

/// What typos and password resets cost real users.
pub(super) fn write_friction(out: &mut impl Write, legit: &Tally) -> io::Result<()> {
    let typos = legit.logins(Tag::Typo);
    writeln!(
        out,
        "  {:<22} logins in sessions with typos: {} of {} allowed, {} challenged, {} refused",
        "",
        group(typos.allowed),
        group(typos.total()),
        group(typos.challenged),
        group(typos.throttled + typos.denied)
    )?;
    let (resets, others) = (legit.changes(Tag::Reset), legit.changes(Tag::Plain));
    writeln!(
        out,
        "  {:<22} password resets: {} of {} allowed, {} challenged; other password changes: {} of {} allowed, {} challenged ({} after a risky login, {} scored after a login)",
        "",
        group(resets.allowed),
        group(resets.total()),
        group(resets.challenged + resets.throttled + resets.denied),
        group(others.allowed),
        group(others.total()),
        group(others.challenged + others.throttled + others.denied),
        group(legit.fired(RISKY_CHANGE)),
        group(legit.fired(CHANGE))
    )
}

/// The brute-force run: what stopped it, and what it cost the owner.
pub(super) fn write_brute_force(out: &mut impl Write, tallies: &Tallies) -> io::Result<()> {
    let bot = tallies.get(Scenario::BruteForce);
    let a = bot.actions;
    writeln!(
        out,
        "  {:<22} {} passwords tried on one account: {} checked, {} throttled, {} challenged, {} denied; the right one got in: {}",
        Scenario::BruteForce.name(),
        group(bot.events),
        group(a.allowed),
        group(a.throttled),
        group(a.challenged),
        group(a.denied),
        if bot.succeeded > 0 { "yes" } else { "no" }
    )?;
    let owner = tallies.get(Scenario::Legitimate).logins(Tag::Targeted);
    writeln!(
        out,
        "  {:<22} the owner's logins while it ran: {} of {} allowed, {} challenged, {} refused",
        "",
        group(owner.allowed),
        group(owner.total()),
        group(owner.challenged),
        group(owner.throttled + owner.denied)
    )
}

/// The account-DoS run: what it spent, and what the owners met.
pub(super) fn write_account_dos(out: &mut impl Write, tallies: &Tallies) -> io::Result<()> {
    const STEPS: [(Step, &str); 3] = [
        (Step::Login, "logins"),
        (Step::OtpSend, "code requests"),
        (Step::OtpVerify, "code entries"),
    ];
    let bot = tallies.get(Scenario::AccountDos);
    let attempts = STEPS.map(|(step, name)| {
        let a = bot.tagged(step, Tag::Plain);
        format!(
            "{name} {} ({} allowed, {} challenged, {} throttled, {} denied)",
            group(a.total()),
            group(a.allowed),
            group(a.challenged),
            group(a.throttled),
            group(a.denied)
        )
    });
    writeln!(
        out,
        "  {:<22} {} attempts on victims' accounts and numbers: {}",
        Scenario::AccountDos.name(),
        group(bot.events),
        attempts.join(" · ")
    )?;
    let legit = tallies.get(Scenario::Legitimate);
    let mut refused = 0;
    let owners = STEPS.map(|(step, name)| {
        let a = legit.tagged(step, Tag::Bombed);
        refused += a.throttled + a.denied;
        format!(
            "{name} {} of {} allowed, {} challenged, {} refused",
            group(a.allowed),
            group(a.total()),
            group(a.challenged),
            group(a.throttled + a.denied)
        )
    });
    writeln!(
        out,
        "  {:<22} the owners' own while it ran and the hour after: {}; owners refused: {}",
        "",
        owners.join(" · "),
        group(refused)
    )
}

/// What the cap-tripping bot got out, and what the closed cap cost real
/// users: a cap cannot tell their sends from the bot's.
pub(super) fn write_cap_trip(out: &mut impl Write, tallies: &Tallies) -> io::Result<()> {
    let bot = tallies.get(Scenario::SmsCapTrip);
    let legit = tallies.get(Scenario::Legitimate);
    let sms = bot.step(Step::OtpSend);
    let closed = bot.fired(SERVICE_CAP) + legit.fired(SERVICE_CAP);
    writeln!(
        out,
        "  {:<22} {} SMS sent to spread low-risk numbers {}, of {} requested",
        Scenario::SmsCapTrip.name(),
        group(sms.allowed),
        if closed > 0 {
            "before the SMS cap closed"
        } else {
            "(the SMS cap never closed)"
        },
        group(sms.events)
    )?;
    let calls = bot.step(Step::VoiceSend);
    writeln!(
        out,
        "  {:<22} collateral: {} of {} legitimate SMS requests refused by the closed SMS cap; voice, capped apart: {} of {} bot voice codes placed after its SMS run",
        "",
        group(legit.fired(SERVICE_CAP)),
        group(legit.step(Step::OtpSend).events),
        group(calls.allowed),
        group(calls.events)
    )
}

/// SMS codes legitimate users asked for, to their own number, from abroad.
pub(super) fn write_abroad(out: &mut impl Write, legit: &Tally) -> io::Result<()> {
    let a = legit.abroad_sms;
    let top = legit.top_abroad_reasons(4);
    let reasons = if top.is_empty() {
        "none fired".to_string()
    } else {
        join(top.iter().map(|(reason, n)| format!("{reason} {}", group(*n))))
    };
    writeln!(
        out,
        "  {:<22} SMS codes asked for from abroad: {} of {} allowed, {} challenged, {} refused; reasons: {reasons}",
        Scenario::Legitimate.name(),
        group(a.allowed),
        group(a.total()),
        group(a.challenged),
        group(a.throttled + a.denied)
    )
}
