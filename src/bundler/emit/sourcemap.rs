//! Source maps for the bundle, as esbuild writes them: version 3, the sources named relative to
//! the output file, their text inlined (`sourcesContent`), and the `sourceMappingURL` comment
//! that `--sourcemap` (linked), `=inline`, `=external` and `=both` ask for.

use crate::project::paths::relative_path;
use std::path::Path;

use anyhow::{Context, Result};
use base64::Engine;
use swc_core::common::{BytePos, FileName, SourceMap, sync::Lrc};

use super::Emitted;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceMapKind {
    /// A `.map` file beside the output, named by a comment at its end
    Linked,
    /// A `.map` file beside the output, no comment
    External,
    /// The map inside the output, as a data: URL
    Inline,
    /// Both inline and as a `.map` file
    Both,
}

/// Build the map of `code` from the printer's mappings and attach it as `kind` says.
pub fn attach(
    cm: &Lrc<SourceMap>,
    mappings: &[(BytePos, swc_core::common::source_map::LineCol)],
    mut code: String,
    kind: SourceMapKind,
    outfile: &Path,
) -> Result<Emitted> {
    let out_dir = std::path::absolute(outfile)
        .context("the output path")?
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let file = outfile.file_name().map(|f| f.to_string_lossy());
    let json = super::sourcemap_json::source_map_json(cm, mappings, file.as_deref(), |f| {
        source_name(&out_dir, f)
    });
    if !code.ends_with('\n') {
        code.push('\n');
    }
    match kind {
        SourceMapKind::Linked => {
            let name = outfile.file_name().unwrap_or_default().to_string_lossy();
            code.push_str(&format!("//# sourceMappingURL={name}.map\n"));
        }
        SourceMapKind::Inline | SourceMapKind::Both => {
            let data = base64::engine::general_purpose::STANDARD.encode(&json);
            code.push_str(&format!(
                "//# sourceMappingURL=data:application/json;base64,{data}\n"
            ));
        }
        SourceMapKind::External => {}
    }
    let map = (kind != SourceMapKind::Inline).then_some(json);
    Ok(Emitted {
        code,
        map,
        assets: vec![],
        sections: vec![],
    })
}

/// A source's name in the map: its path relative to the output's directory, with `/`
/// separators.
fn source_name(out_dir: &Path, f: &FileName) -> String {
    match f {
        FileName::Real(p) => relative_path(out_dir, p),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::project::paths::relative_path;
    use std::path::Path;

    #[test]
    fn sources_are_relative_to_the_output_directory() {
        assert_eq!(
            relative_path(Path::new("/p/dist"), Path::new("/p/src/a.ts")),
            "../src/a.ts"
        );
        assert_eq!(
            relative_path(Path::new("/p/dist"), Path::new("/p/dist/a.ts")),
            "a.ts"
        );
        assert_eq!(
            relative_path(Path::new("/p/dist/x"), Path::new("/q/a.ts")),
            "../../../q/a.ts"
        );
    }
}
