//! Stage two: checking the tree and building the [`Config`].
//!
//! Every check records its problem and goes on, so one run reports everything wrong with a
//! file. A value that fails a check is left out (or replaced by its default) only so that
//! checking can continue; a file with any error never yields a [`Config`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::diag::{ConfigErrors, Diagnostic};
use crate::format::Format;
use crate::model::{
    AuditConfig, Config, GatewayConfig, HttpProtocol, HttpTransport, MessageLimits, NetworkPolicy,
    ResourceLimits, RestartPolicy, SandboxConfig, SandboxMode, SandboxPaths, ServerConfig, Source,
    StdioTransport, TokenConfig, Transport,
};
use crate::names::{Environment, ServerId};
use crate::network::DomainPattern;
use crate::secret::{is_env_name, looks_like_secret, SecretRef, SecretRefError};
use crate::tree::{line_col, Entry, Kind, Node};

/// Longest per-call timeout accepted (a day); anything longer is surely a mistake.
const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

pub(crate) fn check(source: &Source, text: &str, root: &Node) -> Result<Config, ConfigErrors> {
    let base_dir = source
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut cx = Cx {
        source,
        text,
        base_dir,
        errors: Vec::new(),
        warnings: Vec::new(),
        findings: Vec::new(),
    };
    let config = match source.format {
        Format::Toml => cx.toml_root(root),
        Format::McpServersJson | Format::VsCodeJson => cx.host_root(root),
    };
    cx.errors.sort_by_key(|(pos, _)| *pos);
    cx.warnings.sort_by_key(|(pos, _)| *pos);
    cx.findings.sort_by_key(|(pos, _)| *pos);
    let warnings: Vec<Diagnostic> = cx.warnings.into_iter().map(|(_, d)| d).collect();
    let findings: Vec<Diagnostic> = cx.findings.into_iter().map(|(_, d)| d).collect();
    if cx.errors.is_empty() {
        Ok(Config {
            warnings,
            findings,
            ..config
        })
    } else {
        Err(ConfigErrors {
            errors: cx.errors.into_iter().map(|(_, d)| d).collect(),
            warnings,
        })
    }
}

/// The checking context: where we are, and what we found.
struct Cx<'a> {
    source: &'a Source,
    text: &'a str,
    /// Relative paths in the file are relative to this.
    base_dir: PathBuf,
    errors: Vec<(usize, Diagnostic)>,
    warnings: Vec<(usize, Diagnostic)>,
    /// Deliberate weakenings (sandbox `off` / `best-effort`), see [`Config::findings`].
    findings: Vec<(usize, Diagnostic)>,
}

