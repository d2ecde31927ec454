//! `server/src/__generated__/`: the files the tool owns. `sys_schema.ts` and `sys_relations.ts`
//! describe the platform's `es_system__*` tables (so app tables may reference them);
//! `edgespark.d.ts` and `server-types.d.ts` type the platform's modules against this project's
//! defs: its bucket names and its VarKey/SecretKey. Written by `pull` and by `deploy`'s schema
//! sync, only when their content changes.

use std::path::{Path, PathBuf};

use anyhow::Result;
use swc_core::ecma::ast::*;

use crate::project::Project;
use crate::project::fsio::write_all_atomic;
use crate::project::runtime_keys::RuntimeKeys;
use crate::schema::source::Sources;

pub struct GeneratedFile {
    pub path: PathBuf,
    pub contents: String,
}

/// What the generated types (and the deploy) take from the project's defs, read once.
pub struct Defs {
    pub keys: RuntimeKeys,
    /// Each bucket's name and description, in order.
    pub buckets: Vec<(String, String)>,
}

impl Defs {
    pub fn read(project: &Project) -> Result<Defs> {
        let defs = project.defs_dir();
        Ok(Defs {
            keys: crate::project::runtime_keys::read(&defs.join("runtime.ts"))?,
            buckets: buckets(&defs.join("storage_schema.ts"))?,
        })
    }

    pub fn bucket_names(&self) -> Vec<String> {
        self.buckets.iter().map(|(name, _)| name.clone()).collect()
    }
}

fn generated_dir(project: &Project) -> PathBuf {
    project.server_dir().join("src/__generated__")
}

/// `pull schema`'s files: the platform's tables and relations.
pub fn schema_files(project: &Project) -> Vec<GeneratedFile> {
    let dir = generated_dir(project);
    vec![
        GeneratedFile {
            path: dir.join("sys_schema.ts"),
            contents: SYS_SCHEMA.into(),
        },
        GeneratedFile {
            path: dir.join("sys_relations.ts"),
            contents: SYS_RELATIONS.into(),
        },
    ]
}

/// `pull types`' files, as they should read for the project's defs today.
pub fn type_files(project: &Project, defs: &Defs) -> Vec<GeneratedFile> {
    let dir = generated_dir(project);
    vec![
        GeneratedFile {
            path: dir.join("edgespark.d.ts"),
            contents: EDGESPARK_D_TS.into(),
        },
        GeneratedFile {
            path: dir.join("server-types.d.ts"),
            contents: server_types(&defs.bucket_names(), &defs.keys.vars, &defs.keys.secrets),
        },
    ]
}

/// Every generated file (what `pull`, `deploy` and `init` keep fresh).
pub fn all_files(project: &Project, defs: &Defs) -> Vec<GeneratedFile> {
    let mut files = schema_files(project);
    files.extend(type_files(project, defs));
    files
}

/// The files whose content on disk differs from what it should be (or that are missing).
pub fn stale(files: &[GeneratedFile]) -> Vec<&GeneratedFile> {
    files
        .iter()
        .filter(|f| std::fs::read(&f.path).ok().as_deref() != Some(f.contents.as_bytes()))
        .collect()
}

/// Write the stale files (atomically); returns their paths.
pub fn sync(files: &[GeneratedFile]) -> Result<Vec<PathBuf>> {
    let changed = stale(files);
    write_all_atomic(
        &changed
            .iter()
            .map(|f| (f.path.clone(), f.contents.as_bytes()))
            .collect::<Vec<_>>(),
    )?;
    Ok(changed.into_iter().map(|f| f.path.clone()).collect())
}

/// The buckets declared in `storage_schema.ts` (`export const x = { bucket_name: "...",
/// description: "..." }`): name and description, in order; none if the file does not exist.
pub fn buckets(storage_schema: &Path) -> Result<Vec<(String, String)>> {
    if !storage_schema.is_file() {
        return Ok(vec![]);
    }
    let module = Sources::new(None).load(storage_schema)?;
    let mut out = vec![];
    for item in &module.ast.body {
        let ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(ExportDecl {
            decl: Decl::Var(var),
            ..
        })) = item
        else {
            continue;
        };
        for d in &var.decls {
            let Some(Expr::Object(obj)) = d.init.as_deref() else {
                continue;
            };
            let field = |name: &str| {
                obj.props.iter().find_map(|p| match p {
                    PropOrSpread::Prop(p) => match &**p {
                        Prop::KeyValue(kv) if matches!(&kv.key, PropName::Ident(k) if &*k.sym == name) => Some(&*kv.value),
                        _ => None,
                    },
                    PropOrSpread::Spread(_) => None,
                })
            };
            let string = |e: &Expr, what: &str| match e {
                Expr::Lit(Lit::Str(s)) => Ok(s.value.to_string_lossy().into_owned()),
                other => Err(anyhow::Error::from(module.diagnostic(
                    swc_core::common::Spanned::span(other),
                    format!("{what} must be a string literal"),
                    "not a string literal",
                ))),
            };
            let Some(name_expr) = field("bucket_name") else {
                continue;
            };
            let description = field("description")
                .map(|e| string(e, "description"))
                .transpose()?
                .unwrap_or_default();
            let name = string(name_expr, "bucket_name")?;
            let span = swc_core::common::Spanned::span(name_expr);
            if let Some(problem) = crate::project::paths::bucket_name_problem(&name) {
                return Err(module
                    .diagnostic(
                        span,
                        format!("invalid bucket_name: {problem}"),
                        "not a valid R2 bucket name",
                    )
                    .into());
            }
            if out.iter().any(|(n, _)| *n == name) {
                return Err(module
                    .diagnostic(
                        span,
                        format!("bucket {name:?} is declared twice"),
                        "declared again here",
                    )
                    .into());
            }
            out.push((name, description));
        }
    }
    Ok(out)
}

