//! `tollgate score`: decide on events read as JSON and print each decision
//! as one JSON line; outcome records are fed back and print nothing.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

use tollgate::{Engine, Record};

use crate::error::CliError;
use crate::policy_cmd;
use crate::records::{Entry, Records};

/// Exit code when some input could not be read as records: distinct from
/// 1 (the command itself failed) so scripts can tell partial from no output.
const MALFORMED_INPUT: u8 = 2;

pub(crate) fn run(policy: Option<&Path>, input: &Path) -> Result<ExitCode, CliError> {
    let engine = Engine::new(policy_cmd::load(policy)?).map_err(CliError::Engine)?;
    let stdin = input == Path::new("-");
    let name = if stdin {
        "stdin".to_string()
    } else {
        input.display().to_string()
    };
    let reader: Box<dyn BufRead> = if stdin {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(input).map_err(|source| CliError::Read {
            path: name.clone(),
            source,
        })?;
        Box::new(BufReader::new(file))
    };
    // Stdout is line-buffered, so a decision appears as soon as its event
    // is read when events are piped in live.
    let mut out = io::stdout().lock();
    let mut malformed = 0usize;
    for entry in Records::new(reader) {
        let entry = entry.map_err(|source| CliError::Read {
            path: name.clone(),
            source,
        })?;
        match entry {
            Entry::Record(record) => match *record {
                Record::Event(event) => {
                    let decision = engine.evaluate(&event);
                    serde_json::to_writer(&mut out, &decision).map_err(io::Error::from)?;
                    out.write_all(b"\n")?;
                }
                Record::Outcome(outcome) => engine.record(&outcome),
            },
            Entry::Malformed(m) => {
                malformed += 1;
                // Unlike eprintln!, a closed stderr must not stop the scoring.
                let _ = writeln!(io::stderr(), "error: {name}: {m}");
            }
        }
    }
    out.flush()?;
    Ok(if malformed > 0 {
        ExitCode::from(MALFORMED_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}
