//! A BERT encoder with mean pooling, written on `candle-core`/`candle-nn` (about a hundred
//! lines instead of the whole of `candle-transformers`). It matches the checkpoint layout of
//! sentence-transformers' all-MiniLM-L6-v2: `embeddings.*`, `encoder.layer.N.*`.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{embedding, layer_norm, linear, Embedding, LayerNorm, Linear, VarBuilder};
use serde::Deserialize;

use crate::ClassifierError;

/// The fields of a Hugging Face BERT `config.json` that the encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Hidden width.
    pub hidden_size: usize,
    /// Transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads.
    pub num_attention_heads: usize,
    /// Feed-forward width.
    pub intermediate_size: usize,
    /// Position embeddings.
    pub max_position_embeddings: usize,
    /// Token-type embeddings.
    pub type_vocab_size: usize,
    /// Layer-norm epsilon.
    pub layer_norm_eps: f64,
}

impl BertConfig {
    /// Reads `config.json`.
    pub fn from_file(path: &Path) -> Result<Self, ClassifierError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClassifierError::Io {
            path: path.to_owned(),
            source,
        })?;
        let config: BertConfig =
            serde_json::from_str(&text).map_err(|e| ClassifierError::Invalid {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        if config.num_attention_heads == 0 || config.hidden_size % config.num_attention_heads != 0 {
            return Err(ClassifierError::Invalid {
                path: path.to_owned(),
                reason: "hidden_size must be a multiple of num_attention_heads".into(),
            });
        }
        Ok(config)
    }
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    out_norm: LayerNorm,
}

/// The encoder: embeddings, transformer layers, masked mean pooling, L2 normalization.
pub struct BertEncoder {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
    max_positions: usize,
    device: Device,
}

impl BertEncoder {
    /// Loads weights from a safetensors file (read into memory; no mmap, no `unsafe`).
    pub fn load(path: &Path, config: &BertConfig) -> Result<Self, ClassifierError> {
        let device = Device::Cpu;
        let tensors = candle_core::safetensors::load(path, &device).map_err(|e| {
            ClassifierError::Invalid {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        })?;
        Self::from_tensors(tensors, config)
    }

    /// Builds the encoder from named tensors (tests pass tiny synthetic ones).
    pub fn from_tensors(
        tensors: HashMap<String, Tensor>,
        config: &BertConfig,
    ) -> Result<Self, ClassifierError> {
        let device = Device::Cpu;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let h = config.hidden_size;
        let eps = config.layer_norm_eps;
        let e = vb.pp("embeddings");
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            layers.push(Layer {
                query: linear(h, h, l.pp("attention.self.query"))?,
                key: linear(h, h, l.pp("attention.self.key"))?,
                value: linear(h, h, l.pp("attention.self.value"))?,
                attn_out: linear(h, h, l.pp("attention.output.dense"))?,
                attn_norm: layer_norm(h, eps, l.pp("attention.output.LayerNorm"))?,
                intermediate: linear(h, config.intermediate_size, l.pp("intermediate.dense"))?,
                output: linear(config.intermediate_size, h, l.pp("output.dense"))?,
                out_norm: layer_norm(h, eps, l.pp("output.LayerNorm"))?,
            });
        }
        Ok(Self {
            word: embedding(config.vocab_size, h, e.pp("word_embeddings"))?,
            position: embedding(
                config.max_position_embeddings,
                h,
                e.pp("position_embeddings"),
            )?,
            token_type: embedding(config.type_vocab_size, h, e.pp("token_type_embeddings"))?,
            embed_norm: layer_norm(h, eps, e.pp("LayerNorm"))?,
            layers,
            heads: config.num_attention_heads,
            hidden: h,
            max_positions: config.max_position_embeddings,
            device,
        })
    }

    /// Width of the embeddings this encoder returns.
    pub fn hidden_size(&self) -> usize {
        self.hidden
    }

    /// One unit-length embedding per window; windows are padded to the longest in one batch.
    pub fn embed_batch(&self, windows: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, ClassifierError> {
        if windows.is_empty() {
            return Ok(Vec::new());
        }
        let batch = windows.len();
        let len = windows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(1)
            .clamp(1, self.max_positions);
        let mut ids = vec![0u32; batch * len];
        let mut mask = vec![0f32; batch * len];
        for (b, w) in windows.iter().enumerate() {
            for (t, &id) in w.iter().take(len).enumerate() {
                ids[b * len + t] = id;
                mask[b * len + t] = 1.0;
            }
        }
        let ids = Tensor::from_vec(ids, (batch, len), &self.device)?;
        let mask = Tensor::from_vec(mask, (batch, len), &self.device)?;
        let hidden = self.forward(&ids, &mask)?;
        // Masked mean pooling, then L2 normalization (sentence-transformers' recipe).
        let m = mask.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&m)?.sum(1)?;
        let counts = m.sum(1)?.clamp(1e-9, f64::MAX)?;
        let mean = summed.broadcast_div(&counts)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
        Ok(mean.broadcast_div(&norm)?.to_vec2::<f32>()?)
    }

    fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor, ClassifierError> {
        let (batch, len) = ids.dims2()?;
        let positions = Tensor::arange(0u32, len as u32, &self.device)?;
        let types = Tensor::zeros((batch, len), DType::U32, &self.device)?;
        let x = self
            .word
            .forward(ids)?
            .broadcast_add(&self.position.forward(&positions)?)?
            .add(&self.token_type.forward(&types)?)?;
        let mut x = self.embed_norm.forward(&x)?;
        // Additive attention mask: 0 where a token is real, a large negative where it is padding.
        let bias = ((mask.ones_like()? - mask)? * -1e4)?
            .reshape((batch, 1, 1, len))?
            .to_dtype(DType::F32)?;
        let head_dim = self.hidden / self.heads;
        let scale = 1.0 / (head_dim as f64).sqrt();
        for layer in &self.layers {
            let split = |t: Tensor| -> candle_core::Result<Tensor> {
                t.reshape((batch, len, self.heads, head_dim))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let q = split(layer.query.forward(&x)?)?;
            let k = split(layer.key.forward(&x)?)?;
            let v = split(layer.value.forward(&x)?)?;
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&bias)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .reshape((batch, len, self.hidden))?;
            let attended = layer
                .attn_norm
                .forward(&(layer.attn_out.forward(&ctx)? + &x)?)?;
            let inner = layer.intermediate.forward(&attended)?.gelu_erf()?;
            x = layer
                .out_norm
                .forward(&(layer.output.forward(&inner)? + &attended)?)?;
        }
        Ok(x)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny random BERT (hidden 8, 2 layers): the unit-test path that needs no 91 MB weights.
    pub(crate) fn tiny(vocab: usize) -> (BertEncoder, BertConfig) {
        let config = BertConfig {
            vocab_size: vocab,
            hidden_size: 8,
            num_hidden_layers: 2,
            num_attention_heads: 2,
            intermediate_size: 16,
            max_position_embeddings: 64,
            type_vocab_size: 2,
            layer_norm_eps: 1e-12,
        };
        let dev = Device::Cpu;
        let mut t = HashMap::new();
        let mut seed = 1u64;
        let mut rnd = |shape: &[usize]| {
            let n: usize = shape.iter().product();
            let v: Vec<f32> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 33) as f32 / (1u64 << 31) as f32 - 0.5) * 0.4
                })
                .collect();
            Tensor::from_vec(v, shape, &dev).unwrap()
        };
        let h = 8;
        t.insert("embeddings.word_embeddings.weight".into(), rnd(&[vocab, h]));
        t.insert(
            "embeddings.position_embeddings.weight".into(),
            rnd(&[64, h]),
        );
        t.insert(
            "embeddings.token_type_embeddings.weight".into(),
            rnd(&[2, h]),
        );
        let ln = |t: &mut HashMap<String, Tensor>, p: &str| {
            t.insert(
                format!("{p}.weight"),
                Tensor::ones(h, DType::F32, &dev).unwrap(),
            );
            t.insert(
                format!("{p}.bias"),
                Tensor::zeros(h, DType::F32, &dev).unwrap(),
            );
        };
        ln(&mut t, "embeddings.LayerNorm");
        for i in 0..2 {
            let p = format!("encoder.layer.{i}");
            for (name, o, inp) in [
                ("attention.self.query", h, h),
                ("attention.self.key", h, h),
                ("attention.self.value", h, h),
                ("attention.output.dense", h, h),
                ("intermediate.dense", 16, h),
                ("output.dense", h, 16),
            ] {
                t.insert(format!("{p}.{name}.weight"), rnd(&[o, inp]));
                t.insert(format!("{p}.{name}.bias"), rnd(&[o]));
            }
            ln(&mut t, &format!("{p}.attention.output.LayerNorm"));
            ln(&mut t, &format!("{p}.output.LayerNorm"));
        }
        (BertEncoder::from_tensors(t, &config).unwrap(), config)
    }

    #[test]
    fn embeddings_are_unit_length_and_padding_does_not_leak() {
        let (enc, _) = tiny(20);
        let alone = enc.embed_batch(&[vec![2, 5, 6, 3]]).unwrap();
        let padded = enc
            .embed_batch(&[vec![2, 5, 6, 3], vec![2, 7, 8, 9, 10, 11, 3]])
            .unwrap();
        assert_eq!(padded.len(), 2);
        let norm: f32 = alone[0].iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
        // The short window gives the same embedding whether or not it was padded in a batch.
        for (a, b) in alone[0].iter().zip(&padded[0]) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
        assert_ne!(padded[0], padded[1]);
    }

    #[test]
    fn missing_tensors_are_an_error() {
        let (_, config) = tiny(20);
        assert!(BertEncoder::from_tensors(HashMap::new(), &config).is_err());
    }
}
