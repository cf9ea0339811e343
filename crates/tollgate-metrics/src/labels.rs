//! The label sets of the series, and the closed sets of values the
//! decision counters are indexed by.

use prometheus_client::encoding::EncodeLabelSet;
use std::sync::Arc;
use tollgate::{Action, EventType};

/// The actions by index, with a slot of its own for any action the core
/// adds later (counting it as one of the four would misreport it).
pub(crate) const ACTIONS: [&str; 5] = ["allow", "challenge", "throttle", "deny", "other"];

pub(crate) fn action_index(action: Action) -> usize {
    match action {
        Action::Allow => 0,
        Action::Challenge => 1,
        Action::Throttle { .. } => 2,
        Action::Deny => 3,
        _ => 4,
    }
}

pub(crate) fn event_index(event: EventType) -> usize {
    EventType::ALL.iter().position(|e| *e == event).unwrap_or(0)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct DecisionLabels {
    pub(crate) event: &'static str,
    pub(crate) action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct EventLabels {
    pub(crate) event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ReasonLabels {
    pub(crate) code: &'static str,
    pub(crate) rule: Arc<str>,
    pub(crate) mode: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct TransitionLabels {
    pub(crate) to: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct VersionLabels {
    pub(crate) version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ResultLabels {
    pub(crate) result: &'static str,
}
