//! The text the printer writes, and with a source map where each token came from. It writes
//! what swc's `JsWriter` writes and records the same mappings, but drops a repeated mapping by
//! looking only at those already made at the current output position: swc's writer keeps a
//! hash set of every mapping it made, which was most of the cost of printing with a map.

use swc_core::common::{BytePos, LineCol, Span};
use swc_core::ecma::codegen::text_writer::WriteJs;

type Result = std::io::Result<()>;

/// Two spaces per level, as esbuild indents.
const INDENT: &str = "  ";

pub struct Writer<'a> {
    out: &'a mut String,
    /// (source position, output line and UTF-16 column), in output order.
    mappings: Option<&'a mut Vec<(BytePos, LineCol)>>,
    indent: usize,
    /// Nothing written on this line yet (its indentation comes before the next text).
    line_start: bool,
    /// The output position (counted only with mappings).
    line: u32,
    col: u32,
    /// A position asked for at the start of a line: mapped once its indentation is written.
    pending: Option<BytePos>,
}

impl<'a> Writer<'a> {
    pub fn new(out: &'a mut String, mappings: Option<&'a mut Vec<(BytePos, LineCol)>>) -> Self {
        Writer {
            out,
            mappings,
            indent: 0,
            line_start: true,
            line: 0,
            col: 0,
            pending: None,
        }
    }

    fn text(&mut self, span: Option<Span>, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.line_start {
            for _ in 0..self.indent {
                self.out.push_str(INDENT);
            }
            if self.mappings.is_some() {
                self.col += (INDENT.len() * self.indent) as u32;
            }
            self.line_start = false;
            if let Some(pos) = self.pending.take() {
                self.map(pos);
            }
        }
        if let Some(span) = span {
            self.map(span.lo);
        }
        self.out.push_str(s);
        self.advance(s);
        if let Some(span) = span {
            self.map(span.hi);
        }
    }

    /// Move the output position over `s`: `\n`, `\r\n` and a lone `\r` each end a line;
    /// columns count UTF-16 units.
    fn advance(&mut self, s: &str) {
        if self.mappings.is_none() {
            return;
        }
        let bytes = s.as_bytes();
        let (mut breaks, mut line_from) = (0, 0);
        while let Some(at) = memchr::memchr2(b'\n', b'\r', &bytes[line_from..]) {
            let at = line_from + at;
            breaks += 1;
            line_from = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            };
        }
        if breaks == 0 {
            self.col += utf16_len(s);
        } else {
            self.line += breaks;
            self.col = utf16_len(&s[line_from..]);
        }
    }

    /// Record that the output here comes from `pos`, unless that is already recorded here.
    fn map(&mut self, pos: BytePos) {
        if pos.is_dummy() {
            return;
        }
        let Some(mappings) = self.mappings.as_deref_mut() else {
            return;
        };
        let here = LineCol {
            line: self.line,
            col: self.col,
        };
        // Output positions only grow, so those made here are the last ones.
        let repeated = mappings
            .iter()
            .rev()
            .take_while(|(_, at)| *at == here)
            .any(|(p, _)| *p == pos);
        if !repeated {
            mappings.push((pos, here));
        }
    }
}

fn utf16_len(s: &str) -> u32 {
    if s.is_ascii() {
        s.len() as u32
    } else {
        s.encode_utf16().count() as u32
    }
}

impl WriteJs for Writer<'_> {
    fn increase_indent(&mut self) -> Result {
        self.indent += 1;
        Ok(())
    }

    fn decrease_indent(&mut self) -> Result {
        self.indent -= 1;
        Ok(())
    }

    fn write_semi(&mut self, span: Option<Span>) -> Result {
        self.text(span, ";");
        Ok(())
    }

    fn write_space(&mut self) -> Result {
        self.text(None, " ");
        Ok(())
    }

    fn write_keyword(&mut self, span: Option<Span>, s: &'static str) -> Result {
        self.text(span, s);
        Ok(())
    }

    fn write_operator(&mut self, span: Option<Span>, s: &str) -> Result {
        self.text(span, s);
        Ok(())
    }

    fn write_param(&mut self, s: &str) -> Result {
        self.text(None, s);
        Ok(())
    }

    fn write_property(&mut self, s: &str) -> Result {
        self.text(None, s);
        Ok(())
    }

    fn write_line(&mut self) -> Result {
        // A position pending at the start of an empty line is dropped, as swc's writer does.
        let pending = self.pending.take();
        if !self.line_start {
            self.out.push('\n');
            if self.mappings.is_some() {
                self.line += 1;
                self.col = 0;
            }
            self.line_start = true;
            if let Some(pos) = pending {
                self.map(pos);
            }
        }
        Ok(())
    }

    fn write_lit(&mut self, span: Span, s: &str) -> Result {
        self.write_str_lit(span, s)
    }

    fn write_comment(&mut self, s: &str) -> Result {
        self.text(None, s);
        Ok(())
    }

    fn write_str_lit(&mut self, span: Span, s: &str) -> Result {
        // Mapped before the indentation, as swc's writer maps literals.
        if !s.is_empty() {
            self.map(span.lo);
            self.text(None, s);
            self.map(span.hi);
        }
        Ok(())
    }

    fn write_str(&mut self, s: &str) -> Result {
        self.text(None, s);
        Ok(())
    }

    fn write_symbol(&mut self, span: Span, s: &str) -> Result {
        self.text(Some(span), s);
        Ok(())
    }

    fn write_punct(&mut self, span: Option<Span>, s: &'static str, _: bool) -> Result {
        self.text(span, s);
        Ok(())
    }

    fn care_about_srcmap(&self) -> bool {
        self.mappings.is_some()
    }

    fn add_srcmap(&mut self, pos: BytePos) -> Result {
        if self.mappings.is_some() {
            if self.line_start {
                self.pending = Some(pos);
            } else {
                self.map(pos);
            }
        }
        Ok(())
    }

    fn commit_pending_semi(&mut self) -> Result {
        Ok(())
    }
}
