//! Reading a log on every core: [`fold_log`].
//!
//! A log is one file, or several read as one: a folder (every regular file under
//! it, recursively, hidden ones skipped) or a glob pattern, in path order (see
//! [`log_files`]), as S3 delivers Bedrock's invocation logs, one `.json.gz`
//! object every few minutes. Records are numbered by file ([`Record::file`]) and
//! line, and messages name the file and its line.
//!
//! The caller gives three functions: `init` makes an empty accumulator, `each`
//! adds one record to it (or rejects the record), and `merge` receives the
//! accumulators of the pieces of the log **in log order** (file order, then
//! position in the file). Pieces are parsed in parallel on the rayon pool the
//! caller runs in (`--threads` sizes it); only `merge` runs on the caller's
//! thread, one piece after the other. What comes out depends on the pieces, and
//! the pieces depend only on the log's content, never on the number of threads,
//! so the result does not either; a `merge` that concatenates or adds integers
//! makes it the same as one sequential pass.
//!
//! - **One large file** (Bedrock or JSON Lines): a reader thread reads it,
//!   inflating gzip, and cuts the text into blocks of [`BLOCK_BYTES`] or a little
//!   more: a block ends at the first newline at or after [`BLOCK_BYTES`] bytes,
//!   wherever the reads fell, so blocks depend on the content alone. Each block
//!   knows its first line's number. Each block is parsed by a task of the pool
//!   as soon as it is read, while the reader reads on; the caller merges the
//!   pieces in block order as they are done (a piece done early waits for
//!   those before it). At most two blocks per thread are in flight and as many
//!   wait in the reader's channel: memory is bounded whatever the log's size.
//! - **Several files**: files are read in parallel, one file a piece, a window of
//!   a few files per thread at a time, merged in file order. A file of
//!   [`LARGE_FILE_BYTES`] or more is read alone, in blocks, as one large file
//!   is, so that memory stays bounded.
//! - **CSV** (whose quoted fields may hold newlines, so that a block cannot be
//!   cut at any newline) is read sequentially, one piece per file, through the
//!   same API.
//!
//! Bad records: each piece stops at its first bad record; the pieces are looked
//! at in log order, so the error reported is the log's first, with the same
//! file:line message as a sequential read; a piece after it that failed first
//! does not matter. With `skip_bad_lines` the pieces' counts add up. The
//! [`LogSummary`] (records read, used, skipped, first and last timestamps) is the
//! same as a sequential read's.
//!
//! [`read_log`] is the sequential form, for callers whose function is `FnMut`:
//! the same files, blocks and messages, on the caller's thread.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, TryRecvError, channel, sync_channel};

use rayon::prelude::*;

use super::bedrock::{self, ClassPath};
use super::{
    LogFormat, LogOptions, LogSummary, Record, Reject, Source, Tally, detect_line, is_blank,
    limits, plain, read_csv, trim_end,
};
use crate::input::InputError;

/// Bytes of text in a block of a large file, at least (a block ends at the
/// first newline from there): large enough that a block is a thousand Bedrock
/// records and its accumulator's cost is small, small enough that a batch of
/// blocks per thread is a few MB.
pub const BLOCK_BYTES: usize = 1 << 20;

/// Files of a folder at least this large (on disk) are read one at a time, in
/// blocks, as a single file is; smaller ones are read in parallel, one worker a
/// file, which holds one accumulator per file. S3 delivers Bedrock's logs in
/// objects of a few MB.
pub const LARGE_FILE_BYTES: u64 = 16 << 20;

/// Bytes asked of the reader at a time: more than its buffer, so that the read
/// bypasses it.
const READ_BYTES: usize = 1 << 18;

/// Blocks (or files) per thread handed to the workers at a time: enough that a
/// worker finds the next block ready, few enough to bound memory.
const PER_THREAD: usize = 2;

/// The files of a log, in the order they are read.
#[derive(Debug, Clone, PartialEq)]
pub struct LogFiles {
    /// What the user gave: a file, a folder or a glob pattern.
    pub given: PathBuf,
    /// The files, sorted by path.
    pub files: Vec<PathBuf>,
}

