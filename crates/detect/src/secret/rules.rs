//! The secret rule table: data, one row per credential format.
//!
//! Formats follow the public documentation of each provider and the coverage of the
//! gitleaks default rule set (token prefixes, lengths, alphabets), written out here in our
//! own table. Two shapes of rule exist:
//!
//! * [`Shape::Token`]: the token identifies itself (a vendor prefix such as `ghp_` or
//!   `xoxb-`). The regex runs over the whole text, but only when one of the rule's keywords
//!   occurs (aho-corasick prefilter). Capture group 1, when present, is the secret span.
//! * [`Shape::Assigned`]: a bare value that is only a secret next to a telling name
//!   (`HEROKU_API_KEY = "…uuid…"`). The value regex runs anchored right after each
//!   keyword occurrence, behind an assignment operator, so the cost is local to the hit.
//!
//! Every regex is compiled by the `regex` crate: linear time, no backtracking.

/// How a rule finds its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Self-identifying token; `pattern` is a full regex, group 1 (if any) is the secret.
    Token,
    /// `keyword … = value`; `pattern` is the value regex only.
    Assigned,
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct RuleDef {
    /// Stable rule id; also the redaction label (`[REDACTED:<id>]`).
    pub id: &'static str,
    /// Lower-case literals of which at least one must occur for the rule to run.
    pub keywords: &'static [&'static str],
    /// See [`Shape`].
    pub shape: Shape,
    /// The regex (see [`Shape`]).
    pub pattern: &'static str,
    /// Minimum Shannon entropy (bits per byte) of the secret; 0 disables the check.
    pub entropy: f32,
}

/// Wraps a token pattern so that it starts at a word boundary and ends at a separator,
/// with the token itself in group 1.
macro_rules! tok {
    ($p:literal) => {
        concat!(r"(?:^|\b)(", $p, r")(?:[\x60'\x22\s;,)\]}>&|]|\\[nrt]|$)")
    };
}

const fn token(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    entropy: f32,
) -> RuleDef {
    RuleDef {
        id,
        keywords,
        shape: Shape::Token,
        pattern,
        entropy,
    }
}

const fn assigned(
    id: &'static str,
    keywords: &'static [&'static str],
    pattern: &'static str,
    entropy: f32,
) -> RuleDef {
    RuleDef {
        id,
        keywords,
        shape: Shape::Assigned,
        pattern,
        entropy,
    }
}