/// `parent.key`, quoting keys that are not plain identifiers.
fn join(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if plain {
        key.to_owned()
    } else {
        format!("{key:?}")
    };
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

impl Cx<'_> {
    fn strict(&self) -> bool {
        self.source.format == Format::Toml
    }

    fn diag(&self, at: usize, field: &str, message: String) -> (usize, Diagnostic) {
        let (line, column) = line_col(self.text, at);
        (
            at,
            Diagnostic {
                file: self.source.path.clone(),
                line,
                column,
                field: field.to_owned(),
                message,
            },
        )
    }

    fn error(&mut self, span: &Range<usize>, field: &str, message: impl Into<String>) {
        let d = self.diag(span.start, field, message.into());
        self.errors.push(d);
    }

    fn warn(&mut self, span: &Range<usize>, field: &str, message: impl Into<String>) {
        let d = self.diag(span.start, field, message.into());
        self.warnings.push(d);
    }

    /// A problem that is an error in mcpwall TOML but only a warning in a host's file (which
    /// mcpwall reads as it is).
    fn strict_error(&mut self, span: &Range<usize>, field: &str, message: impl Into<String>) {
        if self.strict() {
            self.error(span, field, message);
        } else {
            self.warn(span, field, message);
        }
    }

    fn wrong_type(&mut self, node: &Node, field: &str, expected: &str) {
        self.error(
            &node.span,
            field,
            format!("expected {expected}, found {}", node.kind.describe()),
        );
    }

    // ----- typed readers: each reports a wrong type and returns None -----

    fn table<'n>(&mut self, node: &'n Node, field: &str) -> Option<Fields<'n>> {
        match &node.kind {
            Kind::Table(entries) => Some(self.fields(entries, field)),
            _ => {
                self.wrong_type(node, field, "a table");
                None
            }
        }
    }

    fn fields<'n>(&mut self, entries: &'n [Entry], field: &str) -> Fields<'n> {
        // JSON allows duplicate keys and hosts take the last; we refuse the ambiguity. (The
        // TOML parser already refuses duplicates.)
        for (i, e) in entries.iter().enumerate() {
            if entries[..i].iter().any(|p| p.key == e.key) {
                self.error(
                    &e.key_span,
                    &join(field, &e.key),
                    format!("duplicate key `{}`", e.key),
                );
            }
        }
        Fields {
            entries,
            used: vec![false; entries.len()],
            path: field.to_owned(),
        }
    }

    fn string(&mut self, node: &Node, field: &str) -> Option<String> {
        match &node.kind {
            Kind::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, field, "a string");
                None
            }
        }
    }

    fn non_empty_string(&mut self, node: &Node, field: &str) -> Option<String> {
        let s = self.string(node, field)?;
        if s.trim().is_empty() {
            self.error(&node.span, field, "must not be empty");
            return None;
        }
        if s.contains('\0') {
            self.error(&node.span, field, "must not contain a NUL character");
            return None;
        }
        Some(s)
    }

    fn boolean(&mut self, node: &Node, field: &str) -> Option<bool> {
        match node.kind {
            Kind::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, field, "`true` or `false`");
                None
            }
        }
    }

    /// An integer in `min..=max`.
    fn integer(&mut self, node: &Node, field: &str, min: u64, max: u64) -> Option<u64> {
        match node.kind {
            Kind::Int(i) => match u64::try_from(i) {
                Ok(v) if (min..=max).contains(&v) => Some(v),
                _ => {
                    self.error(
                        &node.span,
                        field,
                        format!("`{i}` is out of range, expected {min} to {max}"),
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(node, field, "an integer");
                None
            }
        }
    }

    fn array<'n>(&mut self, node: &'n Node, field: &str) -> Option<&'n [Node]> {
        match &node.kind {
            Kind::Array(items) => Some(items),
            _ => {
                self.wrong_type(node, field, "an array");
                None
            }
        }
    }

    fn string_array(&mut self, node: &Node, field: &str) -> Vec<(String, Range<usize>)> {
        let Some(items) = self.array(node, field) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                self.string(item, &index(field, i))
                    .map(|s| (s, item.span.clone()))
            })
            .collect()
    }

    /// A table of environment-style variables: names checked, values strings.
    fn var_map(
        &mut self,
        node: &Node,
        field: &str,
        names: NameKind,
    ) -> Vec<(String, String, Range<usize>, Range<usize>)> {
        let Some(mut fields) = self.table(node, field) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for e in fields.all() {
            let f = join(field, &e.key);
            if !names.valid(&e.key) {
                self.strict_error(
                    &e.key_span,
                    &f,
                    format!(
                        "`{}` is not a valid {} name ({})",
                        e.key,
                        names.word(),
                        names.rule()
                    ),
                );
                if e.key.is_empty() || e.key.contains(['=', '\0']) {
                    continue;
                }
            }
            // Numbers and booleans are common in hosts' files and mean their text.
            let value = match &e.value.kind {
                Kind::Str(s) => s.clone(),
                Kind::Int(i) => i.to_string(),
                Kind::Bool(b) => b.to_string(),
                _ => {
                    self.wrong_type(&e.value, &f, "a string");
                    continue;
                }
            };
            if value.contains('\0') {
                self.error(&e.value.span, &f, "must not contain a NUL character");
                continue;
            }
            out.push((
                e.key.clone(),
                value,
                e.key_span.clone(),
                e.value.span.clone(),
            ));
        }
        out
    }

    /// Plain variables or headers: a value that looks like a hard-coded secret is an error in
    /// mcpwall TOML and a warning in a host's file. Messages name the variable, never the value.
    fn plain_values(
        &mut self,
        node: &Node,
        field: &str,
        names: NameKind,
        secret_home: &str,
    ) -> BTreeMap<String, String> {
        let what = names.word();
        let mut out = BTreeMap::new();
        for (name, value, _, value_span) in self.var_map(node, field, names) {
            if looks_like_secret(&name, &value) {
                let f = join(field, &name);
                if self.strict() {
                    self.error(
                        &value_span,
                        &f,
                        format!("{what} `{name}` looks like a hard-coded secret; declare it in `{secret_home}` as `env:NAME` or `file:PATH` instead"),
                    );
                } else {
                    self.warn(
                        &value_span,
                        &f,
                        format!("{what} `{name}` holds what looks like a hard-coded secret; consider keeping it out of this file"),
                    );
                }
            }
            out.insert(name, value);
        }
        out
    }

    fn secret_map(
        &mut self,
        node: &Node,
        field: &str,
        names: NameKind,
    ) -> BTreeMap<String, SecretRef> {
        let mut out = BTreeMap::new();
        for (name, value, _, value_span) in self.var_map(node, field, names) {
            match value.parse::<SecretRef>() {
                Ok(r) => {
                    out.insert(name, r.rebase(&self.base_dir));
                }
                Err(SecretRefError::NotAReference) => self.error(
                    &value_span,
                    &join(field, &name),
                    format!("`{name}` must be a reference `env:NAME` or `file:PATH`; secrets are never written in config"),
                ),
                Err(e) => self.error(&value_span, &join(field, &name), e.to_string()),
            }
        }
        out
    }

    fn environment(&mut self, node: &Node, field: &str) -> Option<Environment> {
        let s = self.string(node, field)?;
        match s.parse() {
            Ok(env) => Some(env),
            Err(e) => {
                self.error(&node.span, field, e.to_string());
                None
            }
        }
    }

    /// A duration: `"30s"`, `"500ms"`, `"2m"`, `"1h"`, or an integer number of seconds.
    fn duration(&mut self, node: &Node, field: &str) -> Option<Duration> {
        let d = match &node.kind {
            Kind::Int(i) if *i > 0 => Duration::from_secs(i.unsigned_abs()),
            Kind::Str(s) => match parse_duration(s) {
                Some(d) if !d.is_zero() => d,
                _ => {
                    self.error(
                        &node.span,
                        field,
                        format!("`{s}` is not a duration, write e.g. `30s`, `500ms` or `2m`"),
                    );
                    return None;
                }
            },
            Kind::Int(i) => {
                self.error(
                    &node.span,
                    field,
                    format!("`{i}` is not a positive number of seconds"),
                );
                return None;
            }
            _ => {
                self.wrong_type(node, field, "a duration such as `30s`");
                return None;
            }
        };
        if d > MAX_TIMEOUT {
            self.error(&node.span, field, "is longer than a day");
            return None;
        }
        Some(d)
    }

    fn path(&mut self, node: &Node, field: &str) -> Option<PathBuf> {
        let s = self.non_empty_string(node, field)?;
        Some(self.resolve_path(&s))
    }

    /// Relative paths are relative to the config file; `~` is kept for the launcher.
    fn resolve_path(&self, s: &str) -> PathBuf {
        let p = PathBuf::from(s);
        if p.is_absolute() || s == "~" || s.starts_with("~/") {
            p
        } else {
            self.base_dir.join(p)
        }
    }

    // ----- mcpwall TOML -----

    fn toml_root(&mut self, root: &Node) -> Config {
        let mut gateway = GatewayConfig::default();
        let mut servers = BTreeMap::new();
        let Some(mut top) = self.table(root, "") else {
            return self.config(gateway, servers);
        };
        if let Some(e) = top.take("gateway") {
            gateway = self.gateway(&e.value, "gateway");
        }
        let servers_entry = top.take("servers");
        top.finish(self);
        match servers_entry {
            Some(e) => {
                if let Some(mut list) = self.table(&e.value, "servers") {
                    for s in list.all() {
                        let field = join("servers", &s.key);
                        if let Some((id, server)) = self.toml_server(s, &field, &gateway) {
                            servers.insert(id, server);
                        }
                    }
                }
            }
            None => self.warn(&(0..0), "servers", "no servers are configured"),
        }
        self.config(gateway, servers)
    }

    fn config(&self, gateway: GatewayConfig, servers: BTreeMap<ServerId, ServerConfig>) -> Config {
        Config {
            source: self.source.clone(),
            gateway,
            servers,
            warnings: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn gateway(&mut self, node: &Node, field: &str) -> GatewayConfig {
        let mut g = GatewayConfig::default();
        let Some(mut t) = self.table(node, field) else {
            return g;
        };
        let mut listen_span = None;
        if let Some(e) = t.take("listen") {
            let f = join(field, "listen");
            if let Some(s) = self.string(&e.value, &f) {
                match s.parse::<SocketAddr>() {
                    Ok(addr) => {
                        g.listen = addr;
                        listen_span = Some(e.value.span.clone());
                    }
                    Err(_) => self.error(
                        &e.value.span,
                        &f,
                        format!("`{s}` is not an address with a port, e.g. `127.0.0.1:8808`"),
                    ),
                }
            }
        }
        if let Some(e) = t.take("tokens") {
            let f = join(field, "tokens");
            if let Some(mut tokens) = self.table(&e.value, &f) {
                for tok in tokens.all() {
                    let tf = join(&f, &tok.key);
                    if tok.key.trim().is_empty() {
                        self.error(&tok.key_span, &tf, "subject must not be empty");
                        continue;
                    }
                    let Some(s) = self.string(&tok.value, &tf) else {
                        continue;
                    };
                    match s.parse::<SecretRef>() {
                        Ok(r) => g.tokens.push(TokenConfig { token: r.rebase(&self.base_dir), subject: tok.key.clone() }),
                        Err(SecretRefError::NotAReference) => self.error(
                            &tok.value.span,
                            &tf,
                            "the token must be a reference `env:NAME` or `file:PATH`; tokens are never written in config",
                        ),
                        Err(err) => self.error(&tok.value.span, &tf, err.to_string()),
                    }
                }
            }
        }
        if let Some(e) = t.take("allowed_origins") {
            let f = join(field, "allowed_origins");
            for (i, (s, span)) in self.string_array(&e.value, &f).into_iter().enumerate() {
                match normalize_origin(&s) {
                    Some(o) => g.allowed_origins.push(o),
                    None => self.error(
                        &span,
                        &index(&f, i),
                        format!("`{s}` is not an origin, write `scheme://host[:port]` with no path (`*` is not allowed)"),
                    ),
                }
            }
        }
        if let Some(e) = t.take("audit") {
            g.audit = self.audit(&e.value, &join(field, "audit"));
        }
        if let Some(e) = t.take("state_dir") {
            g.state_dir = self.path(&e.value, &join(field, "state_dir"));
        }
        if let Some(e) = t.take("environment") {
            g.environment = self
                .environment(&e.value, &join(field, "environment"))
                .unwrap_or_default();
        }
        if let Some(e) = t.take("timeout") {
            g.timeout = self
                .duration(&e.value, &join(field, "timeout"))
                .unwrap_or(g.timeout);
        }
        if let Some(e) = t.take("limits") {
            g.limits =
                self.message_limits(&e.value, &join(field, "limits"), MessageLimits::default());
        }
        t.finish(self);
        if let Some(span) = listen_span {
            if !g.listen.ip().is_loopback() && g.tokens.is_empty() {
                self.error(
                    &span,
                    &join(field, "listen"),
                    format!("listening on `{}` beyond loopback requires at least one entry in `gateway.tokens`", g.listen),
                );
            }
        }
        g
    }

    fn audit(&mut self, node: &Node, field: &str) -> AuditConfig {
        let mut a = AuditConfig::default();
        let Some(mut t) = self.table(node, field) else {
            return a;
        };
        if let Some(e) = t.take("path") {
            a.path = self.path(&e.value, &join(field, "path"));
        }
        if let Some(e) = t.take("max_field_bytes") {
            if let Some(v) = self.integer(
                &e.value,
                &join(field, "max_field_bytes"),
                64,
                16 * 1024 * 1024,
            ) {
                a.max_field_bytes = to_usize(v);
            }
        }
        t.finish(self);
        a
    }

    fn message_limits(&mut self, node: &Node, field: &str, mut l: MessageLimits) -> MessageLimits {
        let Some(mut t) = self.table(node, field) else {
            return l;
        };
        if let Some(e) = t.take("max_message_bytes") {
            // Below 1 KiB even an `initialize` may not fit; above 1 GiB is no limit at all.
            if let Some(v) =
                self.integer(&e.value, &join(field, "max_message_bytes"), 1024, 1 << 30)
            {
                l.max_message_bytes = to_usize(v);
            }
        }
        if let Some(e) = t.take("max_json_depth") {
            if let Some(v) = self.integer(&e.value, &join(field, "max_json_depth"), 2, 1024) {
                l.max_json_depth = to_usize(v);
            }
        }
        t.finish(self);
        l
    }

    fn server_id(&mut self, entry: &Entry, field: &str) -> Option<ServerId> {
        match entry.key.parse::<ServerId>() {
            Ok(id) => Some(id),
            Err(e) => {
                self.error(&entry.key_span, field, e.to_string());
                None
            }
        }
    }

    fn toml_server(
        &mut self,
        entry: &Entry,
        field: &str,
        g: &GatewayConfig,
    ) -> Option<(ServerId, ServerConfig)> {
        let id = self.server_id(entry, field);
        let mut t = self.table(&entry.value, field)?;
        let transport = self.transport(&mut t, field, &entry.key_span);
        let mut restart = RestartPolicy::default();
        if let Some(e) = t.take("restart") {
            restart = self.restart(&e.value, &join(field, "restart"));
        }
        let mut shared = false;
        if let Some(e) = t.take("shared") {
            shared = self
                .boolean(&e.value, &join(field, "shared"))
                .unwrap_or(false);
            if shared && matches!(transport, Some(Transport::Http(_))) {
                self.error(
                    &e.value.span,
                    &join(field, "shared"),
                    "`shared` applies to stdio servers only",
                );
            }
        }
        let mut timeout = g.timeout;
        if let Some(e) = t.take("timeout") {
            timeout = self
                .duration(&e.value, &join(field, "timeout"))
                .unwrap_or(timeout);
        }
        let mut limits = g.limits;
        if let Some(e) = t.take("limits") {
            limits = self.message_limits(&e.value, &join(field, "limits"), g.limits);
        }
        let mut environment = g.environment;
        if let Some(e) = t.take("environment") {
            environment = self
                .environment(&e.value, &join(field, "environment"))
                .unwrap_or(environment);
        }
        let mut sandbox = SandboxConfig::default();
        if let Some(e) = t.take("sandbox") {
            let sf = join(field, "sandbox");
            sandbox = self.sandbox(&e.value, &sf);
            if matches!(transport, Some(Transport::Stdio(_))) {
                self.sandbox_finding(e, &sf, sandbox.mode);
            }
            if matches!(transport, Some(Transport::Http(_))) && sandbox != SandboxConfig::default()
            {
                self.warn(
                    &e.key_span,
                    &sf,
                    "the sandbox applies to stdio servers only and is ignored for a `url` server",
                );
            }
            if let Some(Transport::Stdio(s)) = &transport {
                for name in s.env.keys() {
                    if sandbox.env.contains_key(name) || sandbox.secrets.contains_key(name) {
                        self.error(
                            &e.key_span,
                            &sf,
                            format!(
                                "variable `{name}` is declared both in `env` and in the sandbox"
                            ),
                        );
                    }
                }
            }
            for name in sandbox.env.keys() {
                if sandbox.secrets.contains_key(name) {
                    self.error(&e.key_span, &sf, format!("variable `{name}` is declared both in `sandbox.env` and `sandbox.secrets`"));
                }
            }
        }
        t.finish(self);
        Some((
            id.clone()?,
            ServerConfig {
                id: id?,
                transport: transport?,
                restart,
                shared,
                timeout,
                limits,
                environment,
                sandbox,
            },
        ))
    }

    /// `command`/`args`/`env`/`cwd` or `url`/`headers`, with an optional `type` (hosts' name)
    /// or `transport` (ours) saying which.
    fn transport(
        &mut self,
        t: &mut Fields<'_>,
        field: &str,
        key_span: &Range<usize>,
    ) -> Option<Transport> {
        // Take every transport field now, so that none is reported as unknown when the
        // transport itself is wrong.
        let stdio_fields = StdioFields {
            command: t.take("command"),
            args: t.take("args"),
            env: t.take("env"),
            cwd: t.take("cwd"),
            env_file: if self.strict() {
                None
            } else {
                t.take("envFile")
            },
        };
        let http_fields = HttpFields {
            url: t.take("url").or_else(|| {
                if self.strict() {
                    None
                } else {
                    t.take("serverUrl")
                }
            }),
            headers: t.take("headers"),
            secret_headers: if self.strict() {
                t.take("secret_headers")
            } else {
                None
            },
            network: if self.strict() {
                t.take("network")
            } else {
                None
            },
        };
        let kind = match (t.take("type"), t.take("transport")) {
            (Some(a), Some(b)) => {
                self.error(
                    &b.key_span,
                    &join(field, "transport"),
                    "write either `type` or `transport`, not both",
                );
                Some((a, "type"))
            }
            (Some(a), None) => Some((a, "type")),
            (None, Some(b)) => Some((b, "transport")),
            (None, None) => None,
        };
        let declared = match kind {
            Some((e, name)) => {
                let f = join(field, name);
                match self.string(&e.value, &f).as_deref() {
                    Some("stdio") => Some(Declared::Stdio),
                    Some("http" | "streamable-http" | "streamableHttp" | "streamable_http") => {
                        Some(Declared::Http(HttpProtocol::Streamable))
                    }
                    Some("sse") => Some(Declared::Http(HttpProtocol::LegacySse)),
                    Some(other) => {
                        self.error(
                            &e.value.span,
                            &f,
                            format!(
                                "unknown transport `{other}`, expected `stdio`, `http` or `sse`"
                            ),
                        );
                        return None;
                    }
                    None => return None,
                }
            }
            None => None,
        };
        match (stdio_fields.command, http_fields.url) {
            (Some(_), Some(u)) => {
                self.error(
                    &u.key_span,
                    &join(field, "url"),
                    "a server has either `command` (stdio) or `url` (http), not both",
                );
                None
            }
            (Some(c), None) => {
                if let Some(Declared::Http(_)) = declared {
                    self.error(
                        &c.key_span,
                        &join(field, "command"),
                        "an `http` or `sse` server needs `url`, not `command`",
                    );
                    return None;
                }
                for (name, e) in [
                    ("headers", http_fields.headers),
                    ("secret_headers", http_fields.secret_headers),
                ] {
                    if let Some(e) = e {
                        self.strict_error(
                            &e.key_span,
                            &join(field, name),
                            format!("`{name}` applies to `url` servers only"),
                        );
                    }
                }
                if let Some(e) = http_fields.network {
                    self.error(
                        &e.key_span,
                        &join(field, "network"),
                        "`network` applies to `url` servers only; a stdio server's network is `sandbox.network`",
                    );
                }
                self.stdio(t, field, c, &stdio_fields)
            }
            (None, Some(u)) => {
                if let Some(Declared::Stdio) = declared {
                    self.error(
                        &u.key_span,
                        &join(field, "url"),
                        "a `stdio` server needs `command`, not `url`",
                    );
                    return None;
                }
                for (name, e) in [
                    ("args", stdio_fields.args),
                    ("env", stdio_fields.env),
                    ("cwd", stdio_fields.cwd),
                ] {
                    if let Some(e) = e {
                        self.strict_error(
                            &e.key_span,
                            &join(field, name),
                            format!("`{name}` applies to `command` servers only"),
                        );
                    }
                }
                let protocol = match declared {
                    Some(Declared::Http(p)) => p,
                    _ => HttpProtocol::Streamable,
                };
                self.http(field, u, protocol, &http_fields)
            }
            (None, None) => {
                self.error(
                    key_span,
                    field,
                    "a server needs `command` (stdio) or `url` (http)",
                );
                None
            }
        }
    }

    fn stdio(
        &mut self,
        t: &Fields<'_>,
        field: &str,
        command: &Entry,
        f: &StdioFields<'_>,
    ) -> Option<Transport> {
        let command = self.non_empty_string(&command.value, &join(field, "command"));
        let mut args = Vec::new();
        if let Some(e) = f.args {
            let f = join(field, "args");
            for (i, (a, span)) in self.string_array(&e.value, &f).into_iter().enumerate() {
                if a.contains('\0') {
                    self.error(&span, &index(&f, i), "must not contain a NUL character");
                }
                args.push(a);
            }
        }
        let mut env = BTreeMap::new();
        if let Some(e) = f.env {
            env = self.plain_values(
                &e.value,
                &join(field, "env"),
                NameKind::Variable,
                &format!("{field}.sandbox.secrets"),
            );
        }
        let mut cwd = None;
        if let Some(e) = f.cwd {
            cwd = self.path(&e.value, &join(field, "cwd"));
        }
        {
            if let Some(e) = f.env_file {
                self.warn(
                    &e.key_span,
                    &join(field, "envFile"),
                    "`envFile` is not read by mcpwall; declare the variables the server needs in mcpwall's config",
                );
            }
        }
        let mut command = command?;
        // A host file rewritten by `mcpwall install` runs `mcpwall wrap -- COMMAND ARGS...`:
        // the server is the inner command (running mcpwall behind itself would be pointless).
        if let Some(inner) = crate::install::wrapped_command(&command, &args) {
            let at = f.command.map(|e| e.value.span.clone()).unwrap_or(0..0);
            if self.strict() {
                self.error(&at, &join(field, "command"), "runs `mcpwall wrap`, which would put mcpwall behind itself; give the server's own command");
            } else if let Some((inner_command, inner_args)) = inner.split_first() {
                command = inner_command.clone();
                args = inner_args.to_vec();
            } else {
                self.error(
                    &at,
                    &join(field, "args"),
                    "`mcpwall wrap` has no command after `--`",
                );
            }
        }
        let transport = StdioTransport {
            command,
            args,
            env,
            cwd,
        };
        self.warn_placeholders(field, t, &transport);
        Some(Transport::Stdio(transport))
    }

    /// VS Code's `${input:...}` prompts are answered by the editor; mcpwall cannot, so a
    /// server read from the file directly would get the placeholder text.
    fn warn_placeholders(&mut self, field: &str, t: &Fields<'_>, s: &StdioTransport) {
        if self.strict() {
            return;
        }
        let uses_input = s
            .args
            .iter()
            .chain(s.env.values())
            .any(|v| v.contains("${input:"));
        if uses_input {
            let span = t
                .entries
                .first()
                .map(|e| e.key_span.clone())
                .unwrap_or(0..0);
            self.warn(
                &span,
                field,
                "uses `${input:...}` values that only the editor can fill in; run it through `mcpwall install` instead",
            );
        }
    }

    fn http(
        &mut self,
        field: &str,
        url: &Entry,
        protocol: HttpProtocol,
        f: &HttpFields<'_>,
    ) -> Option<Transport> {
        let uf = join(field, "url");
        let url_text = self.non_empty_string(&url.value, &uf);
        let url_ok = url_text.as_deref().and_then(|u| match url::Url::parse(u) {
            Ok(parsed)
                if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() =>
            {
                if !parsed.username().is_empty() || parsed.password().is_some() {
                    self.strict_error(
                        &url.value.span,
                        &uf,
                        "the url carries credentials; put them in `secret_headers` instead",
                    );
                }
                if parsed.scheme() == "http" && !is_loopback_host(&parsed) {
                    self.warn(
                        &url.value.span,
                        &uf,
                        "plain `http` to a remote host sends every message unencrypted",
                    );
                }
                Some(u.to_owned())
            }
            Ok(_) => {
                self.error(
                    &url.value.span,
                    &uf,
                    format!("`{u}` is not an `http` or `https` url with a host"),
                );
                None
            }
            Err(e) => {
                self.error(
                    &url.value.span,
                    &uf,
                    format!("`{u}` is not a valid url: {e}"),
                );
                None
            }
        });
        let mut headers = BTreeMap::new();
        if let Some(e) = f.headers {
            headers = self.plain_values(
                &e.value,
                &join(field, "headers"),
                NameKind::Header,
                &format!("{field}.secret_headers"),
            );
        }
        let mut secret_headers = BTreeMap::new();
        if let Some(e) = f.secret_headers {
            secret_headers =
                self.secret_map(&e.value, &join(field, "secret_headers"), NameKind::Header);
        }
        for name in secret_headers.keys() {
            if headers.keys().any(|h| h.eq_ignore_ascii_case(name)) {
                self.error(
                    &url.key_span,
                    field,
                    format!("header `{name}` is declared both in `headers` and `secret_headers`"),
                );
            }
        }
        let mut network = NetworkPolicy::default();
        if let Some(e) = f.network {
            network = self.network(&e.value, &join(field, "network"));
        }
        Some(Transport::Http(HttpTransport {
            url: url_ok?,
            protocol,
            headers,
            secret_headers,
            network,
        }))
    }

    fn restart(&mut self, node: &Node, field: &str) -> RestartPolicy {
        let on_failure = RestartPolicy::OnFailure {
            max_restarts: RestartPolicy::DEFAULT_MAX_RESTARTS,
            backoff_ms: RestartPolicy::DEFAULT_BACKOFF_MS,
        };
        let parse_name = |cx: &mut Self, n: &Node, f: &str| -> Option<bool> {
            let s = cx.string(n, f)?;
            match s.as_str() {
                "never" => Some(false),
                "on-failure" => Some(true),
                other => {
                    cx.error(
                        &n.span,
                        f,
                        format!(
                            "unknown restart policy `{other}`, expected `never` or `on-failure`"
                        ),
                    );
                    None
                }
            }
        };
        match &node.kind {
            Kind::Str(_) => match parse_name(self, node, field) {
                Some(true) => on_failure,
                _ => RestartPolicy::Never,
            },
            Kind::Table(entries) => {
                let mut t = self.fields(entries, field);
                let mut policy = None;
                if let Some(e) = t.take("policy") {
                    policy = parse_name(self, &e.value, &join(field, "policy"));
                } else {
                    self.error(
                        &node.span,
                        field,
                        "missing `policy` (`never` or `on-failure`)",
                    );
                }
                let mut max_restarts = RestartPolicy::DEFAULT_MAX_RESTARTS;
                let mut backoff_ms = RestartPolicy::DEFAULT_BACKOFF_MS;
                let mut tuned = None;
                if let Some(e) = t.take("max_restarts") {
                    tuned = Some(e.key_span.clone());
                    if let Some(v) = self.integer(&e.value, &join(field, "max_restarts"), 0, 1000) {
                        max_restarts = u32::try_from(v).unwrap_or(u32::MAX);
                    }
                }
                if let Some(e) = t.take("backoff_ms") {
                    tuned = Some(e.key_span.clone());
                    backoff_ms = self
                        .integer(&e.value, &join(field, "backoff_ms"), 0, 3_600_000)
                        .unwrap_or(backoff_ms);
                }
                t.finish(self);
                match policy {
                    Some(true) => RestartPolicy::OnFailure {
                        max_restarts,
                        backoff_ms,
                    },
                    Some(false) => {
                        if let Some(span) = tuned {
                            self.error(
                                &span,
                                field,
                                "`max_restarts` and `backoff_ms` need `policy = \"on-failure\"`",
                            );
                        }
                        RestartPolicy::Never
                    }
                    None => RestartPolicy::Never,
                }
            }
            _ => {
                self.wrong_type(node, field, "`\"never\"`, `\"on-failure\"` or a table");
                RestartPolicy::Never
            }
        }
    }

    fn sandbox(&mut self, node: &Node, field: &str) -> SandboxConfig {
        let mut s = SandboxConfig::default();
        let mode_of = |cx: &mut Self, n: &Node, f: &str| -> Option<SandboxMode> {
            let v = cx.string(n, f)?;
            match v.as_str() {
                "enforce" => Some(SandboxMode::Enforce),
                "best-effort" => Some(SandboxMode::BestEffort),
                "off" => Some(SandboxMode::Off),
                other => {
                    cx.error(&n.span, f, format!("unknown sandbox mode `{other}`, expected `enforce`, `best-effort` or `off`"));
                    None
                }
            }
        };
        // `sandbox = "off"` is shorthand for `[sandbox] mode = "off"`.
        if let Kind::Str(_) = node.kind {
            s.mode = mode_of(self, node, field).unwrap_or_default();
            return s;
        }
        let Some(mut t) = self.table(node, field) else {
            return s;
        };
        if let Some(e) = t.take("mode") {
            s.mode = mode_of(self, &e.value, &join(field, "mode")).unwrap_or_default();
        }
        if let Some(e) = t.take("paths") {
            s.paths = self.sandbox_paths(&e.value, &join(field, "paths"));
        }
        if let Some(e) = t.take("network") {
            s.network = self.network(&e.value, &join(field, "network"));
        }
        if let Some(e) = t.take("env") {
            s.env = self.plain_values(
                &e.value,
                &join(field, "env"),
                NameKind::Variable,
                &join(field, "secrets"),
            );
        }
        if let Some(e) = t.take("secrets") {
            s.secrets = self.secret_map(&e.value, &join(field, "secrets"), NameKind::Variable);
        }
        if let Some(e) = t.take("limits") {
            s.limits = self.resource_limits(&e.value, &join(field, "limits"));
        }
        t.finish(self);
        s
    }

    /// Records a finding for a stdio server whose sandbox is not enforced, at the place the
    /// mode is written (`sandbox = "off"` or `sandbox.mode`).
    fn sandbox_finding(&mut self, entry: &Entry, field: &str, mode: SandboxMode) {
        let message = match mode {
            SandboxMode::Enforce => return,
            SandboxMode::Off => {
                "sandbox is off: the server runs with mcpwall's user, files and network (still no inherited environment)"
            }
            SandboxMode::BestEffort => {
                "sandbox is best-effort: the server starts even when a sandbox feature is missing (see `mcpwall sandbox doctor`)"
            }
        };
        let (span, field) = match &entry.value.kind {
            Kind::Table(entries) => match entries.iter().find(|m| m.key == "mode") {
                Some(m) => (m.value.span.clone(), join(field, "mode")),
                None => (entry.key_span.clone(), field.to_owned()),
            },
            _ => (entry.value.span.clone(), field.to_owned()),
        };
        let d = self.diag(span.start, &field, message.to_owned());
        self.findings.push(d);
    }

    fn sandbox_paths(&mut self, node: &Node, field: &str) -> SandboxPaths {
        let mut p = SandboxPaths::default();
        let Some(mut t) = self.table(node, field) else {
            return p;
        };
        let mut ro_spans = Vec::new();
        if let Some(e) = t.take("read_only") {
            let f = join(field, "read_only");
            for (i, (s, span)) in self.string_array(&e.value, &f).into_iter().enumerate() {
                if let Some(path) = self.sandbox_path(&s, &span, &index(&f, i)) {
                    ro_spans.push((path.clone(), span));
                    p.read_only.push(path);
                }
            }
        }
        if let Some(e) = t.take("read_write") {
            let f = join(field, "read_write");
            for (i, (s, span)) in self.string_array(&e.value, &f).into_iter().enumerate() {
                let fi = index(&f, i);
                let Some(path) = self.sandbox_path(&s, &span, &fi) else {
                    continue;
                };
                if path == Path::new("/") {
                    self.error(
                        &span,
                        &fi,
                        "`/` read-write would expose the whole filesystem",
                    );
                    continue;
                }
                if ro_spans.iter().any(|(ro, _)| *ro == path) {
                    self.error(
                        &span,
                        &fi,
                        format!("`{s}` is listed both read-only and read-write"),
                    );
                }
                p.read_write.push(path);
            }
        }
        t.finish(self);
        p
    }

    fn sandbox_path(&mut self, s: &str, span: &Range<usize>, field: &str) -> Option<PathBuf> {
        if s.trim().is_empty() || s.contains('\0') {
            self.error(span, field, "must be a non-empty path");
            return None;
        }
        if Path::new(s)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
            self.error(span, field, format!("`{s}` must not contain `..`"));
            return None;
        }
        Some(self.resolve_path(s))
    }

    fn network(&mut self, node: &Node, field: &str) -> NetworkPolicy {
        let mut n = NetworkPolicy::default();
        let Some(mut t) = self.table(node, field) else {
            return n;
        };
        if let Some(e) = t.take("allow_domains") {
            let f = join(field, "allow_domains");
            for (i, (s, span)) in self.string_array(&e.value, &f).into_iter().enumerate() {
                match s.parse::<DomainPattern>() {
                    Ok(d) => n.allow_domains.push(d),
                    Err(err) => self.error(&span, &index(&f, i), err.to_string()),
                }
            }
        }
        if let Some(e) = t.take("allow_cidrs") {
            let f = join(field, "allow_cidrs");
            for (i, (s, span)) in self.string_array(&e.value, &f).into_iter().enumerate() {
                // A bare address means just that address.
                let parsed = s
                    .parse::<ipnet::IpNet>()
                    .ok()
                    .or_else(|| s.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from));
                match parsed {
                    Some(net) => {
                        if net != net.trunc() {
                            self.error(
                                &span,
                                &index(&f, i),
                                format!("`{s}` has host bits set, did you mean `{}`", net.trunc()),
                            );
                        } else if net.prefix_len() == 0 {
                            self.error(&span, &index(&f, i), format!("`{s}` allows every address"));
                        } else {
                            n.allow_cidrs.push(net);
                        }
                    }
                    None => self.error(
                        &span,
                        &index(&f, i),
                        format!("`{s}` is not an address range such as `10.0.0.0/8`"),
                    ),
                }
            }
        }
        t.finish(self);
        n
    }

    fn resource_limits(&mut self, node: &Node, field: &str) -> ResourceLimits {
        let mut l = ResourceLimits::default();
        let Some(mut t) = self.table(node, field) else {
            return l;
        };
        if let Some(e) = t.take("processes") {
            l.processes = self
                .integer(&e.value, &join(field, "processes"), 1, 1 << 22)
                .unwrap_or(l.processes);
        }
        if let Some(e) = t.take("memory_mb") {
            l.memory_mb = self
                .integer(&e.value, &join(field, "memory_mb"), 16, 1 << 24)
                .unwrap_or(l.memory_mb);
        }
        if let Some(e) = t.take("open_files") {
            l.open_files = self
                .integer(&e.value, &join(field, "open_files"), 16, 1 << 20)
                .unwrap_or(l.open_files);
        }
        if let Some(e) = t.take("cpu_seconds") {
            l.cpu_seconds = self.integer(&e.value, &join(field, "cpu_seconds"), 1, 1 << 32);
        }
        t.finish(self);
        l
    }

    // ----- hosts' JSON -----

    fn host_root(&mut self, root: &Node) -> Config {
        let gateway = GatewayConfig::default();
        let mut servers = BTreeMap::new();
        let Some(mut top) = self.table(root, "") else {
            return self.config(gateway, servers);
        };
        let (list, field) = match self.source.format {
            Format::VsCodeJson => match top.take("servers") {
                Some(e) => (Some(e), "servers".to_owned()),
                // A VS Code settings file keeps them under `mcp.servers`.
                None => match top.take("mcp").map(|m| &m.value.kind) {
                    Some(Kind::Table(entries)) => (
                        entries.iter().find(|e| e.key == "servers"),
                        "mcp.servers".to_owned(),
                    ),
                    _ => (None, "servers".to_owned()),
                },
            },
            _ => (top.take("mcpServers"), "mcpServers".to_owned()),
        };
        match list {
            Some(e) => {
                if let Some(mut list) = self.table(&e.value, &field) {
                    for s in list.all() {
                        let f = join(&field, &s.key);
                        if let Some((id, server)) = self.host_server(s, &f, &gateway) {
                            servers.insert(id, server);
                        }
                    }
                }
            }
            None => self.warn(
                &(0..0),
                &field,
                format!("no `{field}` found, so no servers are configured"),
            ),
        }
        self.config(gateway, servers)
    }

    fn host_server(
        &mut self,
        entry: &Entry,
        field: &str,
        g: &GatewayConfig,
    ) -> Option<(ServerId, ServerConfig)> {
        let id = self.server_id(entry, field);
        let mut t = self.table(&entry.value, field)?;
        let transport = self.transport(&mut t, field, &entry.key_span)?;
        // Unknown fields (hosts' own settings such as `disabled` or `autoApprove`) are fine.
        let id = id?;
        Some((
            id.clone(),
            ServerConfig {
                id,
                transport,
                restart: RestartPolicy::default(),
                shared: false,
                timeout: g.timeout,
                limits: g.limits,
                environment: g.environment,
                sandbox: SandboxConfig::default(),
            },
        ))
    }
}