/// The files `path` stands for: itself if it is a file (or does not exist: the
/// read then says so); every regular file under it, recursively, sorted by
/// path, if it is a folder; the files matching it, sorted by path, if it is a
/// glob pattern (`logs/2026/11/*.json.gz`, `logs/**/*.gz`). Files and folders
/// whose name starts with a dot are skipped unless the pattern names the dot.
/// A folder without files, or a pattern matching none, is an error naming it.
pub fn log_files(path: &Path) -> Result<LogFiles, InputError> {
    let text = path.to_string_lossy();
    let (pattern, what) = match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => (
            format!("{}/**/*", glob::Pattern::escape(text.trim_end_matches('/'))),
            "the folder holds no file to read (hidden files, whose name starts with a dot, are skipped)",
        ),
        Err(_) if text.contains(['*', '?', '[']) => (
            text.to_string(),
            "no file matches this pattern (hidden files, whose name starts with a dot, match only a pattern that names the dot)",
        ),
        _ => {
            return Ok(LogFiles {
                given: path.to_path_buf(),
                files: vec![path.to_path_buf()],
            });
        }
    };
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let entries = glob::glob_with(&pattern, options)
        .map_err(|e| InputError::file(path, format!("not a valid glob pattern: {e}")))?;
    let mut files = Vec::new();
    // Each file once, by its canonical path: a link to a folder above (a loop)
    // or a second path to the same file would otherwise read records twice.
    let mut seen = std::collections::HashSet::new();
    // Links to folders are not followed (as fd and ripgrep do): the glob crate
    // would, round a loop until the system says "too many levels of links".
    let base: PathBuf = Path::new(pattern.as_str())
        .components()
        .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
        .collect();
    let through_link = |p: &Path| {
        p.ancestors()
            .skip(1)
            .take_while(|a| a.starts_with(&base) && *a != base)
            .any(|a| std::fs::symlink_metadata(a).is_ok_and(|m| m.file_type().is_symlink()))
    };
    for entry in entries {
        let p = match entry {
            Ok(p) if through_link(&p) => continue,
            Ok(p) => p,
            Err(e) if through_link(e.path()) => continue,
            Err(e) => {
                return Err(InputError::file(
                    e.path(),
                    format!("cannot read it: {}", e.error()),
                ));
            }
        };
        let meta = std::fs::metadata(&p)
            .map_err(|e| InputError::file(&p, format!("cannot read it: {e}")))?;
        if meta.is_dir() {
            continue;
        }
        if !meta.is_file() {
            // A device or a pipe among the logs: refused, not skipped, so that
            // nothing the user pointed at is silently left out.
            return Err(InputError::file(
                &p,
                "it is a device or a pipe, not a log file: a log folder or pattern may hold only regular files",
            ));
        }
        let real = std::fs::canonicalize(&p)
            .map_err(|e| InputError::file(&p, format!("cannot read it: {e}")))?;
        files.push((p, real));
    }
    files.sort();
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|(_, real)| seen.insert(real.clone()))
        .map(|(p, _)| p)
        .collect();
    if files.is_empty() {
        return Err(InputError::file(path, what));
    }
    Ok(LogFiles {
        given: path.to_path_buf(),
        files,
    })
}

/// Streams every record of the log at `path` (a file, a folder or a glob
/// pattern) through `f`, on the caller's thread.
///
/// `f` may reject a record (a class not in the scenario, a model not in the
/// pricing table). A rejected or bad record stops the read with an
/// [`InputError`] naming the file and line, unless `opts.skip_bad_lines`, in
/// which case it is counted by kind in the summary. `read = used + skipped`,
/// always. A log without records, or without a usable one, is an error.
pub fn read_log(
    path: &Path,
    opts: &LogOptions,
    mut f: impl FnMut(&Record) -> Result<(), Reject>,
) -> Result<LogSummary, InputError> {
    let log = Log::new(path, opts)?;
    let mut tally = Tally::default();
    let mut kind = Kind::default();
    for (i, file) in log.files.files.iter().enumerate() {
        let Some(opened) = log.open(file)? else {
            continue;
        };
        kind.check(file, opened.format, opened.src.gzip)?;
        log.read_file(i as u32, opened, &mut tally, &mut f)?;
    }
    kind.summary(&log, tally)
}

