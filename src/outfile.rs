//! Files simroute writes (`--report`, `--charts`, `generate-log --out`): checked
//! before any work, written through exclusive temporary files, renamed into place
//! at the end, and never left half-written or behind.
//!
//! Why: an output path is the user's word, and a mistake in it must not cost
//! them a file. The rules, documented in scenarios/README.md §5.6:
//!
//! - **Checked first.** [`check`] runs before a simulation starts: the folder
//!   exists (or can be created, for `--charts`), the file name fits the file
//!   system, and whatever is at the path may be replaced. A refusal is a usage
//!   error (exit 2) and creates nothing.
//! - **Only a regular file the user named is replaced.** A symbolic link is
//!   refused (writing would either replace the link or overwrite its target), as
//!   are a folder, a device, a pipe or a socket (`--report /dev/full` used to
//!   replace the device with a regular file), a read-only file, and any input of
//!   the run (the scenario, its pricing table, a log, an eval set) compared by
//!   identity, not by name. `generate-log` replaces an existing file only with
//!   `--force`.
//! - **Exclusive, unpredictable temporary files.** Each file is written to a
//!   temporary file created with `O_EXCL` under a random name in the destination
//!   folder (the `tempfile` crate), so a link planted in a shared folder cannot
//!   redirect the write; it is renamed over the destination only once every file
//!   of the command is written. A failure removes the temporary files.
//! - **Interrupted, nothing is left.** Temporary files in progress are listed in
//!   a registry that the Ctrl-C (SIGINT, SIGTERM) handler installed by
//!   [`remove_temporaries_on_interrupt`] empties before the process exits with
//!   code 130.

use std::fs::{self, File, Metadata};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::input::UsageError;

/// The longest file name most file systems take, in bytes (NAME_MAX).
pub const MAX_NAME_BYTES: usize = 255;

/// What may already be at a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// A regular file the user named is replaced (`--report`, `--charts`).
    Allowed,
    /// An existing file is replaced only with `--force` (`generate-log --out`).
    WithForce { force: bool },
}

/// One file a command will write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// How messages name it: the flag and what the user typed, e.g.
    /// `--report review.md` or `--charts out: out/support-latency.svg`.
    pub shown: String,
    pub path: PathBuf,
    /// Whether a missing folder is created (`--charts DIR`) rather than an error.
    pub makes_folder: bool,
}

/// The folder a file goes in: its parent, or `.` for a bare name.
pub fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Checks every planned file before any work is done. `inputs` are the run's
/// input files (the scenario, its pricing table, logs, eval set). Nothing is
/// created: a missing `--charts` folder is only checked to be creatable.
pub fn check(planned: &[Planned], inputs: &[PathBuf], replace: Replace) -> Result<(), UsageError> {
    let input_ids: Vec<(PathBuf, Metadata)> = inputs
        .iter()
        .filter_map(|p| fs::metadata(p).ok().map(|m| (p.clone(), m)))
        .collect();
    for (i, p) in planned.iter().enumerate() {
        if let Some(q) = planned[..i].iter().find(|q| q.path == p.path) {
            return Err(UsageError(format!(
                "{}: {} writes the same file; give them different names",
                p.shown, q.shown
            )));
        }
        check_one(p, &input_ids, replace)?;
    }
    Ok(())
}

fn check_one(
    p: &Planned,
    inputs: &[(PathBuf, Metadata)],
    replace: Replace,
) -> Result<(), UsageError> {
    let (path, shown) = (p.path.as_path(), p.shown.as_str());
    let err = |why: String| Err(UsageError(format!("{shown}: {why}")));
    let Some(name) = path.file_name() else {
        return err("names no file; give a file name such as review.md".into());
    };
    if name.len() > MAX_NAME_BYTES {
        return err(format!(
            "the file name is {} bytes long, more than file systems allow ({MAX_NAME_BYTES}); shorten it{}",
            name.len(),
            if p.makes_folder {
                " (chart files are named after scenario.name)"
            } else {
                ""
            }
        ));
    }
    check_folder(folder_of(path), shown, p.makes_folder)?;
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return err(format!("cannot look at the file: {e}")),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return err(
            "is a symbolic link; simroute does not write through links (that would replace the link, or overwrite the file it points to): give the path of a regular file".into(),
        );
    }
    if kind.is_dir() {
        return err("is a folder; give a file name such as review.md".into());
    }
    if !kind.is_file() {
        return err(
            "is not a regular file (a device, pipe or socket); simroute writes only regular files"
                .into(),
        );
    }
    if let Some((input, _)) = inputs
        .iter()
        .find(|(p, m)| same_file((p, m), (path, &meta)))
    {
        return err(format!(
            "is an input of this run ({}); writing there would destroy it",
            input.display()
        ));
    }
    if meta.permissions().readonly() {
        return err(
            "is read-only; simroute does not replace it: make it writable, or give another name"
                .into(),
        );
    }
    if replace == (Replace::WithForce { force: false }) {
        return err("already exists; pass --force to replace it".into());
    }
    Ok(())
}

