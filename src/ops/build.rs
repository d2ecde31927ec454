//! `build`: the project's server bundled for Workers (`server/src/index.ts` →
//! `server/dist/bundle.js`) with the resolve options of the Workers runtime, and the gzip size
//! reported beside it (deflated in parallel pieces).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use flate2::{Compress, Compression, FlushCompress, Status};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::bundler::emit::{EmitOptions, Emitted};
use crate::bundler::graph::{ModuleGraph, Session};
use crate::bundler::link::{Format, LinkOptions};
use crate::bundler::{Inspected, bundle_in, output_files};
use crate::project::Project;
use crate::project::build_cache::{BuildCache, Section};
use crate::project::fsio::write_all_atomic;
use crate::resolve::Options;

/// How a Worker's code is resolved: workerd's conditions, the browser's main fields, the
/// project's tsconfig `paths`, and the modules the platform provides at run time kept external.
pub fn worker_options(server_dir: &Path) -> Options {
    let tsconfig = server_dir.join("tsconfig.json");
    Options {
        conditions: ["workerd", "worker", "browser", "import", "default"]
            .map(String::from)
            .to_vec(),
        main_fields: ["browser", "module", "main"].map(String::from).to_vec(),
        tsconfig: tsconfig.is_file().then_some(tsconfig),
        externals: ["edgespark", "edgespark/*", "cloudflare:*", "node:*"]
            .map(String::from)
            .to_vec(),
        packages_external: false,
        loaders: vec![],
        node_builtins: false,
    }
}

/// The project's server bundled (not yet written): `server/dist/bundle.js` and what goes there
/// (the bundle, and its source map when asked for).
pub fn bundle_server(project: &Project, emit: EmitOptions) -> Result<(PathBuf, Vec<Emitted>)> {
    let (out, bundled) = bundle_server_inspecting(project, emit, |_| ())?;
    Ok((out, bundled.emitted?))
}

/// `bundle_server`, with `inspect` given the scanned module graph before it is linked (see
/// `bundler::bundle_in`).
pub fn bundle_server_inspecting<T>(
    project: &Project,
    emit: EmitOptions,
    inspect: impl FnOnce(&ModuleGraph) -> T,
) -> Result<(PathBuf, Inspected<T>)> {
    bundle_server_in(project, &mut Session::default(), emit, inspect)
}

/// `bundle_server_inspecting` in a `--watch` session (see `bundler::bundle_in`).
pub fn bundle_server_in<T>(
    project: &Project,
    session: &mut Session,
    emit: EmitOptions,
    inspect: impl FnOnce(&ModuleGraph) -> T,
) -> Result<(PathBuf, Inspected<T>)> {
    let entry = project.server_entry()?;
    let out = project.server_dir().join("dist/bundle.js");
    let bundled = bundle_for_worker(project, session, &entry, &out, emit, inspect);
    Ok((out, bundled))
}

/// `entry` bundled as the server is (one ES module, Workers resolve options) for the output
/// path `out` (not written): the server, and the modules dev and serve run beside it (the
/// platform module, the seed).
pub fn bundle_for_worker<T>(
    project: &Project,
    session: &mut Session,
    entry: &Path,
    out: &Path,
    emit: EmitOptions,
    inspect: impl FnOnce(&ModuleGraph) -> T,
) -> Inspected<T> {
    let link = worker_link();
    let options = worker_options(&project.server_dir());
    let (entries, outfiles) = ([entry.to_path_buf()], [out.to_path_buf()]);
    bundle_in(session, &entries, &outfiles, &options, &link, emit, inspect)
}

/// How a Worker's modules are linked: one ES module, the entry's exports its own.
fn worker_link() -> LinkOptions {
    LinkOptions {
        format: Format::Esm,
        defines: vec![],
        entry_exports: crate::bundler::link::EntryExports::All,
    }
}

/// One `build` of the project's server, written to `server/dist/`.
pub struct Build {
    pub outcome: Result<Written>,
    /// The files the build read (None when it failed before knowing them).
    pub inputs: Option<Vec<PathBuf>>,
    /// The files it wrote (or found already holding what it would have written).
    pub written: Vec<PathBuf>,
}

