//! The source map's JSON, made on all threads from the printer's mappings: the bytes
//! `swc_common`'s `build_source_map` and `swc_sourcemap`'s writer give (a unit test compares
//! them), which do it on one thread: 150 ms of a large minified bundle's build. The mappings
//! are cut into pieces; each piece finds its positions' files, lines and UTF-16 columns on its
//! own; the sources are then numbered in order of first use, one piece after the other, and
//! each piece's part of the `mappings` string is encoded from the token before it.
//! The sources' line starts are found here too (`Lines`): swc's own analysis of a file also
//! hashes it and measures its characters' widths, and scans it a byte at a time.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use swc_core::common::{BytePos, FileName, LineCol, SourceFile, SourceMap, sync::Lrc};

/// One mapping: from the output's line and UTF-16 column to a source's.
#[derive(Clone, Copy, PartialEq)]
struct Token {
    dst_line: u32,
    dst_col: u32,
    /// The source's number; in a piece not yet numbered, the piece's own index of the file,
    /// or `CURRENT`.
    src: u32,
    src_line: u32,
    src_col: u32,
}

/// A mapping to no place (`BytePos(u32::MAX)`): line 0, column 0 of the source before it.
const CURRENT: u32 = u32::MAX;

/// Mappings per piece: enough that a piece's bookkeeping is small beside its work.
const PIECE: usize = 1 << 16;

/// A source's line starts and multibyte characters, as swc's analysis finds them: a line
/// ends at `\n`, `\r\n` or a lone `\r`; a line start at the very end is not one.
struct Lines {
    starts: Vec<BytePos>,
    /// Each character of more than one UTF-8 byte: where, and how many more bytes it has
    /// than UTF-16 units.
    multibyte: Vec<(BytePos, u32)>,
}

impl Lines {
    fn of(f: &SourceFile) -> Lines {
        let (text, start) = (f.src.as_bytes(), f.start_pos);
        let mut starts = vec![start];
        for i in memchr::memchr2_iter(b'\n', b'\r', text) {
            // A `\r\n` ends its line at the `\n`.
            if text[i] == b'\r' && text.get(i + 1) == Some(&b'\n') {
                continue;
            }
            starts.push(start + BytePos(i as u32 + 1));
        }
        if starts.last() == Some(&f.end_pos) {
            starts.pop();
        }
        let multibyte = if f.src.is_ascii() {
            vec![]
        } else {
            f.src
                .char_indices()
                .filter(|(_, c)| !c.is_ascii())
                .map(|(i, c)| {
                    let extra = c.len_utf8() - c.len_utf16();
                    (start + BytePos(i as u32), extra as u32)
                })
                .collect()
        };
        Lines { starts, multibyte }
    }

    /// The line `pos` is on (None: before the first, or the source is empty).
    fn line_of(&self, pos: BytePos) -> Option<usize> {
        self.starts.partition_point(|&s| s <= pos).checked_sub(1)
    }
}

/// One piece's tokens, and the files it switched to, in order.
struct Piece {
    tokens: Vec<Token>,
    files: Vec<Lrc<SourceFile>>,
}

/// The source map's JSON for `mappings`; `file` its `file` field, `source_name` each source's
/// name in `sources` (the source's text always goes in `sourcesContent`).
pub fn source_map_json(
    cm: &SourceMap,
    mappings: &[(BytePos, LineCol)],
    file: Option<&str>,
    source_name: impl Fn(&FileName) -> String + Sync,
) -> String {
    in_pieces(cm, mappings, file, source_name, PIECE)
}