/// The fields of a stdio server, taken from its table.
struct StdioFields<'n> {
    command: Option<&'n Entry>,
    args: Option<&'n Entry>,
    env: Option<&'n Entry>,
    cwd: Option<&'n Entry>,
    env_file: Option<&'n Entry>,
}

/// The fields of a remote server, taken from its table.
struct HttpFields<'n> {
    url: Option<&'n Entry>,
    headers: Option<&'n Entry>,
    secret_headers: Option<&'n Entry>,
    network: Option<&'n Entry>,
}

/// What the keys of a name/value table are.
#[derive(Clone, Copy)]
enum NameKind {
    /// Environment variables.
    Variable,
    /// HTTP header names.
    Header,
}

impl NameKind {
    fn word(self) -> &'static str {
        match self {
            NameKind::Variable => "variable",
            NameKind::Header => "header",
        }
    }

    fn valid(self, name: &str) -> bool {
        match self {
            NameKind::Variable => is_env_name(name),
            // RFC 9110 token characters.
            NameKind::Header => {
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
            }
        }
    }

    fn rule(self) -> &'static str {
        match self {
            NameKind::Variable => "letters, digits and `_`, not starting with a digit",
            NameKind::Header => "letters, digits and `-`",
        }
    }
}

enum Declared {
    Stdio,
    Http(HttpProtocol),
}