/// Reads the log at `path` (a file, a folder or a glob pattern) on the current
/// rayon pool: each piece of the log gets an accumulator from `init`, its
/// records go through `each`, and `merge` receives the accumulators in log
/// order. Errors, skipped records and the summary are as [`read_log`]'s; an
/// error from `merge` stops the read and is returned.
///
/// Made for accumulators with `new`, `add` and `merge`:
/// `fold_log(path, &opts, Acc::new, Acc::add, |a| total.merge(a))`.
pub fn fold_log<A: Send>(
    path: &Path,
    opts: &LogOptions,
    init: impl Fn() -> A + Sync,
    each: impl Fn(&mut A, &Record) -> Result<(), Reject> + Sync,
    mut merge: impl FnMut(A) -> Result<(), InputError>,
) -> Result<LogSummary, InputError> {
    let log = Log::new(path, opts)?;
    let mut tally = Tally::default();
    let mut kind = Kind::default();
    let threads = rayon::current_num_threads().max(1);
    let files = &log.files.files;
    // A file read alone, in blocks: the only one, or a large one.
    let alone = |f: &Path| {
        files.len() == 1 || std::fs::metadata(f).is_ok_and(|m| m.len() >= LARGE_FILE_BYTES)
    };
    let window = PER_THREAD * threads;
    let mut next = 0;
    while next < files.len() {
        let file = &files[next];
        if alone(file) {
            if let Some(opened) = log.open(file)? {
                kind.check(file, opened.format, opened.src.gzip)?;
                let index = next as u32;
                if opened.format == LogFormat::Csv {
                    let mut acc = init();
                    log.read_file(index, opened, &mut tally, &mut |r| each(&mut acc, r))?;
                    merge(acc)?;
                } else {
                    log.pipeline(index, opened, threads, &mut tally, &init, &each, &mut merge)?;
                }
            }
            next += 1;
            continue;
        }
        // Small files: a window of them at a time, one worker a file.
        let first = next;
        while next < files.len() && next - first < window && !alone(&files[next]) {
            next += 1;
        }
        let pieces: Vec<FilePiece<A>> = files[first..next]
            .par_iter()
            .enumerate()
            .map(|(j, file)| {
                let mut acc = init();
                let mut piece_tally = Tally::default();
                let mut opened_kind = None;
                let result = log.open(file).and_then(|opened| {
                    let Some(opened) = opened else { return Ok(()) };
                    opened_kind = Some((opened.format, opened.src.gzip));
                    let i = (first + j) as u32;
                    log.read_file(i, opened, &mut piece_tally, &mut |r| each(&mut acc, r))
                });
                FilePiece {
                    kind: opened_kind,
                    acc,
                    tally: piece_tally,
                    result,
                }
            })
            .collect();
        for (file, piece) in files[first..next].iter().zip(pieces) {
            if let Some((format, gzip)) = piece.kind {
                kind.check(file, format, gzip)?;
            }
            tally.merge(piece.tally);
            piece.result?;
            merge(piece.acc)?;
        }
    }
    kind.summary(&log, tally)
}

/// One file of several, read by one worker.
struct FilePiece<A> {
    kind: Option<(LogFormat, bool)>,
    acc: A,
    tally: Tally,
    result: Result<(), InputError>,
}

/// The format of the log, from its first file with a record, which every other
/// file must share; and whether every file is gzip.
#[derive(Default)]
struct Kind {
    first: Option<(LogFormat, PathBuf)>,
    gzip: bool,
}

