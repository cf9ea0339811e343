//! The loop of `tollgate score`: read records, decide on events, feed
//! outcomes back, replay decision-log lines, write one JSON line per
//! decision. The binary adds the files, the exit code and stderr.
//!
//! ```
//! use tollgate::Engine;
//! use tollgate::policy::Policy;
//! use tollgate_cli::scoring::{Show, score};
//!
//! let engine = Engine::new(Policy::default())?;
//! let input = br#"{"kind":"login","at":1,"user":"alice"}"#;
//! let mut out = Vec::new();
//! let summary = score(&engine, &input[..], &mut out, Show::All, |_| {})?;
//! assert_eq!(summary.malformed, 0);
//! assert!(String::from_utf8(out)?.starts_with(r#"{"action":"allow""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, BufRead, Write};

use tollgate::{Engine, Record};

use crate::decided::Decided;
use crate::records::{Entry, Records};
use crate::replay::DecisionRecord;

pub use crate::records::Malformed;

/// Which replayed decision-log lines [`score`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    /// Every one.
    All,
    /// Only those whose action differs from the logged one.
    Changed,
}

/// Why [`score`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// Reading the input failed.
    #[error("cannot read input: {0}")]
    Read(#[source] io::Error),
    /// Writing a decision failed.
    #[error("cannot write output: {0}")]
    Write(#[source] io::Error),
}

/// What [`score`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Events decided (decision-log lines included).
    pub decided: usize,
    /// Decision-log lines replayed.
    pub replayed: usize,
    /// Replayed lines whose action differs from the logged one.
    pub changed: usize,
    /// Input that was not a record (each also given to `malformed`).
    pub malformed: usize,
}

/// Decides on every event of `input` with `engine` and writes each
/// decision to `out` as one JSON line: a plain event's as
/// [`Decision`](tollgate::Decision) serializes, a decision-log line's as
/// the same [`DecisionRecord`] with the new decision and the logged one
/// ([`DecisionRecord::replayed`]), filtered by `show`. Outcome records
/// are fed back and write nothing; one without a decision of its own is
/// recorded with the latest decision made on an event of the same kind,
/// user, IP address, device id, phone number and user agent, as an
/// adapter records it (`docs/events.md#outcomes`). Input that is not a record goes to
/// `malformed` and the rest is still read; only I/O errors stop it.
pub fn score<S: tollgate::store::Store>(
    engine: &Engine<S>,
    input: impl BufRead,
    out: &mut impl Write,
    show: Show,
    mut malformed: impl FnMut(&Malformed),
) -> Result<Summary, ScoreError> {
    let mut summary = Summary::default();
    let mut decided = Decided::default();
    for entry in Records::new(input) {
        match entry.map_err(ScoreError::Read)? {
            Entry::Record(record) => match *record {
                Record::Event(event) => {
                    summary.decided += 1;
                    let decision = engine.evaluate(&event);
                    decided.remember(&event, &decision);
                    write_line(out, &decision)?;
                }
                Record::Outcome(outcome) => engine.record(&decided.attach(outcome)),
            },
            Entry::Logged(logged) => {
                summary.decided += 1;
                summary.replayed += 1;
                let decision = engine.evaluate(&logged.event);
                decided.remember(&logged.event, &decision);
                let replayed = DecisionRecord::replayed(*logged, &decision);
                let changed = replayed.action() != replayed.logged_action();
                summary.changed += usize::from(changed);
                if show == Show::All || changed {
                    write_line(out, &replayed)?;
                }
            }
            Entry::Malformed(m) => {
                summary.malformed += 1;
                malformed(&m);
            }
        }
    }
    out.flush().map_err(ScoreError::Write)?;
    Ok(summary)
}

fn write_line(out: &mut impl Write, value: &impl serde::Serialize) -> Result<(), ScoreError> {
    serde_json::to_writer(&mut *out, value)
        .map_err(io::Error::from)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(ScoreError::Write)
}
