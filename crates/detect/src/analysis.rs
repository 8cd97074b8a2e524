//! One pass of the text analyzers over a string: normalization, rules, hidden content, and
//! the payloads hidden content recovers, analyzed again with bounded depth.

use std::borrow::Cow;

use crate::finding::{Family, Finding};
use crate::hidden;
use crate::normalize::normalize;
use crate::rules::{self, Hit, Scope};

/// How deep decoded payloads are analyzed again (base64 inside a comment inside tags...).
const MAX_DEPTH: u8 = 2;
/// Score a recovered payload needs before its hiding place counts as an attack on its own.
const PAYLOAD_SCORE: u32 = 5;
/// Cues that are what such hiding places ordinarily hold, so they do not make a payload an
/// attack on their own: a developer's `<!-- TODO: move the footer links -->` is in every other
/// web page. They still count, with their weights, toward the text's score.
const ORDINARY_IN_HIDING: &[&str] = &["planted-todo"];

/// The analyzers' judgement of one text or tool definition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assessment {
    /// Every finding, weak cues included.
    pub findings: Vec<Finding>,
    /// Sum of the weights of the distinct rules that matched.
    pub score: u32,
}

impl Assessment {
    /// Whether the score reaches the malicious threshold.
    pub fn is_malicious(&self) -> bool {
        self.score >= rules::THRESHOLD
    }

    /// Whether some cue matched but not enough to decide: where a classifier may help.
    pub fn is_unsure(&self) -> bool {
        self.score > 0 && !self.is_malicious()
    }

    /// The findings if the text is judged malicious, otherwise none.
    pub fn into_verdict_findings(self) -> Vec<Finding> {
        if self.is_malicious() {
            self.findings
        } else {
            Vec::new()
        }
    }
}

/// Analyzes `text`; hit offsets are byte offsets into `text`.
pub(crate) fn analyze(text: &str, scope: Scope) -> Vec<Hit> {
    analyze_depth(text, scope, 0)
}

fn analyze_depth(text: &str, scope: Scope, depth: u8) -> Vec<Hit> {
    let n = normalize(text);
    let mut hits = rules::run(&n.text, scope);
    rules::to_original(&n, &mut hits);
    hits.extend(rules::run_raw(text, scope));
    let (hidden_hits, payloads) = hidden::scan(text, scope);
    hits.extend(hidden_hits);
    if depth < MAX_DEPTH {
        for p in payloads {
            let inner = analyze_depth(&p.text, scope, depth + 1);
            if inner.is_empty() {
                continue;
            }
            let telling: Vec<Hit> = inner
                .iter()
                .filter(|h| !ORDINARY_IN_HIDING.contains(&h.rule))
                .cloned()
                .collect();
            let inner_score = rules::score(&telling);
            // Inner findings point at the hiding construct: offsets inside decoded text
            // mean nothing in the original.
            for h in &inner {
                hits.push(Hit {
                    rule: h.rule,
                    weight: h.weight,
                    start: p.start,
                    end: p.end,
                });
            }
            if inner_score >= PAYLOAD_SCORE {
                hits.push(Hit {
                    rule: "instructions-in-hidden-content",
                    weight: rules::THRESHOLD as u8,
                    start: p.start,
                    end: p.end,
                });
            }
        }
    }
    hits
}

/// Turns hits into an assessment for `family`, attaching `path` to every finding.
pub(crate) fn assess(hits: &[Hit], family: Family, path: Option<&str>) -> Assessment {
    let score = rules::score(hits);
    let mut findings: Vec<Finding> = hits
        .iter()
        .filter(|h| h.weight > 0)
        .map(|h| Finding {
            family,
            rule: Cow::Borrowed(h.rule),
            start: h.start,
            end: h.end,
            path: path.map(str::to_owned),
        })
        .collect();
    findings.sort_by(|a, b| (a.start, a.end, &a.rule).cmp(&(b.start, b.end, &b.rule)));
    findings.dedup();
    Assessment { findings, score }
}
