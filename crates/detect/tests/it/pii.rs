//! PII scanner through the public API.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers build fixtures from literals

use mcpwall_detect::pii::{luhn_valid, scan, valid_iban};

fn rules(t: &str) -> Vec<String> {
    scan(t).into_iter().map(|f| f.rule.into_owned()).collect()
}

#[test]
fn mixed_record() {
    let t = "Contact: ana@example.net, phone +33 1 23 45 67 89, IP 198.51.100.20, IBAN FR14 2004 1010 0505 0001 3M02 606";
    assert_eq!(rules(t), vec!["email", "phone", "ip-address", "iban"]);
}

#[test]
fn checksums() {
    assert!(luhn_valid("4012888888881881"));
    assert!(!luhn_valid("4012888888881882"));
    assert!(valid_iban("GB82 WEST 1234 5698 7654 32"));
    assert!(!valid_iban("GB82 WEST 1234 5698 7654 33"));
}

#[test]
fn not_pii() {
    for t in [
        "Released 2024-11-05, build 20241105.3",
        "version 10.2.3.4 of the tool",
        "order #12345678 shipped",
        "at 10:15:30 UTC",
        "port 8080 and 443",
    ] {
        assert!(scan(t).is_empty(), "{t}: {:?}", scan(t));
    }
}

// National identity numbers through the public API: generated numbers with check digits
// computed here from each specification, in random prose, are found whole and redacted
// whole, and redaction stays idempotent.

use mcpwall_detect::redact::redact;
use proptest::prelude::*;

fn digits(s: &str) -> Vec<u32> {
    s.bytes().map(|c| u32::from(c - b'0')).collect()
}

fn weighted(d: &[u32], w: &[u32]) -> u32 {
    d.iter().zip(w).map(|(a, b)| a * b).sum()
}

