//! drizzle-kit v6 snapshot files (`meta/NNNN_snapshot.json`): reading, and writing with
//! drizzle-kit's exact key order and `JSON.stringify(x, null, 2)` formatting.

use anyhow::{Result, anyhow, bail};
use indexmap::IndexMap;
use serde::Deserialize;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

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
            id: file.id,
            prev_id: file.prev_id,
            schema: Schema {
                tables: file
                    .tables
                    .into_iter()
                    .map(|(k, t)| (k, t.into_model()))
                    .collect(),
                views: file
                    .views
                    .into_iter()
                    .map(|(k, v)| (k, v.into_model()))
                    .collect(),
                internal: file.internal,
            },
            renames: file
                .meta
                .map(MetaFile::into_model)
                .transpose()?
                .unwrap_or_default(),
        })
    }

    /// The snapshot as a JSON value (the direct writer in `to_file_text` must print the same).
    #[cfg(test)]
    pub fn to_value(&self, order: KeyOrder) -> Value {
        let mut m = Map::new();
        if order == KeyOrder::Custom {
            m.insert("id".into(), json!(self.id));
            m.insert("prevId".into(), json!(self.prev_id));
        }
        m.insert("version".into(), json!(self.version));
        m.insert("dialect".into(), json!(self.dialect));
        if order == KeyOrder::Generated {
            m.insert("id".into(), json!(self.id));
            m.insert("prevId".into(), json!(self.prev_id));
        }
        let tables: Map<String, Value> = self
            .schema
            .tables
            .iter()
            .map(|(k, t)| (k.clone(), table_value(t, order)))
            .collect();
        m.insert("tables".into(), Value::Object(tables));
        let views: Map<String, Value> = self
            .schema
            .views
            .iter()
            .map(|(k, v)| (k.clone(), view_value(v, order)))
            .collect();
        m.insert("views".into(), Value::Object(views));
        m.insert("enums".into(), json!({}));
        m.insert("_meta".into(), renames_value(&self.renames, order));
        if let Some(internal) = &self.schema.internal {
            m.insert("internal".into(), internal.clone());
        }
        Value::Object(m)
    }

    /// The file's bytes, as drizzle-kit writes them (no trailing newline). Tables are written
    /// straight from the model (no intermediate JSON values: they are most of a snapshot).
    pub fn to_file_text(&self, order: KeyOrder) -> String {
        let mut out = Vec::with_capacity(1024 + self.schema.tables.len() * 2048);
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            serde_json::ser::PrettyFormatter::with_indent(b"  "),
        );
        Ordered(self, order)
            .serialize(&mut ser)
            .expect("serializing to memory cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

// The snapshot file's format, as serde reads it (the writers below print it in drizzle-kit's
// two key orders). Keys a snapshot may lack are optional; everything else is required.

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotFile {
    version: String,
    dialect: String,
    id: String,
    prev_id: String,
    tables: IndexMap<String, TableFile>,
    #[serde(default)]
    views: IndexMap<String, ViewFile>,
    #[serde(rename = "_meta")]
    meta: Option<MetaFile>,
    internal: Option<Value>,
}

#[derive(Deserialize)]
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ColumnFile {
    name: String,
    #[serde(rename = "type")]
    sql_type: String,
    primary_key: bool,
    not_null: bool,
    autoincrement: Option<bool>,
    /// Kept as written: SQL text, a number or a boolean (`null` too, as a value).
    #[serde(default, deserialize_with = "present")]
    default: Option<Value>,
    generated: Option<GeneratedFile>,
}

#[derive(Deserialize)]
struct GeneratedFile {
    #[serde(rename = "as")]
    expr: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexFile {
    name: String,
    columns: Vec<String>,
    is_unique: bool,
    #[serde(rename = "where")]
    where_clause: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForeignKeyFile {
    name: String,
    table_from: String,
    columns_from: Vec<String>,
    table_to: String,
    columns_to: Vec<String>,
    on_update: Option<String>,
    on_delete: Option<String>,
}

#[derive(Deserialize)]
struct CompositePkFile {
    columns: Vec<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct UniqueFile {
    name: String,
    columns: Vec<String>,
}

#[derive(Deserialize)]
struct CheckFile {
    name: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ViewFile {
    name: String,
    #[serde(default)]
    columns: IndexMap<String, ColumnFile>,
    definition: Option<String>,
    is_existing: bool,
}

#[derive(Deserialize)]
struct MetaFile {
    #[serde(default)]
    tables: IndexMap<String, String>,
    #[serde(default)]
    columns: IndexMap<String, String>,
}

/// A key that is present keeps its value, `null` included (a missing key is None).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl TableFile {
    fn into_model(self) -> Table {
        Table {
            name: self.name,
            columns: self
                .columns
                .into_iter()
                .map(|(k, c)| (k, c.into_model()))
                .collect(),
            indexes: self
                .indexes
                .into_iter()
                .map(|(k, i)| {
                    let index = Index {
                        name: i.name,
                        columns: i.columns,
                        is_unique: i.is_unique,
                        where_clause: i.where_clause,
                    };
                    (k, index)
                })
                .collect(),
            foreign_keys: self
                .foreign_keys
                .into_iter()
                .map(|(k, f)| {
                    let fk = ForeignKey {
                        name: f.name,
                        table_from: f.table_from,
                        columns_from: f.columns_from,
                        table_to: f.table_to,
                        columns_to: f.columns_to,
                        on_update: f.on_update,
                        on_delete: f.on_delete,
                    };
                    (k, fk)
                })
                .collect(),
            composite_primary_keys: self
                .composite_primary_keys
                .into_iter()
                .map(|(k, p)| {
                    let pk = CompositePk {
                        columns: p.columns,
                        name: p.name,
                    };
                    (k, pk)
                })
                .collect(),
            unique_constraints: self
                .unique_constraints
                .into_iter()
                .map(|(k, u)| {
                    let unique = UniqueConstraint {
                        name: u.name,
                        columns: u.columns,
                    };
                    (k, unique)
                })
                .collect(),
            check_constraints: self
                .check_constraints
                .into_iter()
                .map(|(k, c)| {
                    let check = Check {
                        name: c.name,
                        value: c.value,
                    };
                    (k, check)
                })
                .collect(),
        }
    }
}

impl ColumnFile {
    fn into_model(self) -> Column {
        Column {
            name: self.name,
            sql_type: self.sql_type,
            primary_key: self.primary_key,
            not_null: self.not_null,
            autoincrement: self.autoincrement,
            default: self.default,
            generated: self.generated.map(|g| Generated {
                expr: g.expr,
                kind: g.kind,
            }),
        }
    }
}

impl ViewFile {
    fn into_model(self) -> View {
        View {
            name: self.name,
            columns: self
                .columns
                .into_iter()
                .map(|(k, c)| (k, c.into_model()))
                .collect(),
            definition: self.definition,
            is_existing: self.is_existing,
        }
    }
}

impl MetaFile {
    fn into_model(self) -> Result<Renames> {
        let mut r = Renames::default();
        for (from, to) in self.tables {
            r.tables.push((
                unquote_parts(&from).pop().unwrap_or_default(),
                unquote_parts(&to).pop().unwrap_or_default(),
            ));
        }
        for (from, to) in self.columns {
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

/// `"\"a\""` → `a`; `"\"t\".\"c\""` → (`t`, `c`).
fn unquote_parts(s: &str) -> Vec<String> {
    s.split("\".\"")
        .map(|p| p.trim_matches('"').to_string())
        .collect()
}

fn renames_value(r: &Renames, order: KeyOrder) -> Value {
    let tables: Map<String, Value> = r
        .tables
        .iter()
        .map(|(f, t)| (format!("\"{f}\""), json!(format!("\"{t}\""))))
        .collect();
    let columns: Map<String, Value> = r
        .columns
        .iter()
        .map(|(tb, f, t)| {
            (
                format!("\"{tb}\".\"{f}\""),
                json!(format!("\"{tb}\".\"{t}\"")),
            )
        })
        .collect();
    let mut m = Map::new();
    match order {
        KeyOrder::Generated => {
            m.insert("schemas".into(), json!({}));
            m.insert("tables".into(), Value::Object(tables));
            m.insert("columns".into(), Value::Object(columns));
        }
        KeyOrder::Custom => {
            m.insert("columns".into(), Value::Object(columns));
            m.insert("schemas".into(), json!({}));
            m.insert("tables".into(), Value::Object(tables));
        }
    }
    Value::Object(m)
}

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().map(|s| json!(s)).collect())
}

pub fn column_value(c: &Column, order: KeyOrder) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(c.name));
    m.insert("type".into(), json!(c.sql_type));
    m.insert("primaryKey".into(), json!(c.primary_key));
    m.insert("notNull".into(), json!(c.not_null));
    if let Some(a) = c.autoincrement {
        m.insert("autoincrement".into(), json!(a));
    }
    let generated = c.generated.as_ref().map(|g| {
        let mut gm = Map::new();
        // The serializer writes {as, type}; zod's schema order is {type, as}.
        if order == KeyOrder::Custom {
            gm.insert("type".into(), json!(g.kind));
            gm.insert("as".into(), json!(g.expr));
        } else {
            gm.insert("as".into(), json!(g.expr));
            gm.insert("type".into(), json!(g.kind));
        }
        Value::Object(gm)
    });
    match order {
        KeyOrder::Generated => {
            if let Some(g) = generated.clone() {
                m.insert("generated".into(), g);
            }
            if let Some(d) = &c.default {
                m.insert("default".into(), d.clone());
            }
        }
        KeyOrder::Custom => {
            if let Some(d) = &c.default {
                m.insert("default".into(), d.clone());
            }
            if let Some(g) = generated {
                m.insert("generated".into(), g);
            }
        }
    }
    Value::Object(m)
}

/// A table as a JSON value (the reference the direct writer is tested against).
#[cfg(test)]
fn table_value(t: &Table, order: KeyOrder) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(t.name));
    m.insert(
        "columns".into(),
        Value::Object(
            t.columns
                .iter()
                .map(|(k, c)| (k.clone(), column_value(c, order)))
                .collect(),
        ),
    );
    m.extend(constraint_values(t, order));
    Value::Object(m)
}

/// A table's `indexes` … `checkConstraints` entries, in snapshot order.
fn constraint_values(t: &Table, order: KeyOrder) -> Map<String, Value> {
    let custom = order == KeyOrder::Custom;
    let mut m = Map::new();
    let indexes = t.indexes.iter().map(|(k, i)| {
        let mut im = Map::new();
        im.insert("name".into(), json!(i.name));
        im.insert("columns".into(), strings(&i.columns));
        if custom {
            if let Some(w) = &i.where_clause {
                im.insert("where".into(), json!(w));
            }
            im.insert("isUnique".into(), json!(i.is_unique));
        } else {
            im.insert("isUnique".into(), json!(i.is_unique));
            if let Some(w) = &i.where_clause {
                im.insert("where".into(), json!(w));
            }
        }
        (k.clone(), Value::Object(im))
    });
    m.insert("indexes".into(), Value::Object(indexes.collect()));
    let fks = t.foreign_keys.iter().map(|(k, f)| {
        let mut fm = Map::new();
        fm.insert("name".into(), json!(f.name));
        fm.insert("tableFrom".into(), json!(f.table_from));
        if custom {
            fm.insert("columnsFrom".into(), strings(&f.columns_from));
            fm.insert("tableTo".into(), json!(f.table_to));
            fm.insert("columnsTo".into(), strings(&f.columns_to));
            if let Some(u) = &f.on_update {
                fm.insert("onUpdate".into(), json!(u));
            }
            if let Some(d) = &f.on_delete {
                fm.insert("onDelete".into(), json!(d));
            }
        } else {
            fm.insert("tableTo".into(), json!(f.table_to));
            fm.insert("columnsFrom".into(), strings(&f.columns_from));
            fm.insert("columnsTo".into(), strings(&f.columns_to));
            if let Some(d) = &f.on_delete {
                fm.insert("onDelete".into(), json!(d));
            }
            if let Some(u) = &f.on_update {
                fm.insert("onUpdate".into(), json!(u));
            }
        }
        (k.clone(), Value::Object(fm))
    });
    m.insert("foreignKeys".into(), Value::Object(fks.collect()));
    let pks = t.composite_primary_keys.iter().map(|(k, p)| {
        let mut pm = Map::new();
        pm.insert("columns".into(), strings(&p.columns));
        if let Some(n) = &p.name {
            pm.insert("name".into(), json!(n));
        }
        (k.clone(), Value::Object(pm))
    });
    m.insert("compositePrimaryKeys".into(), Value::Object(pks.collect()));
    let uniques = t.unique_constraints.iter().map(|(k, u)| {
        (
            k.clone(),
            json!({"name": u.name, "columns": strings(&u.columns)}),
        )
    });
    m.insert("uniqueConstraints".into(), Value::Object(uniques.collect()));
    let checks = t
        .check_constraints
        .iter()
        .map(|(k, c)| (k.clone(), json!({"name": c.name, "value": c.value})));
    m.insert("checkConstraints".into(), Value::Object(checks.collect()));
    m
}

fn view_value(v: &View, order: KeyOrder) -> Value {
    let columns: Map<String, Value> = v
        .columns
        .iter()
        .map(|(k, c)| (k.clone(), column_value(c, order)))
        .collect();
    let mut m = Map::new();
    if order == KeyOrder::Custom {
        m.insert("name".into(), json!(v.name));
        m.insert("columns".into(), Value::Object(columns));
        if let Some(d) = &v.definition {
            m.insert("definition".into(), json!(d));
        }
        m.insert("isExisting".into(), json!(v.is_existing));
    } else {
        m.insert("columns".into(), Value::Object(columns));
        m.insert("name".into(), json!(v.name));
        m.insert("isExisting".into(), json!(v.is_existing));
        if let Some(d) = &v.definition {
            m.insert("definition".into(), json!(d));
        }
    }
    Value::Object(m)
}

/// A model value serialized in the key order of `KeyOrder`.
struct Ordered<'a, T>(&'a T, KeyOrder);

