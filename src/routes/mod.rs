//! The routes stage: a project's Hono routes, found without running any JavaScript. The
//! project's own modules are parsed (packages stay imports), then `interpret` follows Hono apps
//! through their top-level code in evaluation order, as Hono itself would register them; the
//! result is the app's route list in registration order, each route classified by the
//! EdgeSpark auth convention.

mod interpret;

use std::path::Path;

use anyhow::{Result, anyhow};
use serde::Serialize;

use crate::bundler::graph::ModuleGraph;
use crate::diagnostic::Diagnostic;
use crate::resolve::{Options, Resolver};

/// One registered route, as Hono's `inspectRoutes` would list it (middleware excluded).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    pub path: String,
    pub auth: Auth,
    /// The file that registers it, relative to the server directory, `/`-separated.
    pub file: String,
    pub line: usize,
}

/// What the platform does before a route's handler runs, decided by its path.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// `/api/*`: login required.
    Protected,
    /// `/api/public/*`: login optional.
    Public,
    /// `/api/webhooks/*`: no auth check.
    Webhook,
    /// Outside `/api/*`, or under the platform's reserved `/api/_es/*`: deploy refuses it.
    Invalid,
}

pub struct Analysis {
    pub routes: Vec<Route>,
    /// Registrations the analysis could not follow (code `routes/unread`), at their place in
    /// the server folder's files.
    pub warnings: Vec<Diagnostic>,
}

impl Auth {
    pub fn of(path: &str) -> Auth {
        let under = |prefix: &str| {
            path == prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        };
        if under("/api/_es") || !under("/api") {
            Auth::Invalid
        } else if under("/api/public") {
            Auth::Public
        } else if under("/api/webhooks") {
            Auth::Webhook
        } else {
            Auth::Protected
        }
    }
}

/// Hono's `mergePath(base, sub)`: how a base path and a route's path are joined.
pub fn merge_path(base: &str, sub: &str) -> String {
    let mut out = String::with_capacity(base.len() + sub.len() + 2);
    if !base.starts_with('/') {
        out.push('/');
    }
    out.push_str(base);
    if sub != "/" {
        if !base.ends_with('/') {
            out.push('/');
        }
        out.push_str(sub.strip_prefix('/').unwrap_or(sub));
    }
    out
}

/// The routes of the app `entry` default-exports. `resolve`: how the project's imports resolve
/// (packages are kept external whatever it says).
pub fn analyze(server_dir: &Path, entry: &Path, resolve: &Options) -> Result<Analysis> {
    let options = Options {
        packages_external: true,
        ..resolve.clone()
    };
    let resolver = Resolver::new(&options);
    let graph = crate::bundler::graph::scan(&[entry.to_path_buf()], &resolver)?;
    let analysis = swc_core::common::GLOBALS.set(&graph.globals, || of_graph(&graph, server_dir));
    crate::timing::drop_off_the_critical_path((graph, resolver));
    analysis
}

/// The routes of the app the graph's entry default-exports, from a graph already scanned (with
/// packages external or not: packages are never followed). Call inside the graph's globals.
pub fn of_graph(graph: &ModuleGraph, server_dir: &Path) -> Result<Analysis> {
    interpret::run(graph, server_dir).ok_or_else(|| {
        let entry = &graph.files[graph.entries[0]].path;
        anyhow!(
            "{}: its default export is not a Hono app the analysis can follow",
            entry.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_as_hono_joins_them() {
        assert_eq!(merge_path("/", "/"), "/");
        assert_eq!(merge_path("/", "/x"), "/x");
        assert_eq!(merge_path("/api", "/"), "/api");
        assert_eq!(merge_path("/api", "*"), "/api/*");
        assert_eq!(merge_path("/api/", "/x/"), "/api/x/");
        assert_eq!(merge_path("api", "x"), "/api/x");
    }

    #[test]
    fn paths_decide_the_auth_group() {
        assert_eq!(Auth::of("/api/me"), Auth::Protected);
        assert_eq!(Auth::of("/api"), Auth::Protected);
        assert_eq!(Auth::of("/api/public"), Auth::Public);
        assert_eq!(Auth::of("/api/public/feed"), Auth::Public);
        assert_eq!(Auth::of("/api/publicity"), Auth::Protected);
        assert_eq!(Auth::of("/api/webhooks/stripe"), Auth::Webhook);
        assert_eq!(Auth::of("/api/_es/auth"), Auth::Invalid);
        assert_eq!(Auth::of("/apiary"), Auth::Invalid);
        assert_eq!(Auth::of("/health"), Auth::Invalid);
        assert_eq!(Auth::of("*"), Auth::Invalid);
    }
}
