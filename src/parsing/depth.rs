//! How deeply a source nests, read before parsing: every stage after the parser (scope
//! analysis, transforms, linking, printing, minifying, even freeing the AST) recurses once per
//! level, and some take time growing faster than the depth (swc's TypeScript pass re-evaluates
//! a chain of 5,000 `+ CONST` terms at every level: seconds and gigabytes), so input nested
//! deeper than `MAX_NESTING` is refused with its place. The depth counted is an upper bound of
//! the AST's: open brackets (`(`, `[`, `{`, `${`) plus the operators of each unfinished
//! expression around them (a chain `a + b + c` nests once per operator; `,`, `;` and a line
//! break end one). The scan knows strings, comments, template literals and regular
//! expressions well enough that what is inside them is not counted; where it must guess (a
//! `/` that may start a regular expression), it only misjudges code that nests far less than
//! the limit.

/// Deeper than any real program. Pretty-printing indents each level, so 5,000 nested functions
/// already print 100 MB.
pub const MAX_NESTING: usize = 4_000;

/// An error at the place where `text` (the file at `path`) nests deeper than `MAX_NESTING`.
pub fn check(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    match too_deep(text, MAX_NESTING) {
        None => Ok(()),
        Some(at) => Err(crate::diagnostic::Diagnostic::new(
            path,
            text,
            (at, at + 1),
            format!(
                "nested more than {MAX_NESTING} levels deep; edgespark refuses input this deep"
            ),
            "too deep",
        )
        .into()),
    }
}

/// The byte offset where `text` first nests deeper than `limit` brackets (`(`, `[`, `{`, `${`).
pub fn too_deep(text: &str, limit: usize) -> Option<usize> {
    // Every level counted takes at least one byte: a shorter text cannot nest deeper.
    if text.len() <= limit {
        return None;
    }
    Scanner {
        b: text.as_bytes(),
        i: 0,
        stack: vec![],
        carried: 0,
        ops: 0,
        limit,
    }
    .run()
}

/// Characters of the operators that nest an expression one level deeper (a run of them, as
/// `===` or `=>`, counts once).
fn is_operator(c: u8) -> bool {
    matches!(
        c,
        b'+' | b'-'
            | b'*'
            | b'%'
            | b'&'
            | b'|'
            | b'^'
            | b'!'
            | b'~'
            | b'?'
            | b':'
            | b'<'
            | b'>'
            | b'='
            | b'.'
    )
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    Bracket,
    /// `${` inside a template literal: its `}` resumes the template.
    TemplateHole,
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    /// Each open bracket, with the operators its enclosing expression had before it.
    stack: Vec<(Open, usize)>,
    /// The operators of the enclosing expressions (the sum of the stack's).
    carried: usize,
    /// The operators of the expression being read at this level.
    ops: usize,
    limit: usize,
}

