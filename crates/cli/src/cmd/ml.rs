//! Loading the optional ML classifier (`--features ml`) for the detection engine.

use std::path::PathBuf;

/// Where the classifier's files are, from flags or the environment.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MlArgs {
    /// Consult the ML classifier for texts the heuristics do not flag (needs `--features ml`).
    #[arg(long)]
    pub ml: bool,
    /// Encoder directory (config.json, model.safetensors, vocab.txt).
    #[arg(long, env = "MCPWALL_MODEL_DIR", requires = "ml")]
    pub model_dir: Option<PathBuf>,
    /// Trained head (JSON).
    #[arg(long, env = "MCPWALL_CLASSIFIER_HEAD", requires = "ml")]
    pub head: Option<PathBuf>,
}

/// Adds the classifier to `engine` when `--ml` is given; an error when it cannot be loaded
/// (never a silent fallback to heuristics only).
pub fn attach(
    engine: mcpwall_detect::engine::Engine,
    args: &MlArgs,
) -> anyhow::Result<mcpwall_detect::engine::Engine> {
    if !args.ml {
        return Ok(engine);
    }
    attach_model(engine, args)
}

#[cfg(feature = "ml")]
fn attach_model(
    engine: mcpwall_detect::engine::Engine,
    args: &MlArgs,
) -> anyhow::Result<mcpwall_detect::engine::Engine> {
    use anyhow::Context;
    let model_dir = args
        .model_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(".testdeps/models/all-MiniLM-L6-v2"));
    let head = args.head.clone().unwrap_or_else(|| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../classifier/head/injection-head.json"
        ))
    });
    let clf = mcpwall_classifier::Classifier::load(&model_dir, &head).with_context(|| {
        format!(
            "cannot load the classifier from `{}` and `{}`",
            model_dir.display(),
            head.display()
        )
    })?;
    let threshold = clf.head().threshold;
    Ok(engine.with_classifier(Box::new(clf), threshold))
}

#[cfg(not(feature = "ml"))]
fn attach_model(
    _engine: mcpwall_detect::engine::Engine,
    _args: &MlArgs,
) -> anyhow::Result<mcpwall_detect::engine::Engine> {
    anyhow::bail!("this mcpwall was built without the `ml` feature; rebuild with `--features ml`")
}
