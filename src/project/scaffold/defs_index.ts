// The barrel the platform and your code import as "@defs". Deploy checks every export below.
import * as dbSchema from "./db_schema";
import * as dbRelations from "./db_relations";
import * as sysSchema from "../__generated__/sys_schema";
import * as sysRelations from "../__generated__/sys_relations";
import * as buckets from "./storage_schema";

export const drizzleSchema = { ...dbSchema, ...dbRelations, ...sysSchema, ...sysRelations };
export { buckets };
export type { VarKey, SecretKey } from "./runtime";
export * from "./db_schema";
export * from "./db_relations";
export * from "../__generated__/sys_schema";
export * from "../__generated__/sys_relations";
