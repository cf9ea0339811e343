//! How a familiarity read becomes points: the Freeman et al. score of one
//! feature, and what an account without history gets.

use super::settled::Verdict;
use super::{Familiarity, Feature};
use crate::facts::Facts;
use crate::policy::Points;
use crate::store::FamiliarityCounts;
use crate::{Reason, ReasonCode};

/// The reason for one feature, if it scores.
pub(super) fn reason(
    feature: Feature,
    counts: &FamiliarityCounts,
    facts: &Facts,
    points: &Points,
    settings: &Familiarity,
) -> Option<Reason> {
    // No history: every value is new, at the first-seen weight.
    let unfamiliar = if counts.user_total == 0 {
        f64::from(settings.first_seen_percent) / 100.0
    } else {
        1.0 / (1.0 + f64::from(counts.user_count))
    };
    let share = if counts.global_total == 0 {
        0.0
    } else {
        counts.global_count as f64 / counts.global_total as f64
    };
    let rarity = 1.0 - (share * 100.0 / f64::from(settings.common_percent)).min(1.0);
    let score = (f64::from(feature.max_points(points)) * unfamiliar * rarity).round();
    if score < 1.0 {
        return None;
    }
    let value = match feature {
        Feature::Country => facts.country.map(|c| c.to_string()),
        Feature::Asn => facts.asn.map(|a| a.to_string()),
        Feature::Device | Feature::Fingerprint | Feature::Prefix => None,
    };
    let name = format!("{} {}", feature.name(), value.map(|v| v + " ").unwrap_or_default());
    let detail = if counts.user_total == 0 {
        format!("{name}of a user with no login on record; {:.1} % of all logins", share * 100.0)
    } else {
        format!(
            "{name}seen in {} of this user's last {} logins; {:.1} % of all logins",
            counts.user_count,
            counts.user_total,
            share * 100.0
        )
    };
    let mut r = Reason::new(feature.code(), detail);
    r.points = score.min(100.0) as u8;
    Some(r)
}

/// Whether an enforced reason is evidence that the client is automated or
/// hides behind infrastructure rather than a person's own connection. A
/// user-agent mismatch counts only when judged on the handshake's structure
/// (`shaped`), or on a JA4 without ALPN (`without_alpn`, which no browser
/// release sends): on an exact JA4 otherwise it is also what every user of a browser
/// release gets until the release is learned.
pub(super) fn shows_automation(r: &Reason, shaped: bool, without_alpn: bool) -> bool {
    let weighs = !r.monitor && (r.points > 0 || r.action.is_some_and(|a| a > crate::Action::Allow));
    let automation = match r.code {
        ReasonCode::FingerprintUaMismatch => shaped || without_alpn,
        ReasonCode::FingerprintListed | ReasonCode::Anonymous | ReasonCode::AsnListed => true,
        _ => false,
    };
    weighs && automation
}

/// The reason for a user with no history at all: the policy's points, or
/// its `first_seen_automation` when the client shows automation.
pub(super) fn first_seen(points: &Points, settings: &Familiarity, automated: Option<ReasonCode>) -> Option<Reason> {
    if let Some(code) = automated {
        let detail = format!("no successful login of this user on record, and {code}");
        return Some(crate::detect::matched(
            ReasonCode::FirstSeen,
            detail,
            "familiarity.first_seen",
            settings.first_seen_automation,
            false,
        ));
    }
    (points.first_seen > 0).then(|| {
        let mut r = Reason::new(ReasonCode::FirstSeen, "no successful login of this user on record");
        r.points = points.first_seen;
        r
    })
}

/// The reason for a login to an established account from a client and a
/// network prefix it never used.
pub(super) fn stranger(settings: &Familiarity, logins: u32, settled: Option<Verdict>) -> Reason {
    let mut detail = format!("{logins} logins on record, none from this client or network prefix");
    if let Some(v) = settled {
        let share = |bp: u64| bp as f64 / 100.0;
        detail += &format!(
            "; the site is settled: strangers were {:.2} % of its {} successful logins yesterday, {:.2} % over the week",
            share(v.basis_points),
            v.logins,
            share(v.week_basis_points)
        );
    }
    crate::detect::matched(ReasonCode::Stranger, detail, "familiarity.stranger", settings.stranger, false)
}

