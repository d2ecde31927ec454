//! The project: where `edgespark.toml` is, and the paths the commands work on.

pub mod auth_config;
pub mod build_cache;
pub mod fsio;
pub mod git;
pub mod paths;
pub mod runtime_keys;
pub mod scaffold;
pub mod template;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

#[derive(Debug, Clone)]
pub struct Project {
    pub root: PathBuf,
    pub config: Config,
}

/// `edgespark.toml`. `project_id` is parsed (so a malformed file is reported); deploy will use it.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Config {
    #[allow(dead_code)] // read by deploy (issue 3/3)
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub db: DbConfig,
    /// `[web]`: the front end, built by its own tools; dev and serve serve its `output_path`.
    #[serde(default)]
    pub web: Option<WebConfig>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct WebConfig {
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub output_path: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerConfig {
    #[serde(default = "default_server_path")]
    pub path: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            path: default_server_path(),
        }
    }
}

fn default_server_path() -> String {
    "server".into()
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct DbConfig {
    #[serde(default)]
    pub migration_branch: Option<String>,
}

pub const CONFIG_FILE: &str = "edgespark.toml";

impl Project {
    /// The project at `dir` if given, else the nearest directory upward holding edgespark.toml.
    pub fn find(dir: Option<&Path>) -> Result<Project> {
        let start = match dir {
            Some(d) => d.to_path_buf(),
            None => std::env::current_dir().context("reading the current directory")?,
        };
        let root = if dir.is_some() {
            if !start.join(CONFIG_FILE).is_file() {
                bail!("{} has no {CONFIG_FILE}", start.display());
            }
            start
        } else {
            match start.ancestors().find(|a| a.join(CONFIG_FILE).is_file()) {
                Some(r) => r.to_path_buf(),
                None => bail!(
                    "no {CONFIG_FILE} in {} or any directory above it (use -C DIR to name the project)",
                    start.display()
                ),
            }
        };
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let config: Config =
            toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))?;
        let project = Project { root, config };
        project.check_server_path(&path)?;
        Ok(project)
    }

    /// `[server] path` names a folder inside the project that exists.
    fn check_server_path(&self, config_file: &Path) -> Result<()> {
        let given = &self.config.server.path;
        let inside = Path::new(given).components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        });
        if !inside || given.is_empty() {
            bail!(
                "{}: [server] path = {given:?} must be a folder inside the project",
                config_file.display()
            );
        }
        let dir = self.server_dir();
        if !dir.is_dir() {
            bail!(
                "{}: [server] path = {given:?}: {} is not a folder",
                config_file.display(),
                dir.display()
            );
        }
        let root = self
            .root
            .canonicalize()
            .with_context(|| format!("resolving {}", self.root.display()))?;
        if !dir.canonicalize().is_ok_and(|d| d.starts_with(&root)) {
            bail!(
                "{}: [server] path = {given:?} leads outside the project",
                config_file.display()
            );
        }
        Ok(())
    }

    pub fn server_dir(&self) -> PathBuf {
        self.root.join(&self.config.server.path)
    }

    pub fn migrations_dir(&self) -> PathBuf {
        self.server_dir().join("drizzle")
    }

    pub fn schema_file(&self) -> PathBuf {
        self.defs_dir().join("db_schema.ts")
    }

    /// `server/src/defs/`: the project's declarations (schema, buckets, runtime keys).
    pub fn defs_dir(&self) -> PathBuf {
        self.server_dir().join("src/defs")
    }

    /// `server/src/index.ts`, where the server starts; an error if it does not exist.
    pub fn server_entry(&self) -> Result<PathBuf> {
        let entry = self.server_dir().join("src/index.ts");
        if !entry.is_file() {
            bail!(
                "{} does not exist: a project's server starts there",
                self.display(&entry)
            );
        }
        Ok(entry)
    }

    /// The web build's folder (`[web] output_path`), when the project has one and it exists.
    pub fn web_output(&self) -> Option<PathBuf> {
        let out = self.config.web.as_ref()?.output_path.as_ref()?;
        let dir = self.root.join(out);
        dir.is_dir().then_some(dir)
    }

    /// `.edgespark/dev/`: `edgespark dev`'s own database, buckets and state.
    pub fn dev_dir(&self) -> PathBuf {
        self.root.join(".edgespark/dev")
    }

    pub fn local_dir(&self) -> PathBuf {
        self.root.join(".edgespark/local")
    }

    pub fn local_database(&self) -> PathBuf {
        self.local_dir().join("d1.sqlite")
    }

    /// A path for messages: relative to the project root when inside it.
    pub fn display(&self, p: &Path) -> String {
        p.strip_prefix(&self.root)
            .unwrap_or(p)
            .display()
            .to_string()
    }
}
