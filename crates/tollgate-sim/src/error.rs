//! Why a simulation could not start.

/// Why a simulation could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The simulator's built-in tables are inconsistent: a bug, reported rather than panicking.
    #[error("simulator tables: {0}")]
    Tables(String),
    /// [`Traffic::history_days`](crate::Traffic::history_days) was asked for more days than are generated.
    #[error("{days} days of history asked for; the simulator generates {most}")]
    HistoryDays {
        /// The days asked for.
        days: u64,
        /// The most there are.
        most: u64,
    },
    /// [`Traffic::import_days`](crate::Traffic::import_days) was asked for more days than
    /// [`Traffic::history_days`](crate::Traffic::history_days) cut.
    #[error("{days} days of login log asked for; {most} days before the engine's history are left")]
    ImportDays {
        /// The days asked for.
        days: u64,
        /// The days cut from the engine's history.
        most: u64,
    },
    /// [`Traffic::alone`](crate::Traffic::alone) was given a name no attack scenario has.
    #[error("no attack scenario is named {name:?}; the attacks are: {known}")]
    UnknownScenario {
        /// The name given.
        name: String,
        /// The attack scenarios' names, comma-separated.
        known: String,
    },
}
