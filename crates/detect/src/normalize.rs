//! Normalization before matching: NFKC, case folding, confusables, hidden characters stripped.
//!
//! The rules match lowercase ASCII-ish text. An attacker writes "ɪɢɴᴏʀᴇ", "ｉｇｎｏｒｅ",
//! Cyrillic look-alikes or zero-width characters between letters to slip past them, so every
//! text is first brought to one form: hidden characters removed, NFKC, confusable characters
//! replaced by their UTS #39 prototype, combining marks dropped, lowercased. A byte map keeps
//! each normalized byte's origin so findings point into the original text.
//!
//! ASCII characters are never replaced by their confusable prototype: the UTS #39 tables map
//! `m` to `rn` and `1` to `l`, which would break the very keywords the rules look for.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Text prepared for matching, with a map back to the original.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The normalized text (lowercase, NFKC, confusables folded, hidden characters removed).
    pub text: String,
    /// For each byte of `text`, the byte offset in the original of the character it came
    /// from; `None` when the mapping is the identity (pure ASCII input).
    map: Option<Vec<u32>>,
    /// Length of the original text in bytes.
    original_len: usize,
}

impl Normalized {
    /// Maps a byte span of [`Normalized::text`] back to a byte span of the original text.
    /// The result always lies within the original text and on character boundaries.
    pub fn to_original(&self, start: usize, end: usize) -> (usize, usize) {
        let Some(map) = &self.map else {
            let s = start.min(self.original_len);
            return (s, end.clamp(s, self.original_len));
        };
        if map.is_empty() {
            return (0, 0);
        }
        let s = map.get(start).copied().unwrap_or(self.original_len as u32) as usize;
        // The end maps to the original position after the character that holds the last
        // byte of the span: the start of the next source character, or the end.
        let e = if end == 0 {
            s
        } else {
            let last = map.get(end - 1).copied().unwrap_or(0) as usize;
            map.get(end..)
                .and_then(|rest| rest.iter().find(|&&o| o as usize > last))
                .map(|&o| o as usize)
                .unwrap_or(self.original_len)
        };
        (
            s.min(self.original_len),
            e.clamp(s.min(self.original_len), self.original_len),
        )
    }

    /// Whether normalization changed nothing but ASCII case.
    pub fn is_identity(&self) -> bool {
        self.map.is_none()
    }
}

/// Whether `c` is invisible when rendered and carries no meaning in plain prose: zero-width
/// characters, bidi controls, Unicode tag characters, variation selectors, soft hyphens and
/// other default-ignorable code points.
pub fn is_hidden_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Appends the folded form of one non-ASCII character (hidden ones vanish; NFKC, then the
/// confusable skeleton without combining marks or hidden characters, lowercased), each byte
/// mapped to the character's offset `origin` in the original text.
fn fold_char(c: char, origin: u32, out: &mut String, map: &mut Vec<u32>) {
    if is_hidden_char(c) {
        return;
    }
    let mut buf = [0u8; 4];
    for d in std::iter::once(c).nfkc() {
        if d.is_ascii() {
            out.push(d.to_ascii_lowercase());
            map.push(origin);
            continue;
        }
        let mut tmp = [0u8; 4];
        for e in unicode_security::skeleton(d.encode_utf8(&mut tmp)) {
            if is_combining_mark(e) || is_hidden_char(e) {
                continue;
            }
            for f in e.to_lowercase() {
                let s = f.encode_utf8(&mut buf);
                out.push_str(s);
                map.extend(std::iter::repeat_n(origin, s.len()));
            }
        }
    }
}

/// Normalizes `text` for matching (see the module documentation).
pub fn normalize(text: &str) -> Normalized {
    if text.is_ascii() {
        return Normalized {
            text: text.to_ascii_lowercase(),
            map: None,
            original_len: text.len(),
        };
    }
    let mut out = String::with_capacity(text.len());
    let mut map: Vec<u32> = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        // a run of ASCII is copied lowercased in one go, each byte mapping to itself
        let run = bytes[at..]
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(bytes.len() - at);
        if run > 0 {
            let ascii = &text[at..at + run];
            let len = out.len();
            out.push_str(ascii);
            out[len..].make_ascii_lowercase();
            map.extend((at..at + run).map(|o| o as u32));
            at += run;
            continue;
        }
        let Some(c) = text[at..].chars().next() else {
            break;
        };
        let offset = at;
        at += c.len_utf8();
        let origin = offset as u32;
        fold_char(c, origin, &mut out, &mut map);
    }
    Normalized {
        text: out,
        map: Some(map),
        original_len: text.len(),
    }
}

