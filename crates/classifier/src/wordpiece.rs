//! BERT tokenization through the `tokenizers` crate, so ids match what the model was trained
//! with exactly (BertNormalizer, BertPreTokenizer, WordPiece with `##` continuation).

use std::collections::HashMap;
use std::path::Path;

use tokenizers::models::wordpiece::WordPieceBuilder;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::Tokenizer;

use crate::ClassifierError;

/// A BERT WordPiece tokenizer that yields ids without special tokens, padding or truncation
/// (windowing is done by the caller).
pub struct WordPiece {
    inner: Tokenizer,
    cls: u32,
    sep: u32,
}

impl WordPiece {
    /// Loads `vocab.txt` (one token per line, id = line number) with BERT's uncased normalizer.
    pub fn from_vocab_file(path: &Path) -> Result<Self, ClassifierError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClassifierError::Io {
            path: path.to_owned(),
            source,
        })?;
        let vocab: HashMap<String, u32> = text
            .lines()
            .enumerate()
            .map(|(i, t)| (t.to_owned(), i as u32))
            .collect();
        Self::from_vocab(vocab).map_err(|reason| ClassifierError::Invalid {
            path: path.to_owned(),
            reason,
        })
    }

    /// Builds the tokenizer from a vocabulary that holds `[UNK]`, `[CLS]` and `[SEP]`.
    pub fn from_vocab(vocab: HashMap<String, u32>) -> Result<Self, String> {
        let special = |t: &str| {
            vocab
                .get(t)
                .copied()
                .ok_or_else(|| format!("vocabulary has no `{t}` token"))
        };
        let cls = special("[CLS]")?;
        let sep = special("[SEP]")?;
        special("[UNK]")?;
        let model = WordPieceBuilder::new()
            .vocab(vocab.into_iter().collect::<ahash::AHashMap<String, u32>>())
            .unk_token("[UNK]".into())
            .continuing_subword_prefix("##".into())
            .max_input_chars_per_word(100)
            .build()
            .map_err(|e| e.to_string())?;
        let mut inner = Tokenizer::new(model);
        inner.with_normalizer(Some(BertNormalizer::new(true, true, None, true)));
        inner.with_pre_tokenizer(Some(BertPreTokenizer));
        Ok(Self { inner, cls, sep })
    }

    /// Token ids of `text`, without special tokens.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        // The pipeline above has no step that can fail on valid UTF-8; should it ever fail,
        // an empty encoding scores as `[CLS] [SEP]`, which the caller treats like any text.
        self.inner
            .encode(text, false)
            .map(|e| e.get_ids().to_vec())
            .unwrap_or_default()
    }

    /// The `[CLS]` id.
    pub fn cls(&self) -> u32 {
        self.cls
    }

    /// The `[SEP]` id.
    pub fn sep(&self) -> u32 {
        self.sep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> WordPiece {
        let words = [
            "[PAD]",
            "[UNK]",
            "[CLS]",
            "[SEP]",
            "ignore",
            "all",
            "previous",
            "instruction",
            "##s",
            ".",
            "cafe",
        ];
        WordPiece::from_vocab(
            words
                .iter()
                .enumerate()
                .map(|(i, w)| (w.to_string(), i as u32))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn lowercases_splits_punctuation_and_continues_words() {
        let t = tiny();
        assert_eq!(
            t.encode("IGNORE all previous Instructions."),
            vec![4, 5, 6, 7, 8, 9]
        );
        // Accents are stripped by the uncased normalizer; unknown words become [UNK].
        assert_eq!(t.encode("Café zebra"), vec![10, 1]);
        assert_eq!((t.cls(), t.sep()), (2, 3));
    }

    #[test]
    fn missing_special_tokens_are_an_error() {
        let vocab = [("a".to_string(), 0u32)].into_iter().collect();
        assert!(WordPiece::from_vocab(vocab).is_err());
    }
}