/// What a build wrote.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Written {
    pub bundle: PathBuf,
    /// The bundle's size, and its size gzipped.
    pub bytes: usize,
    pub gzipped: usize,
    /// Taken from the build cache: nothing it was made of changed since it was made.
    #[serde(skip)]
    pub cached: bool,
    /// Made from the last build: one module changed, and its new statements were put in place
    /// of its old ones (`bundler::splice`).
    #[serde(skip)]
    pub spliced: bool,
    /// What the bundler warned of, as text (kept in the build cache: a build taken from it
    /// warns again).
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Build the server and write it, taking it from the build cache (`.edgespark/cache/build/`)
/// when `use_cache` and nothing it is made of changed, and keeping it there.
pub fn build(
    project: &Project,
    emit: EmitOptions,
    session: &mut Session,
    use_cache: bool,
) -> Build {
    let (mut inputs, mut written) = (None, vec![]);
    let outcome = build_into(project, emit, session, use_cache, &mut inputs, &mut written);
    Build {
        outcome,
        inputs,
        written,
    }
}

/// The build; what it read and wrote go to `inputs` and `written` as soon as they are known
/// (a failed build may know them).
fn build_into(
    project: &Project,
    emit: EmitOptions,
    session: &mut Session,
    use_cache: bool,
    inputs_read: &mut Option<Vec<PathBuf>>,
    files_written: &mut Vec<PathBuf>,
) -> Result<Written> {
    let started = std::time::SystemTime::now();
    // dist/ is written under the project's lock, as deploy writes it.
    let _lock = crate::platform::LocalPlatform::open(project)?;
    let cache = use_cache.then(|| {
        let options = format!("server {:?} {emit:?}", project.server_dir());
        BuildCache::new(&project.root.join(".edgespark/cache"), &options)
    });
    if let Some(hit) = cache.as_ref().and_then(BuildCache::lookup)
        && let Ok(mut written) = serde_json::from_value::<Written>(hit.report)
    {
        let changed: Vec<(PathBuf, &[u8])> = hit
            .outputs
            .iter()
            .filter_map(|(p, bytes)| Some((p.clone(), bytes.as_deref()?)))
            .collect();
        write_all_atomic(&changed)?;
        *inputs_read = Some(hit.sources);
        *files_written = hit.outputs.into_iter().map(|(p, _)| p).collect();
        written.cached = true;
        return Ok(written);
    }
    if let Some(cache) = &cache
        && let Some(written) = spliced(project, emit, cache, inputs_read, files_written)?
    {
        return Ok(written);
    }
    let (out, bundled) = bundle_server_in(project, session, emit, |_| ())?;
    *inputs_read = Some(bundled.watched()).filter(|w| !w.is_empty());
    let inputs = bundled.inputs;
    let warnings = bundled.warnings.iter().map(|w| w.render(false)).collect();
    let emitted = bundled.emitted?;
    let outputs = [out.clone()];
    let text = &emitted[0].code;
    let timer = crate::timing::StageTimer::from_env();
    let files = output_files(&outputs, &emitted);
    let gzipped = written_and_gzipped(cache.as_ref(), &files, text)?;
    *files_written = files.iter().map(|(p, _)| p.clone()).collect();
    let written = Written {
        bundle: out,
        bytes: text.len(),
        gzipped: gzipped.size,
        cached: false,
        spliced: false,
        warnings,
    };
    timer.done("write + gzip");
    if let (Some(cache), Some(inputs)) = (cache, inputs) {
        let report = serde_json::to_value(&written)?;
        let probes = inputs.probes();
        let sections = (emitted[0].sections.iter())
            .map(|s| Section {
                module: s.module.clone(),
                start: s.start,
                end: s.end,
                inbound: s.inbound.clone(),
            })
            .collect();
        cache.store(
            started,
            &inputs.files,
            &inputs.contents,
            probes,
            &files,
            report,
            &[(GZIP_PIECES, &piece_sizes_to_bytes(&gzipped.pieces))],
            sections,
        )?;
        timer.done("cache");
    }
    Ok(written)
}

