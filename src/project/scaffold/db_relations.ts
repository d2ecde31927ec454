// Relations between your tables, for drizzle's relational queries (db.query.*).
import { relations } from "drizzle-orm/relations";
import { notes } from "./db_schema";
import { esSystemAuthUser } from "../__generated__/sys_schema";

export const notesRelations = relations(notes, ({ one }) => ({
  author: one(esSystemAuthUser, { fields: [notes.owner], references: [esSystemAuthUser.id] }),
}));
