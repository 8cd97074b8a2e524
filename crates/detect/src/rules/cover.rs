//! Whether every match of a rule's regex contains one of the rule's anchors, and the literals
//! to add where it does not.
//!
//! The anchors gate the regexes (see `rules.rs`): a rule runs only near an anchor. An
//! alternative of a pattern that can match without any of the hand-written anchors would be
//! dead wherever no other anchor happens to be near. This module reads a pattern's syntax tree
//! (`regex-syntax`, the parser the `regex` crate itself uses), proves node by node which parts
//! are sure to contain an anchor, and for the others picks literals every match of them
//! contains ([`missing_anchors`]); the rule set adds those to the anchors when it is built.
//! A test draws random matches of every rule ([`sample`]) and checks each holds an anchor.

use regex_syntax::hir::{Class, Hir, HirKind};

/// At most this many strings are tracked for a node whose language is finite.
const MAX_EXACT: usize = 256;
/// Classes with at most this many members are expanded into their members.
const MAX_CLASS: usize = 8;

/// What is known about the strings a node matches.
#[derive(Clone)]
struct Summary {
    /// The node's whole language, when it is finite and small.
    exact: Option<Vec<Vec<u8>>>,
    /// Every match contains an anchor.
    covered: bool,
}

fn contains_anchor(s: &[u8], anchors: &[&str]) -> bool {
    anchors
        .iter()
        .any(|a| s.windows(a.len().max(1)).any(|w| w == a.as_bytes()))
}

fn class_members(c: &Class) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    match c {
        Class::Unicode(u) => {
            for r in u.ranges() {
                for ch in r.start()..=r.end() {
                    if out.len() >= MAX_CLASS {
                        return None;
                    }
                    let mut buf = [0u8; 4];
                    out.push(ch.encode_utf8(&mut buf).as_bytes().to_vec());
                }
            }
        }
        Class::Bytes(b) => {
            for r in b.ranges() {
                for byte in r.start()..=r.end() {
                    if out.len() >= MAX_CLASS {
                        return None;
                    }
                    out.push(vec![byte]);
                }
            }
        }
    }
    Some(out)
}

fn product(a: &[Vec<u8>], b: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if a.len().saturating_mul(b.len()) > MAX_EXACT {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| [x.as_slice(), y.as_slice()].concat()))
            .collect(),
    )
}

fn all_covered(set: &[Vec<u8>], anchors: &[&str]) -> bool {
    set.iter().all(|s| contains_anchor(s, anchors))
}

/// Summaries already computed, by node address: [`fill`] asks for a node's summary at every
/// level above it, which without this is quadratic in the pattern (about 60 ms for the rule
/// set at start-up).
type Memo = std::collections::HashMap<usize, Summary>;

fn summarize(h: &Hir, anchors: &[&str], memo: &mut Memo) -> Summary {
    let key = std::ptr::from_ref(h) as usize;
    if let Some(s) = memo.get(&key) {
        return s.clone();
    }
    let s = summarize_node(h, anchors, memo);
    memo.insert(key, s.clone());
    s
}

