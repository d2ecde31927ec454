//! Classify migration statements by parsing them (sqlparser, SQLite dialect): which destroy
//! data, and which D1 refuses.

use sqlparser::ast::{AlterTableOperation, Statement};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer, Whitespace};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Class {
    Safe,
    /// Needs `--confirm-dangerous`; the string says what it destroys.
    Destructive(String),
    /// D1 rejects it.
    Unsupported(String),
    /// sqlparser cannot read it; SQLite decides when it runs.
    Unparsed(String),
}

/// One statement of a migration file, with the 1-based line it starts on.
#[derive(Debug, Clone)]
pub struct FileStatement {
    pub line: usize,
    pub sql: String,
}

/// Why a migration file cannot be split into statements: where (1-based line and column) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub line: usize,
    pub column: usize,
    pub why: String,
}

/// A migration file's bytes as text: a byte that is not UTF-8, or a NUL (where SQLite would stop
/// reading and silently skip the rest), is an error naming its place.
pub fn text_of(bytes: &[u8]) -> Result<&str, Unreadable> {
    let at = |offset: usize, why: String| {
        let (line, column) = crate::diagnostic::line_col(bytes, offset);
        Unreadable { line, column, why }
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|e| at(e.valid_up_to(), "a byte that is not UTF-8".into()))?;
    if let Some(offset) = text.find('\0') {
        return Err(at(
            offset,
            "a NUL byte (SQLite would stop reading there and skip the rest)".into(),
        ));
    }
    Ok(text)
}

/// Split a migration file into statements with sqlparser's tokenizer: at each `;` outside a
/// trigger's `BEGIN ... END`, and at drizzle-kit's `--> statement-breakpoint` markers. Each
/// statement keeps the line it starts on. Text the tokenizer cannot read is an error.
pub fn split(text: &str) -> Result<Vec<FileStatement>, Unreadable> {
    let tokens = Tokenizer::new(&SQLiteDialect {}, text)
        .tokenize_with_location()
        .map_err(|e| Unreadable {
            line: e.location.line as usize,
            column: e.location.column as usize,
            why: e.message,
        })?;
    let offsets = LineOffsets::new(text);
    let mut out = vec![];
    let mut current: Option<(usize, usize)> = None; // (start token, start byte)
    let mut trigger = TriggerDepth::default();
    let close = |out: &mut Vec<FileStatement>, current: &mut Option<(usize, usize)>, end: usize| {
        if let Some((first, start)) = current.take() {
            let sql = text[start..end].trim();
            if !sql.is_empty() {
                out.push(FileStatement {
                    line: tokens[first].span.start.line as usize,
                    sql: sql.to_string(),
                });
            }
        }
    };
    for (i, t) in tokens.iter().enumerate() {
        let start = offsets.byte(t.span.start.line, t.span.start.column);
        match &t.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. })
                if comment.trim() == "> statement-breakpoint" =>
            {
                close(&mut out, &mut current, start);
                trigger = TriggerDepth::default();
            }
            Token::Whitespace(_) | Token::EOF => {}
            Token::SemiColon if !trigger.inside_body() => {
                close(
                    &mut out,
                    &mut current,
                    offsets.byte(t.span.end.line, t.span.end.column),
                );
                trigger = TriggerDepth::default();
            }
            other => {
                if current.is_none() {
                    current = Some((i, start));
                }
                if let Token::Word(w) = other {
                    trigger.word(&w.value.to_ascii_uppercase());
                }
            }
        }
    }
    close(&mut out, &mut current, text.len());
    Ok(out)
}

/// Where a statement is inside `CREATE TRIGGER ... BEGIN ... END`, whose body holds `;`s.
#[derive(Default)]
struct TriggerDepth {
    words: usize,
    is_trigger: bool,
    /// BEGIN and CASE open, END closes; the body ends when this returns to zero.
    depth: usize,
}

