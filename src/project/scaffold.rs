//! The files of a new project (`edgespark init`): a server-only layout with one table, a few
//! routes, the defs barrel, and the configs. The generated files and the first migration are
//! made by the same code as `pull` and `db generate`, not stored here.

use std::path::PathBuf;

/// Who will work on the project, and so which file carries the instructions for it.
pub fn agent_file(agent: &str) -> &'static str {
    match agent.to_ascii_lowercase().as_str() {
        "claude" => "CLAUDE.md",
        "gemini" => "GEMINI.md",
        _ => "AGENTS.md",
    }
}

/// A project name starts with a letter or digit and holds only letters, digits, `-` and `_`.
pub fn name_problem(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => Some("is empty"),
        Some(c) if !c.is_ascii_alphanumeric() => Some("must start with a letter or a digit"),
        _ if !chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') => {
            Some("may hold only letters, digits, `-` and `_`")
        }
        _ => None,
    }
}

/// What the agent file (`agent_file`) says about project `name`.
pub fn agent_instructions(name: &str) -> String {
    include_str!("scaffold/AGENTS.md").replace("{name}", name)
}

/// Every file of the scaffold, by its path inside the project.
pub fn files(name: &str, project_id: &str, agent: &str) -> Vec<(PathBuf, String)> {
    let toml = format!("project_id = \"{project_id}\"\n\n[server]\npath = \"server\"\n");
    let root_package = serde_json::json!({ "name": name, "private": true });
    let server_package = serde_json::json!({
        "name": format!("{name}-server"),
        "private": true,
        "type": "module",
        "scripts": { "typecheck": "tsc --noEmit" },
        "dependencies": { "drizzle-orm": "^0.45.0", "hono": "^4.10.0" },
        "devDependencies": { "typescript": "^7.0.2" },
    });
    let pretty =
        |v: &serde_json::Value| serde_json::to_string_pretty(v).expect("JSON serializes") + "\n";
    [
        ("edgespark.toml", toml),
        ("package.json", pretty(&root_package)),
        (".gitignore", include_str!("scaffold/gitignore").into()),
        (agent_file(agent), agent_instructions(name)),
        (
            "configs/auth-config.yaml",
            crate::project::auth_config::DEFAULT_CONFIG.into(),
        ),
        ("server/package.json", pretty(&server_package)),
        (
            "server/tsconfig.json",
            include_str!("scaffold/tsconfig.json").into(),
        ),
        (
            "server/src/index.ts",
            include_str!("scaffold/index.ts").into(),
        ),
        (
            "server/src/defs/index.ts",
            include_str!("scaffold/defs_index.ts").into(),
        ),
        (
            "server/src/defs/db_schema.ts",
            include_str!("scaffold/db_schema.ts").into(),
        ),
        (
            "server/src/defs/db_relations.ts",
            include_str!("scaffold/db_relations.ts").into(),
        ),
        (
            "server/src/defs/storage_schema.ts",
            include_str!("scaffold/storage_schema.ts").into(),
        ),
        (
            "server/src/defs/runtime.ts",
            include_str!("scaffold/runtime.ts").into(),
        ),
    ]
    .into_iter()
    .map(|(path, text)| (PathBuf::from(path), text))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_agent_files() {
        for ok in ["app", "my-app_2", "9lives"] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in ["", "-app", "_app", "my app", "app/x", "ä", "a.b"] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        assert_eq!(agent_file("claude"), "CLAUDE.md");
        assert_eq!(agent_file("Gemini"), "GEMINI.md");
        assert_eq!(agent_file("codex"), "AGENTS.md");
    }
}
