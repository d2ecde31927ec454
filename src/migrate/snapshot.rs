//! drizzle-kit v6 snapshot files (`meta/NNNN_snapshot.json`): the file format declared once
//! with serde, read and written by it in drizzle-kit's exact key order and
//! `JSON.stringify(x, null, 2)` formatting.
//!
//! drizzle-kit writes some keys in two places depending on the writer (see `KeyOrder`). Such a
//! key is declared at both places: the one read is the later field; the `*_first` copy before it
//! is only written, and each writer fills exactly one of the two.

use anyhow::{Result, anyhow, bail};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::schema::model::*;

/// The id drizzle-kit gives the empty schema before the first migration.
pub const ORIGIN_ID: &str = "00000000-0000-0000-0000-000000000000";

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub version: String,
    pub dialect: String,
    pub id: String,
    pub prev_id: String,
    pub schema: Schema,
    pub renames: Renames,
}

/// The rename answers recorded in a snapshot's `_meta`: `"\"old\"" -> "\"new\""` for tables,
/// `"\"t\".\"old\"" -> "\"t\".\"new\""` for columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Renames {
    pub tables: Vec<(String, String)>,
    pub columns: Vec<(String, String, String)>, // (table, from, to)
}

/// Which writer produced the file, since drizzle-kit orders keys differently for each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyOrder {
    /// `generate`: the serializer's own object order.
    Generated,
    /// `generate --custom`: a copy of the previous snapshot after drizzle-kit's zod parse.
    Custom,
}

impl Snapshot {
    pub fn empty() -> Snapshot {
        Snapshot {
            version: "6".into(),
            dialect: "sqlite".into(),
            id: ORIGIN_ID.into(),
            prev_id: String::new(),
            schema: Schema::default(),
            renames: Renames::default(),
        }
    }

    pub fn parse(text: &str) -> Result<Snapshot> {
        // Read straight into the file's format: an error names its line and column.
        let file: SnapshotFile = serde_json::from_str(text).map_err(|e| anyhow!("{e}"))?;
        let snapshot = Snapshot::from_file(file)?;
        if let Some(name) = snapshot.schema.unwritable_identifier() {
            bail!(
                "the name {name:?} cannot be written as an SQL identifier (it holds a quote or a control character)"
            );
        }
        Ok(snapshot)
    }

