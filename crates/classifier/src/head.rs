//! The trained logistic head: `p = sigmoid(w · e + b)` over a unit-length sentence embedding.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::ClassifierError;

/// Where a head's training data came from (kept in the head file itself).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HeadProvenance {
    /// Training command.
    #[serde(default)]
    pub trained_by: String,
    /// Corpus files and row counts used.
    #[serde(default)]
    pub data: serde_json::Value,
    /// Cross-validation figures reported by the training script.
    #[serde(default)]
    pub evaluation: serde_json::Value,
}

/// Which pieces of a text a head was trained to score (the classifier scores the same ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Units {
    /// Consecutive 128-token windows (heads trained before sentence units; the default when a
    /// head file does not say).
    #[default]
    Windows,
    /// Sentence-level units of about 16-48 tokens ([`crate::sentence_units`]).
    Sentences,
}

/// A logistic-regression head.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Head {
    /// One weight per embedding dimension.
    pub weights: Vec<f32>,
    /// Bias.
    pub bias: f32,
    /// Decision threshold on the probability.
    pub threshold: f32,
    /// The units the head scores; the text's score is the highest unit's.
    #[serde(default)]
    pub units: Units,
    /// Provenance of the training data.
    #[serde(default)]
    pub provenance: HeadProvenance,
}

impl Head {
    /// Reads a head from JSON.
    pub fn from_file(path: &Path) -> Result<Self, ClassifierError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClassifierError::Io {
            path: path.to_owned(),
            source,
        })?;
        let head: Head = serde_json::from_str(&text).map_err(|e| ClassifierError::Invalid {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if !(0.0..=1.0).contains(&head.threshold) || head.weights.iter().any(|w| !w.is_finite()) {
            return Err(ClassifierError::Invalid {
                path: path.to_owned(),
                reason: "threshold must be in [0, 1] and weights finite".into(),
            });
        }
        Ok(head)
    }

    /// Checks that the head fits an encoder of `dim` dimensions.
    pub fn check_dim(&self, dim: usize, path: &Path) -> Result<(), ClassifierError> {
        if self.weights.len() == dim {
            Ok(())
        } else {
            Err(ClassifierError::Invalid {
                path: path.to_owned(),
                reason: format!(
                    "head has {} weights but the encoder has {dim} dimensions",
                    self.weights.len()
                ),
            })
        }
    }

    /// The probability for one embedding.
    pub fn probability(&self, embedding: &[f32]) -> f32 {
        let z: f32 = self
            .weights
            .iter()
            .zip(embedding)
            .map(|(w, x)| w * x)
            .sum::<f32>()
            + self.bias;
        1.0 / (1.0 + (-z).exp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_is_the_logistic_of_the_score() {
        let head = Head {
            weights: vec![2.0, -1.0],
            bias: 0.5,
            threshold: 0.5,
            units: Units::Windows,
            provenance: HeadProvenance::default(),
        };
        assert!((head.probability(&[0.0, 0.0]) - 0.622_459_3).abs() < 1e-6);
        assert!(head.probability(&[10.0, 0.0]) > 0.999);
        assert!(head.probability(&[0.0, 10.0]) < 0.001);
        assert!(head.check_dim(3, Path::new("h")).is_err());
    }

    #[test]
    fn rejects_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.json");
        std::fs::write(&p, r#"{"weights":[1.0],"bias":0,"threshold":2}"#).unwrap();
        assert!(matches!(
            Head::from_file(&p),
            Err(ClassifierError::Invalid { .. })
        ));
        // A head file that does not name its units scores windows; an unknown name is refused.
        std::fs::write(&p, r#"{"weights":[1.0],"bias":0,"threshold":0.5}"#).unwrap();
        assert_eq!(Head::from_file(&p).unwrap().units, Units::Windows);
        std::fs::write(
            &p,
            r#"{"weights":[1.0],"bias":0,"threshold":0.5,"units":"sentences"}"#,
        )
        .unwrap();
        assert_eq!(Head::from_file(&p).unwrap().units, Units::Sentences);
        std::fs::write(
            &p,
            r#"{"weights":[1.0],"bias":0,"threshold":0.5,"units":"pages"}"#,
        )
        .unwrap();
        assert!(Head::from_file(&p).is_err());
        std::fs::write(&p, "not json").unwrap();
        assert!(Head::from_file(&p).is_err());
        assert!(matches!(
            Head::from_file(&dir.path().join("missing")),
            Err(ClassifierError::Io { .. })
        ));
    }
}
