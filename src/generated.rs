//! `server/src/__generated__/`: the files the tool owns. `sys_schema.ts` and `sys_relations.ts`
//! describe the platform's `es_system__*` tables (so app tables may reference them);
//! `server-types.d.ts` is the platform's SDK surface, the same in every project, and
//! `edgespark.d.ts` types the platform's modules with it and the project's defs (its schema,
//! VarKey and SecretKey). Written by `pull` and by `deploy`'s schema sync, only when their
//! content changes; the platform's own copy of `server-types.d.ts` is kept where it is marked.

use std::path::{Path, PathBuf};

use anyhow::Result;
use swc_core::ecma::ast::*;

use crate::project::Project;
use crate::project::fsio::write_all_atomic;
use crate::project::runtime_keys::RuntimeKeys;
use crate::source::Sources;

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
        Defs::read_with(project, &mut Sources::new(None))
    }

    /// `read`, through a loader the other readers of the defs share (each file parsed once).
    pub fn read_with(project: &Project, sources: &mut Sources) -> Result<Defs> {
        let defs = project.defs_dir();
        Ok(Defs {
            keys: crate::project::runtime_keys::read_with(&defs.join("runtime.ts"), sources)?,
            buckets: buckets_with(&defs.join("storage_schema.ts"), sources)?,
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
pub fn type_files(project: &Project) -> Vec<GeneratedFile> {
    let dir = generated_dir(project);
    vec![
        GeneratedFile {
            path: dir.join("edgespark.d.ts"),
            contents: EDGESPARK_D_TS.into(),
        },
        GeneratedFile {
            path: dir.join("server-types.d.ts"),
            contents: server_types(&dir),
        },
    ]
}

/// Every generated file (what `pull`, `deploy` and `init` keep fresh).
pub fn all_files(project: &Project) -> Vec<GeneratedFile> {
    let mut files = schema_files(project);
    files.extend(type_files(project));
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
    buckets_with(storage_schema, &mut Sources::new(None))
}

/// `buckets`, through a shared loader.
pub fn buckets_with(storage_schema: &Path, sources: &mut Sources) -> Result<Vec<(String, String)>> {
    if !storage_schema.is_file() {
        return Ok(vec![]);
    }
    let module = sources.load(storage_schema)?;
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

/// `server-types.d.ts`: the platform's SDK types, the same in every project (the contract in
/// reference/edgespark-sdk.md §2; our own text, the platform's names and types).
const SERVER_TYPES: &str = r#"// managed by `edgespark pull types` — DO NOT EDIT
// The EdgeSpark platform's SDK types; the same in every project.

export type DeploymentEnv = "production" | "staging";

export interface ExecutionCtx {
  readonly environment: DeploymentEnv;
  /** Keep the Worker alive until `promise` settles, after the response is sent. */
  runInBackground(promise: Promise<unknown>): void;
}

export interface VarClient<K extends string = string> {
  get(name: K): string | null;
}

export interface SecretClient<K extends string = string> {
  get(name: K): string | null;
}

export interface User {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly image: string | null;
  readonly emailVerified: boolean;
  readonly isAnonymous: boolean;
  readonly createdAt: Date;
}

/** `/api/*`: a user is guaranteed; `/api/public/*`: a user or null; `/api/webhooks/*`: null. */
export interface AuthClient {
  readonly user: User | null;
  isAuthenticated(): this is AuthenticatedAuthClient;
}

export interface AuthenticatedAuthClient extends AuthClient {
  readonly user: User;
}

export interface BucketDef<Name extends string = string> {
  readonly bucket_name: Name;
  readonly description: string;
}

export type S3Uri<BucketName extends string = string> = `s3://${BucketName}/${string}`;

export type StoragePutBody = ArrayBuffer | ArrayBufferView;

export interface StorageHttpMetadata {
  readonly contentType?: string;
  readonly contentDisposition?: string;
  readonly contentEncoding?: string;
  readonly cacheControl?: string;
}

export interface StorageObjectMetadata extends StorageHttpMetadata {
  readonly size: number;
}

export interface StorageObject {
  readonly body: ArrayBuffer;
  readonly metadata: StorageObjectMetadata;
}

export interface StorageFileInfo {
  readonly path: string;
  readonly size: number;
  readonly uploadedAt: Date;
}

export interface StorageListOptions {
  readonly limit?: number;
  readonly prefix?: string;
  readonly cursor?: string;
  readonly delimiter?: string;
}

export interface StorageListResult {
  readonly files: readonly StorageFileInfo[];
  readonly hasMore: boolean;
  readonly cursor?: string;
  readonly delimitedPrefixes: readonly string[];
}

export interface StorageClient {
  from<Name extends string>(bucket: BucketDef<Name>): BucketClient<Name>;
  createS3Uri<Name extends string>(bucket: BucketDef<Name>, path: string): S3Uri<Name>;
  isS3Uri(value: string): value is S3Uri;
  /** Throws when `s3Uri` is not one. */
  parseS3Uri(s3Uri: string): { readonly bucket: BucketDef; readonly path: string };
  tryParseS3Uri(s3Uri: string): { readonly bucket: BucketDef; readonly path: string } | null;
}

export interface BucketClient<BucketName extends string = string> {
  put(path: string, file: StoragePutBody, options?: StorageHttpMetadata): Promise<void>;
  get(path: string): Promise<StorageObject | null>;
  head(path: string): Promise<StorageObjectMetadata | null>;
  /** At most 1000 files a page. */
  list(options?: StorageListOptions): Promise<StorageListResult>;
  delete(paths: string | readonly string[]): Promise<void>;
  createPresignedPutUrl(
    path: string,
    expiresInSecs?: number,
    options?: StorageHttpMetadata,
  ): Promise<{ readonly uploadUrl: string; readonly expiresAt: Date; readonly requiredHeaders: Readonly<Record<string, string>> }>;
  createPresignedGetUrl(path: string, expiresInSecs?: number): Promise<{ readonly downloadUrl: string; readonly expiresAt: Date }>;
}
"#;

/// The version marker the platform writes into `.checksums.json` beside its current copy of
/// `server-types.d.ts` (not a hash of its bytes). A project holding that copy keeps it.
const PLATFORM_SERVER_TYPES_MARKER: &str =
    "sha256-712d78141c948d0f44934a725d9a04246677eded79353bfd986c74764d418c31";

/// `server-types.d.ts` as it should read: the platform's own copy where the project has it
/// (marked in `.checksums.json`), else ours; both declare the same types.
fn server_types(dir: &Path) -> String {
    let marked = std::fs::read_to_string(dir.join(".checksums.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v["server_types"] == PLATFORM_SERVER_TYPES_MARKER);
    match std::fs::read_to_string(dir.join("server-types.d.ts")) {
        Ok(existing) if marked => existing,
        _ => SERVER_TYPES.to_string(),
    }
}

const EDGESPARK_D_TS: &str = r#"// managed by `edgespark pull types` — DO NOT EDIT
declare module "edgespark" {
  import type { DrizzleD1Database } from "drizzle-orm/d1";
  import type { drizzleSchema, VarKey, SecretKey } from "@defs";
  import type { StorageClient, VarClient, SecretClient, ExecutionCtx } from "@sdk/server-types";
  export const db: DrizzleD1Database<typeof drizzleSchema>;
  export const storage: StorageClient;
  export const vars: VarClient<VarKey>;
  export const secret: SecretClient<SecretKey>;
  export const ctx: ExecutionCtx;
}
declare module "edgespark/http" {
  import type { AuthClient } from "@sdk/server-types";
  export const auth: AuthClient;
}
"#;

/// The platform's tables (reference/edgespark-sdk.md §3), as drizzle-kit's introspection
/// writes them: a column's SQL name is given only where it differs from its key.
const SYS_SCHEMA: &str = r#"// AUTO-GENERATED — DO NOT EDIT. Regenerated by: edgespark pull schema
// The platform's tables: app tables may reference them; migrations never create them.
import { sqliteTable, integer, text, numeric, index, uniqueIndex } from "drizzle-orm/sqlite-core";
import { sql } from "drizzle-orm";

export const esSystemDbMigrations = sqliteTable("es_system__db_migrations", {
  id: integer().primaryKey({ autoIncrement: true }),
  name: text(),
  appliedAt: numeric("applied_at").default(sql`(CURRENT_TIMESTAMP)`).notNull(),
});

export const esSystemAuthConfig = sqliteTable("es_system__auth_config", {
  key: text().primaryKey().notNull(),
  data: text().default("{}"),
  createdAt: integer("created_at").default(sql`(cast(unixepoch('subsecond') * 1000 as integer))`).notNull(),
  updatedAt: integer("updated_at").default(sql`(cast(unixepoch('subsecond') * 1000 as integer))`).notNull(),
});

export const esSystemAuthUser = sqliteTable("es_system__auth_user", {
  id: text().primaryKey(),
  name: text().notNull(),
  email: text().notNull(),
  emailVerified: integer("email_verified").default(0).notNull(),
  image: text(),
  createdAt: integer("created_at").default(sql`(cast(unixepoch('subsecond') * 1000 as integer))`).notNull(),
  updatedAt: integer("updated_at").default(sql`(cast(unixepoch('subsecond') * 1000 as integer))`).notNull(),
  isAnonymous: integer("is_anonymous").default(0),
  banned: integer().default(0),
  banReason: text("ban_reason"),
  banExpires: integer("ban_expires"),
  lastLoginAt: integer("last_login_at"),
}, (table) => [uniqueIndex("es_system__auth_user_email_unique").on(table.email)]);

export const esSystemAuthAccount = sqliteTable("es_system__auth_account", {
  id: text().primaryKey(),
  accountId: text("account_id").notNull(),
  providerId: text("provider_id").notNull(),
  userId: text("user_id").notNull().references(() => esSystemAuthUser.id, { onDelete: "cascade" }),
  accessToken: text("access_token"),
  refreshToken: text("refresh_token"),
  idToken: text("id_token"),
  accessTokenExpiresAt: integer("access_token_expires_at"),
  refreshTokenExpiresAt: integer("refresh_token_expires_at"),
  scope: text(),
  password: text(),
  createdAt: integer("created_at").default(sql`(cast(unixepoch('subsecond') * 1000 as integer))`).notNull(),
  updatedAt: integer("updated_at").notNull(),
}, (table) => [index("es_system__auth_account_userId_idx").on(table.userId)]);

export const esSystemAuthSession = sqliteTable("es_system__auth_session", {
  id: text().primaryKey(),
  expiresAt: integer("expires_at").notNull(),
  token: text().notNull(),
  createdAt: integer("created_at").default(sql`(cast(unixepoch('subsecond') * 1000 as integer))`).notNull(),
  updatedAt: integer("updated_at").notNull(),
  ipAddress: text("ip_address"),
  userAgent: text("user_agent"),
  userId: text("user_id").notNull().references(() => esSystemAuthUser.id, { onDelete: "cascade" }),
}, (table) => [
  index("es_system__auth_session_userId_idx").on(table.userId),
  uniqueIndex("es_system__auth_session_token_unique").on(table.token),
]);

export const esSystemAuthVerification = sqliteTable("es_system__auth_verification", {
  id: text().primaryKey(),
  identifier: text().notNull(),
  value: text().notNull(),
  expiresAt: integer("expires_at").notNull(),
  createdAt: integer("created_at").default(sql`(cast(unixepoch('subsecond') * 1000 as integer))`).notNull(),
  updatedAt: integer("updated_at").default(sql`(cast(unixepoch('subsecond') * 1000 as integer))`).notNull(),
}, (table) => [index("es_system__auth_verification_identifier_idx").on(table.identifier)]);
"#;

const SYS_RELATIONS: &str = r#"// AUTO-GENERATED — DO NOT EDIT. Regenerated by: edgespark pull schema
import { relations } from "drizzle-orm/relations";
import { esSystemAuthUser, esSystemAuthAccount, esSystemAuthSession } from "./sys_schema";

export const esSystemAuthAccountRelations = relations(esSystemAuthAccount, ({ one }) => ({
  esSystemAuthUser: one(esSystemAuthUser, { fields: [esSystemAuthAccount.userId], references: [esSystemAuthUser.id] }),
}));

export const esSystemAuthUserRelations = relations(esSystemAuthUser, ({ many }) => ({
  esSystemAuthAccounts: many(esSystemAuthAccount),
  esSystemAuthSessions: many(esSystemAuthSession),
}));

export const esSystemAuthSessionRelations = relations(esSystemAuthSession, ({ one }) => ({
  esSystemAuthUser: one(esSystemAuthUser, { fields: [esSystemAuthSession.userId], references: [esSystemAuthUser.id] }),
}));
"#;

#[cfg(test)]
mod contract_tests {
    /// sys_schema.ts read by our own schema reader (its tables renamed so they are not skipped
    /// as the platform's) has the platform's tables, columns and indexes, and the SQL made from
    /// it runs on SQLite.
    #[test]
    fn sys_schema_describes_the_platforms_tables() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sys_schema.ts");
        std::fs::write(&file, super::SYS_SCHEMA.replace("\"es_system__", "\"sys_")).unwrap();
        let schema = crate::schema::read(&file, None).unwrap().schema;
        let mut shape: Vec<(String, usize, usize)> = schema
            .tables
            .values()
            .map(|t| (t.name.clone(), t.columns.len(), t.indexes.len()))
            .collect();
        shape.sort();
        let expected = [
            ("sys_db_migrations", 3, 0),
            ("sys_auth_config", 4, 0),
            ("sys_auth_user", 12, 1),
            ("sys_auth_account", 13, 1),
            ("sys_auth_session", 8, 2),
            ("sys_auth_verification", 6, 1),
        ];
        let mut expected = expected.map(|(n, c, i)| (n.to_string(), c, i)).to_vec();
        expected.sort();
        assert_eq!(
            shape, expected,
            "sorted by name, as the schema keeps tables"
        );
        let user = &schema.tables["sys_auth_user"];
        for column in [
            "banned",
            "ban_reason",
            "ban_expires",
            "last_login_at",
            "is_anonymous",
            "email_verified",
        ] {
            assert!(user.columns.contains_key(column), "{column}");
        }
        let decisions = crate::migrate::diff::Decisions {
            default_create: true,
            ..Default::default()
        };
        let out = crate::migrate::diff::diff(
            &Default::default(),
            &schema,
            &decisions,
            crate::migrate::diff::Mode::Fixed,
        )
        .unwrap();
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(&out.sql.join("\n")).unwrap();
        db.execute(
            "INSERT INTO sys_auth_user (id, name, email) VALUES ('u', 'n', 'e')",
            [],
        )
        .unwrap();
        let (verified, created): (i64, i64) = db
            .query_row(
                "SELECT email_verified, created_at FROM sys_auth_user",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(verified, 0);
        assert!(created > 1_600_000_000_000, "milliseconds now: {created}");
    }
}
