//! Every (overlapping) match of an Aho-Corasick DFA, found with several independent walks.
//!
//! The anchor automata are large (the rule anchors build a DFA of a few MB), so one walk
//! over a text waits on a cache miss for nearly every byte: each transition needs the state
//! the previous one produced. The text is cut into [`LANES`] stretches walked in the same
//! loop, so that the lookups of different stretches overlap in time. The matches are the
//! ones `AhoCorasick::find_overlapping_iter` reports, in the same order (by end, then in the
//! order the state lists them); `lanes_match_the_overlapping_iterator` checks that.
//!
//! Why a stretch can start in the middle of the text: an Aho-Corasick state stands for the
//! longest suffix of the bytes read so far that begins some pattern, and that suffix is never
//! longer than the longest pattern. A walk that starts `max_pattern_len` bytes before its
//! stretch is therefore in exactly the state a walk from the start of the text would be in
//! when it reaches the stretch; matches ending before the stretch belong to the previous
//! one and are dropped.

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};

/// Walks interleaved in one loop.
const LANES: usize = 8;
/// Texts shorter than this are walked in one lane (the warm-up would cost more than it saves).
const MIN_SPLIT: usize = 1024;

/// One match: pattern index and byte span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Event {
    pub pattern: usize,
    pub start: usize,
    pub end: usize,
}

/// Builds the DFA the walks need: overlapping (standard) semantics, unanchored, no prefilter
/// (the walk does not consult one).
pub(crate) fn build<P: AsRef<[u8]>>(patterns: &[P], ascii_case_insensitive: bool) -> Option<DFA> {
    DFA::builder()
        .match_kind(MatchKind::Standard)
        .start_kind(StartKind::Unanchored)
        .prefilter(false)
        .ascii_case_insensitive(ascii_case_insensitive)
        .build(patterns)
        .ok()
}

/// One lane: where its walk starts, the offset after which its matches count, where it ends.
#[derive(Clone, Copy)]
struct Lane {
    from: usize,
    report_after: usize,
    to: usize,
}

/// Every match of `dfa` in `hay`, ordered as the overlapping iterator orders them.
pub(crate) fn overlapping(dfa: &DFA, hay: &[u8], out: &mut Vec<Event>) {
    out.clear();
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    let n = hay.len();
    if n < MIN_SPLIT {
        walk(
            dfa,
            hay,
            start,
            Lane {
                from: 0,
                report_after: 0,
                to: n,
            },
            out,
        );
        return;
    }
    let warm = dfa.max_pattern_len();
    let part = n.div_ceil(LANES);
    let lanes: [Lane; LANES] = std::array::from_fn(|k| {
        let begin = (k * part).min(n);
        Lane {
            from: begin.saturating_sub(warm),
            report_after: begin,
            to: ((k + 1) * part).min(n),
        }
    });
    let mut found: [Vec<Event>; LANES] = Default::default();
    let mut sid = [start; LANES];
    // the common length of all lanes, walked interleaved
    let common = lanes.iter().map(|l| l.to - l.from).min().unwrap_or(0);
    for j in 0..common {
        for k in 0..LANES {
            let at = lanes[k].from + j;
            let s = dfa.next_state(Anchored::No, sid[k], hay[at]);
            sid[k] = s;
            if dfa.is_special(s) && dfa.is_match(s) && at >= lanes[k].report_after {
                push_matches(dfa, s, at + 1, &mut found[k]);
            }
        }
    }
    out.reserve(found.iter().map(Vec::len).sum());
    for k in 0..LANES {
        let lane = lanes[k];
        let from = lane.from + common;
        let mut s = sid[k];
        for (i, &b) in hay[from..lane.to].iter().enumerate() {
            let at = from + i;
            s = dfa.next_state(Anchored::No, s, b);
            if dfa.is_special(s) && dfa.is_match(s) && at >= lane.report_after {
                push_matches(dfa, s, at + 1, &mut found[k]);
            }
        }
        out.append(&mut found[k]);
    }
}

fn walk(
    dfa: &DFA,
    hay: &[u8],
    start: aho_corasick::automaton::StateID,
    lane: Lane,
    out: &mut Vec<Event>,
) {
    let mut s = start;
    for (i, &b) in hay[lane.from..lane.to].iter().enumerate() {
        let at = lane.from + i;
        s = dfa.next_state(Anchored::No, s, b);
        if dfa.is_special(s) && dfa.is_match(s) && at >= lane.report_after {
            push_matches(dfa, s, at + 1, out);
        }
    }
}

fn push_matches(dfa: &DFA, s: aho_corasick::automaton::StateID, end: usize, out: &mut Vec<Event>) {
    for i in 0..dfa.match_len(s) {
        let pid = dfa.match_pattern(s, i);
        out.push(Event {
            pattern: pid.as_usize(),
            start: end - dfa.pattern_len(pid),
            end,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, AhoCorasickKind};
    use proptest::prelude::*;

    fn oracle(patterns: &[&str], hay: &str, ci: bool) -> Vec<Event> {
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .ascii_case_insensitive(ci)
            .build(patterns)
            .expect("automaton");
        ac.find_overlapping_iter(hay)
            .map(|m| Event {
                pattern: m.pattern().as_usize(),
                start: m.start(),
                end: m.end(),
            })
            .collect()
    }

    const PATTERNS: &[&str] = &[
        "a", "ab", "abc", "bcd", "cd", "d", "key", "keys", "ey", "ignore", "gnore", "nor", "<",
        "@", "user=", "ser", "x", "xx", "xxx",
    ];

    proptest! {
        #[test]
        fn lanes_match_the_overlapping_iterator(
            hay in "[abcdegiknorsuxyKEY<@= ]{0,3000}",
            ci in any::<bool>(),
        ) {
            let dfa = build(PATTERNS, ci).expect("dfa");
            let mut got = Vec::new();
            overlapping(&dfa, hay.as_bytes(), &mut got);
            prop_assert_eq!(got, oracle(PATTERNS, &hay, ci));
        }
    }

    #[test]
    fn long_texts_split_at_every_length() {
        let dfa = build(PATTERNS, false).expect("dfa");
        let unit = "xx key abcd ignore user=@ <x> keys ";
        let mut hay = String::new();
        let mut got = Vec::new();
        while hay.len() < 5000 {
            overlapping(&dfa, hay.as_bytes(), &mut got);
            assert_eq!(got, oracle(PATTERNS, &hay, false), "length {}", hay.len());
            hay.push(unit.as_bytes()[hay.len() % unit.len()] as char);
        }
    }
}