impl Serialize for Ordered<'_, Snapshot> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (snap, order) = (self.0, self.1);
        let mut m = ser.serialize_map(None)?;
        if order == KeyOrder::Custom {
            m.serialize_entry("id", &snap.id)?;
            m.serialize_entry("prevId", &snap.prev_id)?;
        }
        m.serialize_entry("version", &snap.version)?;
        m.serialize_entry("dialect", &snap.dialect)?;
        if order == KeyOrder::Generated {
            m.serialize_entry("id", &snap.id)?;
            m.serialize_entry("prevId", &snap.prev_id)?;
        }
        m.serialize_entry("tables", &Ordered(&snap.schema.tables, order))?;
        let views: Map<String, Value> = snap
            .schema
            .views
            .iter()
            .map(|(k, v)| (k.clone(), view_value(v, order)))
            .collect();
        m.serialize_entry("views", &views)?;
        m.serialize_entry("enums", &json!({}))?;
        m.serialize_entry("_meta", &renames_value(&snap.renames, order))?;
        if let Some(internal) = &snap.schema.internal {
            m.serialize_entry("internal", internal)?;
        }
        m.end()
    }
}

impl Serialize for Ordered<'_, IndexMap<String, Table>> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (k, t) in self.0 {
            m.serialize_entry(k, &Ordered(t, self.1))?;
        }
        m.end()
    }
}