fn in_pieces(
    cm: &SourceMap,
    mappings: &[(BytePos, LineCol)],
    file: Option<&str>,
    source_name: impl Fn(&FileName) -> String + Sync,
    piece_size: usize,
) -> String {
    // Each source's lines, found on all threads before the pieces ask for them, by where the
    // source starts.
    let lines: FxHashMap<BytePos, Lines> = cm
        .files()
        .par_iter()
        .map(|f| (f.start_pos, Lines::of(f)))
        .collect();
    let pieces: Vec<Piece> = mappings
        .par_chunks(piece_size)
        .map(|part| piece(cm, &lines, part))
        .collect();
    // Sources numbered in order of first use, as one pass would; a name met again is the
    // same source, its text the last file's of that name.
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut sources: Vec<(String, Lrc<SourceFile>)> = vec![];
    let mut numbered: Vec<(Vec<u32>, u32)> = vec![];
    let mut current = 0;
    for p in &pieces {
        let first = current;
        let local: Vec<u32> = p
            .files
            .iter()
            .map(|f| {
                let name = source_name(&f.name);
                let id = *ids.entry(name.clone()).or_insert_with(|| {
                    sources.push((name, f.clone()));
                    sources.len() as u32 - 1
                });
                sources[id as usize].1 = f.clone();
                current = id;
                id
            })
            .collect();
        numbered.push((local, first));
    }
    let mut pieces: Vec<Vec<Token>> = pieces
        .into_par_iter()
        .zip(numbered)
        .map(|(p, (local, mut current))| {
            let mut tokens = p.tokens;
            for t in &mut tokens {
                if t.src == CURRENT {
                    t.src = current;
                } else {
                    t.src = local[t.src as usize];
                    current = t.src;
                }
            }
            tokens
        })
        .collect();
    // swc_sourcemap sorts the tokens so (unstably: the same sort, for the same order of ties).
    let key = |t: &Token| (t.dst_line, t.dst_col);
    let ends: Vec<(&Token, &Token)> = pieces
        .iter()
        .filter_map(|p| Some((p.first()?, p.last()?)))
        .collect();
    let sorted = pieces.par_iter().all(|p| p.is_sorted_by_key(key))
        && ends.windows(2).all(|w| key(w[0].1) <= key(w[1].0));
    if !sorted {
        let mut all = pieces.concat();
        all.sort_unstable_by_key(key);
        pieces = all.chunks(piece_size).map(<[Token]>::to_vec).collect();
    }
    let contents: Vec<String> = sources
        .par_iter()
        .map(|(_, f)| json_string(&f.src))
        .collect();
    // Each piece encoded after the token before it (the last of an earlier piece).
    let before: Vec<Option<Token>> = pieces
        .iter()
        .scan(None, |last, p| {
            let before = *last;
            *last = p.last().copied().or(before);
            Some(before)
        })
        .collect();
    let mappings: Vec<String> = pieces
        .par_iter()
        .zip(before)
        .map(|(p, before)| encode_after(before, p))
        .collect();
    let names: Vec<String> = sources.iter().map(|(n, _)| json_string(n)).collect();
    let mut head = String::from("{\"version\":3");
    if let Some(file) = file {
        head.push_str(",\"file\":");
        head.push_str(&json_string(file));
    }
    head.push_str(",\"sources\":[");
    head.push_str(&names.join(","));
    head.push(']');
    let mut parts: Vec<&str> = vec![&head];
    if !contents.is_empty() {
        parts.push(",\"sourcesContent\":[");
        for (i, c) in contents.iter().enumerate() {
            if i > 0 {
                parts.push(",");
            }
            parts.push(c);
        }
        parts.push("]");
    }
    parts.push(",\"names\":[],\"mappings\":\"");
    parts.extend(mappings.iter().map(String::as_str));
    parts.push("\"}");
    concat_in_parallel(&parts)
}

/// `parts` joined, copied on all threads (the map of a large bundle is tens of megabytes).
fn concat_in_parallel(parts: &[&str]) -> String {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = vec![0u8; total];
    // Runs of whole parts of about equal size, each copied into its own stretch of `out`.
    let target = total
        .div_ceil(rayon::current_num_threads() * 4)
        .max(1 << 20);
    let mut jobs: Vec<(&mut [u8], &[&str])> = vec![];
    let (mut rest, mut from, mut size) = (&mut out[..], 0, 0);
    for (i, p) in parts.iter().enumerate() {
        size += p.len();
        if size >= target || i + 1 == parts.len() {
            let (stretch, after) = rest.split_at_mut(size);
            jobs.push((stretch, &parts[from..=i]));
            (rest, from, size) = (after, i + 1, 0);
        }
    }
    jobs.into_par_iter().for_each(|(stretch, parts)| {
        let mut at = 0;
        for p in parts {
            stretch[at..at + p.len()].copy_from_slice(p.as_bytes());
            at += p.len();
        }
    });
    String::from_utf8(out).expect("joined from strings")
}

