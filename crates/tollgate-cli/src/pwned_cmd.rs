//! `tollgate pwned build|check`: the offline compromised-password filter.
//!
//! `build` turns the Have I Been Pwned downloader output into a filter
//! file; `check` reads one password from stdin (never from the command
//! line, where `ps` and shell history would see it), hashes it, forgets
//! it and says whether the filter holds its SHA-1.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;
use serde_json::json;
use tollgate::password::PasswordSha1;
use tollgate_pwned::{Builder, FingerprintBits, PwnedFilter};

use crate::error::CliError;

#[derive(Debug, Subcommand)]
pub(crate) enum PwnedCommand {
    /// Build a filter file from `SHA1HEX:COUNT` lines (the HIBP downloader's
    /// output, sorted by hash) and print what went in (JSON).
    Build {
        /// The corpus, or `-` for stdin.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// The filter file to write (replaced atomically by rename).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Keep only hashes seen at least this many times.
        #[arg(long, value_name = "N", default_value_t = 1)]
        min_count: u64,
        /// Fingerprint bits: 8 (≈9 bits a key, ≈0.4 % false positives) or
        /// 16 (≈18 bits a key, ≈0.002 %).
        #[arg(long, default_value_t = 8)]
        bits: u8,
        /// Split into 2^N shards (0..=16); building holds one shard's keys.
        #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u8).range(0..=16))]
        shard_bits: u8,
    },
    /// Read one password from stdin and print whether the filter holds it (JSON).
    Check {
        /// A filter file written by `tollgate pwned build`.
        #[arg(long, value_name = "FILE")]
        filter: PathBuf,
    },
}

pub(crate) fn run(command: PwnedCommand) -> Result<(), CliError> {
    match command {
        PwnedCommand::Build {
            input,
            out,
            min_count,
            bits,
            shard_bits,
        } => build(&input, &out, min_count, bits, shard_bits),
        PwnedCommand::Check { filter } => check(&filter),
    }
}

fn build(input: &Path, out: &Path, min_count: u64, bits: u8, shard_bits: u8) -> Result<(), CliError> {
    let width = FingerprintBits::from_bits(bits).ok_or_else(|| CliError::Input("--bits: 8 or 16".to_owned()))?;
    let builder = Builder::new(width).min_count(min_count).shard_bits(shard_bits);
    let started = Instant::now();
    let stats = if input == Path::new("-") {
        builder.build_to_path(std::io::stdin().lock(), out)
    } else {
        let file = std::fs::File::open(input).map_err(|source| CliError::Read {
            path: input.display().to_string(),
            source,
        })?;
        builder.build_to_path(BufReader::with_capacity(1 << 20, file), out)
    }
    .map_err(|e| CliError::Input(format!("pwned build: {e}")))?;
    let bits_per_key = if stats.keys == 0 {
        0.0
    } else {
        stats.file_len as f64 * 8.0 / stats.keys as f64
    };
    print_json(&json!({
        "lines": stats.lines,
        "below_min_count": stats.below_min_count,
        "keys": stats.keys,
        "largest_shard": stats.largest_shard,
        "bytes": stats.file_len,
        "bits_per_key": bits_per_key,
        "fingerprint_bits": bits,
        "shards": 1u32 << shard_bits,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

fn check(filter_path: &Path) -> Result<(), CliError> {
    let filter =
        PwnedFilter::open(filter_path).map_err(|e| CliError::Input(format!("{}: {e}", filter_path.display())))?;
    let hash = read_password_hash()?;
    print_json(&json!({ "compromised": filter.contains(&hash) }))
}

/// Reads the first line of stdin, hashes it without its line ending and
/// overwrites the buffer. The error never quotes the input.
fn read_password_hash() -> Result<PasswordSha1, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|source| CliError::Read {
            path: "-".to_owned(),
            source,
        })?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    let result = if password.is_empty() {
        Err(CliError::Input("expected a password on stdin".to_owned()))
    } else {
        Ok(PasswordSha1::of(password))
    };
    let mut bytes = line.into_bytes();
    bytes.fill(0);
    std::hint::black_box(&bytes);
    result
}

fn print_json(value: &serde_json::Value) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, value).map_err(std::io::Error::from)?;
    writeln!(stdout)?;
    Ok(())
}
