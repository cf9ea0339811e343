//! libphonenumber's regular expressions, compiled to dense DFAs.
//!
//! A dense DFA is searched through `&self` with no cache, so lookups from
//! many threads share it without a lock. The metadata's patterns only ever
//! see ASCII digits, so Unicode is off and the byte classes stay few.

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::start;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};

/// Several patterns matched together against a whole national number.
#[derive(Debug)]
pub(super) struct FullMatcher {
    dfa: dense::DFA<Vec<u32>>,
}

impl FullMatcher {
    /// Compiles `patterns`; pattern `i` is reported as bit `i`.
    pub(super) fn new(patterns: &[&str]) -> Option<FullMatcher> {
        if patterns.len() > 32 {
            return None;
        }
        let dfa = dense::Builder::new()
            .configure(
                dense::DFA::config()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored),
            )
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build_many(patterns)
            .ok()?;
        Some(FullMatcher { dfa })
    }

    /// A bit set of the patterns that match all of `digits`.
    ///
    /// The walk goes to the end of input and reads the final state: with
    /// `MatchKind::All` it holds every pattern whose match ends exactly
    /// there, and none that only matched a shorter prefix.
    pub(super) fn matches(&self, digits: &[u8]) -> u32 {
        let config = start::Config::new().anchored(Anchored::Yes);
        let Ok(mut state) = self.dfa.start_state(&config) else {
            return 0;
        };
        for &b in digits {
            state = self.dfa.next_state(state, b);
            if self.dfa.is_dead_state(state) {
                return 0;
            }
        }
        state = self.dfa.next_eoi_state(state);
        if !self.dfa.is_match_state(state) {
            return 0;
        }
        (0..self.dfa.match_len(state))
            .map(|i| self.dfa.match_pattern(state, i).as_u32())
            .filter(|&p| p < 32)
            .fold(0, |mask, p| mask | (1 << p))
    }

    /// Heap bytes held by the DFA.
    pub(super) fn memory_usage(&self) -> usize {
        self.dfa.memory_usage()
    }
}

/// One pattern matched at the start of a number, like Java's `lookingAt`.
#[derive(Debug)]
pub(super) struct PrefixMatcher {
    dfa: dense::DFA<Vec<u32>>,
}

impl PrefixMatcher {
    /// Compiles `pattern` with leftmost-first semantics, so alternatives are
    /// tried in order as libphonenumber's Java regexes do.
    pub(super) fn new(pattern: &str) -> Option<PrefixMatcher> {
        let dfa = dense::Builder::new()
            .configure(dense::DFA::config().start_kind(StartKind::Anchored))
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .build(pattern)
            .ok()?;
        Some(PrefixMatcher { dfa })
    }

    /// The length of the match at the start of `digits`, if there is one.
    pub(super) fn match_len(&self, digits: &[u8]) -> Option<usize> {
        let input = Input::new(digits).anchored(Anchored::Yes);
        self.dfa.try_search_fwd(&input).ok().flatten().map(|m| m.offset())
    }

    /// Heap bytes held by the DFA.
    pub(super) fn memory_usage(&self) -> usize {
        self.dfa.memory_usage()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_match_needs_the_whole_input() {
        let m = FullMatcher::new(&["12", "1\\d", "\\d{3}"]).unwrap();
        assert_eq!(m.matches(b"12"), 0b011);
        assert_eq!(m.matches(b"13"), 0b010);
        assert_eq!(m.matches(b"123"), 0b100);
        assert_eq!(m.matches(b"1"), 0);
        assert_eq!(m.matches(b""), 0);
        assert_eq!(m.matches(b"1234"), 0);
    }

    #[test]
    fn prefix_match_takes_alternatives_in_order() {
        let m = PrefixMatcher::new("0|180020").unwrap();
        assert_eq!(m.match_len(b"0123"), Some(1));
        assert_eq!(m.match_len(b"1800201"), Some(6));
        assert_eq!(m.match_len(b"1800"), None);
        let m = PrefixMatcher::new("0|80?").unwrap();
        assert_eq!(m.match_len(b"8012"), Some(2));
        assert_eq!(m.match_len(b"812"), Some(1));
    }

    #[test]
    fn bad_patterns_are_refused_not_panicked_on() {
        assert!(FullMatcher::new(&["(12"]).is_none());
        assert!(PrefixMatcher::new("[").is_none());
    }
}