/// `part`'s tokens, found as `build_source_map` finds them.
fn piece(cm: &SourceMap, lines: &FxHashMap<BytePos, Lines>, part: &[(BytePos, LineCol)]) -> Piece {
    let mut tokens = Vec::with_capacity(part.len());
    let mut files: Vec<Lrc<SourceFile>> = vec![];
    let mut file_lines: Option<&Lines> = None;
    let mut line_state = Utf16Offset::default();
    let mut pos_state = Utf16Offset::default();
    for &(pos, lc) in part {
        if pos.is_reserved_for_comments() || (lc.line == 0 && lc.col == 0 && pos.is_dummy()) {
            continue;
        }
        if pos == BytePos(u32::MAX) {
            tokens.push(Token {
                dst_line: lc.line,
                dst_col: lc.col,
                src: CURRENT,
                src_line: 0,
                src_col: 0,
            });
            continue;
        }
        let in_current = files
            .last()
            .is_some_and(|f| f.start_pos <= pos && pos < f.end_pos);
        if !in_current {
            let Ok(Some(f)) = cm.try_lookup_source_file(pos) else {
                continue;
            };
            if matches!(*f.name, FileName::Internal(_)) {
                continue;
            }
            file_lines = lines.get(&f.start_pos);
            files.push(f);
            line_state = Utf16Offset::default();
            pos_state = Utf16Offset::default();
        }
        let Some(f) = file_lines else {
            continue;
        };
        let Some(line) = f.line_of(pos) else {
            continue;
        };
        let line_start = f.starts[line];
        let line_ch = line_start.0 - line_state.at(f, line_start);
        let ch = pos.0 - pos_state.at(f, pos);
        tokens.push(Token {
            dst_line: lc.line,
            dst_col: lc.col,
            src: files.len() as u32 - 1,
            src_line: line as u32,
            src_col: ch - line_ch,
        });
    }
    Piece { tokens, files }
}

/// How many more UTF-8 bytes than UTF-16 units a file has before a position, found from
/// where the last question left off (positions asked about mostly move forward).
#[derive(Default)]
struct Utf16Offset {
    pos: BytePos,
    /// Multibyte characters before `pos`.
    index: usize,
    extra: u32,
}

impl Utf16Offset {
    fn at(&mut self, f: &Lines, pos: BytePos) -> u32 {
        let chars = &f.multibyte;
        if pos >= self.pos {
            while let Some((_, extra)) = chars.get(self.index).filter(|(at, _)| *at < pos) {
                self.extra += extra;
                self.index += 1;
            }
        } else {
            while self.index > 0 && chars[self.index - 1].0 >= pos {
                self.index -= 1;
                self.extra -= chars[self.index].1;
            }
        }
        self.pos = pos;
        self.extra
    }
}

/// `tokens` encoded as `swc_sourcemap` encodes them, after `before`, the token encoded just
/// before them (None: they are the first).
fn encode_after(before: Option<Token>, tokens: &[Token]) -> String {
    let mut out = String::with_capacity(tokens.len() * 6);
    let (mut line, mut col, mut src, mut src_line, mut src_col) = match before {
        Some(t) => (t.dst_line, t.dst_col, t.src, t.src_line, t.src_col),
        None => (0, 0, 0, 0, 0),
    };
    let mut previous = before;
    for &t in tokens {
        if t.dst_line != line {
            col = 0;
            for _ in line..t.dst_line {
                out.push(';');
            }
            line = t.dst_line;
        } else if let Some(p) = previous {
            if t == p {
                continue;
            }
            out.push(',');
        }
        previous = Some(t);
        vlq(&mut out, t.dst_col as i64 - col as i64);
        col = t.dst_col;
        vlq(&mut out, t.src as i64 - src as i64);
        src = t.src;
        vlq(&mut out, t.src_line as i64 - src_line as i64);
        src_line = t.src_line;
        vlq(&mut out, t.src_col as i64 - src_col as i64);
        src_col = t.src_col;
    }
    out
}

