//! The bundle's runtime helpers: our own code, following the semantics esbuild documents for
//! its helpers of the same names. Only the helpers a bundle uses (and what they use) are emitted.

/// (name, the helpers it uses, its statement).
const HELPERS: &[(&str, &[&str], &str)] = &[
    ("__defProp", &[], "var __defProp = Object.defineProperty;"),
    (
        "__getOwnPropNames",
        &[],
        "var __getOwnPropNames = Object.getOwnPropertyNames;",
    ),
    (
        "__getProtoOf",
        &[],
        "var __getProtoOf = Object.getPrototypeOf;",
    ),
    (
        "__hasOwnProp",
        &[],
        "var __hasOwnProp = Object.prototype.hasOwnProperty;",
    ),
    ("__create", &[], "var __create = Object.create;"),
    (
        "__commonJS",
        &[],
        // Lazy like Node's wrapper; a body that throws leaves no cached module, so the next
        // require runs it again.
        "var __commonJS = (fn, mod) => () => { if (!mod) { mod = { exports: {} }; try { fn.call(mod.exports, mod.exports, mod); } catch (e) { mod = void 0; throw e; } } return mod.exports; };",
    ),
    // Runs a lazy ES module's init function once; later calls return its first result.
    // A body that throws leaves the module errored: every later call throws the same error,
    // as a second import() of a failed module rejects again.
    (
        "__esm",
        &[],
        "var __esm = (fn, res, err) => () => { if (err) throw err[0]; if (fn) { const run = fn; fn = 0; try { res = run(); } catch (e) { err = [e]; throw e; } } return res; };",
    ),
    // Gives a renamed declaration back the name Node would give it (an anonymous default
    // export is called "default").
    (
        "__name",
        &["__defProp"],
        "var __name = (target, value) => __defProp(target, \"name\", { value, configurable: true });",
    ),
    (
        "__export",
        &["__defProp"],
        "var __export = (target, all) => { for (var name in all) __defProp(target, name, { get: all[name], enumerable: true }); };",
    ),
    (
        "__copyProps",
        &["__defProp", "__getOwnPropNames", "__hasOwnProp"],
        "var __copyProps = (to, from, except) => { if (from && typeof from === \"object\" || typeof from === \"function\") for (let key of __getOwnPropNames(from)) if (!__hasOwnProp.call(to, key) && key !== except) __defProp(to, key, { get: () => from[key], enumerable: true }); return to; };",
    ),
    (
        "__toESM",
        &["__create", "__getProtoOf", "__defProp", "__copyProps"],
        // `default` is module.exports unless the module says it is ES-compiled (`__esModule`)
        // and the importer is not in Node mode (.mjs/.mts, or "type": "module").
        "var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(isNodeMode || !mod || !mod.__esModule ? __defProp(target, \"default\", { value: mod, enumerable: true }) : target, mod));",
    ),
    // `require()` of an ES module that awaits at top level: Node throws before running it.
    (
        "__requireAsyncModule",
        &[],
        "var __requireAsyncModule = (specifier) => { throw Object.assign(new Error(`require() cannot be used on an ESM graph with top-level await (\"${specifier}\"); use import() instead`), { code: \"ERR_REQUIRE_ASYNC_MODULE\" }); };",
    ),
    (
        "__toCommonJS",
        &["__copyProps", "__defProp"],
        "var __toCommonJS = (mod) => __copyProps(__defProp({}, \"__esModule\", { value: true }), mod);",
    ),
    (
        "__reExport",
        &["__copyProps"],
        "var __reExport = (target, mod, secondTarget) => (__copyProps(target, mod, \"default\"), secondTarget && __copyProps(secondTarget, mod, \"default\"));",
    ),
    (
        "__require",
        &[],
        "var __require = typeof require !== \"undefined\" ? require : (x) => { throw Error('Dynamic require of \"' + x + '\" is not supported'); };",
    ),
];

pub fn is_helper(name: &str) -> bool {
    HELPERS.iter().any(|(n, _, _)| *n == name)
}

/// The source of `used` helpers and their dependencies, in a fixed order.
pub fn source(used: &std::collections::BTreeSet<&'static str>) -> String {
    let mut needed = std::collections::BTreeSet::new();
    let mut stack: Vec<&str> = used.iter().copied().collect();
    while let Some(n) = stack.pop() {
        if needed.insert(n)
            && let Some((_, deps, _)) = HELPERS.iter().find(|(h, _, _)| *h == n)
        {
            stack.extend(deps.iter().copied());
        }
    }
    HELPERS
        .iter()
        .filter(|(n, _, _)| needed.contains(n))
        .map(|(_, _, s)| *s)
        .collect::<Vec<_>>()
        .join("\n")
}
