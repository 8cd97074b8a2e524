//! The file formats a config can be read from, and how to tell them apart.

use std::path::Path;

/// The format of a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// mcpwall's own TOML. Unknown fields are errors.
    Toml,
    /// A host's JSON with a top-level `mcpServers` object: Claude Desktop
    /// (`claude_desktop_config.json`), Claude Code (`.mcp.json`), Cursor (`mcp.json`).
    /// Unknown fields are tolerated.
    McpServersJson,
    /// VS Code's `mcp.json` with a top-level `servers` object (or a settings file with
    /// `mcp.servers`). Comments and trailing commas are allowed. Unknown fields are tolerated.
    VsCodeJson,
}

impl Format {
    /// Guesses the format from the file name and content: `.toml` is TOML; `.json`/`.jsonc`,
    /// or content starting with `{`, is JSON, then `servers` (or `mcp.servers`) means VS
    /// Code and anything else `mcpServers`.
    pub fn detect(path: &Path, text: &str) -> Format {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let looks_json = text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{');
        match ext.as_deref() {
            Some("toml") => Format::Toml,
            Some("json" | "jsonc") => Self::detect_json(text),
            _ if looks_json => Self::detect_json(text),
            _ => Format::Toml,
        }
    }

    fn detect_json(text: &str) -> Format {
        match crate::tree::json_top_level_keys(text) {
            Some(keys)
                if !keys.iter().any(|k| k == "mcpServers")
                    && keys.iter().any(|k| k == "servers" || k == "mcp") =>
            {
                Format::VsCodeJson
            }
            _ => Format::McpServersJson,
        }
    }

    /// Whether this is one of the hosts' JSON formats.
    pub fn is_host_json(self) -> bool {
        !matches!(self, Format::Toml)
    }
}