impl Kind {
    fn check(&mut self, file: &Path, format: LogFormat, gzip: bool) -> Result<(), InputError> {
        match &self.first {
            None => {
                self.first = Some((format, file.to_path_buf()));
                self.gzip = gzip;
            }
            Some((f, _)) if *f == format => self.gzip &= gzip,
            Some((f, other)) => {
                return Err(InputError::file(
                    file,
                    format!(
                        "this file is a {format}, but {} is a {f}: the files of one log must all be of one format",
                        other.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn summary(self, log: &Log, tally: Tally) -> Result<LogSummary, InputError> {
        let Some((format, _)) = self.first else {
            return Err(InputError::file(
                &log.files.given,
                "the log is empty: no records",
            ));
        };
        tally.summary(&log.files.given, log.files.files.len(), format, self.gzip)
    }
}

/// A log about to be read: its files and how to read them.
struct Log {
    files: LogFiles,
    class: Option<ClassPath>,
    skip: bool,
}

/// A file opened, its format detected from its first non-blank line; `head`
/// holds the bytes read to find it (blank lines and that line).
struct Opened<'p> {
    src: Source<'p>,
    format: LogFormat,
    head: Vec<u8>,
}

impl Log {
    fn new(path: &Path, opts: &LogOptions) -> Result<Self, InputError> {
        if opts.class_field.is_some_and(|c| c.trim().is_empty()) {
            return Err(InputError::file(
                path,
                "the class field is empty: name a field, e.g. requestMetadata.feature",
            ));
        }
        Ok(Log {
            files: log_files(path)?,
            class: opts
                .class_field
                .map(|f| ClassPath::new(f, opts.class_optional)),
            skip: opts.skip_bad_lines,
        })
    }

    /// Opens `file` and reads up to its first non-blank line. A file without
    /// one is an error when it is the whole log, and holds no record when it is
    /// one file of several (`None`).
    fn open<'p>(&self, file: &'p Path) -> Result<Option<Opened<'p>>, InputError> {
        let mut src = Source::open(file)?;
        let mut head = Vec::new();
        let mut line = Vec::with_capacity(1 << 12);
        let mut number = 0u64;
        loop {
            line.clear();
            if src.read_line(&mut line, number + 1)? == 0 {
                if self.files.files.len() > 1 {
                    return Ok(None);
                }
                return Err(InputError::file(file, "the log is empty: no records"));
            }
            number += 1;
            head.extend_from_slice(&line);
            if !is_blank(&line) {
                break;
            }
            // Blank lines are kept for the CSV reader's line numbers: bounded too.
            if head.len() as u64 > limits::MAX_LINE_BYTES {
                return Err(InputError::file(
                    file,
                    format!(
                        "the first {} bytes are blank lines: not a log",
                        crate::numfmt::count(head.len() as f64)
                    ),
                ));
            }
        }
        let format = detect_line(file, &line)?;
        if format == LogFormat::Aggregate {
            return Err(InputError::file(
                file,
                "this is an aggregated traffic file (records summarized by cell), which has no records to read one by one: it is read where a scenario's log, --traffic-log or simroute fit takes it (scenarios/README.md §2.8)",
            ));
        }
        Ok(Some(Opened { src, format, head }))
    }

    /// Reads the rest of an opened file on this thread, into `f` and `tally`.
    fn read_file(
        &self,
        index: u32,
        opened: Opened,
        tally: &mut Tally,
        f: &mut impl FnMut(&Record) -> Result<(), Reject>,
    ) -> Result<(), InputError> {
        let path = opened.src.path;
        if opened.format == LogFormat::Csv {
            let gzip = opened.src.gzip;
            let reader = std::io::Cursor::new(opened.head).chain(opened.src.reader);
            return read_csv(
                path,
                reader,
                self.class.as_ref(),
                gzip,
                self.skip,
                tally,
                &mut |r| with_file(index, r, f),
            );
        }
        let format = opened.format;
        let mut cutter = Cutter::new(opened.src, opened.head);
        while let Some(block) = cutter.next_block() {
            let block = block?;
            self.parse_block(path, index, format, &block, tally, f)?;
        }
        Ok(())
    }

    /// Reads one large JSON file: a reader thread cuts blocks, each block is
    /// parsed by a task on the pool as soon as it is read (at most `window`
    /// blocks in flight), and `merge` takes their pieces in block order.
    #[allow(clippy::too_many_arguments)]
    fn pipeline<A: Send>(
        &self,
        index: u32,
        opened: Opened,
        threads: usize,
        tally: &mut Tally,
        init: &(impl Fn() -> A + Sync),
        each: &(impl Fn(&mut A, &Record) -> Result<(), Reject> + Sync),
        merge: &mut impl FnMut(A) -> Result<(), InputError>,
    ) -> Result<(), InputError> {
        let window = PER_THREAD * threads + 1;
        let (path, format) = (opened.src.path, opened.format);
        let mut cutter = Cutter::new(opened.src, opened.head);
        std::thread::scope(|threads| {
            // The reader stays up to `window` blocks ahead of the workers.
            let (tx, rx) = sync_channel::<Result<Block, InputError>>(window);
            threads.spawn(move || {
                while let Some(block) = cutter.next_block() {
                    // A closed channel: the read stopped (an error); so does this.
                    if tx.send(block).is_err() {
                        break;
                    }
                }
            });
            rayon::in_place_scope(|tasks| {
                let (done_tx, done_rx) = channel::<(usize, Piece<A>)>();
                // Pieces parsed but not merged yet, by block index.
                let mut parsed: BTreeMap<usize, Piece<A>> = BTreeMap::new();
                let (mut sent, mut merged) = (0, 0);
                let mut reading = true;
                let mut failed = None;
                loop {
                    while reading && sent - merged < window {
                        // Wait for the reader only when no block is in flight.
                        let next = if sent == merged {
                            rx.recv().ok()
                        } else {
                            match rx.try_recv() {
                                Ok(b) => Some(b),
                                Err(TryRecvError::Empty) => break,
                                Err(TryRecvError::Disconnected) => None,
                            }
                        };
                        match next {
                            None => reading = false,
                            Some(Err(e)) => {
                                failed = Some(e);
                                reading = false;
                            }
                            Some(Ok(block)) => {
                                let (i, done) = (sent, done_tx.clone());
                                sent += 1;
                                tasks.spawn(move |_| {
                                    let mut acc = init();
                                    let mut t = Tally::default();
                                    let r = self.parse_block(
                                        path,
                                        index,
                                        format,
                                        &block,
                                        &mut t,
                                        &mut |r| each(&mut acc, r),
                                    );
                                    // The receiver is gone only after an error.
                                    let _ = done.send((i, (acc, t, r)));
                                });
                            }
                        }
                    }
                    if merged == sent {
                        break;
                    }
                    let (i, piece) = recv_helping(&done_rx);
                    parsed.insert(i, piece);
                    while let Some((acc, t, r)) = parsed.remove(&merged) {
                        merged += 1;
                        tally.merge(t);
                        r?;
                        merge(acc)?;
                    }
                }
                // A failed read comes after the records before it.
                failed.map_or(Ok(()), Err)
            })
        })
    }

    /// Parses the lines of a block of a JSON file, stopping at the first bad
    /// record (unless skipping).
    fn parse_block(
        &self,
        path: &Path,
        index: u32,
        format: LogFormat,
        block: &Block,
        tally: &mut Tally,
        f: &mut impl FnMut(&Record) -> Result<(), Reject>,
    ) -> Result<(), InputError> {
        let class = self.class.as_ref();
        let bedrock = format == LogFormat::Bedrock;
        let mut number = block.first_line;
        let mut rest = &block.text[..];
        while !rest.is_empty() {
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &rest[rest.len()..]),
            };
            rest = next;
            let line = trim_end(line);
            if !is_blank(line) {
                let mut use_record = |r: &Record| {
                    with_file(index, r, f)?;
                    tally.timestamp(r.timestamp);
                    Ok(())
                };
                let r = if bedrock {
                    bedrock::parse_line(line, number, class, &mut use_record)
                } else {
                    plain::parse_json_line(line, number, class, &mut use_record)
                };
                tally.outcome(path, self.skip, number, r)?;
            }
            number += 1;
        }
        Ok(())
    }
}

/// A parsed block: its accumulator, its tally, and how its parse ended.
type Piece<A> = (A, Tally, Result<(), InputError>);

/// The next message on `rx`. A thread of the pool runs the pool's pending work
/// (the blocks' parses) while it waits; once there is none, every parse it
/// waits for is running on another thread, and it sleeps until one is done.
fn recv_helping<T>(rx: &Receiver<T>) -> T {
    loop {
        if let Ok(m) = rx.try_recv() {
            return m;
        }
        if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed)) {
            return rx
                .recv()
                .expect("a spawned parse sends its piece before its sender drops");
        }
    }
}

