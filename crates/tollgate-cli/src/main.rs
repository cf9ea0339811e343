//! `tollgate`: score events, print and check policies, look up addresses,
//! fingerprints and phone numbers, and simulate attack traffic against a
//! policy.
//!
//! This file holds the command-line grammar and the dispatch; each command
//! lives in its own module. Errors travel as [`CliError`] up to `main`,
//! which prints them as `error: ...` and turns them into an exit code, so no
//! input can make the binary panic.

mod error;
mod import_cmd;
mod ip_cmd;
mod ja4_cmd;
mod phone_cmd;
mod policy_cmd;
mod pwned_cmd;
mod score;
mod simulate;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use error::CliError;

/// Decide allow / challenge / throttle / deny for logins, sign-ups and OTP sends.
#[derive(Debug, Parser)]
#[command(name = "tollgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decide on JSON events (one object, or JSON lines) and print one decision per event.
    ///
    /// Lines carrying an `outcome` field ("failed" / "succeeded") are fed
    /// back to the engine and print nothing. Malformed lines are reported on
    /// stderr with their line number; the rest are still processed and the
    /// exit code is 2.
    ///
    /// Lines of a decision log (`--decision-log` of the example services:
    /// `{"event": ..., "decision": ...}`) are replayed: the event is decided
    /// again and the record printed with the new `decision` and the logged
    /// one as `logged` (docs/decision-log.md).
    Score {
        /// Policy file: TOML, or JSON when the name ends in `.json`. Default: the built-in policy.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Of replayed decision-log lines, print only those whose action
        /// differs from the logged one.
        #[arg(long)]
        changed: bool,
        /// Input file, or `-` for stdin.
        #[arg(value_name = "FILE", default_value = "-")]
        input: PathBuf,
    },
    /// Import a service's own log of successful logins into its
    /// deployment's Redis store before going live, so that members' devices
    /// and networks are familiar from the first day (docs/familiarity.md).
    ///
    /// Input: JSON lines as `tollgate score` reads them; lines reporting a
    /// successful login (`"kind":"login"`, `"outcome":"succeeded"`) are
    /// imported, other outcomes skipped, anything else reported. Oldest
    /// first. The key secret comes from the TOLLGATE_KEY_SECRET environment
    /// variable. Without --redis, checks the log and writes nothing.
    ///
    /// Logins of different accounts are written concurrently (up to 64
    /// accounts at a time, from at most 1,024 logins of one hour of the
    /// log), each account's in log order: the store ends up with the
    /// counts one login after another would write.
    Import {
        /// Policy file: TOML, or JSON when the name ends in `.json`. Default: the built-in policy.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// The deployment's Redis URL (`redis://` or `rediss://`), or with
        /// --cluster its seed nodes separated by commas.
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
        /// The URL names a Redis Cluster's seed nodes.
        #[arg(long, requires = "redis")]
        cluster: bool,
        /// The key prefix the deployment's store uses.
        #[arg(long, requires = "redis")]
        prefix: Option<String>,
        /// The log holds every login outcome of its period (successes,
        /// failures, unknown usernames as `unknown_user`): also store their
        /// shares as attack mode's baselines, so a new deployment calls a
        /// campaign from its first logins. Import just before going live:
        /// they last `campaign.baseline_hours`.
        #[arg(long)]
        baselines: bool,
        /// How long one store call may take, in milliseconds (a login
        /// makes two: its account's history, then its writes).
        #[arg(long, value_name = "MS", default_value_t = 2_000, requires = "redis")]
        timeout_ms: u64,
        /// Input file, or `-` for stdin.
        #[arg(value_name = "FILE", default_value = "-")]
        input: PathBuf,
    },
    /// Show what tollgate knows about an IP address: country, city, position,
    /// network and anonymizer flags from MaxMind-format databases, and the
    /// policy's zones it falls in (JSON).
    Ip {
        /// The address (IPv4 or IPv6).
        addr: String,
        /// A MaxMind-format database (City, Country, ASN, ISP, Anonymous-IP,
        /// Residential-Proxy ...); repeat for several.
        #[arg(long, value_name = "FILE")]
        mmdb: Vec<PathBuf>,
        /// Policy file whose zones to check. Default: the built-in policy.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// A blocklist the policy's zones name, as NAME=FILE (one CIDR or
        /// address per line, `#`/`;` comments); repeat for several.
        #[arg(long, value_name = "NAME=FILE")]
        list: Vec<String>,
    },
    /// Print the JA4, JA4_r and JA3 fingerprints of a TLS ClientHello (JSON).
    Ja4 {
        /// The ClientHello as hex: TLS records, or the handshake message starting with 01.
        #[arg(long, value_name = "HEX")]
        hex: String,
        /// The ClientHello came over QUIC (JA4 starts with q), not TCP.
        #[arg(long)]
        quic: bool,
    },
    /// Show what tollgate makes of a destination number: E.164 form,
    /// country, calling code and line type, risk tier, and whether a first
    /// OTP send on the channel is allowed under the policy (JSON).
    Phone {
        /// The number: E.164 (`+5351234567`), or national with --region.
        number: String,
        /// The channel of the send: sms, voice or whatsapp.
        #[arg(long, default_value = "sms")]
        channel: String,
        /// Country of a national-format number (ISO code, e.g. GB).
        #[arg(long, value_name = "CC")]
        region: Option<String>,
        /// Policy file: TOML, or JSON when the name ends in `.json`. Default: the built-in policy.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
    },
    /// Print the default policy or check a policy file.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Build or query an offline compromised-password filter (Have I Been Pwned corpus).
    Pwned {
        #[command(subcommand)]
        command: pwned_cmd::PwnedCommand,
    },
    /// Run seeded synthetic traffic (legitimate users, credential stuffing,
    /// SMS pumping) through a policy and report what it let through.
    Simulate {
        /// Seed for the traffic generator: the same seed gives the same traffic and counts.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Approximate number of events to generate over the simulated day.
        #[arg(long, default_value_t = 200_000, value_parser = clap::value_parser!(u64).range(0..=simulate::MAX_EVENTS))]
        events: u64,
        /// Policy file: TOML, or JSON when the name ends in `.json`. Default: the built-in policy.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// From this hour (UTC, 0 to 23) on, half the legitimate browsers run
        /// their next release, whose JA4 no table lists.
        #[arg(long, value_name = "HOUR", value_parser = clap::value_parser!(u8).range(0..=23))]
        browser_release: Option<u8>,
        /// With --browser-release: events carry the JA4 alone, not the
        /// handshake's structure (as behind a proxy that forwards nothing else).
        #[arg(long, requires = "browser_release")]
        ja4_only: bool,
        /// Keep one attack scenario (its name in the report, e.g. infostealer)
        /// beside the legitimate traffic and drop the other attacks: what it
        /// meets without the campaigns the others set off.
        #[arg(long, value_name = "SCENARIO")]
        alone: Option<String>,
        /// Days of the members' history the engine has seen before the day
        /// (0 to 7; 0: an empty store, as on a deployment's first day).
        #[arg(long, value_name = "DAYS", default_value_t = 7, value_parser = clap::value_parser!(u64).range(0..=7))]
        history_days: u64,
        /// Events carry the service's word that a member's device signed in
        /// to their account before (`host_known_device`), as a service with
        /// a remembered-devices table sends it: with --history-days, what a
        /// new deployment gains from it.
        #[arg(long)]
        host_known_devices: bool,
        /// Of the week before the day, the DAYS before those --history-days
        /// keeps come from the service's own log of successful logins
        /// (time, account, address, device cookie, user agent), imported
        /// with `Engine::import_login` before the warm-up: a new deployment
        /// that imported its login log
        #[arg(long, value_name = "DAYS", default_value_t = 0)]
        imported_days: u64,
    },
}

