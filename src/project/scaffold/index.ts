import { Hono } from "hono";
import { and, desc, eq } from "drizzle-orm";
import { db } from "edgespark";
import { auth } from "edgespark/http";
import { notes } from "@defs";

// Routes live under /api. The platform checks the session before your code runs:
//   /api/*           login required (auth.user is set)
//   /api/public/*    login optional (auth.user is set when logged in)
//   /api/webhooks/*  no auth check (verify the caller yourself)
const app = new Hono().basePath("/api");

// isAuthenticated() narrows: inside the if, auth.user is a User, not User | null.
app.get("/public/health", (c) => c.json({ ok: true, user: auth.isAuthenticated() ? auth.user.id : null }));

app.get("/notes", async (c) => {
  const owner = auth.user!.id;
  const rows = await db.select().from(notes).where(eq(notes.owner, owner)).orderBy(desc(notes.id));
  return c.json({ notes: rows });
});

app.post("/notes", async (c) => {
  const body = await c.req.json<{ text?: unknown }>();
  if (typeof body.text !== "string" || body.text.trim() === "") {
    return c.json({ error: "text is required" }, 400);
  }
  const [note] = await db.insert(notes).values({ owner: auth.user!.id, text: body.text.trim() }).returning();
  return c.json({ note }, 201);
});

app.delete("/notes/:id", async (c) => {
  const id = Number(c.req.param("id"));
  const deleted = await db.delete(notes).where(and(eq(notes.id, id), eq(notes.owner, auth.user!.id))).returning();
  return deleted.length > 0 ? c.body(null, 204) : c.json({ error: "not found" }, 404);
});

export default app;