/// Hands `r` to `f` as a record of file `index`.
#[inline]
fn with_file(
    index: u32,
    r: &Record,
    f: &mut impl FnMut(&Record) -> Result<(), Reject>,
) -> Result<(), Reject> {
    if index == 0 {
        f(r)
    } else {
        f(&Record { file: index, ..*r })
    }
}

/// Whole lines of a file, and the number of the first.
#[derive(Debug)]
struct Block {
    first_line: u64,
    text: Vec<u8>,
}

/// Cuts a file's (decompressed) text into [`Block`]s.
struct Cutter<'p> {
    src: Source<'p>,
    /// The start of the next block, read with the last one.
    carry: Vec<u8>,
    /// The number of the next block's first line.
    line: u64,
    /// Bytes of a block, at least ([`BLOCK_BYTES`]; smaller in tests).
    block: usize,
    end: bool,
    /// A read that failed after the lines before it were cut into a block:
    /// returned after that block, so that a bad record before it comes first,
    /// as in a line-by-line read.
    failed: Option<InputError>,
}

impl<'p> Cutter<'p> {
    fn new(src: Source<'p>, head: Vec<u8>) -> Self {
        Cutter {
            src,
            carry: head,
            line: 1,
            block: BLOCK_BYTES,
            end: false,
            failed: None,
        }
    }