#[derive(Debug, Subcommand)]
enum PolicyCommand {
    /// Print the built-in default policy as TOML.
    Default,
    /// Validate a policy file and print how many limit rules it has.
    Check {
        /// Policy file: TOML, or JSON when the name ends in `.json`.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(CliError::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            // The reader went away (`tollgate score | head`): nothing left to say.
            ExitCode::SUCCESS
        }
        Err(e) => {
            // eprintln! would panic if stderr is a closed pipe.
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode, CliError> {
    match command {
        Command::Score { policy, changed, input } => {
            let show = if changed {
                tollgate_cli::scoring::Show::Changed
            } else {
                tollgate_cli::scoring::Show::All
            };
            score::run(policy.as_deref(), &input, show)
        }
        Command::Import {
            policy,
            redis,
            cluster,
            prefix,
            baselines,
            timeout_ms,
            input,
        } => {
            let target = redis.as_deref().map(|url| import_cmd::Redis {
                url,
                cluster,
                prefix: prefix.as_deref(),
                timeout: std::time::Duration::from_millis(timeout_ms),
            });
            import_cmd::run(policy.as_deref(), &input, target, import_cmd::Also { baselines })
        }
        Command::Ip {
            addr,
            mmdb,
            policy,
            list,
        } => ip_cmd::run(&addr, &mmdb, policy.as_deref(), &list).map(|()| ExitCode::SUCCESS),
        Command::Phone {
            number,
            channel,
            region,
            policy,
        } => phone_cmd::run(&number, &channel, region.as_deref(), policy.as_deref()).map(|()| ExitCode::SUCCESS),
        Command::Ja4 { hex, quic } => ja4_cmd::run(&hex, quic).map(|()| ExitCode::SUCCESS),
        Command::Policy {
            command: PolicyCommand::Default,
        } => policy_cmd::print_default().map(|()| ExitCode::SUCCESS),
        Command::Policy {
            command: PolicyCommand::Check { file },
        } => policy_cmd::check(&file).map(|()| ExitCode::SUCCESS),
        Command::Pwned { command } => pwned_cmd::run(command).map(|()| ExitCode::SUCCESS),
        Command::Simulate {
            seed,
            events,
            policy,
            browser_release,
            ja4_only,
            alone,
            history_days,
            host_known_devices,
            imported_days,
        } => {
            let release = browser_release.map(|hour| {
                let handshake = if ja4_only {
                    tollgate_sim::Handshake::Ja4Only
                } else {
                    tollgate_sim::Handshake::Shape
                };
                (hour, handshake)
            });
            let traffic = simulate::Shape {
                release,
                alone: alone.as_deref(),
                history_days,
                host_known_devices,
                imported_days,
            };
            simulate::run(seed, events, policy.as_deref(), traffic).map(|()| ExitCode::SUCCESS)
        }
    }
}
