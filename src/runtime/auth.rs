//! Email-and-password auth as the platform runs it (Better Auth's endpoints and rules): users,
//! their `credential` accounts (the argon2id hash of the password) and sessions in the
//! platform's `es_system__auth_*` tables (edgespark-sdk.md §3), a session found by the random
//! token its cookie carries.

use rusqlite::{Connection, OptionalExtension, params};

use crate::jsjson::{date_now, iso_date as iso};
use serde::Serialize;

/// How long a session lasts (Better Auth's default: 7 days).
pub const SESSION_SECONDS: i64 = 7 * 24 * 3600;

/// The platform's auth tables, as the platform creates them (the SQL drizzle-kit writes for
/// `__generated__/sys_schema.ts`), where missing.
pub const SYSTEM_TABLES: &str = "
CREATE TABLE IF NOT EXISTS `es_system__auth_user` (
  `id` text PRIMARY KEY NOT NULL,
  `name` text NOT NULL,
  `email` text NOT NULL,
  `email_verified` integer DEFAULT 0 NOT NULL,
  `image` text,
  `created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
  `updated_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
  `is_anonymous` integer DEFAULT 0,
  `banned` integer DEFAULT 0,
  `ban_reason` text,
  `ban_expires` integer,
  `last_login_at` integer
);
CREATE UNIQUE INDEX IF NOT EXISTS `es_system__auth_user_email_unique` ON `es_system__auth_user` (`email`);
CREATE TABLE IF NOT EXISTS `es_system__auth_account` (
  `id` text PRIMARY KEY NOT NULL,
  `account_id` text NOT NULL,
  `provider_id` text NOT NULL,
  `user_id` text NOT NULL,
  `access_token` text,
  `refresh_token` text,
  `id_token` text,
  `access_token_expires_at` integer,
  `refresh_token_expires_at` integer,
  `scope` text,
  `password` text,
  `created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
  `updated_at` integer NOT NULL,
  FOREIGN KEY (`user_id`) REFERENCES `es_system__auth_user`(`id`) ON UPDATE no action ON DELETE cascade
);
CREATE INDEX IF NOT EXISTS `es_system__auth_account_userId_idx` ON `es_system__auth_account` (`user_id`);
CREATE TABLE IF NOT EXISTS `es_system__auth_session` (
  `id` text PRIMARY KEY NOT NULL,
  `expires_at` integer NOT NULL,
  `token` text NOT NULL,
  `created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
  `updated_at` integer NOT NULL,
  `ip_address` text,
  `user_agent` text,
  `user_id` text NOT NULL,
  FOREIGN KEY (`user_id`) REFERENCES `es_system__auth_user`(`id`) ON UPDATE no action ON DELETE cascade
);
CREATE INDEX IF NOT EXISTS `es_system__auth_session_userId_idx` ON `es_system__auth_session` (`user_id`);
CREATE UNIQUE INDEX IF NOT EXISTS `es_system__auth_session_token_unique` ON `es_system__auth_session` (`token`);
CREATE TABLE IF NOT EXISTS `es_system__auth_verification` (
  `id` text PRIMARY KEY NOT NULL,
  `identifier` text NOT NULL,
  `value` text NOT NULL,
  `expires_at` integer NOT NULL,
  `created_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL,
  `updated_at` integer DEFAULT (cast(unixepoch('subsecond') * 1000 as integer)) NOT NULL
);
CREATE INDEX IF NOT EXISTS `es_system__auth_verification_identifier_idx` ON `es_system__auth_verification` (`identifier`);
";

/// A user as Better Auth returns one (and the worker's `auth.user` is made from).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub image: Option<String>,
    pub is_anonymous: bool,
    /// ISO 8601.
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub id: String,
    pub token: String,
    pub user_id: String,
    pub expires_at: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Why a request was refused: the HTTP status and Better Auth's code and message.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: &'static str,
}

const fn refusal(status: u16, code: &'static str, message: &'static str) -> Refusal {
    Refusal {
        status,
        code,
        message,
    }
}

const INVALID_EMAIL: Refusal = refusal(400, "INVALID_EMAIL", "Invalid email");
const PASSWORD_TOO_SHORT: Refusal = refusal(400, "PASSWORD_TOO_SHORT", "Password too short");
const PASSWORD_TOO_LONG: Refusal = refusal(400, "PASSWORD_TOO_LONG", "Password too long");
const USER_EXISTS: Refusal = refusal(
    422,
    "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL",
    "User already exists. Use another email.",
);
const WRONG_CREDENTIALS: Refusal = refusal(
    401,
    "INVALID_EMAIL_OR_PASSWORD",
    "Invalid email or password",
);
const FAILED: Refusal = refusal(
    500,
    "INTERNAL_SERVER_ERROR",
    "The auth tables could not be used",
);

pub fn ensure_tables(db: &Connection) -> rusqlite::Result<()> {
    db.execute_batch(SYSTEM_TABLES)
}

/// A new user with a password (`sign-up/email`), signed in: the user and the session.
pub fn sign_up(
    db: &mut Connection,
    name: &str,
    email: &str,
    password: &str,
    image: Option<&str>,
) -> Result<(User, Session), Refusal> {
    let user = create_user(db, name, email, password, image)?;
    let session = new_session(db, &user.id)?;
    Ok((user, session))
}

/// A new user with a password, not signed in (also the seed script's `ctx.auth.createUser`).
pub fn create_user(
    db: &mut Connection,
    name: &str,
    email: &str,
    password: &str,
    image: Option<&str>,
) -> Result<User, Refusal> {
    let email = normal_email(email)?;
    check_password(password)?;
    let hash = hash_password(password)?;
    let now = date_now();
    let id = random_id();
    let tx = db.transaction().map_err(|_| FAILED)?;
    let exists: Option<String> = tx
        .query_row(
            "SELECT id FROM es_system__auth_user WHERE email = ?1",
            [&email],
            |r| r.get(0),
        )
        .optional()
        .map_err(|_| FAILED)?;
    if exists.is_some() {
        return Err(USER_EXISTS);
    }
    tx.execute(
        "INSERT INTO es_system__auth_user (id, name, email, email_verified, image, created_at, updated_at, is_anonymous) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?5, 0)",
        params![id, name, email, image, now],
    )
    .map_err(|_| FAILED)?;
    tx.execute(
        "INSERT INTO es_system__auth_account (id, account_id, provider_id, user_id, password, created_at, updated_at) VALUES (?1, ?2, 'credential', ?2, ?3, ?4, ?4)",
        params![random_id(), id, hash, now],
    )
    .map_err(|_| FAILED)?;
    tx.commit().map_err(|_| FAILED)?;
    user_by_id(db, &id).ok_or(FAILED)
}

/// `sign-in/email`: the user and a new session when the password is theirs.
pub fn sign_in(
    db: &mut Connection,
    email: &str,
    password: &str,
) -> Result<(User, Session), Refusal> {
    let email = normal_email(email).map_err(|_| WRONG_CREDENTIALS)?;
    let found: Option<(String, Option<String>)> = db
        .query_row(
            "SELECT u.id, a.password FROM es_system__auth_user u JOIN es_system__auth_account a ON a.user_id = u.id AND a.provider_id = 'credential' WHERE u.email = ?1",
            [&email],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(|_| FAILED)?;
    let Some((id, Some(hash))) = found else {
        // As long as a real check, so a missing user does not answer faster.
        let _ = hash_password(password);
        return Err(WRONG_CREDENTIALS);
    };
    if !verify_password(password, &hash) {
        return Err(WRONG_CREDENTIALS);
    }
    db.execute(
        "UPDATE es_system__auth_user SET last_login_at = ?1 WHERE id = ?2",
        params![date_now(), id],
    )
    .map_err(|_| FAILED)?;
    let session = new_session(db, &id)?;
    let user = user_by_id(db, &id).ok_or(FAILED)?;
    Ok((user, session))
}

/// The user and session a token names, while it has not expired.
pub fn session(db: &Connection, token: &str) -> Option<(User, Session)> {
    let (session, user_id): (Session, String) = db
        .query_row(
            "SELECT id, token, user_id, expires_at, created_at, updated_at FROM es_system__auth_session WHERE token = ?1 AND expires_at > ?2",
            params![token, date_now()],
            |r| {
                Ok((
                    Session {
                        id: r.get(0)?,
                        token: r.get(1)?,
                        user_id: r.get(2)?,
                        expires_at: iso(r.get(3)?),
                        created_at: iso(r.get(4)?),
                        updated_at: iso(r.get(5)?),
                    },
                    r.get(2)?,
                ))
            },
        )
        .optional()
        .ok()??;
    Some((user_by_id(db, &user_id)?, session))
}

/// `sign-out`: the session ends.
pub fn sign_out(db: &Connection, token: &str) {
    let _ = db.execute(
        "DELETE FROM es_system__auth_session WHERE token = ?1",
        [token],
    );
}

fn new_session(db: &Connection, user_id: &str) -> Result<Session, Refusal> {
    let now = date_now();
    let expires = now + SESSION_SECONDS * 1000;
    let (id, token) = (random_id(), random_id());
    db.execute(
        "INSERT INTO es_system__auth_session (id, expires_at, token, created_at, updated_at, user_id) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        params![id, expires, token, now, user_id],
    )
    .map_err(|_| FAILED)?;
    Ok(Session {
        id,
        token,
        user_id: user_id.to_string(),
        expires_at: iso(expires),
        created_at: iso(now),
        updated_at: iso(now),
    })
}

fn user_by_id(db: &Connection, id: &str) -> Option<User> {
    db.query_row(
        "SELECT id, name, email, email_verified, image, coalesce(is_anonymous, 0), created_at, updated_at FROM es_system__auth_user WHERE id = ?1",
        [id],
        |r| {
            Ok(User {
                id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                email_verified: r.get::<_, i64>(3)? != 0,
                image: r.get(4)?,
                is_anonymous: r.get::<_, i64>(5)? != 0,
                created_at: iso(r.get(6)?),
                updated_at: iso(r.get(7)?),
            })
        },
    )
    .optional()
    .ok()?
}

/// Better Auth's email rule (a lowercase address with one `@` and a dot after it).
fn normal_email(email: &str) -> Result<String, Refusal> {
    let email = email.trim().to_lowercase();
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    };
    if valid { Ok(email) } else { Err(INVALID_EMAIL) }
}

/// Better Auth's defaults: 8 to 128 characters.
fn check_password(password: &str) -> Result<(), Refusal> {
    match password.chars().count() {
        n if n < 8 => Err(PASSWORD_TOO_SHORT),
        n if n > 128 => Err(PASSWORD_TOO_LONG),
        _ => Ok(()),
    }
}

fn hash_password(password: &str) -> Result<String, Refusal> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|_| FAILED)
}

fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    let Ok(parsed) = argon2::password_hash::phc::PasswordHash::new(hash) else {
        return false;
    };
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

/// 32 letters and digits, as Better Auth's ids and tokens.
pub fn random_id() -> String {
    crate::random::string(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let db = Connection::open_in_memory().unwrap();
        db.execute_batch("PRAGMA foreign_keys=ON").unwrap();
        ensure_tables(&db).unwrap();
        db
    }

    #[test]
    fn sign_up_then_in_then_out() {
        let mut db = db();
        let (user, session) =
            sign_up(&mut db, "Ann", "Ann@Example.com", "password1", None).unwrap();
        assert_eq!(user.email, "ann@example.com");
        assert_eq!(
            super::session(&db, &session.token).map(|(u, _)| u.id),
            Some(user.id.clone())
        );
        assert_eq!(
            sign_up(&mut db, "B", "ann@example.com", "password2", None)
                .unwrap_err()
                .status,
            422
        );
        assert_eq!(
            sign_in(&mut db, "ann@example.com", "wrong-one")
                .unwrap_err()
                .status,
            401
        );
        let (_, second) = sign_in(&mut db, "ANN@example.com", "password1").unwrap();
        sign_out(&db, &second.token);
        assert!(super::session(&db, &second.token).is_none());
        assert_eq!(
            sign_up(&mut db, "C", "c@example.com", "short", None)
                .unwrap_err()
                .code,
            "PASSWORD_TOO_SHORT"
        );
        assert_eq!(
            sign_up(&mut db, "C", "not-an-email", "password1", None)
                .unwrap_err()
                .code,
            "INVALID_EMAIL"
        );
        let hash: String = db
            .query_row("SELECT password FROM es_system__auth_account", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
    }
}