    fn next_block(&mut self) -> Option<Result<Block, InputError>> {
        if let Some(e) = self.failed.take() {
            return Some(Err(e));
        }
        if self.end {
            return None;
        }
        let mut buf = std::mem::take(&mut self.carry);
        buf.reserve(self.block + READ_BYTES);
        // Bytes past the block's size already searched for a newline.
        let mut searched = 0;
        loop {
            if buf.len() >= self.block {
                let from = searched.max(self.block - 1);
                if let Some(i) = memchr::memchr(b'\n', &buf[from..]) {
                    self.carry = buf.split_off(from + i + 1);
                    break;
                }
                searched = buf.len();
            }
            // Read straight into the block: a read larger than the reader's
            // buffer bypasses it (one copy less).
            let len = buf.len();
            buf.resize(len + READ_BYTES, 0);
            let read = self.src.reader.read(&mut buf[len..]);
            buf.truncate(len + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => {
                    self.end = true;
                    break;
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // The whole lines before the failure first, then the error
                    // at the line it cut.
                    let cut = memchr::memrchr(b'\n', &buf).map_or(0, |i| i + 1);
                    buf.truncate(cut);
                    let err = self.src.io_error(&e, self.line + newlines(&buf));
                    self.end = true;
                    if buf.is_empty() {
                        return Some(Err(err));
                    }
                    self.failed = Some(err);
                    break;
                }
            }
        }
        if buf.is_empty() {
            return None;
        }
        let first_line = self.line;
        self.line += newlines(&buf);
        Some(Ok(Block {
            first_line,
            text: buf,
        }))
    }
}

