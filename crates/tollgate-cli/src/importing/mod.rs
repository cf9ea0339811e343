//! The loop of `tollgate import`: read a service's log of login outcomes
//! (the JSON lines `tollgate score` reads), hand its successful logins to
//! a learning step, and count the rest. The binary adds the store, the
//! files and the exit code.
//!
//! In process, [`import`] hands each login to
//! [`Engine::import_login`](tollgate::Engine::import_login) as it is read:
//!
//! ```
//! use tollgate::Engine;
//! use tollgate::policy::Policy;
//! use tollgate_cli::importing::import;
//!
//! let engine = Engine::new(Policy::default())?;
//! let log = br#"{"kind":"login","at":1700000000000,"user":"alice","device":"d1","outcome":"succeeded"}
//! {"kind":"login","at":1700000060000,"user":"bob","outcome":"failed"}"#;
//! let learn = |e: &tollgate::Event| engine.import_login(e).map_err(|e| e.to_string());
//! let summary = import(&log[..], learn, |_| {}, |_| {})?;
//! assert_eq!((summary.imported, summary.skipped), (1, 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Over a networked store each login costs two round trips (the account's
//! history, then the writes): one login after another, a large log takes
//! hours. [`import_batches`] hands the logins over in batches instead, and
//! [`learn_by_account`] runs a batch's accounts concurrently, each
//! account's logins one after another in log order:
//!
//! ```
//! use tollgate::Engine;
//! use tollgate::policy::Policy;
//! use tollgate_cli::importing::{Login, import_batches, learn_by_account};
//!
//! // Any `AsyncStore`: `tollgate import` gives it Redis.
//! let engine = Engine::new(Policy::default())?;
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! let log = br#"{"kind":"login","at":1700000000000,"user":"alice","device":"d1","outcome":"succeeded"}
//! {"kind":"login","at":1700000030000,"user":"bob","device":"d2","outcome":"succeeded"}
//! {"kind":"login","at":1700000060000,"user":"alice","device":"d3","outcome":"succeeded"}"#;
//! let learn = |batch: &[Login]| runtime.block_on(learn_by_account(&engine, batch, 64));
//! let summary = import_batches(&log[..], 1_024, learn, |_| {}, |_| {})?;
//! assert_eq!(summary.imported, 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, BufRead};

use tollgate::{Event, EventType, Outcome, OutcomeResult, Record, Timestamp};

use crate::records::{Entry, Records};

pub use crate::records::Malformed;

/// What [`import`] or [`import_batches`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Successful logins learnt.
    pub imported: u64,
    /// Outcomes that are no successful login (failed logins, unknown
    /// usernames, other steps): a log may hold them, and they teach
    /// nothing.
    pub skipped: u64,
    /// Lines that are no outcome report, or a successful login the engine
    /// refused (each also given to `malformed`).
    pub malformed: u64,
    /// Logins older than one imported before them: the log is not in time
    /// order, and windowed counts may have let their weight go early.
    pub out_of_order: u64,
    /// The oldest and newest logins learnt.
    pub span: Option<(Timestamp, Timestamp)>,
}

/// Why [`import`] or [`import_batches`] stopped before the end of its
/// input.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// Reading the input failed (the logins read before are in).
    #[error("cannot read input: {0}")]
    Read(#[source] io::Error),
    /// The learning step failed (the store, for one): the successful
    /// logins before `line` are in; from `line` on, some may be missing.
    #[error(
        "stopped: {message}; the successful logins before line {line} are in, from line {line} on some may be missing"
    )]
    Learn {
        /// The line of the first login that may be missing.
        line: usize,
        /// What the learning step said.
        message: String,
    },
}

/// A successful login of the log, as [`import_batches`] hands it over.
#[derive(Clone, Debug)]
pub struct Login {
    /// The line the import names it by (of a record spread over several
    /// lines, its last).
    pub line: usize,
    /// The login, naming a user.
    pub event: Event,
}

/// Why a learning step stopped inside a batch of [`Login`]s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    /// The first login of the batch (its index) that may not be in:
    /// every login before it is.
    pub missing_from: usize,
    /// What failed.
    pub message: String,
}

/// Reads `input` and hands every reported successful login to `learn`:
/// lines of the form `{"kind":"login", ..., "outcome":"succeeded"}`.
/// `learn` answers `Err` with a message to stop the import (a store that
/// fails); a login the engine refuses (one naming no user) is reported to
/// `malformed` and the import goes on. Every login outcome, whatever its
/// result, also goes to `every_login` (for
/// [`Engine::tally_login`](tollgate::Engine::tally_login)).
pub fn import(
    input: impl BufRead,
    mut learn: impl FnMut(&Event) -> Result<(), String>,
    every_login: impl FnMut(&Outcome),
    malformed: impl FnMut(&Malformed),
) -> Result<ImportSummary, ImportFailure> {
    // Batches of one: learning keeps up with reading, so a failure stops
    // the import before any later line is read or reported.
    let learn_batch = |batch: &[Login]| {
        for (index, login) in batch.iter().enumerate() {
            learn(&login.event).map_err(|message| Stopped {
                missing_from: index,
                message,
            })?;
        }
        Ok(())
    };
    import_batches(input, 1, learn_batch, every_login, malformed)
}

