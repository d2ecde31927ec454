// The keys your code reads with vars.get(...) and secret.get(...), as string unions, e.g.
// `export type VarKey = "ADMIN_EMAILS" | "SITE_NAME";`. Set them with `edgespark var set K=V`
// and `edgespark secret set K`.
export type VarKey = never;
export type SecretKey = never;