fn luhn_digit(payload: &str) -> u32 {
    let sum: u32 = digits(payload)
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &x)| {
            let v = if i % 2 == 0 { x * 2 } else { x };
            if v > 9 {
                v - 9
            } else {
                v
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// (context before, number, rule) for the standalone and context-word formats.
fn national_strategy() -> impl Strategy<Value = (String, String, &'static str)> {
    let nhs = "[4-7][0-9]{8}".prop_filter_map("check 10", |b| {
        let c = 11 - weighted(&digits(&b), &[10, 9, 8, 7, 6, 5, 4, 3, 2]) % 11;
        let c = if c == 11 { 0 } else { c };
        (c != 10).then(|| {
            let n = format!("{b}{c}");
            (
                String::new(),
                format!("{} {} {}", &n[..3], &n[3..6], &n[6..]),
                "uk-nhs",
            )
        })
    });
    let nif = "[1-9][0-9]{7}".prop_map(|b| {
        let l = b"TRWAGMYFPDXBNJZSQVHLCKE"[(b.parse::<u32>().unwrap() % 23) as usize];
        (String::new(), format!("{b}{}", char::from(l)), "es-nif")
    });
    let nric = "[0-9]{7}".prop_map(|b| {
        let l = b"JZIHGFEDCBA"[(weighted(&digits(&b), &[2, 7, 6, 5, 4, 3, 2]) % 11) as usize];
        (String::new(), format!("S{b}{}", char::from(l)), "sg-nric")
    });
    let cpf = "[0-9]{9}".prop_filter_map("one digit", |b| {
        let d = digits(&b);
        if d.iter().all(|&x| x == d[0]) {
            return None;
        }
        let c1 = weighted(&d, &[10, 9, 8, 7, 6, 5, 4, 3, 2]) * 10 % 11 % 10;
        let mut d2 = d.clone();
        d2.push(c1);
        let c2 = weighted(&d2, &[11, 10, 9, 8, 7, 6, 5, 4, 3, 2]) * 10 % 11 % 10;
        let n = format!("{b}{c1}{c2}");
        Some((
            String::new(),
            format!("{}.{}.{}-{}", &n[..3], &n[3..6], &n[6..9], &n[9..]),
            "br-cpf",
        ))
    });
    let cn = (
        "(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])[0-9]{4}",
        1930u32..2020,
        1u32..13,
        1u32..29,
        "[0-9]{3}",
    )
        .prop_map(|(area, y, m, d, seq)| {
            let body = format!("{area}{y}{m:02}{d:02}{seq}");
            let sum: u32 = digits(&body)
                .iter()
                .enumerate()
                .map(|(i, x)| x * ((1u32 << (17 - i)) % 11))
                .sum();
            let c = (12 - sum % 11) % 11;
            let c = if c == 10 {
                "X".to_string()
            } else {
                c.to_string()
            };
            (String::new(), format!("{body}{c}"), "cn-resident-id")
        });
    let rrn =
        (0u32..100, 1u32..13, 1u32..29, 1u32..3, "[0-9]{5}").prop_map(|(y, m, d, s, rest)| {
            let body = format!("{y:02}{m:02}{d:02}{s}{rest}");
            let sum = weighted(&digits(&body), &[2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]);
            let c = (11 - sum % 11) % 10;
            (
                String::new(),
                format!("{}-{}{c}", &body[..6], &body[6..]),
                "kr-rrn",
            )
        });
    let sin = "[1-7][0-9]{7}".prop_map(|b| {
        let c = luhn_digit(&b);
        ("SIN: ".to_string(), format!("{b}{c}"), "ca-sin")
    });
    let pesel = (0u32..100, 1u32..13, 1u32..29, "[0-9]{4}").prop_map(|(y, m, d, rest)| {
        let body = format!("{y:02}{m:02}{d:02}{rest}");
        let sum = weighted(&digits(&body), &[1, 3, 7, 9, 1, 3, 7, 9, 1, 3]);
        (
            "PESEL ".to_string(),
            format!("{body}{}", (10 - sum % 10) % 10),
            "pl-pesel",
        )
    });
    prop_oneof![nhs, nif, nric, cpf, cn, rrn, sin, pesel]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The number is reported whole (by its own rule, or by an older rule that matches the
    /// same span) and no six bytes of it survive redaction that the prose does not hold.
    #[test]
    fn national_numbers_are_redacted_whole(
        before in "[a-z ,;:!?\\n]{0,30}",
        after in "[a-z ,;!?\\n]{0,30}",
        (context, number, rule) in national_strategy(),
    ) {
        let input = format!("{before} {context}{number} {after}");
        let start = before.len() + 1 + context.len();
        let f = scan(&input);
        prop_assert!(
            f.iter().any(|f| f.start <= start && f.end >= start + number.len()
                && (f.rule == rule || ["credit-card", "phone", "us-ssn"].contains(&&*f.rule))),
            "{input:?}: {f:?}"
        );
        let out = redact(&input);
        let public = format!("{before} {context}\u{0} {after}");
        for w in number.as_bytes().windows(6) {
            let w = std::str::from_utf8(w).unwrap();
            prop_assert!(!out.contains(w) || public.contains(w), "{w:?} of {number:?} left in {out:?}");
        }
        prop_assert_eq!(redact(&out), out.clone());
    }

    /// Redaction is idempotent on text made of national-number layouts with random digits.
    #[test]
    fn idempotent_on_national_layouts(
        s in "([0-9]{3} [0-9]{3} [0-9]{4}|[0-9]{8}[A-Z]|[0-9]{6}-[0-9]{4,7}|[0-9]{17}[0-9X]|[A-Z]{6}[0-9]{2}[A-Z][0-9]{2}[A-Z][0-9]{3}[A-Z]|NHS |SIN |[a-z ]{1,8}){0,12}",
    ) {
        let once = redact(&s);
        prop_assert_eq!(redact(&once), once.clone());
    }
}