impl Serialize for Ordered<'_, Table> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (t, order) = (self.0, self.1);
        let mut m = ser.serialize_map(None)?;
        m.serialize_entry("name", &t.name)?;
        m.serialize_entry("columns", &OrderedColumns(&t.columns, order))?;
        // The constraint maps are small; their JSON values carry the key order.
        for (k, v) in &constraint_values(t, order) {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

struct OrderedColumns<'a>(&'a IndexMap<String, Column>, KeyOrder);

impl Serialize for OrderedColumns<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (k, c) in self.0 {
            m.serialize_entry(k, &Ordered(c, self.1))?;
        }
        m.end()
    }
}

impl Serialize for Ordered<'_, Column> {
    fn serialize<S: Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        let (c, order) = (self.0, self.1);
        let mut m = ser.serialize_map(None)?;
        m.serialize_entry("name", &c.name)?;
        m.serialize_entry("type", &c.sql_type)?;
        m.serialize_entry("primaryKey", &c.primary_key)?;
        m.serialize_entry("notNull", &c.not_null)?;
        if let Some(a) = c.autoincrement {
            m.serialize_entry("autoincrement", &a)?;
        }
        let generated = |m: &mut S::SerializeMap| -> Result<(), S::Error> {
            if let Some(g) = &c.generated {
                let v = if order == KeyOrder::Custom {
                    json!({"type": g.kind, "as": g.expr})
                } else {
                    json!({"as": g.expr, "type": g.kind})
                };
                m.serialize_entry("generated", &v)?;
            }
            Ok(())
        };
        if order == KeyOrder::Generated {
            generated(&mut m)?;
        }
        if let Some(d) = &c.default {
            m.serialize_entry("default", d)?;
        }
        if order == KeyOrder::Custom {
            generated(&mut m)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_writer_matches_the_value_writer() {
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
            let snap = Snapshot::parse(&std::fs::read_to_string(&file).unwrap()).unwrap();
            for order in [KeyOrder::Generated, KeyOrder::Custom] {
                assert_eq!(
                    snap.to_file_text(order),
                    crate::jsjson::stringify_pretty(&snap.to_value(order)),
                    "{case}"
                );
            }
        }
    }
}
