//! Secret scanner through the public API: canonical fake keys built from documented formats.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers build fixtures from literals

use mcpwall_detect::secret::{rule_ids, scan};
use mcpwall_detect::Family;

fn rule(text: &str) -> Option<String> {
    scan(text).first().map(|f| f.rule.to_string())
}

#[test]
fn token_formats() {
    let body36 = "Zx8Kq2Lm5Np7Rt9Vw1Yb3Cd6Fg0Hj4Sa8Ue2W";
    let cases = [
        (format!("ghs_{}", &body36[..36]), "github-app-token"),
        (format!("glpat-{}", &body36[..20]), "gitlab-pat"),
        (format!("npm_{}", &body36[..36]), "npm-access-token"),
        (
            format!(
                "dop_v1_{}",
                "3f9a1c7e5b2d8f4a6c0e9b1d7f3a5c8e2b4d6f0a9c1e3b5d7f2a4c6e8b0d1f3a"
            ),
            "digitalocean-token",
        ),
        (
            format!(
                "sk-ant-api03-{}AA",
                "Qw7Er9Ty2Ui4Op6As8Df0Gh1Jk3Lz5Xc7Vb9Nm-_"
                    .chars()
                    .cycle()
                    .take(93)
                    .collect::<String>()
            ),
            "anthropic-api-key",
        ),
        (
            format!(
                "pypi-AgEIcHlwaS5vcmc{}",
                "CJDYzY2E3ZmQtNzQ4ZC00NTQ0LWE5ZjAtY2Q2YjRlZmNhNzBmAAIqWzMsImJkYTg"
            ),
            "pypi-upload-token",
        ),
        (
            "xoxp-1234567890-1234567890123-1234567890123-a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
                .to_string(),
            "slack-user-token",
        ),
        (
            "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".to_string(),
            "sendgrid-api-token",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(
            rule(&format!("value: {text}\n")).as_deref(),
            Some(want),
            "{text}"
        );
    }
}

#[test]
fn findings_are_secret_family_with_spans_on_the_secret() {
    let t = "HUGGINGFACE_TOKEN=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 rest";
    let f = scan(t);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].family, Family::Secret);
    assert_eq!(
        &t[f[0].start..f[0].end],
        "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"
    );
}

#[test]
fn benign_code_and_prose() {
    for t in [
        "const keyboardLayout = \"en-US\";",
        "tokenizer = AutoTokenizer.from_pretrained(\"bert-base-uncased\")",
        "password_policy: min_length=12",
        "The API returns an access token that expires after one hour.",
        "secret_name = \"prod/db/credentials\"",
        "AWS example key AKIAIOSFODNN7EXAMPLE from the docs",
        "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ] {
        assert!(scan(t).is_empty(), "{t}: {:?}", scan(t));
    }
}

#[test]
fn rule_list_covers_major_providers() {
    let ids = rule_ids();
    for want in [
        "aws-access-key",
        "gcp-api-key",
        "azure-ad-client-secret",
        "github-pat",
        "gitlab-pat",
        "slack-bot-token",
        "discord-bot-token",
        "telegram-bot-api-token",
        "stripe-access-token",
        "square-access-token",
        "openai-api-key",
        "anthropic-api-key",
        "huggingface-access-token",
        "npm-access-token",
        "pypi-upload-token",
        "private-key",
        "jwt",
        "url-password",
        "generic-api-key",
    ] {
        assert!(ids.contains(&want), "{want}");
    }
}
