//! The report's first lines (what the run was asked to do) and its last
//! (what the engine's store held).

use std::io::{self, Write};

use tollgate::store::MemoryStore;

use super::report::group;

/// What the run was asked to do, for the report's first lines.
#[derive(Debug)]
pub struct Header<'a> {
    /// The traffic's seed.
    pub seed: u64,
    /// The events asked for.
    pub requested: u64,
    /// The events generated ([`Traffic::len`](crate::Traffic::len)).
    pub generated: usize,
    /// People in the legitimate population ([`Traffic::people`](crate::Traffic::people)).
    pub people: u32,
    /// The policy's name: its file, or the built-in default.
    pub policy: &'a str,
    /// The policy's limit rules.
    pub rules: usize,
    /// The engine's store after the run.
    pub store: StoreFigures,
    /// Events of the warm-up days replayed before the simulated one and
    /// left out of the figures ([`Traffic::day_before_len`](crate::Traffic::day_before_len)).
    pub warm_up: usize,
    /// How many days those were ([`Traffic::history_len_days`](crate::Traffic::history_len_days)).
    pub warm_up_days: u64,
    /// The browser-release drift, if the run applied it.
    pub browser_release: Option<BrowserRelease>,
    /// The one attack scenario kept, if the run dropped the others
    /// ([`Traffic::alone`](crate::Traffic::alone)).
    pub alone: Option<&'a str>,
    /// Events carried the service's word on their device
    /// ([`Traffic::host_known_devices`](crate::Traffic::host_known_devices)).
    pub host_known_devices: bool,
    /// The service's login log imported before the warm-up, if the run
    /// imported one ([`Traffic::import_days`](crate::Traffic::import_days)).
    pub imported: Option<Imported>,
}

/// A login log imported before the warm-up, for the report's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Imported {
    /// The days of log.
    pub days: u64,
    /// The login outcomes in them, whose shares seeded attack mode's
    /// baselines.
    pub outcomes: usize,
    /// The successful logins among them, which familiarity learnt.
    pub logins: usize,
}

/// A browser-release drift applied to a run, for the report's header
/// (see [`Traffic::browser_release`](crate::Traffic::browser_release)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrowserRelease {
    /// The hour (UTC) from which half the legitimate browsers run the release.
    pub from_hour: u8,
    /// What events carry of the handshake.
    pub handshake: crate::Handshake,
    /// Legitimate events moved to the release.
    pub moved: u64,
}

/// What the engine's in-process store held after the run, and what its
/// key cap made it forget: a run whose store dropped live state measured
/// a forgetful engine, not the policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreFigures {
    /// Keys tracked at the end.
    pub keys: usize,
    /// The store's cap on keys.
    pub max_keys: usize,
    /// Times the store reached its cap and swept.
    pub sweeps: u64,
    /// Keys those sweeps dropped whose state had gone idle.
    pub evicted_idle: u64,
    /// Keys those sweeps dropped while their state still mattered.
    pub evicted_live: u64,
}

impl StoreFigures {
    /// The figures of `store` now.
    pub fn of(store: &MemoryStore) -> StoreFigures {
        StoreFigures {
            keys: store.len(),
            max_keys: store.max_keys(),
            sweeps: store.sweeps(),
            evicted_idle: store.evicted_idle(),
            evicted_live: store.evicted_live(),
        }
    }

    pub(crate) fn write(&self, out: &mut impl Write) -> io::Result<()> {
        write!(
            out,
            "engine store: {} keys tracked at the end (cap {})",
            group(self.keys as u64),
            group(self.max_keys as u64)
        )?;
        if self.sweeps > 0 {
            write!(
                out,
                "; {} {} at the cap dropped {} idle keys and {} live ones",
                group(self.sweeps),
                if self.sweeps == 1 { "sweep" } else { "sweeps" },
                group(self.evicted_idle),
                group(self.evicted_live)
            )?;
        }
        if self.evicted_live > 0 {
            write!(out, " (state still in use: the engine forgot it; raise the cap)")?;
        }
        writeln!(out)
    }
}

/// Writes what the run was asked to do.
pub(crate) fn write(out: &mut impl Write, header: &Header<'_>) -> io::Result<()> {
    writeln!(
        out,
        "seed {}, {} events requested, {} generated over 24 h from 2024-03-04T00:00Z by {} people and {} attack scenarios",
        header.seed,
        group(header.requested),
        group(header.generated as u64),
        group(u64::from(header.people)),
        crate::traffic::Scenario::ALL.iter().filter(|s| s.is_attack()).count(),
    )?;
    if header.warm_up_days == 0 {
        let store = if header.imported.is_some() {
            "only the imported log below"
        } else {
            "an empty store"
        };
        writeln!(
            out,
            "warm-up: none; the engine meets the day with {store}, as on a deployment's first day"
        )?;
    } else {
        writeln!(
            out,
            "warm-up: the members' {} {} before ({} legitimate events from {}) ran first, not counted below",
            header.warm_up_days,
            if header.warm_up_days == 1 { "day" } else { "days" },
            group(header.warm_up as u64),
            crate::traffic::days_before(header.warm_up_days)
        )?;
    }
    if let Some(log) = header.imported {
        writeln!(
            out,
            "imported: {} {} of the service's login log before that (time, account, address, device cookie, user agent, outcome): {} successful logins with Engine::import_login, the shares of all {} as attack mode's baselines with Engine::import_baselines",
            log.days,
            if log.days == 1 { "day" } else { "days" },
            group(log.logins as u64),
            group(log.outcomes as u64),
        )?;
    }
    if let Some(release) = header.browser_release {
        let carried = match release.handshake {
            crate::Handshake::Shape => "handshake structure and JA4",
            crate::Handshake::Ja4Only => "JA4 only",
        };
        writeln!(
            out,
            "browser release: from {:02}:00 UTC half the legitimate browsers run a release no table lists ({} events moved; events carry the {carried})",
            release.from_hour,
            group(release.moved)
        )?;
    }
    if header.host_known_devices {
        writeln!(
            out,
            "host-known devices: events carry the service's word that a member's device signed in to their account before (in the whole week, seen by the engine or not)"
        )?;
    }
    if let Some(name) = header.alone {
        writeln!(
            out,
            "alone: {name} is the only attack in this run; the other scenarios' rows are empty"
        )?;
    }
    writeln!(out, "policy: {} ({} limit rules)", header.policy, header.rules)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(figures: StoreFigures) -> String {
        let mut out = Vec::new();
        figures.write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_store_line_says_what_the_cap_made_the_engine_forget() {
        let quiet = StoreFigures {
            keys: 1_234,
            max_keys: 10_000,
            ..StoreFigures::default()
        };
        assert_eq!(
            line(quiet),
            "engine store: 1,234 keys tracked at the end (cap 10,000)\n"
        );
        let swept = StoreFigures {
            sweeps: 1,
            evicted_idle: 2_500,
            ..quiet
        };
        assert!(line(swept).ends_with("; 1 sweep at the cap dropped 2,500 idle keys and 0 live ones\n"));
        let forgetful = StoreFigures {
            sweeps: 3,
            evicted_live: 7,
            ..swept
        };
        assert!(line(forgetful).contains("3 sweeps"));
        assert!(line(forgetful).ends_with("7 live ones (state still in use: the engine forgot it; raise the cap)\n"));
    }
}
