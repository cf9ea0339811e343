//! `tollgate simulate`: the front of [`tollgate_sim`]. It loads the policy,
//! shows progress on stderr and prints the report on stdout; the traffic,
//! the replay and the report are the library's.

use std::io::Write;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use tollgate::Engine;
use tollgate_sim::{BrowserRelease, Handshake, Header, Imported, Progress, StoreFigures, Traffic};

use crate::error::CliError;
use crate::policy_cmd;

pub(crate) use tollgate_sim::MAX_EVENTS;

/// How the run's traffic departs from the seed's plain day.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Shape<'a> {
    /// The browser-release drift from that hour with that handshake (see
    /// [`Traffic::browser_release`]).
    pub(crate) release: Option<(u8, Handshake)>,
    /// The one attack scenario kept ([`Traffic::alone`]).
    pub(crate) alone: Option<&'a str>,
    /// Days of history before the day ([`Traffic::history_days`]).
    pub(crate) history_days: u64,
    /// Events carry the service's word on their device
    /// ([`Traffic::host_known_devices`]).
    pub(crate) host_known_devices: bool,
    /// Days of login log imported before the warm-up
    /// ([`Traffic::import_days`]).
    pub(crate) imported_days: u64,
}

/// Runs the simulation of `seed`'s day, shaped as `shape` says.
pub(crate) fn run(seed: u64, events: u64, policy_path: Option<&Path>, shape: Shape<'_>) -> Result<(), CliError> {
    let Shape {
        release,
        alone,
        history_days,
        host_known_devices,
        imported_days,
    } = shape;
    let policy = policy_cmd::load(policy_path)?;
    let rules = policy.limits.len();
    // A key seed from the run's seed: which keys the store evicts at its cap
    // depends on key hashes, and the same seed must give the same table.
    let engine = Engine::builder(policy)
        .key_seed(seed)
        .build()
        .map_err(CliError::Engine)?;
    let spinner = ProgressBar::new_spinner().with_message("generating traffic");
    spinner.tick();
    let mut traffic = Traffic::generate(seed, events)?;
    let browser_release = release.map(|(hour, handshake)| BrowserRelease {
        from_hour: hour,
        handshake,
        moved: traffic.browser_release(hour, handshake),
    });
    if let Some(name) = alone {
        traffic.alone(name)?;
    }
    traffic.history_days(history_days)?;
    let (outcomes, logins) = traffic.import_days(imported_days)?;
    if host_known_devices {
        traffic.host_known_devices();
    }
    spinner.finish_and_clear();
    let tallies = traffic.replay(&engine, &mut Bar(None));
    let policy_name = policy_path.map_or_else(|| "built-in default".to_string(), |p| p.display().to_string());
    let header = Header {
        seed,
        requested: events,
        generated: traffic.len(),
        people: traffic.people(),
        policy: &policy_name,
        rules,
        store: StoreFigures::of(engine.store()),
        warm_up: traffic.day_before_len(),
        warm_up_days: traffic.history_len_days(),
        browser_release,
        alone,
        host_known_devices: traffic.vouches_for_devices(),
        imported: (imported_days > 0).then_some(Imported {
            days: imported_days,
            outcomes,
            logins,
        }),
    };
    let mut out = std::io::stdout().lock();
    tollgate_sim::write_report(&mut out, &header, &tallies)?;
    out.flush()?;
    Ok(())
}

/// The replay's progress bar on stderr, made when the replay starts.
struct Bar(Option<ProgressBar>);

impl Progress for Bar {
    fn start(&mut self, total: usize) {
        let bar = ProgressBar::new(total as u64);
        if let Ok(style) =
            ProgressStyle::with_template("simulating [{bar:40}] {human_pos}/{human_len} events, {eta} left")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        self.0 = Some(bar);
    }

    fn advance(&mut self, done: usize) {
        if let Some(bar) = &self.0 {
            bar.set_position(done as u64);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.0.take() {
            bar.finish_and_clear();
        }
    }
}