/// One base64 VLQ number.
fn vlq(out: &mut String, n: i64) {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut n = if n < 0 { ((-n) << 1) + 1 } else { n << 1 };
    loop {
        let mut digit = n & 0b11111;
        n >>= 5;
        if n > 0 {
            digit |= 1 << 5;
        }
        out.push(DIGITS[digit as usize] as char);
        if n == 0 {
            break;
        }
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string is JSON")
}

#[cfg(test)]
mod tests {
    use super::*;
    use swc_core::common::source_map::SourceMapGenConfig;

    struct Names;
    impl SourceMapGenConfig for Names {
        fn file_name_to_source(&self, f: &FileName) -> String {
            f.to_string()
        }
        fn inline_sources_content(&self, _: &FileName) -> bool {
            true
        }
    }

    #[test]
    fn the_json_is_the_bytes_swc_writes_whatever_the_pieces() {
        let cm: Lrc<SourceMap> = Default::default();
        let texts = [
            "const a = 1;\nconst é = \"😀\";\nlet b = a + 2;\n",
            "// 中文 comment\nexport function f(x) {\n  return x * 2; // ✓\n}\n",
            "plain();\n",
            "a();\r\nb(\"é\");\rc();\r\n\r\nd();",
            "",
        ];
        let files: Vec<_> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| cm.new_source_file(FileName::Custom(format!("f{i}.js")).into(), *t))
            .collect();
        // Every character boundary of every file, the files taken in turns (back and forth),
        // with mappings to no place and to comments' reserved positions. (swc panics on a dummy
        // position mapped anywhere but the output's start.)
        let mut positions = vec![BytePos(0)];
        for round in 0..3 {
            for (i, f) in files.iter().enumerate() {
                let text = texts[i];
                for (offset, _) in text.char_indices().skip(round).step_by(3) {
                    positions.push(f.start_pos + BytePos(offset as u32));
                }
                positions.push(BytePos(u32::MAX));
                positions.push(BytePos(u32::MAX - 1));
            }
        }
        let mut mappings = vec![];
        let (mut line, mut col) = (0u32, 0u32);
        for (n, pos) in positions.into_iter().enumerate() {
            mappings.push((pos, LineCol { line, col }));
            // Twice the same mapping now and then, and new lines.
            if n % 7 == 0 {
                mappings.push((pos, LineCol { line, col }));
            }
            col += (n % 4) as u32;
            if n % 5 == 4 {
                line += 1 + (n % 3) as u32;
                col = 0;
            }
        }
        let swc = |mappings: &[(BytePos, LineCol)]| {
            let mut map = cm.build_source_map(mappings, None, Names);
            map.set_file(Some("out.js"));
            let mut json = vec![];
            map.to_writer(&mut json).unwrap();
            String::from_utf8(json).unwrap()
        };
        let ours = |mappings: &[(BytePos, LineCol)], size| {
            in_pieces(&cm, mappings, Some("out.js"), |f| f.to_string(), size)
        };
        let expected = swc(&mappings);
        assert!(expected.contains("sourcesContent"), "{expected}");
        for size in [1, 2, 3, 7, 64, PIECE] {
            assert_eq!(ours(&mappings, size), expected, "pieces of {size}");
        }
        // Out of order: sorted as swc_sourcemap sorts.
        mappings.swap(3, 40);
        mappings.swap(10, 11);
        assert_eq!(ours(&mappings, 5), swc(&mappings));
        // Nothing mapped.
        assert_eq!(ours(&[], 5), swc(&[]));
    }

    #[test]
    fn parts_joined_on_all_threads_are_joined_in_order() {
        let parts: Vec<String> = (0..3000).map(|i| format!("{i:>4}").repeat(300)).collect();
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        assert_eq!(concat_in_parallel(&refs), parts.concat());
        assert_eq!(concat_in_parallel(&[]), "");
    }
}
