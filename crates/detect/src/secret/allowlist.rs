//! Allowlists, the way gitleaks has them: a global list and per-rule lists that drop a
//! candidate the rule's regex and entropy accepted.
//!
//! Three kinds of entry, as in gitleaks' `[[allowlists]]` / `[[rules.allowlists]]`:
//! * **known public values** (gitleaks `regexes` on the secret, `stopwords`): credentials
//!   that vendors publish in their documentation or ship in public SDKs and sample apps.
//!   They match the real format, so no shape rule can tell them apart; only the value can.
//!   Every entry names where it is published. A leaked value of this list is public already.
//! * **line contexts** (gitleaks `regexTarget = "line"`): lines where a keyword is syntax,
//!   not a name for a secret (Docker build-secret mounts, ES module imports).
//! * **vendor prefixes** (our addition, same idea as gitleaks' per-rule allowlists): a value
//!   that starts with a self-identifying vendor prefix (`xoxp-`, `ghp_`, `AKIA`, ...) but
//!   that the vendor's own rule rejected is a malformed or templated example of that vendor's
//!   token; the generic rule does not claim it.
//!
//! Placeholders, masks and template variables are filtered earlier (`is_placeholder`), and
//! the generic rule keeps its own stop words and identifier allowlist in `secret.rs`.

/// A value published by its vendor or in a public SDK, with where it is published.
struct KnownValue {
    /// The rule it would match, or `None` for any rule.
    rule: Option<&'static str>,
    value: &'static str,
    /// Where the value is published (kept so the list can be audited).
    #[allow(dead_code)]
    source: &'static str,
}

const FIREBASE_SDK: &str =
    "example API keys in github.com/firebase/firebase-android-sdk (gitleaks gcp-api-key allowlist)";

/// Public example values. Keep this list to values that are published as examples or ship
/// in public code; never add a value because one evaluation row contains it.
const KNOWN_VALUES: &[KnownValue] = &[
    // AWS documentation examples (IAM user guide, CLI docs)
    KnownValue {
        rule: None,
        value: "AKIAIOSFODNN7EXAMPLE",
        source: "AWS documentation example access key id",
    },
    KnownValue {
        rule: None,
        value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        source: "AWS documentation example secret access key",
    },
    KnownValue {
        rule: None,
        value: "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        source: "AWS documentation example secret access key",
    },
    // Firebase client SDK sample/test keys (Firebase web/app API keys are public
    // identifiers by design; these are the ones the SDK repository ships)
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyabcdefghijklmnopqrstuvwxyz1234567",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE",
        source: FIREBASE_SDK,
    },
    KnownValue {
        rule: Some("gcp-api-key"),
        value: "AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY",
        source: FIREBASE_SDK,
    },
    // Stripe API reference sample test key (shown to every reader of the docs)
    KnownValue {
        rule: None,
        value: "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        source: "Stripe API reference sample test key",
    },
    // the default token of the jwt.io debugger (HS256, "John Doe")
    KnownValue {
        rule: None,
        value: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        source: "jwt.io debugger default example token",
    },
    // Algolia search-only key bundled in every Yarn Berry release (public by design)
    KnownValue {
        rule: None,
        value: "6fe4476ee5a1832882e326b506d14126",
        source: "yarnpkg/berry bundles, github.com/yarnpkg/berry/issues/6201 (gitleaks generic stopword)",
    },
];

/// True when `value`, found by `rule`, is a published example (global or per-rule entry).
pub(crate) fn is_known_value(rule: &str, value: &str) -> bool {
    KNOWN_VALUES
        .iter()
        .any(|k| k.value == value && k.rule.is_none_or(|r| r == rule))
}

/// Line contexts in which the generic rule's keyword is syntax, not a secret's name.
pub(crate) fn generic_line_allowed(line: &str) -> bool {
    // Docker build secrets: `RUN --mount=type=secret,id=npm_token ...`
    if line.contains("--mount=type=secret,") {
        return true;
    }
    // ES module imports: `import { chain_Key, apiToken } from './consts'`
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("import") {
        let rest = rest.trim_start();
        if rest.starts_with('{') {
            if let Some(close) = rest.find('}') {
                let after = rest[close + 1..].trim_start();
                return after.starts_with("from")
                    && after[4..].trim_start().starts_with(['\'', '"']);
            }
        }
    }
    false
}

/// Self-identifying vendor prefixes, in the case the vendor writes them. Each belongs to a
/// table rule that checks the token's full format; a value with the prefix that the rule
/// rejected is not a token of that vendor.
const VENDOR_PREFIXES: &[&str] = &[
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xoxs-",
    "xoxe-",
    "xoxo-",
    "xapp-",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glrt-",
    "glptt-",
    "sk_live_",
    "rk_live_",
    "pk_live_",
    "sk-ant-",
    "sk-proj-",
    "npm_",
    "pypi-",
    "hf_",
    "dop_v1_",
    "doo_v1_",
    "shpat_",
    "shpss_",
    "shpca_",
    "shppa_",
    "sq0atp-",
    "sq0csp-",
    "AKIA",
    "ASIA",
    "AIza",
    "hvs.",
    "hvb.",
    "SG.",
    "xai-",
    "gsk_",
    "pplx-",
    "r8_",
    "lin_api_",
    "ntn_",
];

/// True when `value` starts with a vendor prefix: the generic rule leaves it to the
/// vendor's rule.
pub(crate) fn has_vendor_prefix(value: &str) -> bool {
    VENDOR_PREFIXES.iter().any(|p| value.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_are_scoped() {
        assert!(is_known_value(
            "gcp-api-key",
            "AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM"
        ));
        assert!(!is_known_value(
            "jwt",
            "AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM"
        ));
        assert!(is_known_value(
            "generic-api-key",
            "6fe4476ee5a1832882e326b506d14126"
        ));
        assert!(!is_known_value(
            "gcp-api-key",
            "AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEX"
        ));
    }

    #[test]
    fn line_contexts() {
        assert!(generic_line_allowed(
            "RUN --mount=type=secret,id=api_token cat /run/secrets/api_token"
        ));
        assert!(generic_line_allowed(
            "import { chain_Anvil1_Key, apiToken } from '../consts';"
        ));
        assert!(!generic_line_allowed(
            "api_token = 'q8Zr2VbX4nT7mK1pW9sLc3Hd'"
        ));
        assert!(!generic_line_allowed("import { x }"));
    }

    #[test]
    fn vendor_prefixes() {
        assert!(has_vendor_prefix(
            "xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d"
        ));
        assert!(has_vendor_prefix("AKIAQYLPMN5HFIQR7XQB"));
        assert!(!has_vendor_prefix("q8Zr2VbX4nT7mK1pW9sLc3Hd"));
        assert!(!has_vendor_prefix("akiaqylpmn5hfiqr7xqb"));
    }
}
