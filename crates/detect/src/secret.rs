//! Secret detection (family `secret`): gitleaks-class rules plus a generic high-entropy rule.