/// The entries of one table, tracking which were read so that the rest can be reported.
struct Fields<'n> {
    entries: &'n [Entry],
    used: Vec<bool>,
    path: String,
}

impl<'n> Fields<'n> {
    /// The entry called `key`, marking it read.
    fn take(&mut self, key: &str) -> Option<&'n Entry> {
        let i = self.entries.iter().position(|e| e.key == key)?;
        self.used[i] = true;
        Some(&self.entries[i])
    }

    /// Every entry (a map whose keys are data, such as `servers` or `env`).
    fn all(&mut self) -> &'n [Entry] {
        self.used.iter_mut().for_each(|u| *u = true);
        self.entries
    }

    /// Reports entries nobody read: an error in mcpwall TOML (a typo must not silently drop a
    /// security setting), ignored in a host's file.
    fn finish(self, cx: &mut Cx<'_>) {
        if !cx.strict() {
            return;
        }
        for (e, used) in self.entries.iter().zip(&self.used) {
            if !used {
                let known = known_fields(&self.path);
                let hint = closest(&e.key, known)
                    .map(|k| format!(", did you mean `{k}`"))
                    .unwrap_or_default();
                cx.error(
                    &e.key_span,
                    &join(&self.path, &e.key),
                    format!("unknown field `{}`{hint}", e.key),
                );
            }
        }
    }
}