/// The files written, and the bundle's gzip size measured meanwhile (the sizes of the last
/// build's pieces, kept in `cache`, spare compressing again the pieces an edit left alone).
fn written_and_gzipped(
    cache: Option<&BuildCache>,
    files: &[(PathBuf, &[u8])],
    text: &str,
) -> Result<Gzipped> {
    if let Some(known) = cache.and_then(|c| c.beside(GZIP_PIECES)) {
        remember_piece_sizes(&known);
    }
    // The gzip size is only reported; measure it while the file is written and flushed.
    let (done, gzipped) = std::thread::scope(|s| {
        let gzipped = s.spawn(|| gzip_size(text.as_bytes()));
        (
            write_all_atomic(files),
            gzipped.join().expect("gzip does not panic"),
        )
    });
    done?;
    gzipped
}

/// The build made from the last one when only one of the project's modules changed since, and
/// the change is one `bundler::splice` puts in place of the module's last statements (None:
/// the build is made afresh). Unminified, without a source map: a minified bundle's names
/// depend on every module's, and a source map on every line's place.
fn spliced(
    project: &Project,
    emit: EmitOptions,
    cache: &BuildCache,
    inputs_read: &mut Option<Vec<PathBuf>>,
    files_written: &mut Vec<PathBuf>,
) -> Result<Option<Written>> {
    if emit.minify || emit.sourcemap.is_some() || !emit.runs_alone {
        return Ok(None);
    }
    let timer = crate::timing::StageTimer::from_env();
    let Some(edit) = cache.last_edit() else {
        return Ok(None);
    };
    timer.done("what changed");
    let out = project.server_dir().join("dist/bundle.js");
    let (Ok(bundle), Ok(before), Ok(after)) = (
        std::str::from_utf8(&edit.bundle),
        std::str::from_utf8(&edit.before),
        std::str::from_utf8(&edit.after),
    ) else {
        return Ok(None);
    };
    let Ok(mut written) = serde_json::from_value::<Written>(edit.report().clone()) else {
        return Ok(None);
    };
    if edit.output() != crate::project::paths::absolute(&out)? {
        return Ok(None);
    }
    let change = crate::bundler::splice::Edit {
        bundle,
        section: edit.section,
        path: &edit.path,
        inbound: &edit.inbound,
        before,
        after,
    };
    let options = worker_options(&project.server_dir());
    let Some((text, section_len)) =
        crate::bundler::splice::splice(&change, &options, &worker_link())
    else {
        return Ok(None);
    };
    timer.done("splice");
    let files = [(out.clone(), text.as_bytes())];
    let gzipped = written_and_gzipped(Some(cache), &files, &text)?;
    *files_written = vec![out];
    *inputs_read = Some(edit.sources());
    written.bytes = text.len();
    written.gzipped = gzipped.size;
    written.spliced = true;
    timer.done("write + gzip");
    let report = serde_json::to_value(&written)?;
    let pieces = piece_sizes_to_bytes(&gzipped.pieces);
    cache.store_edit(
        edit,
        text.as_bytes(),
        section_len,
        report,
        &[(GZIP_PIECES, &pieces)],
    )?;
    timer.done("cache");
    Ok(Some(written))
}

/// Where the build cache keeps the last build's gzip piece sizes.
const GZIP_PIECES: &str = "gzip-pieces";

/// The sizes of the pieces `gzip_size` compressed, by a key of each piece's bytes and the
/// window before it: what a rebuild need not compress again.
static PIECE_SIZES: std::sync::LazyLock<std::sync::Mutex<FxHashMap<[u8; 32], usize>>> =
    std::sync::LazyLock::new(Default::default);

fn piece_sizes() -> std::sync::MutexGuard<'static, FxHashMap<[u8; 32], usize>> {
    PIECE_SIZES.lock().unwrap_or_else(|e| e.into_inner())
}

/// The size of bytes gzipped, and of each piece it was measured in (by its key).
pub struct Gzipped {
    pub size: usize,
    pub pieces: Vec<([u8; 32], usize)>,
}