    fn from_file(file: SnapshotFile) -> Result<Snapshot> {
        if file.dialect != "sqlite" && file.dialect != "turso" {
            bail!(
                "dialect is \"{}\"; only sqlite snapshots are supported",
                file.dialect
            );
        }
        match file.version.as_str() {
            "5" | "6" => {}
            v if v.parse::<u32>().map(|n| n > 6).unwrap_or(false) => {
                bail!("snapshot version {v} is newer than drizzle-kit 0.31's (6)")
            }
            v => bail!("snapshot version {v} is too old; drizzle-kit 0.31 needs version 5 or 6"),
        }
        Ok(Snapshot {
            version: file.version,
            dialect: file.dialect,
            id: file.id.unwrap_or_default(),
            prev_id: file.prev_id.unwrap_or_default(),
            schema: Schema {
                tables: file
                    .tables
                    .into_iter()
                    .map(|(k, t)| (k, t.into()))
                    .collect(),
                views: file.views.into_iter().map(|(k, v)| (k, v.into())).collect(),
                internal: file.internal,
            },
            renames: file
                .meta
                .map(MetaFile::into_renames)
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// The file's bytes, as drizzle-kit writes them (no trailing newline).
    pub fn to_file_text(&self, order: KeyOrder) -> String {
        let mut out = Vec::with_capacity(1024 + self.schema.tables.len() * 2048);
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            serde_json::ser::PrettyFormatter::with_indent(b"  "),
        );
        SnapshotFile::new(self, order)
            .serialize(&mut ser)
            .expect("serializing to memory cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

// The file format. Keys a snapshot may lack are optional on reading; every other key is
// required (`deserialize_with = "some"` makes an `Option` field required).

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotFile {
    #[serde(
        rename = "id",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    id_first: Option<String>,
    #[serde(
        rename = "prevId",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    prev_id_first: Option<String>,
    version: String,
    dialect: String,
    #[serde(deserialize_with = "some", skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(deserialize_with = "some", skip_serializing_if = "Option::is_none")]
    prev_id: Option<String>,
    tables: IndexMap<String, TableFile>,
    #[serde(default)]
    views: IndexMap<String, ViewFile>,
    /// Always written empty: SQLite has no enums.
    #[serde(default)]
    enums: Map<String, Value>,
    #[serde(rename = "_meta")]
    meta: Option<MetaFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    internal: Option<Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TableFile {
    name: String,
    columns: IndexMap<String, ColumnFile>,
    indexes: IndexMap<String, IndexFile>,
    foreign_keys: IndexMap<String, ForeignKeyFile>,
    composite_primary_keys: IndexMap<String, CompositePkFile>,
    #[serde(default)]
    unique_constraints: IndexMap<String, UniqueFile>,
    #[serde(default)]
    check_constraints: IndexMap<String, CheckFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ColumnFile {
    name: String,
    #[serde(rename = "type")]
    sql_type: String,
    primary_key: bool,
    not_null: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    autoincrement: Option<bool>,
    #[serde(
        rename = "default",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    default_first: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    generated: Option<GeneratedFile>,
    /// Kept as written: SQL text, a number or a boolean (`null` too, as a value).
    #[serde(
        default,
        deserialize_with = "some",
        skip_serializing_if = "Option::is_none"
    )]
    default: Option<Value>,
}

#[derive(Serialize, Deserialize)]
struct GeneratedFile {
    #[serde(
        rename = "type",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    kind_first: Option<String>,
    #[serde(rename = "as")]
    expr: String,
    #[serde(
        rename = "type",
        deserialize_with = "some",
        skip_serializing_if = "Option::is_none"
    )]
    kind: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexFile {
    name: String,
    columns: Vec<String>,
    #[serde(
        rename = "where",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    where_first: Option<String>,
    is_unique: bool,
    #[serde(rename = "where", skip_serializing_if = "Option::is_none")]
    where_clause: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForeignKeyFile {
    name: String,
    table_from: String,
    #[serde(
        rename = "columnsFrom",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    columns_from_first: Option<Vec<String>>,
    table_to: String,
    #[serde(deserialize_with = "some", skip_serializing_if = "Option::is_none")]
    columns_from: Option<Vec<String>>,
    columns_to: Vec<String>,
    #[serde(
        rename = "onUpdate",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    on_update_first: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_delete: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_update: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CompositePkFile {
    columns: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct UniqueFile {
    name: String,
    columns: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct CheckFile {
    name: String,
    value: String,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViewFile {
    #[serde(
        rename = "name",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    name_first: Option<String>,
    #[serde(default)]
    columns: IndexMap<String, ColumnFile>,
    #[serde(deserialize_with = "some", skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(
        rename = "definition",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    definition_first: Option<String>,
    is_existing: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct MetaFile {
    #[serde(
        rename = "columns",
        skip_deserializing,
        skip_serializing_if = "Option::is_none"
    )]
    columns_first: Option<IndexMap<String, String>>,
    #[serde(default)]
    schemas: Map<String, Value>,
    #[serde(default)]
    tables: IndexMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    columns: Option<IndexMap<String, String>>,
}

/// A key that is present keeps its value (`null` included, where the value is JSON).
fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Of a key written at one of two places, the value for each place: (first, second).
fn placed<T>(value: T, first: bool) -> (Option<T>, Option<T>) {
    if first {
        (Some(value), None)
    } else {
        (None, Some(value))
    }
}

/// Of an optional key written at one of two places, the value for each place.
fn placed_opt<T>(value: Option<T>, first: bool) -> (Option<T>, Option<T>) {
    value.map_or((None, None), |v| placed(v, first))
}

impl SnapshotFile {
    fn new(snap: &Snapshot, order: KeyOrder) -> SnapshotFile {
        let custom = order == KeyOrder::Custom;
        let (id_first, id) = placed(snap.id.clone(), custom);
        let (prev_id_first, prev_id) = placed(snap.prev_id.clone(), custom);
        let tables = snap.schema.tables.iter();
        let views = snap.schema.views.iter();
        SnapshotFile {
            id_first,
            prev_id_first,
            version: snap.version.clone(),
            dialect: snap.dialect.clone(),
            id,
            prev_id,
            tables: tables
                .map(|(k, t)| (k.clone(), TableFile::new(t, order)))
                .collect(),
            views: views
                .map(|(k, v)| (k.clone(), ViewFile::new(v, order)))
                .collect(),
            enums: Map::new(),
            meta: Some(MetaFile::new(&snap.renames, order)),
            internal: snap.schema.internal.clone(),
        }
    }
}

impl TableFile {
    fn new(t: &Table, order: KeyOrder) -> TableFile {
        let custom = order == KeyOrder::Custom;
        fn map<A, B>(m: &IndexMap<String, A>, f: impl Fn(&A) -> B) -> IndexMap<String, B> {
            m.iter().map(|(k, v)| (k.clone(), f(v))).collect()
        }
        TableFile {
            name: t.name.clone(),
            columns: map(&t.columns, |c| ColumnFile::new(c, order)),
            indexes: map(&t.indexes, |i: &Index| {
                let (where_first, where_clause) = placed_opt(i.where_clause.clone(), custom);
                IndexFile {
                    name: i.name.clone(),
                    columns: i.columns.clone(),
                    where_first,
                    is_unique: i.is_unique,
                    where_clause,
                }
            }),
            foreign_keys: map(&t.foreign_keys, |f: &ForeignKey| {
                let (columns_from_first, columns_from) = placed(f.columns_from.clone(), custom);
                let (on_update_first, on_update) = placed_opt(f.on_update.clone(), custom);
                ForeignKeyFile {
                    name: f.name.clone(),
                    table_from: f.table_from.clone(),
                    columns_from_first,
                    table_to: f.table_to.clone(),
                    columns_from,
                    columns_to: f.columns_to.clone(),
                    on_update_first,
                    on_delete: f.on_delete.clone(),
                    on_update,
                }
            }),
            composite_primary_keys: map(&t.composite_primary_keys, |p: &CompositePk| {
                CompositePkFile {
                    columns: p.columns.clone(),
                    name: p.name.clone(),
                }
            }),
            unique_constraints: map(&t.unique_constraints, |u: &UniqueConstraint| UniqueFile {
                name: u.name.clone(),
                columns: u.columns.clone(),
            }),
            check_constraints: map(&t.check_constraints, |c: &Check| CheckFile {
                name: c.name.clone(),
                value: c.value.clone(),
            }),
        }
    }
}

impl ColumnFile {
    fn new(c: &Column, order: KeyOrder) -> ColumnFile {
        let custom = order == KeyOrder::Custom;
        let (default_first, default) = placed_opt(c.default.clone(), custom);
        ColumnFile {
            name: c.name.clone(),
            sql_type: c.sql_type.clone(),
            primary_key: c.primary_key,
            not_null: c.not_null,
            autoincrement: c.autoincrement,
            default_first,
            generated: c.generated.as_ref().map(|g| {
                let (kind_first, kind) = placed(g.kind.clone(), custom);
                GeneratedFile {
                    kind_first,
                    expr: g.expr.clone(),
                    kind,
                }
            }),
            default,
        }
    }
}

impl ViewFile {
    fn new(v: &View, order: KeyOrder) -> ViewFile {
        let custom = order == KeyOrder::Custom;
        let (name_first, name) = placed(v.name.clone(), custom);
        let (definition_first, definition) = placed_opt(v.definition.clone(), custom);
        ViewFile {
            name_first,
            columns: v
                .columns
                .iter()
                .map(|(k, c)| (k.clone(), ColumnFile::new(c, order)))
                .collect(),
            name,
            definition_first,
            is_existing: v.is_existing,
            definition,
        }
    }
}

impl MetaFile {
    fn new(r: &Renames, order: KeyOrder) -> MetaFile {
        let tables = r.tables.iter();
        let columns = r
            .columns
            .iter()
            .map(|(tb, f, t)| (format!("\"{tb}\".\"{f}\""), format!("\"{tb}\".\"{t}\"")));
        let (columns_first, columns) = placed(columns.collect(), order == KeyOrder::Custom);
        MetaFile {
            columns_first,
            schemas: Map::new(),
            tables: tables
                .map(|(f, t)| (format!("\"{f}\""), format!("\"{t}\"")))
                .collect(),
            columns,
        }
    }

    fn into_renames(self) -> Result<Renames> {
        let mut r = Renames::default();
        for (from, to) in self.tables {
            r.tables.push((
                unquote_parts(&from).pop().unwrap_or_default(),
                unquote_parts(&to).pop().unwrap_or_default(),
            ));
        }
        for (from, to) in self.columns.unwrap_or_default() {
            let (f, t) = (unquote_parts(&from), unquote_parts(&to));
            if f.len() < 2 || t.len() < 2 {
                bail!("_meta.columns entry {from:?} is not \"table\".\"column\"");
            }
            r.columns.push((
                t[t.len() - 2].clone(),
                f[f.len() - 1].clone(),
                t[t.len() - 1].clone(),
            ));
        }
        Ok(r)
    }
}

impl From<TableFile> for Table {
    fn from(t: TableFile) -> Table {
        fn map<A, B>(m: IndexMap<String, A>, f: impl Fn(A) -> B) -> IndexMap<String, B> {
            m.into_iter().map(|(k, v)| (k, f(v))).collect()
        }
        Table {
            name: t.name,
            columns: map(t.columns, Column::from),
            indexes: map(t.indexes, |i| Index {
                name: i.name,
                columns: i.columns,
                is_unique: i.is_unique,
                where_clause: i.where_clause,
            }),
            foreign_keys: map(t.foreign_keys, |f| ForeignKey {
                name: f.name,
                table_from: f.table_from,
                columns_from: f.columns_from.unwrap_or_default(),
                table_to: f.table_to,
                columns_to: f.columns_to,
                on_update: f.on_update,
                on_delete: f.on_delete,
            }),
            composite_primary_keys: map(t.composite_primary_keys, |p| CompositePk {
                columns: p.columns,
                name: p.name,
            }),
            unique_constraints: map(t.unique_constraints, |u| UniqueConstraint {
                name: u.name,
                columns: u.columns,
            }),
            check_constraints: map(t.check_constraints, |c| Check {
                name: c.name,
                value: c.value,
            }),
        }
    }
}

impl From<ColumnFile> for Column {
    fn from(c: ColumnFile) -> Column {
        Column {
            name: c.name,
            sql_type: c.sql_type,
            primary_key: c.primary_key,
            not_null: c.not_null,
            autoincrement: c.autoincrement,
            default: c.default,
            generated: c.generated.map(|g| Generated {
                expr: g.expr,
                kind: g.kind.unwrap_or_default(),
            }),
        }
    }
}

impl From<ViewFile> for View {
    fn from(v: ViewFile) -> View {
        View {
            name: v.name.unwrap_or_default(),
            columns: v.columns.into_iter().map(|(k, c)| (k, c.into())).collect(),
            definition: v.definition,
            is_existing: v.is_existing,
        }
    }
}

/// `"\"a\""` → `a`; `"\"t\".\"c\""` → (`t`, `c`).
fn unquote_parts(s: &str) -> Vec<String> {
    s.split("\".\"")
        .map(|p| p.trim_matches('"').to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// drizzle-kit's own files read and written back give the same bytes.
    #[test]
    fn drizzle_kit_snapshots_round_trip() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/goldens/expected");
        for case in [
            "create_all_column_types",
            "create_generated_columns",
            "create_table_foreign_key",
            "create_expression_index",
        ] {
            let meta = dir.join(case).join("meta");
            let file = std::fs::read_dir(&meta)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with("_snapshot.json"))
                .unwrap();
            let text = std::fs::read_to_string(&file).unwrap();
            let snap = Snapshot::parse(&text).unwrap();
            assert_eq!(snap.to_file_text(KeyOrder::Generated), text, "{case}");
        }
    }
}
