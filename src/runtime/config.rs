//! The workerd configuration (Cap'n Proto text) for one run of the app: the worker's modules
//! (the entry, the app's bundle, the platform module and the two names the app imports it by),
//! its bindings (the platform service, vars, secrets, the environment), a socket for the front
//! server to forward to, and the platform service at edgespark's own socket. Loopback and unix
//! sockets only.

use std::fmt::Write;

/// What one worker is made of.
pub struct WorkerConfig {
    /// Module name → the file it is embedded from (relative to the config file).
    pub modules: Vec<(String, String)>,
    /// Where workerd listens for the front server (`unix:/path` or `127.0.0.1:port`).
    pub listen: String,
    /// Where edgespark's platform service listens (`unix:/path`).
    pub platform: String,
    /// JSON objects of the vars and the secrets.
    pub vars: String,
    pub secrets: String,
    /// `ctx.environment`: "dev" or "production".
    pub environment: String,
    /// The token a request must carry to run the seed module (dev).
    pub seed_token: Option<String>,
    pub compatibility_date: String,
    pub compatibility_flags: Vec<&'static str>,
}

/// The config text.
pub fn config_text(c: &WorkerConfig) -> String {
    let mut modules = String::new();
    for (i, (name, file)) in c.modules.iter().enumerate() {
        if i > 0 {
            modules.push_str(", ");
        }
        let _ = write!(
            modules,
            "(name = {}, esModule = embed {})",
            quoted(name),
            quoted(file)
        );
    }
    let seed = c
        .seed_token
        .as_ref()
        .map(|t| format!("\n    (name = \"SEED_TOKEN\", text = {}),", quoted(t)))
        .unwrap_or_default();
    let flags: Vec<String> = c.compatibility_flags.iter().map(|f| quoted(f)).collect();
    format!(
        r#"using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .app),
    (name = "platform", external = (address = {platform}, http = ())),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = {listen}, http = (), service = "main") ],
);

const app :Workerd.Worker = (
  modules = [ {modules} ],
  compatibilityDate = {date},
  compatibilityFlags = [ {flags} ],
  globalOutbound = "internet",
  bindings = [
    (name = "PLATFORM", service = "platform"),
    (name = "VARS", json = {vars}),
    (name = "SECRETS", json = {secrets}),
    (name = "ENVIRONMENT", text = {environment}),{seed}
  ],
);
"#,
        platform = quoted(&c.platform),
        listen = quoted(&c.listen),
        date = quoted(&c.compatibility_date),
        flags = flags.join(", "),
        vars = quoted(&c.vars),
        secrets = quoted(&c.secrets),
        environment = quoted(&c.environment),
    )
}

/// A Cap'n Proto text string literal.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_quoted_for_capnp() {
        assert_eq!(quoted(r#"{"a":"x\"y"}"#), r#""{\"a\":\"x\\\"y\"}""#);
        assert_eq!(quoted("a\nb"), "\"a\\nb\"");
    }
}
