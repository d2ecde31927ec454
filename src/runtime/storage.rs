//! Buckets on disk, as the platform's storage behaves (server-types.d.ts `BucketClient`): an
//! object's bytes at `<bucket>/<path>`, its HTTP metadata and upload time in
//! `<bucket>/.meta/<path>.json`; list pages of at most 1000 in path order with an opaque
//! cursor and a delimiter; presigned URLs signed with the platform's key (blake3 keyed hash
//! of the method, bucket, path, expiry and required headers), expiring, checked by the front
//! server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

const META: &str = ".meta";

/// The HTTP metadata an object keeps (`StorageHttpMetadata`) and what the platform adds.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    #[serde(default)]
    pub size: u64,
    /// Milliseconds since 1970.
    #[serde(default)]
    pub uploaded_at: i64,
}

impl Metadata {
    /// The headers a response with the object carries, and a presigned PUT requires.
    pub fn headers(&self) -> BTreeMap<String, String> {
        let mut h = BTreeMap::new();
        let pairs = [
            ("content-type", &self.content_type),
            ("content-disposition", &self.content_disposition),
            ("content-encoding", &self.content_encoding),
            ("cache-control", &self.cache_control),
        ];
        for (name, value) in pairs {
            if let Some(v) = value {
                h.insert(name.to_string(), v.clone());
            }
        }
        h
    }
}

/// One bucket's folder.
pub struct Bucket {
    pub dir: PathBuf,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOptions {
    pub limit: Option<usize>,
    pub prefix: Option<String>,
    pub cursor: Option<String>,
    pub delimiter: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FileInfo {
    pub path: String,
    pub size: u64,
    pub uploaded_at: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    pub files: Vec<FileInfo>,
    pub has_more: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    pub delimited_prefixes: Vec<String>,
}

/// A path inside a bucket: segments that are not empty, `.` or `..`, and not the metadata
/// folder; no NUL or backslash.
pub fn check_path(path: &str) -> Result<()> {
    let bad = path.is_empty()
        || path.len() > 1024
        || path.contains(['\0', '\\'])
        || path
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        || path.split('/').next() == Some(META);
    if bad {
        bail!(
            "not a usable object path: {path:?} (segments separated by '/', none empty, '.' or '..')"
        );
    }
    Ok(())
}

impl Bucket {
    fn file(&self, path: &str) -> Result<PathBuf> {
        check_path(path)?;
        Ok(self.dir.join(path))
    }

    fn meta_file(&self, path: &str) -> Result<PathBuf> {
        check_path(path)?;
        Ok(self.dir.join(META).join(format!("{path}.json")))
    }

    pub fn put(&self, path: &str, bytes: &[u8], mut meta: Metadata) -> Result<()> {
        let (file, meta_file) = (self.file(path)?, self.meta_file(path)?);
        meta.size = bytes.len() as u64;
        meta.uploaded_at = crate::jsjson::date_now();
        let meta_bytes = serde_json::to_vec(&meta)?;
        crate::project::fsio::write_all_atomic(&[(file, bytes), (meta_file, &meta_bytes)])
    }

    pub fn get(&self, path: &str) -> Result<Option<(Vec<u8>, Metadata)>> {
        let file = self.file(path)?;
        let Ok(bytes) = std::fs::read(&file) else {
            return Ok(None);
        };
        let mut meta = self.head(path)?.unwrap_or_default();
        meta.size = bytes.len() as u64;
        Ok(Some((bytes, meta)))
    }

    pub fn head(&self, path: &str) -> Result<Option<Metadata>> {
        let file = self.file(path)?;
        let Ok(info) = std::fs::metadata(&file) else {
            return Ok(None);
        };
        if !info.is_file() {
            return Ok(None);
        }
        let meta = std::fs::read(self.meta_file(path)?)
            .ok()
            .and_then(|b| serde_json::from_slice::<Metadata>(&b).ok())
            .unwrap_or_default();
        Ok(Some(Metadata {
            size: info.len(),
            ..meta
        }))
    }

    pub fn delete(&self, paths: &[String]) -> Result<()> {
        for path in paths {
            for f in [self.file(path)?, self.meta_file(path)?] {
                match std::fs::remove_file(&f) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => bail!("deleting {}: {e}", f.display()),
                }
            }
        }
        Ok(())
    }

    /// A page of the bucket's objects in path order (at most 1000).
    pub fn list(&self, o: &ListOptions) -> Result<Listing> {
        let limit = o.limit.unwrap_or(1000).clamp(1, 1000);
        let prefix = o.prefix.clone().unwrap_or_default();
        let after = match &o.cursor {
            Some(c) => Some(decode_cursor(c)?),
            None => None,
        };
        let mut all = vec![];
        walk(&self.dir, "", &mut all);
        all.sort();
        let mut files = vec![];
        let mut prefixes: Vec<String> = vec![];
        let mut has_more = false;
        let mut last = None;
        for path in all {
            if !path.starts_with(&prefix) || after.as_ref().is_some_and(|a| &path <= a) {
                continue;
            }
            if files.len() + prefixes.len() >= limit {
                has_more = true;
                break;
            }
            if let Some(d) = o.delimiter.as_deref().filter(|d| !d.is_empty())
                && let Some(i) = path[prefix.len()..].find(d)
            {
                let common = path[..prefix.len() + i + d.len()].to_string();
                if prefixes.last() != Some(&common) {
                    prefixes.push(common);
                }
                last = Some(path);
                continue;
            }
            let Some(meta) = self.head(&path)? else {
                continue;
            };
            files.push(FileInfo {
                path: path.clone(),
                size: meta.size,
                uploaded_at: meta.uploaded_at,
            });
            last = Some(path);
        }
        Ok(Listing {
            files,
            has_more,
            cursor: if has_more {
                last.map(|l| encode_cursor(&l))
            } else {
                None
            },
            delimited_prefixes: prefixes,
        })
    }
}

fn walk(dir: &Path, under: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if (under.is_empty() && name == META) || name.starts_with(crate::project::fsio::TEMP_PREFIX)
        {
            continue;
        }
        let path = if under.is_empty() {
            name
        } else {
            format!("{under}/{name}")
        };
        match e.file_type() {
            Ok(t) if t.is_dir() => walk(&e.path(), &path, out),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
}

fn encode_cursor(path: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(path)
}

fn decode_cursor(cursor: &str) -> Result<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| anyhow::anyhow!("not a cursor this bucket gave: {cursor}"))?;
    String::from_utf8(bytes).map_err(|_| anyhow::anyhow!("not a cursor this bucket gave"))
}