const UUID: &str = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// The table. Order matters only for ties: when two rules report the same span, the
/// earlier one names the finding.
pub const RULES: &[RuleDef] = &[
    // --- cloud -------------------------------------------------------------------------
    token(
        "aws-access-key",
        &["akia", "asia", "abia", "acca", "a3t"],
        tok!(r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}"),
        3.0,
    ),
    assigned(
        "aws-secret-access-key",
        &[
            "aws_secret",
            "aws-secret",
            "awssecret",
            "secret_access_key",
            "secretaccesskey",
            "aws_session_token",
        ],
        r"[A-Za-z0-9/+]{40}(?:[A-Za-z0-9/+=]{60,})?",
        4.0,
    ),
    token(
        "aws-bedrock-api-key",
        &["absk"],
        tok!(r"ABSK[A-Za-z0-9+/]{109,269}={0,2}"),
        3.0,
    ),
    token(
        "aws-bedrock-short-lived-api-key",
        &["bedrock-api-key-"],
        tok!(r"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%]*"),
        0.0,
    ),
    token("gcp-api-key", &["aiza"], tok!(r"AIza[\w-]{35}"), 4.0),
    // OAuth 2.0 access tokens Google issues (`ya29.` + an opaque body, up to 2 KiB) and the
    // OAuth client secrets of Google Cloud console clients (`GOCSPX-` + 28).
    token(
        "gcp-oauth-access-token",
        &["ya29."],
        tok!(r"ya29\.[0-9A-Za-z_-]{20,2048}"),
        3.5,
    ),
    token(
        "gcp-oauth-client-secret",
        &["gocspx-"],
        tok!(r"GOCSPX-[0-9A-Za-z_-]{28}"),
        3.0,
    ),
    token(
        "gcp-service-account",
        &["service_account"],
        r#""type"\s*:\s*"(service_account)""#,
        0.0,
    ),
    token(
        "gcp-private-key-id",
        &["private_key_id"],
        r#""private_key_id"\s*:\s*"([a-f0-9]{40})""#,
        3.0,
    ),
    token(
        "azure-ad-client-secret",
        &["q~"],
        r#"(?:^|[\\'"\x60\s>=:(,)])([a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?:$|[\\'"\x60\s<),])"#,
        3.0,
    ),
    token(
        "azure-storage-account-key",
        &["accountkey="],
        r"(?i:AccountKey)=([A-Za-z0-9+/]{86}==)",
        4.0,
    ),
    token(
        "azure-sas-token",
        &["sig="],
        r"[?&]sig=([A-Za-z0-9%]{43,64}(?:%3D|=){0,2})",
        4.0,
    ),
    token(
        "alibaba-access-key-id",
        &["ltai"],
        tok!(r"LTAI[A-Za-z0-9]{20}"),
        2.0,
    ),
    assigned(
        "alibaba-secret-key",
        &["alibaba", "aliyun"],
        r"[a-zA-Z0-9]{30}",
        2.0,
    ),
    token(
        "digitalocean-token",
        &["doo_v1_", "dop_v1_", "dor_v1_"],
        tok!(r"do[opr]_v1_[a-f0-9]{64}"),
        3.0,
    ),
    token(
        "heroku-api-key-v2",
        &["hrku-aa"],
        tok!(r"HRKU-AA[0-9a-zA-Z_-]{58}"),
        4.0,
    ),
    assigned("heroku-api-key", &["heroku"], UUID, 0.0),
    token(
        "flyio-access-token",
        &["fo1_", "fm1", "fm2_"],
        tok!(r"fo1_[\w-]{43}|fm1[ar]_[a-zA-Z0-9+/]{100,}={0,3}|fm2_[a-zA-Z0-9+/]{100,}={0,3}"),
        4.0,
    ),
    token(
        "cloudflare-origin-ca-key",
        &["v1.0-"],
        tok!(r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}"),
        2.0,
    ),
    assigned(
        "cloudflare-api-key",
        &["cloudflare"],
        r"[a-zA-Z0-9_-]{40}|[a-fA-F0-9]{37}",
        2.0,
    ),
    token(
        "scalingo-api-token",
        &["tk-us-"],
        tok!(r"tk-us-[\w-]{48}"),
        2.0,
    ),
    token(
        "openshift-user-token",
        &["sha256~"],
        r"\b(sha256~[\w-]{43})(?:[^\w-]|$)",
        3.5,
    ),
    token(
        "hashicorp-tf-api-token",
        &["atlasv1"],
        tok!(r"[a-zA-Z0-9]{14}\.atlasv1\.[a-zA-Z0-9_=-]{60,70}"),
        3.5,
    ),
    token(
        "vault-service-token",
        &["hvs."],
        tok!(r"hvs\.[\w-]{90,120}"),
        3.5,
    ),
    token(
        "vault-batch-token",
        &["hvb."],
        tok!(r"hvb\.[\w-]{138,300}"),
        4.0,
    ),
    token(
        "vault-legacy-token",
        &["s."],
        tok!(r"s\.[a-zA-Z0-9]*[0-9][a-zA-Z0-9]*"),
        3.5,
    ),
    token(
        "databricks-api-token",
        &["dapi"],
        tok!(r"dapi[a-f0-9]{32}(?:-\d)?"),
        3.0,
    ),
    token(
        "dynatrace-api-token",
        &["dt0c01."],
        tok!(r"dt0c01\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{64}"),
        4.0,
    ),
    token(
        "pulumi-api-token",
        &["pul-"],
        tok!(r"pul-[a-f0-9]{40}"),
        2.0,
    ),
    token(
        "planetscale-token",
        &["pscale_tkn_", "pscale_oauth_", "pscale_pw_"],
        tok!(r"pscale_(?:tkn|oauth|pw)_[\w=.-]{32,64}"),
        3.0,
    ),
    token(
        "doppler-api-token",
        &[
            "dp.pt.",
            "dp.st.",
            "dp.ct.",
            "dp.sa.",
            "dp.scim.",
            "dp.audit.",
        ],
        tok!(r"dp\.(?:pt|st|ct|sa|scim|audit)\.[a-zA-Z0-9]{40,44}"),
        2.0,
    ),
    token(
        "infracost-api-token",
        &["ico-"],
        tok!(r"ico-[a-zA-Z0-9]{32}"),
        3.0,
    ),
    token(
        "prefect-api-token",
        &["pnu_"],
        tok!(r"pnu_[a-zA-Z0-9]{36}"),
        2.0,
    ),
    token(
        "clickhouse-cloud-api-secret-key",
        &["4b1d"],
        tok!(r"4b1d[A-Za-z0-9]{38}"),
        3.0,
    ),
    token(
        "octopus-deploy-api-key",
        &["api-"],
        tok!(r"API-[A-Z0-9]{26}"),
        3.0,
    ),
    token(
        "artifactory-api-key",
        &["akcp"],
        tok!(r"AKCp[A-Za-z0-9]{69}"),
        4.5,
    ),
    token(
        "artifactory-reference-token",
        &["cmvmd"],
        tok!(r"cmVmd[A-Za-z0-9]{59}"),
        4.5,
    ),
    assigned(
        "jfrog-api-key",
        &["jfrog", "artifactory", "bintray", "xray"],
        r"[a-zA-Z0-9]{73}|[a-zA-Z0-9]{64}",
        3.0,
    ),
    token(
        "grafana-api-key",
        &["eyjrijoi"],
        tok!(r"eyJrIjoi[A-Za-z0-9]{70,400}={0,3}"),
        3.0,
    ),
    token(
        "grafana-cloud-api-token",
        &["glc_"],
        tok!(r"glc_[A-Za-z0-9+/]{32,400}={0,3}"),
        3.0,
    ),
    token(
        "grafana-service-account-token",
        &["glsa_"],
        tok!(r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
        3.0,
    ),
    token(
        "sentry-org-token",
        &["sntrys_"],
        r"\b(sntrys_eyJpYXQiO[a-zA-Z0-9+/]{10,200}(?:LCJyZWdpb25fdXJs|InJlZ2lvbl91cmwi|cmVnaW9uX3VybCI6)[a-zA-Z0-9+/]{10,200}={0,2}_[a-zA-Z0-9+/]{43})(?:[^a-zA-Z0-9+/]|$)",
        4.5,
    ),
    // Sentry org auth tokens by structure alone (`sntrys_` + base64 JSON payload + `_` +
    // 43-byte secret), for payloads whose claims are not in gitleaks' order or spelling.
    token(
        "sentry-org-token",
        &["sntrys_ey"],
        r"\b(sntrys_eyJ[a-zA-Z0-9+/]{40,400}={0,2}_[a-zA-Z0-9+/]{43})(?:[^a-zA-Z0-9+/=_]|$)",
        4.5,
    ),
    token(
        "sentry-user-token",
        &["sntryu_"],
        tok!(r"sntryu_[a-f0-9]{64}"),
        3.5,
    ),
    assigned("sentry-access-token", &["sentry"], r"[a-fA-F0-9]{64}", 3.0),
    token(
        "newrelic-api-key",
        &["nrak-", "nrjs-", "nrii-"],
        tok!(r"NRAK-[A-Z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[a-zA-Z0-9-]{32}"),
        2.0,
    ),
    assigned(
        "newrelic-user-api-id",
        &["newrelic", "new-relic", "new_relic"],
        r"[a-zA-Z0-9]{64}",
        3.0,
    ),
    assigned(
        "datadog-access-token",
        &["datadog", "dd_api_key", "dd_app_key"],
        r"[a-zA-Z0-9]{40}|[a-fA-F0-9]{32}",
        3.0,
    ),
    // --- identity, secrets managers ------------------------------------------------------
    token(
        "1password-secret-key",
        &["a3-"],
        tok!(
            r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}"
        ),
        3.8,
    ),
    token(
        "1password-service-account-token",
        &["ops_eyj"],
        r"\b(ops_eyJ[a-zA-Z0-9+/]{250,}={0,3})",
        4.0,
    ),
    token(
        "age-secret-key",
        &["age-secret-key-1"],
        r"(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})",
        0.0,
    ),
    assigned("okta-access-token", &["okta"], r"00[\w=-]{40}", 4.0),
    token(
        "authress-access-key",
        &["sc_", "ext_", "scauth_", "authress_"],
        tok!(
            r"(?:sc|ext|scauth|authress)_[a-zA-Z0-9]{5,30}\.[a-zA-Z0-9]{4,6}\.acc[_-][a-zA-Z0-9-]{10,32}\.[a-zA-Z0-9+/_=-]{30,120}"
        ),
        2.0,
    ),
    // --- version control and CI ------------------------------------------------------------
    // No trailing boundary, as in gitleaks: a real token with characters glued to its end
    // must still be caught (and redacted) rather than left whole to no rule at all.
    token("github-pat", &["ghp_"], r"\b(ghp_[0-9a-zA-Z]{36})", 3.0),
    token("github-oauth", &["gho_"], r"\b(gho_[0-9a-zA-Z]{36})", 3.0),
    token(
        "github-app-token",
        &["ghu_", "ghs_"],
        r"\b((?:ghu|ghs)_[0-9a-zA-Z]{36})\b",
        3.0,
    ),
    // The longer app tokens GitHub may issue (body up to 255 of `[A-Za-z0-9_]`); the
    // 36-byte row above keeps the classic length.
    token(
        "github-app-token",
        &["ghu_", "ghs_"],
        r"\b((?:ghu|ghs)_[0-9a-zA-Z_]{37,255})\b",
        3.5,
    ),
    token(
        "github-refresh-token",
        &["ghr_"],
        r"\b(ghr_[0-9a-zA-Z]{36})\b",
        3.0,
    ),
    token(
        "github-fine-grained-pat",
        &["github_pat_"],
        r"\b(github_pat_\w{82})\b",
        3.0,
    ),
    token(
        "gitlab-pat",
        &["glpat-"],
        r"\b(glpat-[\w-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}|glpat-[\w-]{20})(?:[^\w-]|$)",
        3.0,
    ),
    token(
        "gitlab-token",
        &[
            "glptt-", "gldt-", "glrt-", "glcbt-", "glffct-", "glft-", "glimt-", "glagent-",
            "gloas-", "glsoat-",
        ],
        r"\b(glptt-[0-9a-f]{40}|glrt-t\d_[\w-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}|glrt-[\w-]{20}|glcbt-[0-9a-zA-Z]{1,5}_[\w-]{20}|gldt-[\w-]{20}|glffct-[\w-]{20}|glft-[\w-]{20}|glimt-[\w-]{25}|glagent-[\w-]{50}|gloas-[\w-]{64}|glsoat-[\w-]{20})(?:[^\w-]|$)",
        3.0,
    ),
    token(
        "gitlab-runner-registration-token",
        &["gr1348941"],
        r"\b(GR1348941[\w-]{20})(?:[^\w-]|$)",
        3.0,
    ),
    token(
        "gitlab-session-cookie",
        &["_gitlab_session="],
        r"_gitlab_session=([0-9a-z]{32})",
        3.0,
    ),
    assigned(
        "bitbucket-client-secret",
        &["bitbucket"],
        r"[a-zA-Z0-9=_-]{64}|[a-zA-Z0-9]{32}",
        3.0,
    ),
    assigned(
        "gitter-access-token",
        &["gitter"],
        r"[a-zA-Z0-9_-]{40}",
        3.0,
    ),
    assigned(
        "droneci-access-token",
        &["droneci", "drone_token"],
        r"[a-zA-Z0-9]{32}",
        3.0,
    ),
    assigned(
        "travisci-access-token",
        &["travis"],
        r"[a-zA-Z0-9]{22}",
        3.0,
    ),
    assigned(
        "codecov-access-token",
        &["codecov"],
        r"[a-zA-Z0-9]{32}|[a-fA-F0-9-]{36}",
        3.0,
    ),
    assigned(
        "sonar-api-token",
        &[
            "sonar_token",
            "sonar.token",
            "sonar-token",
            "sonar_login",
            "sonar.login",
            "sonartoken",
        ],
        r"(?:sq[apu]_)?[a-zA-Z0-9=_-]{40}",
        3.0,
    ),
    assigned("snyk-api-token", &["snyk"], UUID, 3.0),
    token(
        "sourcegraph-access-token",
        &["sgp_"],
        r"\b(sgp_(?:[a-fA-F0-9]{16}|local)_[a-fA-F0-9]{40}|sgp_[a-fA-F0-9]{40})\b",
        3.0,
    ),
    assigned(
        "sourcegraph-access-token",
        &["sourcegraph"],
        r"[a-fA-F0-9]{40}",
        3.0,
    ),
    token(
        "harness-api-key",
        &["pat.", "sat."],
        tok!(r"(?:pat|sat)\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{20}"),
        3.0,
    ),
    // --- chat -------------------------------------------------------------------------------
    token(
        "slack-bot-token",
        &["xoxb"],
        r"\b(xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*|xoxb-[0-9]{8,14}-[a-zA-Z0-9]{18,26})",
        3.0,
    ),
    token(
        "slack-user-token",
        &["xoxp-", "xoxe-"],
        r"\b(xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34})",
        2.0,
    ),
    token(
        "slack-app-token",
        &["xapp"],
        r"(?i)\b(xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)",
        2.0,
    ),
    token(
        "slack-config-token",
        &["xoxe.xox", "xoxe-"],
        r"(?i)\b(xoxe\.xox[bp]-\d-[A-Z0-9]{163,166}|xoxe-\d-[A-Z0-9]{146})",
        2.0,
    ),
    token(
        "slack-legacy-token",
        &["xoxo", "xoxs", "xoxa", "xoxr"],
        r"\b(xox[os]-\d+-\d+-\d+-[a-fA-F\d]+|xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48})",
        2.0,
    ),
    token(
        "slack-webhook-url",
        &["hooks.slack.com"],
        r"((?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56})",
        0.0,
    ),
    token(
        "microsoft-teams-webhook",
        &["webhook.office.com"],
        r"(https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[a-z0-9-]{36}@[a-z0-9-]{36}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9-]{36})",
        0.0,
    ),
    token(
        "discord-webhook-url",
        &["discord.com/api/webhooks", "discordapp.com/api/webhooks"],
        r"(https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,80})",
        0.0,
    ),
    assigned(
        "discord-api-token",
        &["discord"],
        r"[a-fA-F0-9]{64}|[a-zA-Z0-9=_-]{32}|[0-9]{18}",
        2.0,
    ),
    token(
        "discord-bot-token",
        &["discord", "bot "],
        r"\b([MNO][A-Za-z\d_-]{23,25}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,38})\b",
        4.0,
    ),
    assigned(
        "telegram-bot-api-token",
        &["telegr"],
        r"[0-9]{5,16}:A[a-zA-Z0-9_-]{34}",
        0.0,
    ),
    token(
        "telegram-bot-api-token",
        &[":aa"],
        r"\b([0-9]{8,10}:AA[a-zA-Z0-9_-]{33})\b",
        3.0,
    ),
    assigned(
        "mattermost-access-token",
        &["mattermost"],
        r"[a-zA-Z0-9]{26}",
        3.0,
    ),
    assigned("twitch-api-token", &["twitch"], r"[a-zA-Z0-9]{30}", 3.0),
    assigned(
        "twitter-token",
        &["twitter"],
        r"A{22}[a-zA-Z0-9%]{80,100}|[0-9]{15,25}-[a-zA-Z0-9]{20,40}|[a-zA-Z0-9]{50}|[a-zA-Z0-9]{45}|[a-zA-Z0-9]{25}",
        3.0,
    ),
    token(
        "facebook-page-access-token",
        &["eaam", "eaac"],
        tok!(r"EAA[MC][a-zA-Z0-9]{100,}"),
        4.0,
    ),
    token(
        "facebook-access-token",
        &["facebook"],
        tok!(r"\d{15,16}(?:\||%)[0-9a-zA-Z_-]{27,40}"),
        3.0,
    ),
    assigned("facebook-secret", &["facebook"], r"[a-fA-F0-9]{32}", 3.0),
    assigned(
        "linkedin-client-secret",
        &["linkedin", "linked_in", "linked-in"],
        r"[a-zA-Z0-9]{16}|[a-zA-Z0-9]{14}",
        2.0,
    ),
    assigned(
        "intercom-api-key",
        &["intercom"],
        r"[a-zA-Z0-9=_-]{60}",
        3.0,
    ),
    assigned(
        "sendbird-access-token",
        &["sendbird"],
        r"[a-fA-F0-9]{40}",
        3.0,
    ),
    assigned(
        "messagebird-api-token",
        &["messagebird", "message-bird", "message_bird"],
        r"[a-zA-Z0-9]{25}",
        3.0,
    ),
    assigned(
        "messagebird-client-id",
        &["messagebird", "message-bird", "message_bird"],
        UUID,
        0.0,
    ),
    // --- payment -------------------------------------------------------------------------------
    token(
        "stripe-access-token",
        &[
            "sk_test", "sk_live", "sk_prod", "rk_test", "rk_live", "rk_prod",
        ],
        tok!(r"(?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99}"),
        2.0,
    ),
    token(
        "stripe-webhook-secret",
        &["whsec_"],
        tok!(r"whsec_[a-zA-Z0-9+/]{32,}={0,2}"),
        3.0,
    ),
    token(
        "square-access-token",
        &["sq0atp-", "eaaa"],
        tok!(r"(?:EAAA|sq0atp-)[\w-]{22,60}"),
        2.0,
    ),
    token(
        "square-secret",
        &["sq0csp-"],
        tok!(r"sq0csp-[0-9A-Za-z_-]{43}"),
        2.0,
    ),
    token(
        "braintree-access-token",
        &["access_token$"],
        r"(access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32})",
        3.0,
    ),
    assigned(
        "paypal-client-secret",
        &["paypal"],
        r"E[A-Za-z0-9_-]{79}|A[A-Za-z0-9_-]{79}",
        4.0,
    ),
    token(
        "shopify-token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        tok!(r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
        2.0,
    ),
    token(
        "flutterwave-key",
        &["flwseck_test", "flwpubk_test", "flwseck-", "flwpubk-"],
        tok!(r"FLW(?:SECK|PUBK)(?:_TEST)?-[a-hA-H0-9]{32}-X|FLWSECK_TEST-[a-hA-H0-9]{12}"),
        2.0,
    ),
    token(
        "easypost-api-token",
        &["ezak", "eztk"],
        tok!(r"EZ[AT]K[a-zA-Z0-9]{54}"),
        2.0,
    ),
    token(
        "shippo-api-token",
        &["shippo_"],
        tok!(r"shippo_(?:live|test)_[a-fA-F0-9]{40}"),
        2.0,
    ),
    token(
        "duffel-api-token",
        &["duffel_"],
        tok!(r"duffel_(?:test|live)_[a-zA-Z0-9_=-]{43}"),
        2.0,
    ),
    assigned(
        "plaid-secret",
        &["plaid"],
        r"access-(?:sandbox|development|production)-[0-9a-f-]{36}|[a-zA-Z0-9]{30}|[a-zA-Z0-9]{24}",
        3.5,
    ),
    assigned(
        "gocardless-api-token",
        &["gocardless"],
        r"live_[a-zA-Z0-9_=-]{40}",
        2.0,
    ),
    assigned(
        "coinbase-access-token",
        &["coinbase"],
        r"[a-zA-Z0-9_-]{64}",
        3.0,
    ),
    assigned(
        "kraken-access-token",
        &["kraken"],
        r"[a-zA-Z0-9/=_+-]{80,90}",
        3.0,
    ),
    assigned(
        "kucoin-secret",
        &["kucoin"],
        r"[a-fA-F0-9]{24}|[0-9a-fA-F-]{36}",
        2.0,
    ),
    assigned("bittrex-key", &["bittrex"], r"[a-zA-Z0-9]{32}", 3.0),
    assigned(
        "finicity-secret",
        &["finicity"],
        r"[a-fA-F0-9]{32}|[a-zA-Z0-9]{20}",
        3.0,
    ),
    assigned(
        "finnhub-access-token",
        &["finnhub"],
        r"[a-zA-Z0-9]{20}",
        3.0,
    ),
    // --- AI providers ---------------------------------------------------------------------------
    token(
        "openai-api-key",
        &["t3blbkfj"],
        tok!(
            r"sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20}"
        ),
        3.0,
    ),
    token(
        "openai-api-key",
        &["sk-proj-", "sk-svcacct-", "sk-admin-"],
        tok!(r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{80,250}"),
        4.5,
    ),
    // Every OpenAI key format embeds `T3BlbkFJ` (base64 of "OpenAI"); the two rows above
    // pin gitleaks' lengths, this one takes the marker with any body length (older project
    // keys, `sk-service-…` service-account keys).
    token(
        "openai-api-key",
        &["t3blbkfj"],
        tok!(
            r"sk-(?:(?:proj|svcacct|service|admin)-[A-Za-z0-9_-]{8,250}|[A-Za-z0-9]{8,100})T3BlbkFJ[A-Za-z0-9_-]{16,250}"
        ),
        3.5,
    ),
    token(
        "anthropic-api-key",
        &["sk-ant-"],
        tok!(r"sk-ant-(?:api|oat|sid)\d\d-[a-zA-Z0-9_-]{93}AA"),
        0.0,
    ),
    token(
        "anthropic-admin-api-key",
        &["sk-ant-admin"],
        tok!(r"sk-ant-admin\d\d-[a-zA-Z0-9_-]{93}AA"),
        0.0,
    ),
    token(
        "huggingface-access-token",
        &["hf_"],
        tok!(r"hf_[a-zA-Z]{34}"),
        3.0,
    ),
    token(
        "huggingface-organization-api-token",
        &["api_org_"],
        tok!(r"api_org_[a-zA-Z]{34}"),
        3.0,
    ),
    assigned(
        "cohere-api-token",
        &["cohere", "co_api_key"],
        r"[a-zA-Z0-9]{40}",
        4.0,
    ),
    token(
        "perplexity-api-key",
        &["pplx-"],
        r"\b(pplx-[a-zA-Z0-9]{48})\b",
        4.0,
    ),
    token("groq-api-key", &["gsk_"], tok!(r"gsk_[a-zA-Z0-9]{52}"), 4.0),
    token("xai-api-key", &["xai-"], tok!(r"xai-[a-zA-Z0-9]{80}"), 4.0),
    // Providers that MCP servers and agent configs commonly hold keys for, beyond the gitleaks
    // set; each format is the vendor's documented token prefix and body.
    token(
        "openrouter-api-key",
        &["sk-or-v1-"],
        tok!(r"sk-or-v1-[a-f0-9]{64}"),
        3.0,
    ),
    token(
        "langfuse-secret-key",
        &["sk-lf-"],
        tok!(r"sk-lf-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
        3.0,
    ),
    token(
        "langsmith-api-key",
        &["lsv2_"],
        tok!(r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}"),
        3.0,
    ),
    token(
        "supabase-access-token",
        &["sbp_", "sb_secret_"],
        tok!(r"(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,64})"),
        3.0,
    ),
    token(
        "tavily-api-key",
        &["tvly-"],
        tok!(r"tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}"),
        3.5,
    ),
    token("firecrawl-api-key", &["fc-"], tok!(r"fc-[a-f0-9]{32}"), 3.0),
    token(
        "elevenlabs-api-key",
        &["sk_"],
        tok!(r"sk_[a-f0-9]{48}"),
        3.0,
    ),
    token(
        "pinecone-api-key",
        &["pcsk_"],
        tok!(r"pcsk_[A-Za-z0-9]{4,10}_[A-Za-z0-9]{40,90}"),
        3.5,
    ),
    token(
        "figma-access-token",
        &["figd_"],
        tok!(r"figd_[A-Za-z0-9_-]{40,}"),
        3.5,
    ),
    token(
        "figma-access-token",
        &["figp_"],
        tok!(r"figp_[A-Za-z0-9_=-]{40,54}"),
        3.5,
    ),
    // NVIDIA NGC / build.nvidia.com API keys: `nvapi-` + 64.
    token(
        "nvidia-api-key",
        &["nvapi-"],
        tok!(r"nvapi-[A-Za-z0-9_-]{64}"),
        3.5,
    ),
    token(
        "mapbox-secret-token",
        &["sk.eyj"],
        tok!(r"sk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}"),
        3.5,
    ),
    token(
        "cerebras-api-key",
        &["csk-"],
        tok!(r"csk-[a-z0-9]{40,64}"),
        3.5,
    ),
    token(
        "replicate-api-token",
        &["r8_"],
        tok!(r"r8_[a-zA-Z0-9]{37}"),
        3.5,
    ),
    token(
        "privateai-api-token",
        &["privateai", "private_ai", "private-ai"],
        r"(?i:private[_-]?ai)[\w.-]{0,20}[\s'\x22]{0,3}(?:=|:|=>)[\s'\x22\x60]{0,5}([a-z0-9]{32})\b",
        3.0,
    ),
    assigned("mistral-api-key", &["mistral"], r"[a-zA-Z0-9]{32}", 4.0),
    // --- package registries ------------------------------------------------------------------------
    token(
        "npm-access-token",
        &["npm_"],
        tok!(r"npm_[a-zA-Z0-9]{36}"),
        2.0,
    ),
    token(
        "pypi-upload-token",
        &["pypi-ageichlwas5vcmc", "pypi-agendgvzdc5wexbplm9yzw"],
        r"(pypi-Ag(?:EIcHlwaS5vcmc|ENdGVzdC5weXBpLm9yZw)[\w-]{50,1000})",
        3.0,
    ),
    token(
        "rubygems-api-token",
        &["rubygems_"],
        tok!(r"rubygems_[a-f0-9]{48}"),
        2.0,
    ),
    token(
        "clojars-api-token",
        &["clojars_"],
        r"(CLOJARS_[a-zA-Z0-9]{60})",
        2.0,
    ),
    token("nuget-api-key", &["oy2"], tok!(r"oy2[a-z0-9]{43}"), 3.5),
    token(
        "docker-hub-pat",
        &["dckr_pat_"],
        tok!(r"dckr_pat_[a-zA-Z0-9_-]{27}"),
        3.0,
    ),
    // Docker Hub organization access tokens (`dckr_oat_`), same body as the PAT.
    token(
        "docker-hub-oat",
        &["dckr_oat_"],
        tok!(r"dckr_oat_[a-zA-Z0-9_-]{27,32}"),
        3.0,
    ),
    token(
        "sidekiq-sensitive-url",
        &["contribsys.com"],
        r"(?i)\bhttps?://([a-f0-9]{8}:[a-f0-9]{8})@(?:gems|enterprise)\.contribsys\.com",
        0.0,
    ),
    assigned(
        "sidekiq-secret",
        &[
            "bundle_enterprise__contribsys__com",
            "bundle_gems__contribsys__com",
        ],
        r"[a-fA-F0-9]{8}:[a-fA-F0-9]{8}",
        0.0,
    ),
    // --- SaaS -------------------------------------------------------------------------------------
    // Buildkite user API access tokens: `bkua_` + 40 lower-case alphanumerics.
    token(
        "buildkite-api-token",
        &["bkua_"],
        tok!(r"bkua_[a-z0-9]{40}"),
        3.0,
    ),
    // Asana personal access tokens: `<version>/<user gid>[/<token gid>]:<secret>`; the shape
    // (digits, slash, 16+ digits, colon, 32+ alphanumerics) is only read in a text that names
    // Asana.
    token(
        "asana-personal-access-token",
        &["asana"],
        r"\b([0-9]{1,64}/[0-9]{16,32}(?:/[0-9]{16,32})?:[A-Za-z0-9]{32,128})\b",
        3.0,
    ),
    // Bitbucket app passwords: `ATBB` + body + an 8-byte upper-case/digit check suffix.
    token(
        "bitbucket-app-password",
        &["atbb"],
        r"\b(ATBB[A-Za-z0-9_=.-]{16,128}[A-Z0-9]{8})\b",
        3.5,
    ),
    // LaunchDarkly API access tokens and server SDK keys: `api-`/`sdk-` + a UUIDv4-shaped
    // body (`mob-` client keys are public by design).
    token(
        "launchdarkly-access-token",
        &["api-", "sdk-"],
        r"\b((?:api|sdk)-[a-z0-9]{8}-[a-z0-9]{4}-4[a-z0-9]{3}-[a-z0-9]{4}-[a-z0-9]{12})\b",
        3.0,
    ),
    // Apify API tokens: `apify_api_` + 36.
    token(
        "apify-api-token",
        &["apify_api_"],
        tok!(r"apify_api_[a-zA-Z0-9-]{36}"),
        3.5,
    ),
    // Session 9 (2026-11-22): vendor prefixes from the vendors' documented formats and
    // trufflehog's detector sources, found missing by a self-made probe of 88 formats.
    // Contentful personal access tokens (CMA): `CFPAT-` + 43.
    token(
        "contentful-api-token",
        &["cfpat-"],
        tok!(r"CFPAT-[a-zA-Z0-9_-]{43}"),
        3.5,
    ),
    // Tailscale keys: `tskey-<kind>-<key id>-<secret>`.
    token(
        "tailscale-api-key",
        &["tskey-"],
        tok!(r"tskey-(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{6,32}-[A-Za-z0-9]{24,64}"),
        3.5,
    ),
    // Netlify personal access tokens: `nfp_` + 36.
    token(
        "netlify-access-token",
        &["nfp_"],
        tok!(r"nfp_[a-zA-Z0-9_]{36}"),
        3.5,
    ),
    // Airtable personal access tokens: `pat` + 14 + `.` + 64 hex.
    token(
        "airtable-personal-access-token",
        &["pat"],
        tok!(r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}"),
        3.0,
    ),
    // CAST AI API keys.
    token(
        "castai-api-key",
        &["castai_v1_"],
        tok!(r"castai_v1_[a-z0-9]{64}_[a-z0-9]{8}"),
        3.0,
    ),
    // PostHog personal API keys (`phx_`); the `phc_` project keys are public by design.
    token(
        "posthog-personal-api-key",
        &["phx_"],
        tok!(r"phx_[A-Za-z0-9_]{40,60}"),
        3.5,
    ),
    token(
        "adobe-client-secret",
        &["p8e-"],
        tok!(r"p8e-[a-zA-Z0-9]{32}"),
        2.0,
    ),
    token(
        "atlassian-api-token",
        &["atatt3"],
        tok!(r"ATATT3[A-Za-z0-9_=-]{186}"),
        3.5,
    ),
    assigned(
        "atlassian-api-token",
        &["atlassian", "confluence", "jira"],
        r"[a-zA-Z0-9]{20}[a-fA-F0-9]{4}",
        3.5,
    ),
    token(
        "linear-api-key",
        &["lin_api_"],
        tok!(r"lin_api_[a-zA-Z0-9]{40}"),
        2.0,
    ),
    token(
        "notion-api-token",
        &["ntn_"],
        tok!(r"ntn_[0-9]{11}[A-Za-z0-9]{35}"),
        4.0,
    ),
    token(
        "notion-api-token",
        &["secret_"],
        tok!(r"secret_[A-Za-z0-9]{43}"),
        4.5,
    ),
    token(
        "postman-api-token",
        &["pmak-"],
        tok!(r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}"),
        3.0,
    ),
    token(
        "readme-api-token",
        &["rdme_"],
        tok!(r"rdme_[a-z0-9]{70}"),
        2.0,
    ),
    token(
        "sendgrid-api-token",
        &["sg."],
        tok!(r"SG\.[\w-]{22}\.[\w-]{43}"),
        3.0,
    ),
    token(
        "sendinblue-api-token",
        &["xkeysib-"],
        tok!(r"xkeysib-[a-f0-9]{64}-[a-zA-Z0-9]{16}"),
        2.0,
    ),
    token(
        "mailgun-api-key",
        &["key-", "pubkey-"],
        r"(?i:mailgun)[\w.-]{0,20}[\s'\x22]{0,3}(?:=|:|=>|,)[\s'\x22\x60]{0,5}((?:pub)?key-[a-f0-9]{32}|[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8})\b",
        2.0,
    ),
    assigned(
        "mailchimp-api-key",
        &["mailchimp"],
        r"[a-fA-F0-9]{32}-us\d{1,2}",
        0.0,
    ),
    token(
        "mailchimp-api-key",
        &["-us"],
        r"\b([a-f0-9]{32}-us\d{1,2})\b",
        3.0,
    ),
    token(
        "mapbox-api-token",
        &["pk.eyj", "sk.eyj"],
        tok!(r"[ps]k\.eyJ[a-zA-Z0-9_-]{50,}\.[a-zA-Z0-9_-]{22}"),
        3.5,
    ),
    token(
        "maxmind-license-key",
        &["_mmk"],
        tok!(r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk"),
        4.0,
    ),
    token(
        "settlemint-token",
        &["sm_aat_", "sm_pat_", "sm_sat_"],
        tok!(r"sm_(?:aat|pat|sat)_[a-zA-Z0-9]{16}"),
        3.0,
    ),
    token(
        "frameio-api-token",
        &["fio-u-"],
        tok!(r"fio-u-[a-zA-Z0-9_=-]{64}"),
        2.0,
    ),
    token(
        "intra42-client-secret",
        &["s-s4t2"],
        tok!(r"s-s4t2(?:ud|af)-[a-fA-F0-9]{64}"),
        3.0,
    ),
    token("twilio-api-key", &["sk"], r"\b(SK[0-9a-fA-F]{32})\b", 3.0),
    assigned("twilio-auth-token", &["twilio"], r"[a-fA-F0-9]{32}", 3.0),
    assigned("algolia-api-key", &["algolia"], r"[a-zA-Z0-9]{32}", 3.0),
    assigned(
        "airtable-api-key",
        &["airtable"],
        r"pat[a-zA-Z0-9]{14}\.[a-f0-9]{64}|[a-zA-Z0-9]{17}",
        3.0,
    ),
    assigned(
        "asana-secret",
        &["asana"],
        r"[a-zA-Z0-9]{32}|[0-9]{16}",
        3.0,
    ),
    assigned("adafruit-api-key", &["adafruit"], r"[a-zA-Z0-9_-]{32}", 3.0),
    assigned("adobe-client-id", &["adobe"], r"[a-fA-F0-9]{32}", 3.0),
    assigned(
        "beamer-api-token",
        &["beamer"],
        r"b_[a-zA-Z0-9=_-]{44}",
        0.0,
    ),
    assigned("cisco-meraki-api-key", &["meraki"], r"[0-9a-f]{40}", 3.0),
    assigned(
        "confluent-secret",
        &["confluent"],
        r"[a-zA-Z0-9]{64}|[a-zA-Z0-9]{16}",
        3.0,
    ),
    assigned(
        "contentful-api-token",
        &["contentful"],
        r"[a-zA-Z0-9=_-]{43}",
        3.0,
    ),
    assigned(
        "dropbox-api-token",
        &["dropbox"],
        r"sl\.[a-zA-Z0-9=_-]{135,}|[a-zA-Z0-9]{11}AAAAAAAAAA[a-zA-Z0-9=_-]{43}|[a-zA-Z0-9]{15}",
        3.0,
    ),
    assigned("etsy-access-token", &["etsy"], r"[a-zA-Z0-9]{24}", 3.0),
    assigned("fastly-api-token", &["fastly"], r"[a-zA-Z0-9=_-]{32}", 3.0),
    assigned("flickr-access-token", &["flickr"], r"[a-zA-Z0-9]{32}", 3.0),
    assigned(
        "freshbooks-access-token",
        &["freshbooks"],
        r"[a-zA-Z0-9]{64}",
        3.0,
    ),
    assigned(
        "hubspot-api-key",
        &["hubspot"],
        r"pat-[a-z0-9]{2,4}-[0-9a-fA-F-]{36}|[0-9a-fA-F-]{36}",
        0.0,
    ),
    assigned(
        "launchdarkly-access-token",
        &["launchdarkly"],
        r"[a-zA-Z0-9=_-]{40}",
        3.0,
    ),
    assigned("linear-client-secret", &["linear"], r"[a-fA-F0-9]{32}", 3.0),
    assigned(
        "lob-api-key",
        &["lob"],
        r"(?:live|test)_(?:pub_)?[a-f0-9]{31,35}",
        2.0,
    ),
    assigned(
        "netlify-access-token",
        &["netlify"],
        r"[a-zA-Z0-9=_-]{40,46}",
        3.0,
    ),
    assigned(
        "nytimes-access-token",
        &["nytimes", "new-york-times", "newyorktimes"],
        r"[a-zA-Z0-9=_-]{32}",
        3.0,
    ),
    assigned(
        "rapidapi-access-token",
        &["rapidapi"],
        r"[a-zA-Z0-9_-]{50}",
        3.0,
    ),
    assigned("squarespace-access-token", &["squarespace"], UUID, 2.0),
    assigned("sumologic-access-id", &["sumo"], r"su[a-zA-Z0-9]{12}", 3.0),
    assigned("sumologic-access-token", &["sumo"], r"[a-zA-Z0-9]{64}", 3.0),
    assigned(
        "typeform-api-token",
        &["typeform"],
        r"tfp_[a-zA-Z0-9_.=-]{59}",
        2.0,
    ),
    assigned(
        "yandex-token",
        &["yandex"],
        r"t1\.[A-Z0-9a-z_-]+={0,2}\.[A-Z0-9a-z_-]{86}={0,2}|AQVN[A-Za-z0-9_-]{35,38}|YC[a-zA-Z0-9_-]{38}",
        2.0,
    ),
    assigned("zendesk-secret-key", &["zendesk"], r"[a-zA-Z0-9]{40}", 3.0),
    assigned(
        "defined-networking-api-token",
        &["dnkey"],
        r"dnkey-[a-zA-Z0-9=_-]{26}-[a-zA-Z0-9=_-]{52}",
        0.0,
    ),
    // --- credentials in XML elements ---------------------------------------------------------
    // `<password>…</password>`, `<secret>{AQAAABAAAA…}</secret>` and friends, as Maven
    // `settings.xml`, Jenkins `credentials.xml` and XML API responses carry them. The value is
    // either one run of non-space bytes holding a digit, or a Jenkins-style `{…}` group with a
    // run of 16+ base64 bytes inside; entropy and the placeholder filter drop `${PASS}`,
    // `YOUR_API_KEY` and the like.
    token(
        "xml-credential-element",
        &[
            "<secret>",
            "<password>",
            "<passphrase>",
            "<apitoken>",
            "<apikey>",
            "<token>",
            "<secretkey>",
            "<accesskey>",
            "<clientsecret>",
        ],
        r"(?i:<(?:secret|password|passphrase|apitoken|apikey|token|secretkey|accesskey|clientsecret)>)[ \t]*(\{[^<>{}\n]{0,64}?[A-Za-z0-9+/=_-]{16,}[^<>{}\n]{0,64}?\}|[^\s<>{}]{0,128}[0-9][^\s<>{}]{0,128})[ \t]*(?i:</(?:secret|password|passphrase|apitoken|apikey|token|secretkey|accesskey|clientsecret)>)",
        3.0,
    ),
    // --- JWT ---------------------------------------------------------------------------------------
    token(
        "jwt",
        &["eyj"],
        r"\b(eyJ[a-zA-Z0-9_-]{15,}\.eyJ[a-zA-Z0-9_/\\-]{15,}\.(?:[a-zA-Z0-9_/\\-]{10,}={0,2})?)",
        3.0,
    ),
    token(
        "jwt-base64",
        &["zxlk"],
        r"\b(ZXlK(?:aGJHY2lPaU|MGVYQWlPaUp|cmFXUWlP|NmFYQWlPaU|bGJtTWlPaU|cWQyc2lPb|emRXSWlPaU|cGMzTWlPaU|aGRXUWlPaU|bGNHc2lPbn)[a-zA-Z0-9/\\_+\r\n-]{40,}={0,2})",
        2.0,
    ),
];