fn newlines(text: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', text).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{BadKind, LogOptions};

    /// Every record's (file, line, input), and the read's outcome.
    type Seen = (Vec<(u32, u64, u64)>, Result<LogSummary, InputError>);

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    fn gzip(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::create_dir_all(dir).unwrap();
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&p).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::Write::write_all(&mut enc, text.as_bytes()).unwrap();
        enc.finish().unwrap();
        p
    }

    /// A JSONL record whose input count is `i`, padded to about `pad` bytes.
    fn rec(i: u64, pad: usize) -> String {
        format!(
            "{{\"class\":\"c{}\",\"input_tokens\":{i},\"output_tokens\":1,\"timestamp\":\"2026-01-01T00:00:{:02}Z\",\"model\":\"{}\"}}\n",
            i % 3,
            (i * 7) % 60,
            "m".repeat(pad)
        )
    }

    fn on(
        threads: usize,
        f: impl FnOnce() -> Result<LogSummary, InputError> + Send,
    ) -> Result<LogSummary, InputError> {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(f)
    }

    /// Every record's (file, line, input), through fold_log on `threads`.
    fn folded(path: &Path, opts: &LogOptions, threads: usize) -> Seen {
        let mut all = Vec::new();
        let s = on(threads, || {
            fold_log(
                path,
                opts,
                Vec::new,
                |v: &mut Vec<(u32, u64, u64)>, r| {
                    v.push((r.file, r.line, r.input));
                    Ok(())
                },
                |v| {
                    all.extend(v);
                    Ok(())
                },
            )
        });
        (all, s)
    }

    fn sequential(path: &Path, opts: &LogOptions) -> Seen {
        let mut all = Vec::new();
        let s = read_log(path, opts, |r| {
            all.push((r.file, r.line, r.input));
            Ok(())
        });
        (all, s)
    }

    fn blocks(text: &str, block: usize) -> Vec<Block> {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "x.jsonl", text);
        let src = Source::open(&p).unwrap();
        let mut c = Cutter::new(src, Vec::new());
        c.block = block;
        let mut out = Vec::new();
        while let Some(b) = c.next_block() {
            out.push(b.unwrap());
        }
        out
    }

    #[test]
    fn blocks_end_at_line_boundaries() {
        // A line longer than a block, blank lines, a last line without newline.
        let long = "x".repeat(100);
        let text = format!("ab\ncd\n{long}\n\n\nef\ngh\nijklmnop\nq\nlast");
        let bs = blocks(&text, 16);
        let joined: Vec<u8> = bs.iter().flat_map(|b| b.text.clone()).collect();
        assert_eq!(joined, text.as_bytes());
        let mut line = 1;
        for (i, b) in bs.iter().enumerate() {
            assert_eq!(b.first_line, line, "block {i}");
            line += newlines(&b.text);
            if i + 1 < bs.len() {
                assert_eq!(b.text.last(), Some(&b'\n'));
                assert!(b.text.len() >= 16);
                // Cut at the first newline from the block's size on.
                assert!(!b.text[15..b.text.len() - 1].contains(&b'\n'));
            }
        }
        assert_eq!(bs.last().unwrap().text, b"q\nlast");
        // The long line is one block's end, whole.
        assert!(
            bs.iter()
                .any(|b| b.text.ends_with(format!("{long}\n").as_bytes()))
        );
    }

    #[test]
    fn line_numbers_run_across_blocks_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        let mut want = Vec::new();
        let mut line = 0;
        for i in 0..6000 {
            line += 1;
            text.push_str(&rec(i, 400));
            want.push((0, line, i));
            if i % 11 == 0 {
                text.push('\n');
                line += 1;
            }
        }
        text.pop(); // no newline at the end
        let p = gzip(dir.path(), "big.jsonl.gz", &text);
        assert!(text.len() > 2 * BLOCK_BYTES);
        let opts = LogOptions::default();
        let (seq, s1) = sequential(&p, &opts);
        assert_eq!(seq, want);
        for threads in [1, 4] {
            let (par, s) = folded(&p, &opts, threads);
            assert_eq!(par, want, "{threads} threads");
            assert_eq!(s.unwrap(), s1.clone().unwrap());
        }
    }

    #[test]
    fn the_first_bad_record_in_log_order_wins() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        for i in 0..8000 {
            if i == 50 || i == 7000 {
                text.push_str("{\"input_tokens\":-1,\"output_tokens\":1}\n");
            } else {
                text.push_str(&rec(i, 400));
            }
        }
        let p = write(dir.path(), "bad.jsonl", &text);
        let opts = LogOptions::default();
        let (_, want) = sequential(&p, &opts);
        let want = want.unwrap_err().to_string();
        assert!(want.contains(":51:"), "{want}");
        for threads in [1, 4] {
            let e = on(threads, || {
                fold_log(
                    &p,
                    &opts,
                    || (),
                    |_, r| {
                        // The first block is slow: the later one fails first.
                        if r.line < 50 {
                            std::thread::sleep(std::time::Duration::from_millis(1));
                        }
                        Ok(())
                    },
                    |_| Ok(()),
                )
            })
            .unwrap_err();
            assert_eq!(e.to_string(), want, "{threads} threads");
        }
    }

    #[test]
    fn the_summary_does_not_depend_on_the_threads() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::new();
        for i in 0..9000 {
            match i % 997 {
                3 => text.push_str("not json\n"),
                5 => text.push_str("{\"input_tokens\":5}\n"),
                _ => text.push_str(&rec(i, 300)),
            }
        }
        let p = write(dir.path(), "skip.jsonl", &text);
        let opts = LogOptions {
            class_field: None,
            skip_bad_lines: true,
            class_optional: false,
        };
        let (all, want) = sequential(&p, &opts);
        let want = want.unwrap();
        assert_eq!(want.skipped[&BadKind::Malformed], 10);
        assert_eq!(want.read, 9000);
        for threads in [1, 2, 4] {
            let (par, s) = folded(&p, &opts, threads);
            assert_eq!(s.unwrap(), want, "{threads} threads");
            assert_eq!(par, all);
        }
    }

    #[test]
    fn a_folder_is_one_log_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("logs");
        // Written out of order; sorted by path, recursively; hidden skipped.
        gzip(&d, "b.json.gz", &(rec(3, 1) + &rec(4, 1)));
        write(&d, "a/2.jsonl", &rec(2, 1));
        write(&d, "a/1.jsonl", &(String::from("\n") + &rec(1, 1)));
        write(&d, ".hidden.jsonl", "garbage");
        write(&d, ".git/x.jsonl", "garbage");
        let files = log_files(&d).unwrap();
        let names: Vec<_> = files
            .files
            .iter()
            .map(|f| f.strip_prefix(&d).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            names,
            [
                Path::new("a/1.jsonl"),
                Path::new("a/2.jsonl"),
                Path::new("b.json.gz")
            ]
        );
        let want = vec![(0, 2, 1), (1, 1, 2), (2, 1, 3), (2, 2, 4)];
        let opts = LogOptions::default();
        let (seq, s) = sequential(&d, &opts);
        assert_eq!(seq, want);
        let s = s.unwrap();
        assert_eq!(
            (s.path.as_path(), s.files, s.read, s.gzip),
            (d.as_path(), 3, 4, false)
        );
        assert!(
            s.describe()
                .starts_with(&format!("{} (3 files): 4 records", d.display()))
        );
        for threads in [1, 3] {
            let (par, ps) = folded(&d, &opts, threads);
            assert_eq!(par, want);
            assert_eq!(ps.unwrap(), s);
        }
        // A glob pattern.
        let pattern = d.join("a/*.jsonl");
        let (seq, s) = sequential(&pattern, &opts);
        assert_eq!(seq, [(0, 2, 1), (1, 1, 2)]);
        assert_eq!(s.unwrap().path, pattern);
    }

    #[test]
    fn a_large_file_in_a_folder_is_read_in_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("logs");
        write(&d, "a.jsonl", &rec(1, 1));
        let mut big = String::new();
        let mut i = 0;
        while (big.len() as u64) < LARGE_FILE_BYTES {
            big.push_str(&rec(i, 500));
            i += 1;
        }
        write(&d, "b.jsonl", &big);
        write(&d, "c.jsonl", &(rec(7, 1) + "{\"input_tokens\":1}\n"));
        let opts = LogOptions {
            class_field: None,
            skip_bad_lines: true,
            class_optional: false,
        };
        let (seq, want) = sequential(&d, &opts);
        assert_eq!(seq.len() as u64, i + 2);
        assert_eq!(seq[1], (1, 1, 0));
        assert_eq!(seq.last(), Some(&(2, 1, 7)));
        for threads in [1, 3] {
            let (par, s) = folded(&d, &opts, threads);
            assert_eq!(par, seq);
            assert_eq!(s.unwrap(), want.clone().unwrap());
        }
    }

    #[test]
    fn folder_and_glob_mistakes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let opts = LogOptions::default();
        let empty = dir.path().join("empty");
        std::fs::create_dir_all(empty.join("sub")).unwrap();
        write(&empty, ".hidden", "x");
        let e = folded(&empty, &opts, 2).1.unwrap_err();
        assert_eq!(e.file, empty);
        assert!(e.message.contains("no file"), "{e}");
        let none = dir.path().join("*.nothing");
        let e = read_log(&none, &opts, |_| Ok(())).unwrap_err();
        assert_eq!(e.file, none);
        assert!(e.message.contains("no file matches"), "{e}");
        // Mixed formats: the file that differs is named.
        let mixed = dir.path().join("mixed");
        write(&mixed, "a.jsonl", &rec(1, 1));
        let csv = write(&mixed, "b.csv", "input_tokens,output_tokens\n1,2\n");
        for threads in [1, 2] {
            let e = folded(&mixed, &opts, threads).1.unwrap_err();
            assert_eq!(e.file, csv);
            assert!(e.message.contains("one format"), "{e}");
        }
        // A bad record: its file and line; the first in path order wins.
        let bad = dir.path().join("bad");
        write(&bad, "1.jsonl", &(rec(1, 1) + &rec(2, 1)));
        let second = write(&bad, "2.jsonl", &(rec(3, 1) + "{\"input_tokens\":1}\n"));
        write(&bad, "3.jsonl", "not json\n");
        for threads in [1, 2, 4] {
            let e = folded(&bad, &opts, threads).1.unwrap_err();
            assert_eq!(
                (e.file.as_path(), e.position),
                (second.as_path(), Some((2, 0))),
                "{e}"
            );
        }
        let e = read_log(&bad, &opts, |_| Ok(())).unwrap_err();
        assert_eq!(
            (e.file.as_path(), e.position),
            (second.as_path(), Some((2, 0)))
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_are_read_once_and_pipes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("logs");
        write(&d, "a.jsonl", &rec(1, 1));
        // A link to the folder above (a loop) and a second name for a.jsonl:
        // each file once, by its first path.
        std::os::unix::fs::symlink("..", d.join("loop")).unwrap();
        std::os::unix::fs::symlink("a.jsonl", d.join("b.jsonl")).unwrap();
        let files = log_files(&d).unwrap();
        assert_eq!(files.files, [d.join("a.jsonl")]);
        let (seq, s) = sequential(&d, &LogOptions::default());
        assert_eq!((seq.len(), s.unwrap().files), (1, 1));
        // A named pipe among the logs: refused, naming it, not skipped.
        let fifo = d.join("sub/pipe.jsonl");
        std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            let e = log_files(&d).unwrap_err();
            assert_eq!(e.file, fifo);
            assert!(e.message.contains("device or a pipe"), "{e}");
        }
    }
}
