//! Normalization before matching: NFKC, case folding, confusables, hidden characters stripped.