/// The size the bytes take gzipped (default level), as served over HTTP: the length of
/// `gzip`'s stream, made without the stream. Each piece's compressed size is remembered by its
/// bytes and the window before it, and the pieces are cut by content: a rebuild (a watch's, or
/// one whose sizes `remember_piece_sizes` was given) compresses again only the pieces around
/// what changed.
pub fn gzip_size(bytes: &[u8]) -> Result<Gzipped> {
    let pieces: Vec<([u8; 32], usize)> = pieces(bytes)
        .par_iter()
        .map(|&(start, end)| {
            let (dictionary, piece) = (
                &bytes[start.saturating_sub(WINDOW)..start],
                &bytes[start..end],
            );
            let last = end == bytes.len();
            let mut key = blake3::Hasher::new();
            key.update(&(dictionary.len() as u64).to_le_bytes());
            key.update(dictionary);
            key.update(&[u8::from(last)]);
            key.update(piece);
            let key = *key.finalize().as_bytes();
            if let Some(&size) = piece_sizes().get(&key) {
                return Ok((key, size));
            }
            let size = deflate(dictionary, piece, last)?.len();
            piece_sizes().insert(key, size);
            Ok((key, size))
        })
        .collect::<Result<_>>()?;
    let mut sizes = piece_sizes();
    // Bounded: a rebuild adds the few pieces it changed; 65,536 sizes are gigabytes of bundle.
    if sizes.len() > 1 << 16 {
        sizes.clear();
    }
    Ok(Gzipped {
        size: GZIP_HEADER.len() + pieces.iter().map(|(_, n)| n).sum::<usize>() + 8,
        pieces,
    })
}

/// Piece sizes as kept in a file: per piece its 32-byte key and its size (8 bytes, little
/// endian).
pub fn piece_sizes_to_bytes(pieces: &[([u8; 32], usize)]) -> Vec<u8> {
    pieces
        .iter()
        .flat_map(|(key, size)| key.iter().copied().chain((*size as u64).to_le_bytes()))
        .collect()
}

/// Take the piece sizes `piece_sizes_to_bytes` wrote (another process's) as known. Bytes of
/// another shape are ignored: a size is only reported, never trusted to make output.
pub fn remember_piece_sizes(bytes: &[u8]) {
    if !bytes.len().is_multiple_of(40) {
        return;
    }
    let mut sizes = piece_sizes();
    for record in bytes.chunks_exact(40) {
        let (key, size) = record.split_at(32);
        let key: [u8; 32] = key.try_into().expect("32 bytes");
        let size = u64::from_le_bytes(size.try_into().expect("8 bytes"));
        sizes.insert(key, size as usize);
    }
}

/// RFC 1952: magic, deflate, no flags, no time, no extra flags, unknown OS.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
/// Deflate's window: each piece is primed with this much of what comes before it.
const WINDOW: usize = 32 * 1024;

/// Where the bytes are cut into pieces to compress (start, end): at least 32 KiB each, at most
/// 128 KiB, cut where a rolling hash of the last 64 bytes has its top 15 bits clear (about
/// 64 KiB apart). Cut by content, the pieces after an edit are those of the text before it.
fn pieces(bytes: &[u8]) -> Vec<(usize, usize)> {
    const MIN: usize = 32 * 1024;
    const MAX: usize = 128 * 1024;
    const CUT: u64 = 0x7fff << 49;
    let mut out = vec![];
    let mut start = 0;
    while start < bytes.len() {
        let rest = &bytes[start..];
        let mut end = rest.len().min(MAX);
        if rest.len() > MIN {
            let mut hash: u64 = 0;
            for (i, &b) in rest.iter().enumerate().take(end).skip(MIN - 64) {
                hash = (hash << 1).wrapping_add(GEAR[b as usize]);
                if i >= MIN && hash & CUT == 0 {
                    end = i + 1;
                    break;
                }
            }
        }
        out.push((start, start + end));
        start += end;
    }
    if out.is_empty() {
        out.push((0, 0));
    }
    out
}

/// The rolling hash's value per byte: fixed (splitmix64 of the byte), so cuts are the same on
/// every machine.
const GEAR: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut z = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        table[i] = z ^ (z >> 31);
        i += 1;
    }
    table
};

