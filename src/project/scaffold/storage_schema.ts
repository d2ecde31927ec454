// Your buckets, one export each; `edgespark storage apply` creates them. For example:
//
//   import type { BucketDef } from "@sdk/server-types";
//   export const uploads: BucketDef<"uploads"> = { bucket_name: "uploads", description: "Files users upload" };
//
// Do not give a bucket the same export name as a table.
export {};
