//! Rewriting escapes in regex patterns: the rule table and the secret rules compile their
//! `\w`, `\s`, `\d` and `\b` to ASCII forms, each with its own forms.

/// Rewrites each escape `\X` of `pattern` to `map(X, in_class)` when that is `Some`, and keeps
/// it otherwise. `in_class` says whether the escape sits inside a bracket class, where a group
/// such as `(?-u:\w)` is not allowed and the class members must be spelled out (replacing
/// blindly inside a class once turned `[^\s)]` into a class without the letters a-u). A `]` or
/// `^]` right after an opening bracket is a literal.
pub(crate) fn rewrite_escapes(
    pattern: &str,
    map: impl Fn(char, bool) -> Option<&'static str>,
) -> String {
    let mut out = String::with_capacity(pattern.len() * 2);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push(c);
                    break;
                };
                match map(n, in_class) {
                    Some(s) => out.push_str(s),
                    None => {
                        out.push(c);
                        out.push(n);
                    }
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push(']');
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}
