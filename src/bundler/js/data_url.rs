//! The `dataurl` loader: a file as a `data:` URL string, as esbuild writes it: its MIME type by
//! extension, and the shorter of base64 and percent-escaped text (text only when it is UTF-8).

use std::path::Path;

/// The data URL of `bytes`, read from `path`.
pub fn of_file(path: &Path, bytes: &[u8]) -> String {
    let mime = mime_type(path, bytes);
    use base64::Engine;
    let base64 = format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    );
    match std::str::from_utf8(bytes).map(|text| percent_escaped(&mime, text)) {
        Ok(escaped) if escaped.len() < base64.len() => escaped,
        _ => base64,
    }
}

/// A file's MIME type by its extension; text without a known one is plain text.
fn mime_type(path: &Path, bytes: &[u8]) -> String {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let known = match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "bmp" => "image/bmp",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "wasm" => "application/wasm",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        "txt" => "text/plain;charset=utf-8",
        "html" | "htm" => "text/html;charset=utf-8",
        "css" => "text/css;charset=utf-8",
        "js" | "mjs" | "cjs" => "text/javascript;charset=utf-8",
        "json" => "application/json;charset=utf-8",
        "xml" => "text/xml;charset=utf-8",
        "csv" => "text/csv;charset=utf-8",
        "md" => "text/markdown;charset=utf-8",
        _ if std::str::from_utf8(bytes).is_ok() => "text/plain;charset=utf-8",
        _ => "application/octet-stream",
    };
    known.to_string()
}

/// `data:<mime>,<text>` with only what a URL cannot hold escaped: tab, newline, carriage
/// return, `#`, a `%` that would read as an escape, and spaces or control characters at the end.
fn percent_escaped(mime: &str, text: &str) -> String {
    let bytes = text.as_bytes();
    let kept_end = bytes
        .iter()
        .rposition(|&c| c > 0x20 || matches!(c, b'\t' | b'\n' | b'\r'))
        .map_or(0, |i| i + 1);
    let mut out = format!("data:{mime},");
    for (i, c) in text.char_indices() {
        let looks_escaped = c == '%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit();
        if matches!(c, '\t' | '\n' | '\r' | '#') || i >= kept_end || looks_escaped {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_percent_escaped_when_shorter() {
        let url = of_file(Path::new("a.txt"), b"hello world\n#1 %41 %zz \x01 ");
        assert_eq!(
            url,
            "data:text/plain;charset=utf-8,hello world%0A%231 %2541 %zz%20%01%20"
        );
    }

    #[test]
    fn binary_and_short_text_are_base64() {
        let url = of_file(Path::new("a.png"), &[0x89, b'P', b'N', b'G']);
        assert_eq!(url, "data:image/png;base64,iVBORw==");
        // Escaping every newline makes this longer than its base64.
        let url = of_file(Path::new("a.txt"), b"\n\n\n\n\n\n");
        assert!(
            url.starts_with("data:text/plain;charset=utf-8;base64,"),
            "{url}"
        );
    }
}
