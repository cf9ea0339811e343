//! libphonenumber's regular expressions, compiled to dense DFAs.
//!
//! A dense DFA is searched through `&self` with no cache, so lookups from
//! many threads share it without a lock. The metadata's patterns only ever
//! see ASCII digits, so Unicode is off and the byte classes stay few.
//!
//! ```
//! // Two threads classify through the same DFAs, no lock between them.
//! let n: tollgate::E164 = "+33612345678".parse()?;
//! let t = std::thread::spawn(move || tollgate::phone::classify(&n).number_type);
//! assert_eq!(t.join().ok(), Some(tollgate::phone::classify(&n).number_type));
//! # Ok::<(), tollgate::FieldError>(())
//! ```

use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::nfa::thompson::{self, pikevm::PikeVM};
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

/// A national prefix pattern with a transform rule (`9$1`, `1481$1`):
/// libphonenumber rewrites the start of the number instead of dropping it.
///
/// Only national input in the few regions with such a rule comes here, so a
/// PikeVM with a cache made per call (no shared state) is cheap enough.
#[derive(Debug)]
pub(super) struct Rewriter {
    vm: PikeVM,
    rule: &'static str,
}

impl Rewriter {
    pub(super) fn new(pattern: &str, rule: &'static str) -> Option<Rewriter> {
        let vm = PikeVM::builder()
            .syntax(syntax::Config::new().unicode(false).utf8(false))
            .thompson(thompson::Config::new().utf8(false))
            .build(pattern)
            .ok()?;
        Some(Rewriter { vm, rule })
    }

    /// The rewritten number in `out`, if the pattern matches at the start
    /// of `digits` and its last group took part (libphonenumber's test);
    /// `None` leaves plain stripping to the caller. Returns the length.
    pub(super) fn rewrite(&self, digits: &[u8], out: &mut [u8]) -> Option<usize> {
        let mut cache = self.vm.create_cache();
        let mut caps = self.vm.create_captures();
        self.vm
            .captures(&mut cache, Input::new(digits).anchored(Anchored::Yes), &mut caps);
        let whole = caps.get_match()?;
        let last = caps.group_len().checked_sub(1)?;
        caps.get_group(last)?;
        let mut len = 0;
        let mut push = |bytes: &[u8]| -> Option<()> {
            for &b in bytes {
                *out.get_mut(len)? = b;
                len += 1;
            }
            Some(())
        };
        let mut rule = self.rule.bytes();
        while let Some(b) = rule.next() {
            if b == b'$' {
                let group = usize::from(rule.next()?.checked_sub(b'0')?);
                if let Some(span) = caps.get_group(group) {
                    push(digits.get(span.range())?)?;
                }
            } else {
                push(&[b])?;
            }
        }
        push(digits.get(whole.end()..)?)?;
        Some(len)
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
    fn rewrites_follow_the_transform_rule() {
        let r = Rewriter::new("([25-9]\\d{5})$|0|180020", "1481$1").unwrap();
        let mut out = [0u8; 20];
        let n = r.rewrite(b"256789", &mut out).unwrap();
        assert_eq!(&out[..n], b"1481256789");
        assert_eq!(r.rewrite(b"01481256789", &mut out), None);
        let tiny = &mut [0u8; 4];
        assert_eq!(r.rewrite(b"256789", tiny), None);
    }

    #[test]
    fn bad_patterns_are_refused_not_panicked_on() {
        assert!(FullMatcher::new(&["(12"]).is_none());
        assert!(PrefixMatcher::new("[").is_none());
        assert!(Rewriter::new("(", "$1").is_none());
    }
}
