//! The one error type every command returns, so `main` can report any
//! failure the same way.

use std::io;

use tollgate::policy::PolicyError;

/// Why a command could not finish.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// An input or policy file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file, or `-` for stdin.
        path: String,
        /// What went wrong.
        source: io::Error,
    },
    /// A policy file was read but is not a valid policy.
    #[error("{path}: {source}")]
    Policy {
        /// The policy file.
        path: String,
        /// The first problem, naming the offending field where it can.
        source: PolicyError,
    },
    /// The engine refused a policy, or the policy could not be written out.
    #[error("policy: {0}")]
    Engine(PolicyError),
    /// A command-line value or input file is unusable.
    #[error("{0}")]
    Input(String),
    /// Writing to stdout failed.
    #[error("cannot write output: {0}")]
    Write(#[from] io::Error),
    /// The simulator could not start.
    #[error(transparent)]
    Simulate(#[from] tollgate_sim::Error),
}