/// The fields a table may hold, for "did you mean" hints.
fn known_fields(path: &str) -> &'static [&'static str] {
    let last = path.rsplit('.').next().unwrap_or("");
    let in_server = path.starts_with("servers.");
    match (last, in_server) {
        ("", _) => &["gateway", "servers"],
        ("gateway", false) => &[
            "listen",
            "tokens",
            "allowed_origins",
            "audit",
            "state_dir",
            "environment",
            "timeout",
            "limits",
        ],
        ("audit", false) => &["path", "max_field_bytes"],
        ("limits", _) if path.ends_with("sandbox.limits") => {
            &["processes", "memory_mb", "open_files", "cpu_seconds"]
        }
        ("limits", _) => &["max_message_bytes", "max_json_depth"],
        ("sandbox", true) => &["mode", "paths", "network", "env", "secrets", "limits"],
        ("paths", true) => &["read_only", "read_write"],
        ("network", true) => &["allow_domains", "allow_cidrs"],
        ("restart", true) => &["policy", "max_restarts", "backoff_ms"],
        (_, true) => &[
            "command",
            "args",
            "env",
            "cwd",
            "url",
            "headers",
            "secret_headers",
            "network",
            "type",
            "transport",
            "restart",
            "shared",
            "timeout",
            "limits",
            "environment",
            "sandbox",
        ],
        _ => &[],
    }
}