impl TriggerDepth {
    fn word(&mut self, w: &str) {
        self.words += 1;
        if self.words <= 3 && w == "TRIGGER" {
            self.is_trigger = true;
        }
        if self.is_trigger {
            match w {
                "BEGIN" | "CASE" => self.depth += 1,
                "END" => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    fn inside_body(&self) -> bool {
        self.depth > 0
    }
}

/// Byte offsets of the tokenizer's (line, column) places; columns count characters.
struct LineOffsets<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineOffsets<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineOffsets { text, starts }
    }

    fn byte(&self, line: u64, column: u64) -> usize {
        let Some(&start) = self.starts.get((line as usize).saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        rest.char_indices()
            .nth((column as usize).saturating_sub(1))
            .map_or(self.text.len(), |(i, _)| start + i)
    }
}

pub fn classify(sql: &str) -> Vec<Class> {
    match Parser::parse_sql(&SQLiteDialect {}, sql) {
        Ok(stmts) => stmts.iter().map(classify_statement).collect(),
        Err(e) => vec![pragma_by_tokens(sql).unwrap_or(Class::Unparsed(e.to_string()))],
    }
}

/// sqlparser's grammar rejects SQLite's `PRAGMA name=OFF`; its tokenizer still reads it.
fn pragma_by_tokens(sql: &str) -> Option<Class> {
    let tokens = Tokenizer::new(&SQLiteDialect {}, sql).tokenize().ok()?;
    let mut words = tokens.iter().filter_map(|t| match t {
        Token::Word(w) => Some(w.value.to_lowercase()),
        Token::Whitespace(_) => None,
        _ => Some(String::new()),
    });
    if words.next()? != "pragma" {
        return None;
    }
    let name = words.next()?;
    Some(pragma_class(&name))
}

fn classify_statement(s: &Statement) -> Class {
    use Class::*;
    match s {
        Statement::Drop {
            object_type, names, ..
        } => {
            let kind = object_type.to_string().to_uppercase();
            let names = names
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", ");
            if kind == "INDEX" {
                Safe
            } else {
                Destructive(format!("DROP {kind} {names}"))
            }
        }
        Statement::AlterTable(alter) => {
            let table = alter.name.to_string();
            for op in &alter.operations {
                match op {
                    AlterTableOperation::DropColumn { column_names, .. } => {
                        let cols = column_names
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join(", ");
                        return Destructive(format!("DROP COLUMN {cols} of {table}"));
                    }
                    AlterTableOperation::RenameColumn {
                        old_column_name,
                        new_column_name,
                    } => {
                        return Destructive(format!(
                            "RENAME COLUMN {old_column_name} TO {new_column_name} of {table}"
                        ));
                    }
                    AlterTableOperation::RenameTable { table_name } => {
                        // `table_name` prints with its own `TO`/`AS`.
                        return Destructive(format!("RENAME TABLE {table} {table_name}"));
                    }
                    _ => {}
                }
            }
            Safe
        }
        Statement::Delete(d) if d.selection.is_none() => Destructive("DELETE without WHERE".into()),
        Statement::Truncate { .. } => Destructive("TRUNCATE".into()),
        Statement::StartTransaction { .. } => Unsupported("BEGIN".into()),
        Statement::Commit { .. } => Unsupported("COMMIT".into()),
        Statement::Rollback { .. } => Unsupported("ROLLBACK".into()),
        Statement::Savepoint { .. } => Unsupported("SAVEPOINT".into()),
        Statement::ReleaseSavepoint { .. } => Unsupported("RELEASE".into()),
        Statement::AttachDatabase { .. } => Unsupported("ATTACH".into()),
        Statement::DetachDuckDBDatabase { .. } => Unsupported("DETACH".into()),
        Statement::Analyze { .. } => Unsupported("ANALYZE".into()),
        Statement::Vacuum(_) => Unsupported("VACUUM".into()),
        Statement::Pragma { name, .. } => pragma_class(&name.to_string().to_lowercase()),
        _ => Safe,
    }
}

/// D1 accepts `foreign_keys` (ignored) and `defer_foreign_keys`, plus read-only introspection
/// pragmas; everything else (journal_mode, writable_schema, ...) is rejected.
fn pragma_class(name: &str) -> Class {
    const D1_PRAGMAS: &[&str] = &[
        "foreign_keys",
        "defer_foreign_keys",
        "foreign_key_check",
        "foreign_key_list",
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "quick_check",
        "optimize",
    ];
    if D1_PRAGMAS.contains(&name) {
        Class::Safe
    } else {
        Class::Unsupported(format!("PRAGMA {name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_breakpoints_with_lines() {
        let s = split("CREATE TABLE a (x int);\n--> statement-breakpoint\nDROP TABLE b;--> statement-breakpoint\nSELECT 1;").unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].line, s[1].line, s[2].line), (1, 3, 4));
    }