/// [`import`], handing the successful logins to `learn_batch` in batches,
/// in log order, the next one only once the previous one is in. A batch
/// holds up to `batch_size` logins (at least one), all of one UTC hour: a
/// learning step may then take a batch's logins of different accounts in
/// any order ([`learn_by_account`]) and still leave what one login after
/// another would. Such logins meet only in windowed counters (the settled
/// site's daily series, familiarity's global shares, learned browsers'
/// evidence), whose windows are whole hours counted from the epoch: within
/// a window additions commute, while a login arriving after its counter
/// moved on to a newer window would count in the newer one. Bounded
/// lists are the exception: a full list (a learned browser's accounts, a
/// distinct set past its exact range) may keep other members than one
/// login after another would.
///
/// A batch the learning step could not finish stops the import at the
/// first login it reports ([`Stopped::missing_from`]). Outcomes are
/// counted and reported as they are read, so lines up to a batch past a
/// failure may already have gone to `every_login` and `malformed`.
pub fn import_batches(
    input: impl BufRead,
    batch_size: usize,
    mut learn_batch: impl FnMut(&[Login]) -> Result<(), Stopped>,
    mut every_login: impl FnMut(&Outcome),
    mut malformed: impl FnMut(&Malformed),
) -> Result<ImportSummary, ImportFailure> {
    let batch_size = batch_size.max(1);
    let mut summary = ImportSummary::default();
    let mut batch = Vec::with_capacity(batch_size);
    let mut records = Records::new(input);
    while let Some(entry) = records.next() {
        let line = records.lines_read();
        let refuse = |message: &str| Malformed {
            line,
            column: None,
            message: message.to_string(),
        };
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                // What was read before the failure goes in first, as it
                // would one login at a time.
                hand_over(&mut batch, &mut learn_batch)?;
                return Err(ImportFailure::Read(e));
            }
        };
        let problem = match entry {
            Entry::Malformed(m) => Some(m),
            Entry::Logged(_) => Some(refuse("a decision-log line: only outcome reports are imported")),
            Entry::Record(record) => match *record {
                Record::Event(_) => Some(refuse(
                    "an event without an outcome: only reported successful logins are imported",
                )),
                Record::Outcome(outcome) => {
                    let login = outcome.event.kind.event_type() == EventType::Login;
                    if login {
                        every_login(&outcome);
                    }
                    let event = outcome.event;
                    if !login || outcome.result != OutcomeResult::Succeeded {
                        summary.skipped += 1;
                        None
                    } else if event.user.is_none() {
                        Some(refuse("the login names no user"))
                    } else {
                        summary.note(event.at);
                        let hour = utc_hour(event.at);
                        if batch
                            .first()
                            .is_some_and(|first: &Login| utc_hour(first.event.at) != hour)
                        {
                            hand_over(&mut batch, &mut learn_batch)?;
                        }
                        batch.push(Login { line, event });
                        if batch.len() >= batch_size {
                            hand_over(&mut batch, &mut learn_batch)?;
                        }
                        None
                    }
                }
            },
        };
        if let Some(m) = problem {
            summary.malformed += 1;
            malformed(&m);
        }
    }
    hand_over(&mut batch, &mut learn_batch)?;
    Ok(summary)
}

fn utc_hour(at: Timestamp) -> u64 {
    at.as_unix_millis() / 3_600_000
}

/// Hands `batch` to `learn_batch` and empties it.
fn hand_over(
    batch: &mut Vec<Login>,
    learn_batch: &mut impl FnMut(&[Login]) -> Result<(), Stopped>,
) -> Result<(), ImportFailure> {
    if batch.is_empty() {
        return Ok(());
    }
    if let Err(Stopped { missing_from, message }) = learn_batch(batch) {
        // An index past the end (a step that failed after its last login)
        // still names a line: the batch's last.
        let line = batch.get(missing_from).or(batch.last()).map_or(0, |l| l.line);
        return Err(ImportFailure::Learn { line, message });
    }
    batch.clear();
    Ok(())
}

impl ImportSummary {
    fn note(&mut self, at: Timestamp) {
        self.imported += 1;
        self.span = match self.span {
            None => Some((at, at)),
            Some((first, last)) => {
                if at < last {
                    self.out_of_order += 1;
                }
                Some((first.min(at), last.max(at)))
            }
        };
    }
}

mod accounts;
#[cfg(test)]
mod tests;

pub use accounts::learn_by_account;
