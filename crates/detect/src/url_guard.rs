//! URL guard (family `ssrf`): internal targets in every encoding, resolver-backed pinning.