impl Scanner<'_> {
    fn run(&mut self) -> Option<usize> {
        // Whether a `/` here would start a regular expression (after an operator, not a value).
        let mut regex_allowed = true;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                // Each skip stops on what follows the comment, to be read next: the `)` of
                // `f(0 /* x */)`, the line break that ends an expression.
                b'/' if self.peek(1) == Some(b'/') => {
                    self.skip_line();
                    continue;
                }
                b'/' if self.peek(1) == Some(b'*') => {
                    self.skip_block_comment();
                    continue;
                }
                b'/' if regex_allowed => {
                    self.skip_regex();
                    regex_allowed = false;
                    continue;
                }
                b'\'' | b'"' => {
                    self.skip_string(c);
                    regex_allowed = false;
                    continue;
                }
                b'`' => {
                    self.i += 1;
                    if let Some(at) = self.template() {
                        return Some(at);
                    }
                    regex_allowed = false;
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    if let Some(at) = self.open(Open::Bracket) {
                        return Some(at);
                    }
                    regex_allowed = true;
                }
                b')' | b']' => {
                    self.close();
                    regex_allowed = false;
                }
                b'}' => {
                    if self.close() == Some(Open::TemplateHole) {
                        self.i += 1;
                        if let Some(at) = self.template() {
                            return Some(at);
                        }
                        regex_allowed = false;
                        continue;
                    }
                    regex_allowed = true;
                }
                b',' | b';' | b'\n' => {
                    self.ops = 0;
                    regex_allowed = true;
                }
                c if c.is_ascii_whitespace() => {}
                c if is_operator(c) => {
                    // Each character of a run counts but those that only spell one operator
                    // with the one before (`&&`, `>>>`, `===`, `+=`), so `!!!!x` nests per `!`.
                    let continues = match self.i.checked_sub(1).map(|p| self.b[p]) {
                        Some(prev) if is_operator(prev) => {
                            c == b'=' || (prev == c && b"&|?*+-<>".contains(&c))
                        }
                        _ => false,
                    };
                    if !continues {
                        self.ops += 1;
                    }
                    if self.depth() > self.limit {
                        return Some(self.i);
                    }
                    regex_allowed = true;
                }
                c if c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 => {
                    let start = self.i;
                    while self.i < self.b.len()
                        && (self.b[self.i].is_ascii_alphanumeric()
                            || matches!(self.b[self.i], b'_' | b'$')
                            || self.b[self.i] >= 0x80)
                    {
                        self.i += 1;
                    }
                    let word = &self.b[start..self.i];
                    regex_allowed = before_expression(word);
                    // Keyword operators nest as `!` does (`typeof typeof x`, `new new X`).
                    if nests(word) {
                        self.ops += 1;
                        if self.depth() > self.limit {
                            return Some(start);
                        }
                    }
                    continue;
                }
                _ => regex_allowed = true,
            }
            self.i += 1;
        }
        None
    }

    fn depth(&self) -> usize {
        self.stack.len() + self.carried + self.ops
    }

    fn open(&mut self, kind: Open) -> Option<usize> {
        self.stack.push((kind, self.ops));
        self.carried += self.ops;
        self.ops = 0;
        (self.depth() > self.limit).then_some(self.i)
    }

    /// Back to the enclosing expression, whose operators count again.
    fn close(&mut self) -> Option<Open> {
        let (kind, ops) = self.stack.pop()?;
        self.carried -= ops;
        self.ops = ops;
        Some(kind)
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.i + ahead).copied()
    }

    fn skip_line(&mut self) {
        while self.i < self.b.len() && self.b[self.i] != b'\n' {
            self.i += 1;
        }
    }

    fn skip_block_comment(&mut self) {
        self.i += 2;
        while self.i < self.b.len() && !(self.b[self.i] == b'*' && self.peek(1) == Some(b'/')) {
            self.i += 1;
        }
        self.i += 2;
    }

    fn skip_string(&mut self, quote: u8) {
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'\n' => return,
                c if c == quote => {
                    self.i += 1;
                    return;
                }
                _ => self.i += 1,
            }
        }
    }

    fn skip_regex(&mut self) {
        self.i += 1;
        let mut in_class = false;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 1,
                b'\n' => return,
                b'[' => in_class = true,
                b']' => in_class = false,
                b'/' if !in_class => {
                    self.i += 1;
                    return;
                }
                _ => {}
            }
            self.i += 1;
        }
    }

    /// Inside a template literal, just after its opening `` ` `` or a hole's `}`: up to its end
    /// or its next `${` (which opens a level).
    fn template(&mut self) -> Option<usize> {
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'`' => {
                    self.i += 1;
                    return None;
                }
                b'$' if self.peek(1) == Some(b'{') => {
                    let at = self.open(Open::TemplateHole);
                    self.i += 2;
                    return at;
                }
                _ => self.i += 1,
            }
        }
        None
    }
}

/// Whether the word nests the expression after it one level deeper.
fn nests(word: &[u8]) -> bool {
    matches!(
        word,
        b"typeof" | b"void" | b"delete" | b"await" | b"new" | b"yield" | b"in" | b"instanceof"
    )
}