/// Whether two existing paths are one file: the same device and inode on Unix
/// (hard links and `a/../b` spellings included), the same canonical path
/// elsewhere.
#[cfg(unix)]
fn same_file(a: (&Path, &Metadata), b: (&Path, &Metadata)) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.1.dev(), a.1.ino()) == (b.1.dev(), b.1.ino())
}

#[cfg(not(unix))]
fn same_file(a: (&Path, &Metadata), b: (&Path, &Metadata)) -> bool {
    matches!((a.0.canonicalize(), b.0.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// The folder must exist as a folder that simroute can write in; for `--charts`
/// a missing one is fine where its nearest existing ancestor is such a folder
/// (it is created when the files are written).
fn check_folder(dir: &Path, shown: &str, makes_folder: bool) -> Result<(), UsageError> {
    let mut d = dir;
    loop {
        match fs::metadata(d) {
            // Proven writable by creating and removing an exclusive file in it.
            Ok(m) if m.is_dir() => {
                return tempfile::Builder::new()
                    .prefix(".simroute-check-")
                    .tempfile_in(d)
                    .map(drop)
                    .map_err(|e| {
                        UsageError(format!(
                            "{shown}: cannot write in the folder {}: {e}",
                            d.display()
                        ))
                    });
            }
            Ok(_) => {
                return Err(UsageError(format!(
                    "{shown}: {} is not a folder",
                    d.display()
                )));
            }
            // Not found, or a file where a folder of the path should be: look
            // one level up.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                match d.parent() {
                    Some(up) if !up.as_os_str().is_empty() && makes_folder => d = up,
                    _ => {
                        return Err(UsageError(format!(
                            "{shown}: the folder {} does not exist",
                            d.display()
                        )));
                    }
                }
            }
            Err(e) => {
                return Err(UsageError(format!(
                    "{shown}: cannot look at the folder {}: {e}",
                    d.display()
                )));
            }
        }
    }
}

/// Temporary files being written, removed by the interrupt handler.
static IN_PROGRESS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn register(path: &Path) {
    if let Ok(mut v) = IN_PROGRESS.lock() {
        v.push(path.to_path_buf());
    }
}

fn unregister(path: &Path) {
    if let Ok(mut v) = IN_PROGRESS.lock() {
        v.retain(|p| p != path);
    }
}

/// Installs a Ctrl-C (SIGINT, SIGTERM) handler that removes the temporary files
/// in progress and exits with code 130. Called once, by `main`.
pub fn remove_temporaries_on_interrupt() {
    // An error means a handler is already set (tests calling main twice): keep it.
    let _ = ctrlc::set_handler(|| {
        if let Ok(v) = IN_PROGRESS.lock() {
            for p in v.iter() {
                let _ = fs::remove_file(p);
            }
        }
        eprintln!("interrupted: nothing was written");
        std::process::exit(130);
    });
}

/// A file being written under an exclusive temporary name beside its
/// destination; removed unless [`Staged::commit`]ted.
pub struct Staged {
    tmp: Option<tempfile::TempPath>,
    dest: PathBuf,
}

impl Staged {
    /// Creates the temporary file for `dest` (and `dest`'s folder if missing) and
    /// returns it open for writing.
    pub fn create(dest: &Path) -> io::Result<(Staged, File)> {
        let dir = folder_of(dest);
        fs::create_dir_all(dir)?;
        let mut b = tempfile::Builder::new();
        b.prefix(".simroute-").suffix(".tmp");
        #[cfg(unix)]
        {
            // Created 0666 less the umask, as a plain `File::create` would be;
            // tempfile's default 0600 would hide a report from the user's group.
            use std::os::unix::fs::PermissionsExt;
            b.permissions(fs::Permissions::from_mode(0o666));
        }
        let named = b.tempfile_in(dir)?;
        let (file, tmp) = named.into_parts();
        register(&tmp);
        Ok((
            Staged {
                tmp: Some(tmp),
                dest: dest.to_path_buf(),
            },
            file,
        ))
    }

    /// The destination.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// Renames the temporary file over the destination, after checking once
    /// more that the destination is not a link or a non-regular file (it may
    /// have changed since [`check`]).
    pub fn commit(mut self) -> io::Result<PathBuf> {
        if let Ok(m) = fs::symlink_metadata(&self.dest)
            && !m.file_type().is_file()
        {
            return Err(io::Error::other(
                "it is no longer a regular file (a link, folder or device appeared there while simroute ran)",
            ));
        }
        let tmp = self.tmp.take().expect("committed once");
        let path = tmp.to_path_buf();
        let result = tmp.persist(&self.dest).map_err(|e| e.error);
        unregister(&path);
        result.map(|()| self.dest.clone())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(tmp) = self.tmp.take() {
            unregister(&tmp);
            // Dropping the TempPath removes the file.
        }
    }
}

/// Writes every `(destination, contents)` to its temporary file, then renames
/// them all into place: on a failure while writing, nothing is renamed and no
/// temporary file is left. Returns the destinations, in order.
pub fn write_all(files: &[(PathBuf, &[u8])]) -> Result<Vec<PathBuf>, (PathBuf, io::Error)> {
    let mut staged = Vec::with_capacity(files.len());
    for (dest, bytes) in files {
        let fail = |e| (dest.clone(), e);
        let (s, mut f) = Staged::create(dest).map_err(fail)?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(fail)?;
        staged.push(s);
    }
    staged
        .into_iter()
        .map(|s| {
            let dest = s.dest().to_path_buf();
            s.commit().map_err(|e| (dest, e))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(flag: &str, path: &Path) -> Vec<Planned> {
        vec![Planned {
            shown: format!("{flag} {}", path.display()),
            path: path.to_path_buf(),
            makes_folder: false,
        }]
    }

    fn refused(path: &Path, inputs: &[PathBuf], replace: Replace) -> String {
        check(&planned("--report", path), inputs, replace)
            .unwrap_err()
            .0
    }

    #[test]
    fn only_a_regular_file_the_user_named_may_be_replaced() {
        let d = tempfile::tempdir().unwrap();
        let report = d.path().join("r.md");
        // Missing: fine; existing regular file: fine unless --force is needed.
        check(&planned("--report", &report), &[], Replace::Allowed).unwrap();
        fs::write(&report, "old").unwrap();
        check(&planned("--report", &report), &[], Replace::Allowed).unwrap();
        let e = refused(&report, &[], Replace::WithForce { force: false });
        assert!(e.contains("pass --force"), "{e}");
        check(
            &planned("--report", &report),
            &[],
            Replace::WithForce { force: true },
        )
        .unwrap();
        // An input, by another spelling of its path.
        let spelled = d.path().join(".").join("r.md");
        let e = refused(&spelled, std::slice::from_ref(&report), Replace::Allowed);
        assert!(e.contains("an input of this run"), "{e}");
        // A folder, a device, a link.
        let e = refused(d.path(), &[], Replace::Allowed);
        assert!(e.contains("is a folder"), "{e}");
        let e = refused(Path::new("/dev/null"), &[], Replace::Allowed);
        assert!(e.contains("not a regular file"), "{e}");
        #[cfg(unix)]
        {
            let link = d.path().join("link.md");
            std::os::unix::fs::symlink(&report, &link).unwrap();
            let e = refused(&link, &[], Replace::Allowed);
            assert!(e.contains("symbolic link"), "{e}");
        }
        // A name longer than the file system takes, and a missing folder.
        let long = d.path().join(format!("{}.md", "x".repeat(300)));
        let e = refused(&long, &[], Replace::Allowed);
        assert!(e.contains("303 bytes"), "{e}");
        let e = refused(&d.path().join("no/r.md"), &[], Replace::Allowed);
        assert!(e.contains("does not exist"), "{e}");
    }

    #[test]
    fn a_read_only_file_is_not_replaced() {
        let d = tempfile::tempdir().unwrap();
        let report = d.path().join("r.md");
        fs::write(&report, "old").unwrap();
        let mut p = fs::metadata(&report).unwrap().permissions();
        p.set_readonly(true);
        fs::set_permissions(&report, p).unwrap();
        let e = refused(&report, &[], Replace::Allowed);
        assert!(e.contains("read-only"), "{e}");
    }

    #[test]
    fn write_all_renames_into_place_and_leaves_no_temporary_file() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("sub/a.svg");
        let b = d.path().join("sub/b.svg");
        fs::create_dir(d.path().join("sub")).unwrap();
        fs::write(&b, "old").unwrap();
        let written = write_all(&[(a.clone(), b"A"), (b.clone(), b"B")]).unwrap();
        assert_eq!(written, vec![a.clone(), b.clone()]);
        assert_eq!(fs::read(&a).unwrap(), b"A");
        assert_eq!(fs::read(&b).unwrap(), b"B");
        let names: Vec<_> = fs::read_dir(d.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(IN_PROGRESS.lock().unwrap().is_empty());
    }

    #[test]
    fn a_staged_file_dropped_uncommitted_is_removed() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("log.jsonl");
        let (s, mut f) = Staged::create(&dest).unwrap();
        f.write_all(b"partial").unwrap();
        drop(s);
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 0);
        assert!(!dest.exists());
    }
}