/// Splits identifiers such as `StealCredentials`, `read_ssh_key` or `exfil-data` into
/// space-separated words so the rules can read tool and property names as prose.
pub fn split_identifier(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut prev: Option<char> = None;
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == '.' || c == '/' {
            out.push(' ');
            prev = Some(' ');
            continue;
        }
        if let Some(p) = prev {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = (p.is_lowercase() && c.is_uppercase())
                || (p.is_uppercase() && c.is_uppercase() && next_lower)
                || (p.is_alphabetic() && c.is_ascii_digit());
            if boundary {
                out.push(' ');
            }
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The per-character form of [`normalize`] for non-ASCII text, before ASCII runs were
    /// copied in one go: the reference the fast path is checked against.
    fn normalize_per_char(text: &str) -> (String, Vec<u32>) {
        let mut out = String::new();
        let mut map: Vec<u32> = Vec::new();
        for (offset, c) in text.char_indices() {
            let origin = offset as u32;
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
                map.push(origin);
                continue;
            }
            fold_char(c, origin, &mut out, &mut map);
        }
        (out, map)
    }

    proptest::proptest! {
        #[test]
        fn ascii_runs_normalize_like_single_characters(
            text in "([A-Za-z0-9 .,]{0,12}|é|ｉ|\u{200B}|\u{0430}|Ⅻ|ß|😀|\u{0301}){0,24}",
        ) {
            let n = normalize(&text);
            let (t, m) = normalize_per_char(&text);
            proptest::prop_assert_eq!(&n.text, &t);
            if let Some(map) = &n.map {
                proptest::prop_assert_eq!(map, &m);
            } else {
                proptest::prop_assert!(text.is_ascii());
            }
        }
    }

    #[test]
    fn ascii_is_lowercased_with_identity_map() {
        let n = normalize("Ignore THIS");
        assert_eq!(n.text, "ignore this");
        assert!(n.is_identity());
        assert_eq!(n.to_original(0, 6), (0, 6));
    }

    #[test]
    fn fullwidth_and_zero_width_fold_to_ascii() {
        let src = "ｉｇ\u{200B}ｎｏｒｅ";
        let n = normalize(src);
        assert_eq!(n.text, "ignore");
        let (s, e) = n.to_original(0, n.text.len());
        assert_eq!((s, e), (0, src.len()));
    }

    #[test]
    fn cyrillic_lookalikes_fold() {
        // Cyrillic small a, o and e.
        let n = normalize("ign\u{043e}r\u{0435} \u{0430}ll");
        assert_eq!(n.text, "ignore all");
    }

    #[test]
    fn offsets_map_inside_original() {
        let src = "é ｘ\u{200D}y";
        let n = normalize(src);
        assert_eq!(n.text, "e xy");
        let (s, e) = n.to_original(2, 3);
        // The stripped joiner after the x belongs to the span; the y does not.
        assert_eq!(&src[s..e], "ｘ\u{200D}");
    }

    #[test]
    fn identifiers_split_into_words() {
        assert_eq!(
            split_identifier("StealUserCredentials"),
            "Steal User Credentials"
        );
        assert_eq!(split_identifier("read_ssh-key"), "read ssh key");
        assert_eq!(split_identifier("HTTPServer"), "HTTP Server");
    }
}
