//! Redaction properties: whole secrets disappear, redaction is idempotent, no input panics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers build fixtures from literals

use mcpwall_detect::redact::{redact, redact_json};
use proptest::prelude::*;

/// Fake credentials in documented formats, built from generated bodies so each case is a
/// different secret. Each returns the full secret string.
fn secret_strategy() -> impl Strategy<Value = String> {
    let alnum = "[A-Za-z0-9]";
    prop_oneof![
        proptest::string::string_regex("AKIA[A-Z2-7]{16}").unwrap(),
        proptest::string::string_regex(&format!("ghp_{alnum}{{36}}")).unwrap(),
        proptest::string::string_regex("xoxb-[0-9]{12}-[0-9]{12}-[A-Za-z0-9]{24}").unwrap(),
        proptest::string::string_regex(&format!("sk_live_{alnum}{{24}}")).unwrap(),
        proptest::string::string_regex("glpat-[A-Za-z0-9_-]{20}").unwrap(),
        proptest::string::string_regex("npm_[A-Za-z0-9]{36}").unwrap(),
        proptest::string::string_regex("hf_[A-Za-z]{34}").unwrap(),
        proptest::string::string_regex(
            "eyJ[A-Za-z0-9]{20}\\.eyJ[A-Za-z0-9]{24}\\.[A-Za-z0-9_-]{32}"
        )
        .unwrap(),
    ]
    // documented formats whose random bodies happen to be low-entropy are filtered
    .prop_filter("enough entropy", |s| {
        mcpwall_detect::secret::shannon_entropy(s) >= 3.6
    })
}

/// Surroundings a secret sits in: prose, assignments, JSON, shell.
fn context_strategy() -> impl Strategy<Value = (String, String)> {
    let words = "[a-z ,.:;!?()\\n]{0,40}";
    let prefix = prop_oneof![
        Just("token=".to_string()),
        Just("export API_TOKEN=\"".to_string()),
        Just("{\"secret\": \"".to_string()),
        Just("Authorization: Bearer ".to_string()),
        Just("use ".to_string()),
        Just("".to_string()),
    ];
    let suffix = prop_oneof![
        Just("".to_string()),
        Just("\"".to_string()),
        Just("\" }".to_string()),
        Just(" and more".to_string()),
        Just("\n".to_string())
    ];
    (
        proptest::string::string_regex(words).unwrap(),
        prefix,
        suffix,
        proptest::string::string_regex(words).unwrap(),
    )
        .prop_map(|(a, p, s, b)| (format!("{a} {p}"), format!("{s} {b}")))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// No window of 8 bytes of the secret survives, except windows the surroundings
    /// themselves contain (those were never secret) or that a marker spells.
    #[test]
    fn embedded_secrets_leave_no_fragment((before, after) in context_strategy(), secret in secret_strategy()) {
        let input = format!("{before}{secret}{after}");
        let out = redact(&input);
        prop_assert!(!out.contains(&secret), "whole secret left in {out:?}");
        let public = format!("{before}\u{0}{after}");
        for w in secret.as_bytes().windows(8) {
            let w = std::str::from_utf8(w).unwrap();
            if out.contains(w) {
                prop_assert!(public.contains(w) || "[REDACTED:".contains(w), "fragment {w:?} of {secret:?} left in {out:?}");
            }
        }
        prop_assert!(out.contains("[REDACTED:"));
    }

    /// Several secrets of different kinds in one text are all removed.
    #[test]
    fn many_secrets(secrets in proptest::collection::vec(secret_strategy(), 1..5), sep in "[ \\n,;]{1,3}") {
        let input = secrets.join(&sep);
        let out = redact(&input);
        for s in &secrets {
            prop_assert!(!out.contains(s.as_str()));
        }
    }

    #[test]
    fn idempotent_on_secret_text((before, after) in context_strategy(), secret in secret_strategy()) {
        let once = redact(&format!("{before}{secret}{after}"));
        prop_assert_eq!(redact(&once), once.clone());
    }

    #[test]
    fn idempotent_and_total_on_arbitrary_text(s in "\\PC{0,300}") {
        let once = redact(&s);
        prop_assert_eq!(redact(&once), once.clone());
    }

    #[test]
    fn idempotent_on_secretish_alphabet(s in "[A-Za-z0-9_=:\\-\"' @./+\\n]{0,300}") {
        let once = redact(&s);
        prop_assert_eq!(redact(&once), once.clone());
    }

    #[test]
    fn json_redaction_covers_nested_strings(secret in secret_strategy(), depth in 0usize..20) {
        let mut v = serde_json::Value::String(format!("key: {secret}"));
        for i in 0..depth {
            v = if i % 2 == 0 { serde_json::json!([v]) } else { serde_json::json!({"k": v}) };
        }
        redact_json(&mut v);
        prop_assert!(!v.to_string().contains(&secret));
    }
}

#[test]
fn pii_forms() {
    let out = redact("Mail jane.doe@example.org, card 4111-1111-1111-1111, IBAN DE89370400440532013000, SSN 536-22-1234");
    assert_eq!(out, "Mail [REDACTED:email], card [REDACTED:credit-card], IBAN [REDACTED:iban], SSN [REDACTED:us-ssn]");
}