/// `piece` as raw deflate, primed with `dictionary`; ended (`last`) or sync-flushed.
fn deflate(dictionary: &[u8], piece: &[u8], last: bool) -> Result<Vec<u8>> {
    let mut c = Compress::new(Compression::default(), false);
    if !dictionary.is_empty() {
        c.set_dictionary(dictionary).context("gzip")?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    let mut out = Vec::with_capacity(piece.len() / 2 + 1024);
    loop {
        let consumed = c.total_in() as usize;
        let status = c
            .compress_vec(&piece[consumed..], &mut out, flush)
            .context("gzip")?;
        let room_left = out.len() < out.capacity();
        match status {
            Status::StreamEnd => return Ok(out),
            _ if !last && c.total_in() as usize == piece.len() && room_left => return Ok(out),
            _ => out.reserve(out.capacity().max(1024)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    /// The stream `gzip_size` measures: the bytes gzipped (default level) in `pieces` on all
    /// threads, as pigz does: each piece primed with the 32 KiB before it, all but the last
    /// ending with a sync flush; one valid gzip stream a few bytes per piece larger than a
    /// one-thread one.
    fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
        let pieces: Vec<Result<Vec<u8>>> = pieces(bytes)
            .par_iter()
            .map(|&(start, end)| {
                deflate(
                    &bytes[start.saturating_sub(WINDOW)..start],
                    &bytes[start..end],
                    end == bytes.len(),
                )
            })
            .collect();
        let mut out = GZIP_HEADER.to_vec();
        for piece in pieces {
            out.extend(piece?);
        }
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        out.extend(crc.sum().to_le_bytes());
        out.extend((bytes.len() as u32).to_le_bytes());
        Ok(out)
    }

    #[test]
    fn gzip_in_pieces_is_one_stream_about_the_size_of_a_one_thread_one() {
        let text: String = (0..20_000)
            .map(|i| format!("var v{i}=f({}, \"{}\");", i % 97, i % 13))
            .collect();
        let mut back = String::new();
        flate2::read::GzDecoder::new(&gzip(text.as_bytes()).unwrap()[..])
            .read_to_string(&mut back)
            .unwrap();
        assert!(text.len() > 5 * 64 * 1024 && back == text);
        let mut one = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
        std::io::Write::write_all(&mut one, text.as_bytes()).unwrap();
        let (pieces, one) = (
            gzip_size(text.as_bytes()).unwrap().size,
            one.finish().unwrap().len(),
        );
        // zlib-rs itself lands within ~1.5% of zlib either way on real bundles.
        assert!(pieces.abs_diff(one) * 33 < one, "{pieces} vs {one}");
        assert_eq!(gzip(b"").unwrap().len(), gzip_size(b"").unwrap().size);
        assert_eq!(gzip(text.as_bytes()).unwrap().len(), pieces);
    }

    #[test]
    fn piece_sizes_kept_in_a_file_are_taken_as_known() {
        // A text of its own: the sizes are the process's, shared with the other tests.
        let text: Vec<u8> = (0..30_000)
            .flat_map(|i| format!("let kept{i} = g({}, '{}');", i % 89, i % 7).into_bytes())
            .collect();
        let measured = gzip_size(&text).unwrap();
        assert!(measured.pieces.len() > 3);
        let kept = piece_sizes_to_bytes(&measured.pieces);
        assert_eq!(kept.len(), 40 * measured.pieces.len());
        // Sizes from a file (here each one byte more than measured) are used as they are.
        let claimed: Vec<([u8; 32], usize)> =
            measured.pieces.iter().map(|&(k, n)| (k, n + 1)).collect();
        remember_piece_sizes(b"a file of another shape is ignored");
        remember_piece_sizes(&piece_sizes_to_bytes(&claimed));
        let again = gzip_size(&text).unwrap();
        assert_eq!(again.size, measured.size + claimed.len());
        assert_eq!(again.pieces, claimed);
    }

    #[test]
    fn pieces_are_cut_by_content_so_an_edit_moves_the_cuts_after_it_with_the_text() {
        let text: Vec<u8> = (0..60_000)
            .flat_map(|i| format!("var v{i}=f({}, \"{}\");", i % 97, i * 7 % 13).into_bytes())
            .collect();
        let before = pieces(&text);
        assert!(before.len() > 10, "{} pieces", before.len());
        assert!(
            before.windows(2).all(|w| w[0].1 == w[1].0) && before.last().unwrap().1 == text.len()
        );
        let mut edited = text.clone();
        edited.splice(1000..1000, *b"/* an edit */");
        let after: Vec<(usize, usize)> = pieces(&edited)
            .into_iter()
            .map(|(s, e)| (s - 13.min(s), e - 13))
            .collect();
        // All but the first piece or two are the same bytes as before, 13 further on.
        let same = after.iter().filter(|p| before.contains(p)).count();
        assert!(
            same + 2 >= before.len(),
            "{same} of {} pieces kept",
            before.len()
        );
    }
}