fn summarize_node(h: &Hir, anchors: &[&str], memo: &mut Memo) -> Summary {
    let exact = |set: Vec<Vec<u8>>| Summary {
        covered: all_covered(&set, anchors),
        exact: Some(set),
    };
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => exact(vec![Vec::new()]),
        HirKind::Literal(l) => exact(vec![l.0.to_vec()]),
        HirKind::Class(c) => match class_members(c) {
            Some(set) => exact(set),
            None => Summary {
                exact: None,
                covered: false,
            },
        },
        HirKind::Capture(c) => summarize(&c.sub, anchors, memo),
        HirKind::Repetition(r) => {
            let sub = summarize(&r.sub, anchors, memo);
            // small bounded repetitions of a finite language stay finite: `\s?`, `(?:a|b){1,2}`
            if let (Some(set), Some(max)) = (&sub.exact, r.max) {
                if max <= 2 {
                    let mut lang: Vec<Vec<u8>> = Vec::new();
                    let mut power = vec![Vec::new()];
                    let mut ok = true;
                    for n in 0..=max {
                        if n >= r.min {
                            lang.extend(power.iter().cloned());
                        }
                        match product(&power, set) {
                            Some(p) => power = p,
                            None => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if ok && lang.len() <= MAX_EXACT {
                        return exact(lang);
                    }
                }
            }
            Summary {
                exact: None,
                covered: r.min >= 1 && sub.covered,
            }
        }
        HirKind::Alternation(xs) => {
            let subs: Vec<Summary> = xs.iter().map(|x| summarize(x, anchors, memo)).collect();
            let covered = subs.iter().all(|s| s.covered);
            let mut set = Vec::new();
            for s in &subs {
                match &s.exact {
                    Some(e) if set.len() + e.len() <= MAX_EXACT => set.extend(e.iter().cloned()),
                    _ => {
                        return Summary {
                            exact: None,
                            covered,
                        }
                    }
                }
            }
            Summary {
                covered: covered || all_covered(&set, anchors),
                exact: Some(set),
            }
        }
        HirKind::Concat(xs) => {
            // Runs of finite children are joined (so an anchor that spans `send` + `\s` + `to`
            // is seen); a run, or any child, in which every string holds an anchor covers all.
            let mut covered = false;
            let mut run: Option<Vec<Vec<u8>>> = Some(vec![Vec::new()]);
            let mut whole = true;
            for x in xs {
                let s = summarize(x, anchors, memo);
                covered |= s.covered;
                match (&run, s.exact) {
                    (Some(r), Some(e)) => match product(r, &e) {
                        Some(p) => run = Some(p),
                        None => {
                            whole = false;
                            run = Some(e);
                        }
                    },
                    (None, Some(e)) => run = Some(e),
                    (_, None) => {
                        // (the run that ends here was checked when its last child joined it)
                        whole = false;
                        run = None;
                    }
                }
                if let Some(r) = &run {
                    covered |= all_covered(r, anchors);
                }
            }
            Summary {
                exact: if whole { run } else { None },
                covered,
            }
        }
    }
}

/// Literals shorter than this (spaces and punctuation trimmed) are too common to gate a rule
/// on: words like "request", "status", "update", "user", "with" occur on nearly every line of
/// tool output, and gating on them runs the rule's regex around each. Measured on the engine
/// bench (`output-injection/16`, 2026-11-22): every derived literal as an anchor, 13 MiB/s;
/// from four bytes up, stop words excluded, 31; from six, 49; from eight, 70 (72 without
/// any). Branches only a shorter literal can gate stay on the hand-written anchors.
const MIN_STRONG: usize = 8;

/// Whether a literal is too common to gate a rule on (see [`MIN_STRONG`]).
fn weak(w: &[u8]) -> bool {
    w.trim_ascii().len() < MIN_STRONG
}

/// The literals [`fill`] found: `strong` ones to add as anchors, `weak` ones ([`weak`]) for
/// branches nothing better gates.
#[derive(Default)]
struct Fill {
    strong: Vec<Vec<u8>>,
    weak: Vec<Vec<u8>>,
}

impl Fill {
    fn of(set: Vec<Vec<u8>>) -> Fill {
        if set.iter().any(|w| weak(w)) {
            Fill {
                strong: Vec::new(),
                weak: set,
            }
        } else {
            Fill {
                strong: set,
                weak: Vec::new(),
            }
        }
    }

    /// Better is: no weak literal, then the longest shortest literal, then fewer literals.
    fn score(&self) -> (bool, usize, std::cmp::Reverse<usize>) {
        let all = self.strong.iter().chain(&self.weak);
        (
            self.weak.is_empty(),
            all.clone().map(Vec::len).min().unwrap_or(0),
            std::cmp::Reverse(all.count()),
        )
    }
}

/// Literals to add to `anchors` so that every match of `h` contains one of them, accounting
/// for every match; `None` when some branch has no literal at all. At a concatenation the
/// most selective child (or run of finite children) is taken.
fn fill(h: &Hir, anchors: &[&str], memo: &mut Memo) -> Option<Fill> {
    let s = summarize(h, anchors, memo);
    if s.covered {
        return Some(Fill::default());
    }
    let uncovered = |set: Vec<Vec<u8>>| -> Vec<Vec<u8>> {
        set.into_iter()
            .filter(|w| !contains_anchor(w, anchors))
            .collect()
    };
    if let Some(set) = s.exact {
        // a finite language: its strings themselves, if none is empty
        return (!set.iter().any(Vec::is_empty)).then(|| Fill::of(uncovered(set)));
    }
    match h.kind() {
        HirKind::Capture(c) => fill(&c.sub, anchors, memo),
        HirKind::Repetition(r) if r.min >= 1 => fill(&r.sub, anchors, memo),
        HirKind::Alternation(xs) => {
            let mut out = Fill::default();
            for x in xs {
                let f = fill(x, anchors, memo)?;
                out.strong.extend(f.strong);
                out.weak.extend(f.weak);
            }
            Some(out)
        }
        HirKind::Concat(xs) => {
            let mut best: Option<Fill> = None;
            let mut consider = |f: Option<Fill>| {
                if let Some(f) = f {
                    if best.as_ref().is_none_or(|b| f.score() > b.score()) {
                        best = Some(f);
                    }
                }
            };
            // single children, and runs of adjacent finite children joined
            let mut run: Option<Vec<Vec<u8>>> = None;
            for x in xs {
                consider(fill(x, anchors, memo));
                match summarize(x, anchors, memo).exact {
                    Some(e) => {
                        run = match run {
                            Some(r) => product(&r, &e),
                            None => Some(e),
                        };
                        if let Some(r) = &run {
                            if !r.iter().any(Vec::is_empty) {
                                consider(Some(Fill::of(uncovered(r.clone()))));
                            }
                        }
                    }
                    None => run = None,
                }
            }
            best
        }
        _ => None,
    }
}

/// What a pattern needs beyond its hand-written anchors so that no match goes unseen.
pub(crate) struct Missing {
    /// Literals to add to the anchors.
    pub strong: Vec<String>,
    /// Literals of branches only a short, common literal ([`weak`]) could gate; those stay on
    /// the hand-written anchors (they fire when one is near). Read by the coverage test.
    #[cfg_attr(not(test), allow(dead_code))]
    pub weak: Vec<String>,
}

/// The literals, beyond `anchors`, that the matcher must also look for so that no match of
/// `pattern` goes unseen; `None` if the pattern has a branch without any literal.
pub(crate) fn missing_anchors(pattern: &str, anchors: &[&str]) -> Option<Missing> {
    let h = regex_syntax::parse(pattern).ok()?;
    let f = fill(&h, anchors, &mut Memo::new())?;
    let text = |v: Vec<Vec<u8>>| {
        let mut out: Vec<String> = v
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w).into_owned())
            .collect();
        out.sort();
        out.dedup();
        out
    };
    Some(Missing {
        strong: text(f.strong),
        weak: text(f.weak),
    })
}