/// The reason for a login to an account with history from a client it
/// never used that shows automation (`code`): the account's history cannot
/// vouch for that client, so the client's evidence decides, as for an
/// account without history. On any network: a mobile carrier's CGNAT /24
/// is the victim's and the bot's alike.
pub(super) fn automated_new_client(settings: &Familiarity, logins: u32, code: ReasonCode) -> Reason {
    let detail = format!("{logins} logins on record, none from this client, and {code}");
    crate::detect::matched(
        ReasonCode::NewClientAutomation,
        detail,
        "familiarity.first_seen_automation",
        settings.first_seen_automation,
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{MatchAction, Policy};
    use crate::{Action, Asn, Country, Engine, Event, EventKind, Outcome, Timestamp};

    fn first_login(ua: &str, ja4: &str) -> Event {
        Event::new(EventKind::Login, Timestamp::EPOCH)
            .with_user("dormant")
            .with_country("US".parse::<Country>().unwrap())
            .with_asn(Asn(16_509))
            .with_user_agent(ua)
            .with_ja4(ja4.parse().unwrap())
    }

    const CHROME_UA: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36";
    const CHROME_JA4: &str = "t13d1516h2_8daaf6152771_02713d6af862";
    const PYTHON_JA4: &str = "t13i181000_85036bcba153_d41ae481755e";

    #[test]
    fn a_first_seen_account_with_automation_evidence_is_challenged() {
        let engine = Engine::new(Policy::default()).unwrap();
        // python-requests behind a Chrome user agent, on a hosting network.
        let bot = engine.evaluate(&first_login(CHROME_UA, PYTHON_JA4));
        assert_eq!(bot.action, Action::Challenge, "{bot:?}");
        let r = bot.reasons.iter().find(|r| r.code == ReasonCode::FirstSeen).unwrap();
        assert_eq!(r.rule.as_deref(), Some("familiarity.first_seen"));
        assert!(r.detail.ends_with("and geo.asn"), "{}", r.detail);
        // On a residential network, a JA4 that offers no ALPN is still
        // automation: no browser release sends one.
        let home = engine.evaluate(&first_login(CHROME_UA, PYTHON_JA4).with_asn(Asn(3_320)));
        assert!(home.reasons.iter().any(|r| r.code == ReasonCode::FirstSeen), "{home:?}");
        // A mismatch judged on an unknown JA4 that offers h2 is not enough:
        // it is also what a browser release looks like until it is learned
        // (with the handshake's structure it would be judged).
        let release = "t13d1517h2_5b57614c22b0_b1ff8ab2d16f";
        let next = engine.evaluate(&first_login(CHROME_UA, release).with_asn(Asn(3_320)));
        assert!(next.reasons.iter().any(|r| r.code == ReasonCode::FingerprintUaMismatch), "{next:?}");
        assert!(!next.reasons.iter().any(|r| r.code == ReasonCode::FirstSeen), "{next:?}");
        // A real Chrome there is not.
        let person = engine.evaluate(&first_login(CHROME_UA, CHROME_JA4).with_asn(Asn(3_320)));
        assert!(!person.reasons.iter().any(|r| r.code == ReasonCode::FirstSeen), "{person:?}");
    }

    #[test]
    fn history_vouches_and_the_setting_can_score_instead() {
        let engine = Engine::new(Policy::default()).unwrap();
        let bot = first_login(CHROME_UA, PYTHON_JA4);
        engine.record(&Outcome::succeeded(bot.clone()));
        let later = engine.evaluate(&bot);
        assert!(!later.reasons.iter().any(|r| r.code == ReasonCode::FirstSeen), "{later:?}");

        let mut policy = Policy::default();
        policy.familiarity.first_seen_automation = MatchAction::Score(5);
        let engine = Engine::new(policy).unwrap();
        let d = engine.evaluate(&first_login(CHROME_UA, PYTHON_JA4));
        let r = d.reasons.iter().find(|r| r.code == ReasonCode::FirstSeen).unwrap();
        assert_eq!((r.points, r.action), (5, None));
    }

    #[test]
    fn automation_from_a_client_an_account_with_history_never_used_is_challenged() {
        let engine = Engine::new(Policy::default()).unwrap();
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let home = first_login(CHROME_UA, CHROME_JA4)
            .with_asn(Asn(3_320))
            .with_device("laptop")
            .with_ip(ip("81.2.3.7"));
        for _ in 0..3 {
            engine.record(&Outcome::succeeded(home.clone()));
        }
        // A script with the right password, from a hosting network: the
        // history cannot vouch for it, so its evidence decides.
        let bot = engine.evaluate(&first_login(CHROME_UA, PYTHON_JA4).with_ip(ip("198.51.100.9")));
        assert_eq!(bot.action, Action::Challenge, "{bot:?}");
        let r = bot.reasons.iter().find(|r| r.code == ReasonCode::NewClientAutomation).unwrap();
        assert_eq!(r.rule.as_deref(), Some("familiarity.first_seen_automation"));
        assert!(r.detail.starts_with("3 logins on record"), "{}", r.detail);
        let automated = |d: &crate::Decision| d.reasons.iter().any(|r| r.code == ReasonCode::NewClientAutomation);
        // The same script on the account's own line (a carrier's CGNAT
        // range is shared): the network vouches for nothing here.
        let cgnat = first_login(CHROME_UA, PYTHON_JA4)
            .with_asn(Asn(3_320))
            .with_ip(ip("81.2.3.9"));
        let on_line = engine.evaluate(&cgnat);
        assert!(automated(&on_line), "{on_line:?}");
        // The owner's own script, once it passed a step-up, is a client the
        // account used.
        engine.record(&Outcome::succeeded(cgnat.clone()));
        assert!(!automated(&engine.evaluate(&cgnat)));
        // A new phone elsewhere shows no automation: not this rule's.
        let phone = first_login(CHROME_UA, CHROME_JA4)
            .with_asn(Asn(3_320))
            .with_device("phone")
            .with_ip(ip("203.0.113.5"));
        assert!(!automated(&engine.evaluate(&phone)));
    }

    #[test]
    fn a_first_seen_account_on_a_rare_client_scores_a_share_of_the_points() {
        let mut policy = Policy::default();
        policy.familiarity.first_seen_percent = 25;
        let engine = Engine::new(policy).unwrap();
        // Some common traffic so that shares mean something.
        for i in 0..100 {
            let e = Event::new(EventKind::Login, Timestamp::EPOCH)
                .with_user(format!("u{i}"))
                .with_country("DE".parse::<Country>().unwrap())
                .with_asn(Asn(3_320))
                .with_user_agent(CHROME_UA)
                .with_ja4(CHROME_JA4.parse().unwrap());
            engine.record(&Outcome::succeeded(e));
        }
        let rare = Event::new(EventKind::Login, Timestamp::EPOCH)
            .with_user("newcomer")
            .with_country("BR".parse::<Country>().unwrap())
            .with_asn(Asn(28_573))
            .with_user_agent(CHROME_UA)
            .with_ja4(CHROME_JA4.parse().unwrap());
        let d = engine.evaluate(&rare);
        let points = |code| d.reasons.iter().find(|r| r.code == code).map(|r| r.points);
        // 25 % of 25 and of 15 for a country and network nobody uses.
        assert_eq!(points(ReasonCode::NewCountry), Some(6));
        assert_eq!(points(ReasonCode::NewAsn), Some(4));
        // The browser everyone uses adds nothing.
        assert_eq!(points(ReasonCode::NewFingerprint), None);
        assert!(d.is_allow(), "{d:?}");
    }
}