/// What a presigned URL allows: one method on one object until a time, with the headers
/// the request must carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Grant {
    pub method: String,
    pub bucket: String,
    pub path: String,
    /// Seconds since 1970.
    pub expires: i64,
    pub required_headers: BTreeMap<String, String>,
}

impl Grant {
    fn message(&self) -> String {
        let headers: Vec<String> = self
            .required_headers
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        format!(
            "{}\n{}\n{}\n{}\n{}",
            self.method,
            self.bucket,
            self.path,
            self.expires,
            headers.join("\n")
        )
    }

    /// The signature: blake3 keyed with the platform's key.
    pub fn signature(&self, key: &[u8; 32]) -> String {
        blake3::keyed_hash(key, self.message().as_bytes())
            .to_hex()
            .to_string()
    }

    /// The URL's path and query under `origin`.
    pub fn url(&self, origin: &str, key: &[u8; 32]) -> String {
        let headers = if self.required_headers.is_empty() {
            String::new()
        } else {
            let json = serde_json::to_string(&self.required_headers).unwrap_or_default();
            format!("&headers={}", percent(&json))
        };
        format!(
            "{origin}/api/_es/storage/{}/{}?method={}&expires={}{headers}&signature={}",
            percent(&self.bucket),
            self.path
                .split('/')
                .map(percent)
                .collect::<Vec<_>>()
                .join("/"),
            self.method,
            self.expires,
            self.signature(key)
        )
    }
}

/// Percent-encoding of everything but unreserved characters (RFC 3986).
pub fn percent(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_round_trip_and_list_in_pages() {
        let dir = tempfile::tempdir().unwrap();
        let b = Bucket {
            dir: dir.path().to_path_buf(),
        };
        for p in ["a/1.txt", "a/2.txt", "b.txt", "c/d/e.txt"] {
            b.put(
                p,
                p.as_bytes(),
                Metadata {
                    content_type: Some("text/plain".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        }
        let (bytes, meta) = b.get("a/2.txt").unwrap().unwrap();
        assert_eq!((bytes.as_slice(), meta.size), (b"a/2.txt".as_slice(), 7));
        assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
        let page = b
            .list(&ListOptions {
                limit: Some(2),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            page.files
                .iter()
                .map(|f| f.path.as_str())
                .collect::<Vec<_>>(),
            ["a/1.txt", "a/2.txt"]
        );
        assert!(page.has_more);
        let rest = b
            .list(&ListOptions {
                cursor: page.cursor,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(rest.files.len(), 2);
        assert!(!rest.has_more);
        let grouped = b
            .list(&ListOptions {
                delimiter: Some("/".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(grouped.delimited_prefixes, ["a/", "c/"]);
        assert_eq!(grouped.files.len(), 1);
        b.delete(&["a/1.txt".into(), "missing".into()]).unwrap();
        assert!(b.get("a/1.txt").unwrap().is_none());
        for bad in ["", "../x", "a//b", ".meta/x", "a/./b"] {
            assert!(b.put(bad, b"", Metadata::default()).is_err(), "{bad}");
        }
    }
}
