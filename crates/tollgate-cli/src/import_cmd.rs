//! `tollgate import`: a service's login log into its deployment's Redis
//! store, or, without a store, a check of what would be imported.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tollgate::keys::KeySecret;
use tollgate::{Engine, LoginShares, Outcome};
use tollgate_cli::importing::{self, ImportFailure, ImportSummary};
use tollgate_redis::{Clock, RedisConfig, RedisStore};

use crate::error::CliError;
use crate::{policy_cmd, score};

/// Successful logins read ahead and learnt together, at most (a chunk
/// also ends with its UTC hour of the log: see
/// [`importing::import_batches`], why the store then holds what one login
/// after another would have written). The next chunk starts once this one
/// is in, so a failure leaves at most a chunk's logins in doubt, and
/// memory stays bounded whatever the log's size.
const CHUNK: usize = 1_024;

/// Accounts of a chunk under way at once, each with one call in flight on
/// the multiplexed connection. Redis runs an import call in about 45 µs,
/// so some 25 calls in flight keep it busy across a 1 ms round trip; 64
/// leave room for slower networks (18,595 logins at a 1.3 ms round trip:
/// 8.5 s with 16, 3.0 s with 64, 2.8 s with 256), and a call's wait
/// behind the others stays far inside `--timeout-ms`.
const IN_FLIGHT: usize = 64;

/// The environment variable holding the deployment's key secret: not an
/// argument, which every user of the machine could read in the process
/// list.
pub(crate) const SECRET_VAR: &str = "TOLLGATE_KEY_SECRET";

/// Where the log goes.
#[derive(Debug)]
pub(crate) struct Redis<'a> {
    /// Server URL, or a cluster's seed nodes separated by commas.
    pub(crate) url: &'a str,
    pub(crate) cluster: bool,
    pub(crate) prefix: Option<&'a str>,
    pub(crate) timeout: Duration,
}

/// What to import besides the successful logins.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Also {
    /// The log holds every login outcome of its period: seed attack mode's
    /// baselines from their shares.
    pub(crate) baselines: bool,
}

pub(crate) fn run(
    policy: Option<&Path>,
    input: &Path,
    redis: Option<Redis<'_>>,
    also: Also,
) -> Result<ExitCode, CliError> {
    let policy = policy_cmd::load(policy)?;
    let (name, reader) = score::open(input)?;
    let report = |m: &importing::Malformed| {
        let _ = writeln!(io::stderr(), "error: {name}: {m}");
    };
    let mut shares = LoginShares::default();
    let (summary, seeded, wrote) = match redis {
        None => {
            let engine = Engine::new(policy).map_err(CliError::Engine)?;
            let learn = |e: &tollgate::Event| engine.import_login(e).map_err(|e| e.to_string());
            let tally = |o: &Outcome| engine.tally_login(&mut shares, o);
            let summary = importing::import(reader, learn, tally, report);
            let seeded = (also.baselines && summary.is_ok()).then(|| engine.import_baselines(&shares));
            (summary, seeded, false)
        }
        Some(target) => {
            let secret = secret()?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| CliError::Input(format!("cannot start the I/O runtime: {e}")))?;
            let store = runtime
                .block_on(RedisStore::connect(config(&target)?))
                .map_err(|e| CliError::Input(format!("redis: {e}")))?;
            let engine = Engine::builder(policy)
                .store(store)
                .key_secret(secret)
                .build()
                .map_err(CliError::Engine)?;
            // Two round trips a login (the account's history first, to
            // count it as a stranger or not in the settled-site series),
            // so one login after another waits on the network for hours
            // over a large log: a chunk's accounts run side by side on the
            // multiplexed connection, each account's logins in log order.
            let learn =
                |batch: &[importing::Login]| runtime.block_on(importing::learn_by_account(&engine, batch, IN_FLIGHT));
            let tally = |o: &Outcome| engine.tally_login(&mut shares, o);
            let summary = importing::import_batches(reader, CHUNK, learn, tally, report);
            // After a failed import the tally holds part of the log (and a
            // failed store would fail this write too, hiding the line to
            // rerun from): no baselines from it.
            let seeded = match (also.baselines && summary.is_ok(), shares.newest()) {
                (true, Some(at)) => {
                    let ops = engine.import_baselines_ops(&shares);
                    let mut results = vec![tollgate::store::OpResult::Done; ops.len()];
                    runtime
                        .block_on(engine.store().execute(at, &ops, &mut results))
                        .map_err(|e| CliError::Input(format!("attack mode's baselines: {e}")))?;
                    Some(ops.len())
                }
                (true, None) => Some(0),
                (false, _) => None,
            };
            (summary, seeded, true)
        }
    };
    let summary = summary.map_err(|e| match e {
        ImportFailure::Read(source) => CliError::Read { path: name, source },
        learn @ ImportFailure::Learn { .. } => CliError::Input(learn.to_string()),
    })?;
    let _ = writeln!(io::stderr(), "{}", describe(&summary, wrote));
    if let Some(scopes) = seeded {
        let _ = writeln!(
            io::stderr(),
            "attack mode's baselines: {scopes} scopes (the site, its countries and networks with enough logins) from {} login outcomes",
            shares.logins()
        );
    }
    Ok(if summary.malformed > 0 {
        ExitCode::from(score::MALFORMED_INPUT)
    } else {
        ExitCode::SUCCESS
    })
}

/// The store's settings: event time, so each login counts as of its own
/// time and ages out as it would have live.
fn config(target: &Redis<'_>) -> Result<RedisConfig, CliError> {
    let config = if target.cluster {
        RedisConfig::cluster(target.url.split(',').map(str::trim))
    } else {
        RedisConfig::new(target.url)
    };
    let config = match target.prefix {
        Some(prefix) => config.prefix(prefix),
        None => config,
    };
    Ok(config.clock(Clock::Event).timeout(target.timeout))
}

fn secret() -> Result<KeySecret, CliError> {
    let value = std::env::var(SECRET_VAR).map_err(|_| {
        CliError::Input(format!(
            "{SECRET_VAR} is not set: history lives under keys derived from the deployment's key secret (32 hex digits)"
        ))
    })?;
    value
        .trim()
        .parse()
        .map_err(|e| CliError::Input(format!("{SECRET_VAR}: {e}")))
}

fn describe(s: &ImportSummary, wrote: bool) -> String {
    let verb = if wrote {
        "imported"
    } else {
        "would import (no --redis: nothing written)"
    };
    let mut out = format!("{verb} {} successful logins", s.imported);
    if let Some((first, last)) = s.span {
        let (first, last) = (first.as_unix_millis(), last.as_unix_millis());
        let days = last.saturating_sub(first) as f64 / 86_400_000.0;
        out += &format!(" over {days:.1} days (Unix ms {first} to {last})");
    }
    out += &format!("; skipped {} other outcomes", s.skipped);
    if s.malformed > 0 {
        out += &format!("; {} lines not imported (above)", s.malformed);
    }
    if s.out_of_order > 0 {
        out += &format!(
            "; warning: {} logins came after newer ones (import oldest first)",
            s.out_of_order
        );
    }
    out
}