/// A random string of the language of `pattern` (random branch at each alternation, 0-3 extra
/// repetitions, random class member; look-arounds ignored, so the caller checks the result
/// against the compiled regex). `seed` drives a xorshift generator.
#[cfg(test)]
pub(crate) fn sample(pattern: &str, seed: u64) -> Option<String> {
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }
    }
    fn gen(h: &Hir, rng: &mut Rng, out: &mut String) {
        match h.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(l) => out.push_str(&String::from_utf8_lossy(&l.0)),
            HirKind::Class(Class::Unicode(u)) => {
                let ranges = u.ranges();
                if ranges.is_empty() {
                    return;
                }
                let r = &ranges[rng.below(ranges.len())];
                let lo = u32::from(r.start());
                let hi = u32::from(r.end()).min(lo + 200);
                let pick = lo + rng.below((hi - lo + 1) as usize) as u32;
                out.push(char::from_u32(pick).unwrap_or(r.start()));
            }
            HirKind::Class(Class::Bytes(b)) => {
                let ranges = b.ranges();
                if ranges.is_empty() {
                    return;
                }
                let r = &ranges[rng.below(ranges.len())];
                let byte = r.start() + rng.below(usize::from(r.end() - r.start()) + 1) as u8;
                out.push(char::from(byte.min(0x7f)));
            }
            HirKind::Capture(c) => gen(&c.sub, rng, out),
            HirKind::Repetition(r) => {
                let extra = r.max.map_or(3, |m| (m - r.min).min(3)) as usize;
                for _ in 0..r.min as usize + rng.below(extra + 1) {
                    gen(&r.sub, rng, out);
                }
            }
            HirKind::Alternation(xs) => gen(&xs[rng.below(xs.len())], rng, out),
            HirKind::Concat(xs) => xs.iter().for_each(|x| gen(x, rng, out)),
        }
    }
    let h = regex_syntax::parse(pattern).ok()?;
    let mut out = String::new();
    gen(&h, &mut Rng(seed | 1), &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing(pattern: &str, anchors: &[&str]) -> (Vec<String>, Vec<String>) {
        let m = missing_anchors(pattern, anchors).expect("has literals");
        (m.strong, m.weak)
    }

    #[test]
    fn a_branch_the_anchors_cover_needs_nothing() {
        assert_eq!(
            missing(
                r"\b(?:ignore|disregard)\s+previous",
                &["ignore", "disregard"]
            ),
            (vec![], vec![])
        );
        // an anchor inside a longer literal covers it
        assert_eq!(missing(r"ignored\w*", &["ignor"]), (vec![], vec![]));
    }

    #[test]
    fn an_uncovered_branch_gets_its_most_selective_literal() {
        // "ignore" covers nothing of the second branch; its longest sure literal is taken
        let (strong, weak) = missing(
            r"\bignore\s+all|\bsupersede\s+the\s+instructions",
            &["ignore"],
        );
        assert_eq!(strong, vec!["instructions".to_owned()]);
        assert!(weak.is_empty());
    }

    #[test]
    fn short_literals_are_weak_and_not_added() {
        let (strong, weak) = missing(r"\bi\s+am\s+root\b", &["admin"]);
        assert!(strong.is_empty());
        assert!(weak.iter().all(|w| w.trim().len() < MIN_STRONG), "{weak:?}");
        assert!(!weak.is_empty());
    }

    #[test]
    fn optional_parts_and_classes_are_accounted_for() {
        // `s?` and a small class are finite: every string of the run must hold an anchor
        assert_eq!(missing(r"passwords?", &["password"]), (vec![], vec![]));
        let (strong, weak) = missing(r"api[ _-]keys?", &["api_key"]);
        // "api key" and "api-key" are not covered by "api_key": the run's other strings are
        // what is missing (short, so weak)
        assert!(strong.is_empty());
        assert!(weak.iter().any(|w| w == "api key") && weak.iter().any(|w| w == "api-keys"));
        assert!(!weak.iter().any(|w| w.contains("api_key")), "{weak:?}");
        // an optional literal is no gate: the one after it must be used
        let (strong, _) = missing(r"(?:credential\s+)?harvesting", &["credential"]);
        assert_eq!(strong, vec!["harvesting".to_owned()]);
    }

    #[test]
    fn a_branch_without_any_literal_is_reported() {
        assert!(missing_anchors(r"\w+@\w+\.com|[a-z]{12}", &["@"]).is_none());
        assert!(missing_anchors(r"(unbalanced", &["x"]).is_none());
    }

    #[test]
    fn samples_match_their_pattern_and_differ_by_seed() {
        let pattern = r"(?:send|mail)\s+(?:the\s+)?(?:keys?|tokens?)\s+to\s+[a-z]{3,8}\.com";
        let re = regex::Regex::new(pattern).expect("compiles");
        let mut seen = std::collections::BTreeSet::new();
        for seed in 1..=50u64 {
            let s = sample(pattern, seed * 7919).expect("parses");
            assert!(re.is_match(&s), "{s:?}");
            seen.insert(s);
        }
        assert!(seen.len() > 10, "only {} distinct samples", seen.len());
    }
}