fn union(keys: &[String]) -> String {
    if keys.is_empty() {
        return "never".into();
    }
    keys.iter()
        .map(|k| serde_json::to_string(k).expect("a string serializes"))
        .collect::<Vec<_>>()
        .join(" | ")
}

fn server_types(buckets: &[String], vars: &[String], secrets: &[String]) -> String {
    format!(
        r#"// managed by `edgespark pull types` — DO NOT EDIT
// Typed against this project's defs: its buckets (storage_schema.ts) and keys (runtime.ts).
export type BucketName = {buckets};
export type VarKey = {vars};
export type SecretKey = {secrets};
export interface User {{ id: string; email: string; name: string | null; image: string | null; emailVerified: boolean; isAnonymous: boolean; createdAt: Date }}
export interface Auth {{ user: User | null; isAuthenticated(): boolean }}
export interface Vars {{ get(key: VarKey): string | null }}
export interface Secret {{ get(key: SecretKey): string | null }}
export interface Ctx {{ environment: "production" | "staging" | "dev"; runInBackground(p: Promise<unknown>): void }}
export interface PresignedUrl {{ uploadUrl: string; expiresAt: string; requiredHeaders: Record<string, string> }}
export interface Bucket {{
  put(key: string, body: ArrayBuffer | string): Promise<void>;
  get(key: string): Promise<ArrayBuffer | null>;
  head(key: string): Promise<{{ size: number }} | null>;
  list(prefix?: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  createPresignedPutUrl(key: string): Promise<PresignedUrl>;
  createPresignedGetUrl(key: string): Promise<string>;
}}
export interface Storage {{ from(bucket: {{ bucket_name: BucketName }}): Bucket }}
export type BucketDef<N extends BucketName> = {{ bucket_name: N; description: string }};
"#,
        buckets = union(buckets),
        vars = union(vars),
        secrets = union(secrets)
    )
}

const EDGESPARK_D_TS: &str = r#"// managed by `edgespark pull types` — DO NOT EDIT
declare module "edgespark" {
  import type { DrizzleD1Database } from "drizzle-orm/d1";
  import type { drizzleSchema } from "@defs";
  import type { Storage, Vars, Secret, Ctx } from "@sdk/server-types";
  export const db: DrizzleD1Database<typeof drizzleSchema>;
  export const storage: Storage;
  export const vars: Vars;
  export const secret: Secret;
  export const ctx: Ctx;
}
declare module "edgespark/http" {
  import type { Auth } from "@sdk/server-types";
  export const auth: Auth;
}
"#;

const SYS_SCHEMA: &str = r#"// AUTO-GENERATED — DO NOT EDIT. Regenerated by: edgespark pull schema
// The platform's tables: app tables may reference them; migrations never create them.
import { sqliteTable, integer, text } from "drizzle-orm/sqlite-core";

export const esSystemAuthUser = sqliteTable("es_system__auth_user", {
  id: text("id").primaryKey(),
  name: text("name"),
  email: text("email").notNull(),
  emailVerified: integer("email_verified").notNull(),
  image: text("image"),
  isAnonymous: integer("is_anonymous"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const esSystemAuthSession = sqliteTable("es_system__auth_session", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => esSystemAuthUser.id, { onDelete: "cascade" }),
  token: text("token").notNull(),
  expiresAt: integer("expires_at").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const esSystemAuthAccount = sqliteTable("es_system__auth_account", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull().references(() => esSystemAuthUser.id, { onDelete: "cascade" }),
  accountId: text("account_id").notNull(),
  providerId: text("provider_id").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const esSystemAuthVerification = sqliteTable("es_system__auth_verification", {
  id: text("id").primaryKey(),
  identifier: text("identifier").notNull(),
  value: text("value").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

export const esSystemDbMigrations = sqliteTable("es_system__db_migrations", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  appliedAt: text("applied_at").notNull(),
});
"#;

const SYS_RELATIONS: &str = r#"// AUTO-GENERATED — DO NOT EDIT. Regenerated by: edgespark pull schema
import { relations } from "drizzle-orm/relations";
import { esSystemAuthUser, esSystemAuthSession, esSystemAuthAccount } from "./sys_schema";

export const esSystemAuthUserRelations = relations(esSystemAuthUser, ({ many }) => ({
  sessions: many(esSystemAuthSession),
  accounts: many(esSystemAuthAccount),
}));

export const esSystemAuthSessionRelations = relations(esSystemAuthSession, ({ one }) => ({
  user: one(esSystemAuthUser, { fields: [esSystemAuthSession.userId], references: [esSystemAuthUser.id] }),
}));

export const esSystemAuthAccountRelations = relations(esSystemAuthAccount, ({ one }) => ({
  user: one(esSystemAuthUser, { fields: [esSystemAuthAccount.userId], references: [esSystemAuthUser.id] }),
}));
"#;
