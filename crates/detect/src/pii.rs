//! PII detection (family `pii`) with validation (Luhn, IBAN checksum).
