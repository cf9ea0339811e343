//! The loop of `tollgate import`: read a service's log of login outcomes
//! (the JSON lines `tollgate score` reads), hand each successful login to
//! a learning step ([`Engine::import_login`](tollgate::Engine::import_login)
//! or its split form over a networked store), and count the rest. The
//! binary adds the store, the files and the exit code.
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

use std::io::{self, BufRead};

use tollgate::{Event, EventType, Outcome, OutcomeResult, Record, Timestamp};

use crate::records::{Entry, Records};

pub use crate::records::Malformed;

/// What [`import`] read.
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

/// Why [`import`] stopped before the end of its input.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// Reading the input failed.
    #[error("cannot read input: {0}")]
    Read(#[source] io::Error),
    /// The learning step failed (the store, for one) on a login read by
    /// `line`: the logins before it are in.
    #[error("stopped after line {line}: {message}")]
    Learn {
        /// Lines read when it failed.
        line: usize,
        /// What the learning step said.
        message: String,
    },
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
    mut every_login: impl FnMut(&Outcome),
    mut malformed: impl FnMut(&Malformed),
) -> Result<ImportSummary, ImportFailure> {
    let mut summary = ImportSummary::default();
    let mut records = Records::new(input);
    while let Some(entry) = records.next() {
        let line = records.lines_read();
        let refuse = |message: &str| Malformed {
            line,
            column: None,
            message: message.to_string(),
        };
        let problem = match entry.map_err(ImportFailure::Read)? {
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
                        learn(&event).map_err(|message| ImportFailure::Learn { line, message })?;
                        summary.note(event.at);
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
    Ok(summary)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
    use super::*;

    fn run(log: &str, fail_at: Option<u64>) -> (Result<ImportSummary, ImportFailure>, Vec<String>, Vec<String>) {
        let mut learnt = Vec::new();
        let mut problems = Vec::new();
        let mut logins = 0;
        let result = import(
            log.as_bytes(),
            |e| {
                if Some(e.at.as_unix_millis()) == fail_at {
                    return Err("store down".into());
                }
                learnt.push(e.user.as_ref().map(|u| u.as_str().to_string()).unwrap_or_default());
                Ok(())
            },
            |_| logins += 1,
            |m| problems.push(m.to_string()),
        );
        if fail_at.is_none() {
            assert_eq!(logins, 6, "every login outcome, the one naming no user too");
        }
        (result, learnt, problems)
    }

    const LOG: &str = r#"{"kind":"login","at":1000,"user":"alice","outcome":"succeeded"}
{"kind":"login","at":2000,"user":"bob","outcome":"failed"}
{"kind":"login","at":3000,"user":"nobody","outcome":"unknown_user"}
{"kind":"otp_send","at":4000,"user":"alice","phone":"+14155550100","channel":"sms","outcome":"succeeded"}
{"kind":"login","at":5000,"user":"carol","outcome":"succeeded"}
{"kind":"login","at":4500,"user":"dave","outcome":"succeeded"}
{"kind":"login","at":6000,"user":"erin"}
{"kind":"login","at":7000,"outcome":"succeeded"}
not json
"#;

    #[test]
    fn successful_logins_are_learnt_and_the_rest_counted() {
        let (result, learnt, problems) = run(LOG, None);
        let summary = result.unwrap();
        assert_eq!(learnt, ["alice", "carol", "dave"]);
        assert_eq!(summary.imported, 3);
        assert_eq!(summary.skipped, 3, "a failure, an unknown user, an OTP send");
        assert_eq!(summary.malformed, 3, "{problems:?}");
        assert!(problems[0].starts_with("line 7") && problems[0].contains("without an outcome"));
        assert!(problems[1].starts_with("line 8") && problems[1].contains("names no user"));
        assert!(problems[2].starts_with("line 9"));
        assert_eq!(summary.out_of_order, 1, "dave's login came after carol's newer one");
        let span = summary.span.map(|(a, b)| (a.as_unix_millis(), b.as_unix_millis()));
        assert_eq!(span, Some((1000, 5000)));
    }

    #[test]
    fn a_failing_store_stops_the_import_where_it_failed() {
        let (result, learnt, _) = run(LOG, Some(5000));
        assert_eq!(learnt, ["alice"]);
        match result {
            Err(ImportFailure::Learn { line, message }) => {
                assert_eq!((line, message.as_str()), (5, "store down"));
            }
            other => panic!("{other:?}"),
        }
    }
}
