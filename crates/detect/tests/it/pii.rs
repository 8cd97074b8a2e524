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