/// Whether a `/` after the word starts a regular expression.
fn before_expression(word: &[u8]) -> bool {
    matches!(
        word,
        b"return"
            | b"typeof"
            | b"case"
            | b"do"
            | b"else"
            | b"in"
            | b"of"
            | b"new"
            | b"delete"
            | b"void"
            | b"throw"
            | b"instanceof"
            | b"yield"
            | b"await"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_real_brackets() {
        assert_eq!(too_deep("f((((x))))", 3), Some(4));
        assert_eq!(too_deep("f((((x))))", 4), None);
        assert_eq!(too_deep("a + b === c ? d : e", 2), Some(12));
        assert_eq!(too_deep("a + b, c + d; e + f\ng + h", 1), None);
        assert_eq!(too_deep("a + f(b + c(d))", 3), Some(11));
        assert_eq!(
            too_deep("a = '((((('; b = \"[[[[[\"; // {{{{{\n/* ((((( */ c", 2),
            None
        );
        assert_eq!(too_deep("x = /[(((((]/.test(s) ? 1 / 2 : 3", 4), None);
        assert_eq!(too_deep("t = `(((((${ a }(((((`", 2), None);
        assert_eq!(too_deep("t = `${ `${ `${ x }` }` }`", 2), Some(9));
        assert_eq!(too_deep("if (a) { b([c]) }", 3), None);
    }

    #[test]
    fn deep_input_is_found_at_its_place() {
        let text = format!("const x = {}1{};", "(".repeat(30_000), ")".repeat(30_000));
        assert_eq!(
            too_deep(&text, MAX_NESTING),
            Some(10 + MAX_NESTING - 1),
            "`=` counts once"
        );
        let chain = format!("x = 1{};", "+x".repeat(10_000));
        assert_eq!(
            too_deep(&chain, MAX_NESTING),
            Some(5 + 2 * (MAX_NESTING - 1))
        );
        let keywords = format!("x = {}1;", "typeof ".repeat(10_000));
        assert_eq!(
            too_deep(&keywords, MAX_NESTING),
            Some(4 + 7 * (MAX_NESTING - 1))
        );
        let unary = format!("x = {}1;", "!".repeat(10_000));
        assert_eq!(too_deep(&unary, MAX_NESTING), Some(4 + MAX_NESTING - 1));
        let flat = "x = [1, 2, 3],\n".repeat(10_000);
        assert_eq!(too_deep(&flat, MAX_NESTING), None);
        // What follows a comment is read (typescript.js has `f(0 /* EqualTo */);` by the
        // thousand: skipping each `)` after a comment once refused it as too deep).
        let commented = "f(g(1), 0 /* EqualTo */);\nh(1 // one\n);\n".repeat(10_000);
        assert_eq!(too_deep(&commented, MAX_NESTING), None);
    }
}

/// `EDGESPARK_DEPTH_SCAN=DIR cargo test depth_of_real_code -- --ignored --nocapture`: how deep
/// the files under DIR get by this count, to see how far real code stays from the limit.
#[cfg(test)]
#[test]
#[ignore]
fn depth_of_real_code() {
    fn walk(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| {
                ["js", "mjs", "cjs", "ts", "mts", "tsx", "jsx"]
                    .iter()
                    .any(|y| x == *y)
            }) {
                out.push(p);
            }
        }
    }
    let mut files = vec![];
    walk(
        std::path::Path::new(&std::env::var("EDGESPARK_DEPTH_SCAN").unwrap()),
        &mut files,
    );
    let mut deepest = vec![];
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let depth = [100, 200, 400, 800, 1600, 3200, MAX_NESTING]
            .into_iter()
            .find(|&l| too_deep(&text, l).is_none())
            .unwrap_or(usize::MAX);
        deepest.push((depth, f.display().to_string()));
    }
    deepest.sort();
    for (d, f) in deepest.iter().rev().take(8) {
        eprintln!("≤ {d}: {f}");
    }
    eprintln!("{} files", files.len());
}