/// The known field closest to `key` by edit distance, if close enough to be a typo.
fn closest(key: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (edit_distance(key, k), *k))
        .filter(|(d, k)| *d > 0 && *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// `30s`, `500ms`, `2m`, `1h`, or a bare number of seconds.
fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    match unit.trim() {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => Some(Duration::from_secs(n)),
        "m" | "min" => n.checked_mul(60).map(Duration::from_secs),
        "h" => n.checked_mul(3600).map(Duration::from_secs),
        _ => None,
    }
}

/// `scheme://host[:port]`, lowercased, or `None` if `s` is not an origin.
fn normalize_origin(s: &str) -> Option<String> {
    let u = url::Url::parse(s).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() || s.contains('*') {
        return None;
    }
    if u.path() != "/" || u.query().is_some() || u.fragment().is_some() || !u.username().is_empty()
    {
        return None;
    }
    // The serialization of an origin never has a trailing slash.
    let origin = u.origin().ascii_serialization();
    (origin != "null").then_some(origin)
}

fn is_loopback_host(u: &url::Url) -> bool {
    match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("12"), Some(Duration::from_secs(12)));
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("1d"), None);
        assert_eq!(parse_duration("99999999999999999999h"), None);
    }

    #[test]
    fn origins() {
        assert_eq!(
            normalize_origin("https://App.Example.com").as_deref(),
            Some("https://app.example.com")
        );
        assert_eq!(
            normalize_origin("http://localhost:3000/").as_deref(),
            Some("http://localhost:3000")
        );
        assert_eq!(normalize_origin("https://a.example/path"), None);
        assert_eq!(normalize_origin("*"), None);
        assert_eq!(normalize_origin("file:///x"), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            closest("comand", known_fields("servers.x")),
            Some("command")
        );
        assert_eq!(
            closest("allow_domain", known_fields("servers.x.sandbox.network")),
            Some("allow_domains")
        );
        assert_eq!(closest("zzzzzz", known_fields("servers.x")), None);
    }
}
