//! `tollgate score`: the files, stdout and stderr around
//! [`tollgate_cli::scoring::score`], and the exit code.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::ExitCode;

use tollgate::Engine;
use tollgate_cli::scoring::{self, Show};

use crate::error::CliError;
use crate::policy_cmd;

/// The input's name for messages, and a reader of it: a file, or stdin
/// for `-`.
pub(crate) fn open(input: &Path) -> Result<(String, Box<dyn BufRead>), CliError> {
    if input == Path::new("-") {
        return Ok(("stdin".to_string(), Box::new(io::stdin().lock())));
    }
    let name = input.display().to_string();
    let file = File::open(input).map_err(|source| CliError::Read {
        path: name.clone(),
        source,
    })?;
    Ok((name, Box::new(BufReader::new(file))))
}

/// Exit code when some input could not be read as records: distinct from
/// 1 (the command itself failed) so scripts can tell partial from no output.
pub(crate) const MALFORMED_INPUT: u8 = 2;

pub(crate) fn run(policy: Option<&Path>, input: &Path, show: Show) -> Result<ExitCode, CliError> {
    let engine = Engine::new(policy_cmd::load(policy)?).map_err(CliError::Engine)?;
    let (name, reader) = open(input)?;
    // Stdout is line-buffered, so a decision appears as soon as its event
    // is read when events are piped in live.
    let mut out = io::stdout().lock();
    let report = |m: &scoring::Malformed| {
        // Unlike eprintln!, a closed stderr must not stop the scoring.
        let _ = writeln!(io::stderr(), "error: {name}: {m}");
    };
    let summary = scoring::score(&engine, reader, &mut out, show, report).map_err(|e| match e {
        scoring::ScoreError::Read(source) => CliError::Read {
            path: name.clone(),
            source,
        },
        scoring::ScoreError::Write(e) => CliError::Write(e),
    })?;
    if summary.replayed > 0 {
        let _ = writeln!(
            io::stderr(),
            "replayed {} decision-log lines: {} with another action",
            summary.replayed,
            summary.changed
        );
    }
    Ok(if summary.malformed > 0 {
        ExitCode::from(MALFORMED_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}
