//! Stack traces the worker prints, mapped back to the TypeScript sources: each
//! `app.js:LINE:COL` (a place in the app's bundle as workerd names it) becomes the source
//! file, line and column the bundle's source map gives for it.

use std::path::{Path, PathBuf};

/// The app bundle's source map, read once per build.
pub struct StackMapper {
    map: swc_sourcemap::SourceMap,
    /// The folder the map's source paths are relative to (the bundle's).
    base: PathBuf,
    /// Shown paths are relative to this (the project's root).
    root: PathBuf,
}

/// The module name the app's bundle has in workerd.
const MODULE: &str = "app.js:";

impl StackMapper {
    pub fn new(map_json: &str, bundle_dir: &Path, root: &Path) -> Option<StackMapper> {
        let map = swc_sourcemap::SourceMap::from_slice(map_json.as_bytes()).ok()?;
        Some(StackMapper {
            map,
            base: bundle_dir.to_path_buf(),
            root: root.to_path_buf(),
        })
    }

    /// `line` with every place in the bundle replaced by its place in the sources.
    pub fn map_line(&self, line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut rest = line;
        while let Some(at) = rest.find(MODULE) {
            out.push_str(&rest[..at]);
            let after = &rest[at + MODULE.len()..];
            match self.place(after) {
                Some((mapped, used)) => {
                    out.push_str(&mapped);
                    rest = &after[used..];
                }
                None => {
                    out.push_str(MODULE);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// `LINE:COL...` (1-based, as stack traces count) → `file:line:col` and how much was read.
    fn place(&self, text: &str) -> Option<(String, usize)> {
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let l = digits(text);
        let line: u32 = text[..l].parse().ok()?;
        let after_line = text[l..].strip_prefix(':')?;
        let c = digits(after_line);
        let col: u32 = after_line[..c].parse().ok()?;
        let token = self
            .map
            .lookup_token(line.checked_sub(1)?, col.checked_sub(1)?)?;
        let source = token.get_source()?;
        let file = crate::project::paths::absolute(&self.base.join(source.as_str())).ok()?;
        let shown = file
            .strip_prefix(&self.root)
            .unwrap_or(&file)
            .display()
            .to_string();
        Some((
            format!(
                "{shown}:{}:{}",
                token.get_src_line() + 1,
                token.get_src_col() + 1
            ),
            l + 1 + c,
        ))
    }
}