    #[test]
    fn splits_each_statement_of_a_chunk_with_its_own_line() {
        let s = split("CREATE TABLE a (x int);\n\nDROP TABLE b;\n  DROP TABLE `c;d`; -- done\n")
            .unwrap();
        let got: Vec<_> = s.iter().map(|s| (s.line, s.sql.as_str())).collect();
        assert_eq!(
            got,
            [
                (1, "CREATE TABLE a (x int);"),
                (3, "DROP TABLE b;"),
                (4, "DROP TABLE `c;d`;")
            ]
        );
    }

    #[test]
    fn a_trigger_body_is_one_statement() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  UPDATE a SET x = CASE WHEN x > 1 THEN 1 ELSE 0 END;\n  DELETE FROM b;\nEND;\nDROP TABLE z;";
        let s = split(sql).unwrap();
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].sql.ends_with("END;") && s[1].line == 5);
    }

    #[test]
    fn nul_and_non_utf8_bytes_are_errors_with_places() {
        let e = text_of(b"CREATE TABLE a(x);\0\nCREATE TABLE b(y);").unwrap_err();
        assert_eq!((e.line, e.column), (1, 19));
        let e = text_of(b"SELECT 1;\nSELECT '\xff';").unwrap_err();
        assert_eq!((e.line, e.column), (2, 9));
    }

    #[test]
    fn an_unterminated_string_is_an_error() {
        assert!(split("INSERT INTO t VALUES ('abc);").is_err());
    }

    #[test]
    fn rename_table_reads_once() {
        assert_eq!(
            classify("ALTER TABLE `tags` RENAME TO `tags2`;")[0],
            Class::Destructive("RENAME TABLE `tags` TO `tags2`".into())
        );
    }

    #[test]
    fn classifies_by_parsing() {
        assert!(matches!(
            classify("DROP TABLE `users`;")[0],
            Class::Destructive(_)
        ));
        assert_eq!(classify("DROP INDEX `i`;")[0], Class::Safe);
        assert!(matches!(
            classify("ALTER TABLE `u` DROP COLUMN `c`;")[0],
            Class::Destructive(_)
        ));
        assert!(matches!(
            classify("ALTER TABLE `u` RENAME COLUMN \"a\" TO \"b\";")[0],
            Class::Destructive(_)
        ));
        assert!(matches!(
            classify("ALTER TABLE `a` RENAME TO `b`;")[0],
            Class::Destructive(_)
        ));
        assert!(matches!(
            classify("DELETE FROM t;")[0],
            Class::Destructive(_)
        ));
        assert_eq!(classify("DELETE FROM t WHERE id = 1;")[0], Class::Safe);
        assert!(matches!(classify("VACUUM;")[0], Class::Unsupported(_)));
        assert!(matches!(
            classify("BEGIN TRANSACTION;")[0],
            Class::Unsupported(_)
        ));
        assert!(
            matches!(
                classify("PRAGMA journal_mode = 1;")[0],
                Class::Unsupported(_)
            ),
            "{:?}",
            classify("PRAGMA journal_mode = 1;")
        );
        assert_eq!(classify("PRAGMA foreign_keys=OFF;")[0], Class::Safe);
        assert_eq!(
            classify("ALTER TABLE `u` ADD `c` text DEFAULT 'x' NOT NULL;")[0],
            Class::Safe
        );
        // A string that merely contains a keyword is not destructive.
        assert_eq!(
            classify("INSERT INTO t VALUES ('DROP TABLE x');")[0],
            Class::Safe
        );
    }
}
