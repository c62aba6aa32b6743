//! The one place that writes output files, atomically.
//!
//! A bundle (artifact, reports, figures) is whole or absent: it is written into a fresh staging
//! folder beside the target, the target's other files are linked into it, and the staging
//! folder is swapped with the target in one step (`renameat2` with `RENAME_EXCHANGE` on Linux;
//! elsewhere two renames, between which the folder is briefly absent, never mixed). See
//! [`super::swap`]. A failure or an interrupt before the swap leaves the target as it was and
//! removes the staging folder. Two runs cannot write into one folder at once (an advisory lock
//! on the folder), a symbolic link inside the target is replaced rather than followed, and new
//! files take the user's umask like any other program's (the outputs hold every count: a umask
//! of 077 keeps them private).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary file beside its target, removed on drop unless renamed into place.
pub struct Staged {
    pub file: File,
    path: PathBuf,
    done: bool,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl Staged {
    /// A new file `.{name}.{pid}.{n}.tmp` in `folder`, created with the umask's permissions.
    pub fn new(folder: &Path, name: &str) -> std::io::Result<Staged> {
        loop {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = folder.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
            let opened = super::cleanup::critical(|pending| {
                let f = OpenOptions::new().write(true).create_new(true).open(&path);
                if f.is_ok() {
                    pending.push(path.clone());
                }
                f
            });
            match opened {
                Ok(file) => {
                    return Ok(Staged {
                        file,
                        path,
                        done: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(std::io::Error::new(
                        e.kind(),
                        format!("cannot create a file in {}: {e}", folder.display()),
                    ))
                }
            }
        }
    }

    /// Rename into place (replacing a file or a symbolic link at `target`, never following it).
    pub fn persist(mut self, target: &Path) -> std::io::Result<()> {
        self.file.sync_all()?;
        fs_err::rename(&self.path, target)?;
        self.done = true;
        super::cleanup::untrack(&self.path);
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
            super::cleanup::untrack(&self.path);
        }
    }
}

/// An advisory lock on the folder itself (no lock file left behind): a bundle takes it
/// exclusively, a single file shared, so a bundle and anything else writing into the folder
/// exclude each other while single files may be written side by side. Where a folder cannot be
/// locked (some network file systems, Windows) the write goes ahead unlocked. A bundle swap
/// replaces the folder: a lock taken on the folder just swapped out is taken again on the new.
pub fn lock(dir: &Path, shared: bool) -> std::io::Result<Option<File>> {
    for _ in 0..10 {
        let Ok(f) = File::open(dir) else {
            return Ok(None);
        };
        let taken = if shared {
            f.try_lock_shared()
        } else {
            f.try_lock()
        };
        match taken {
            Ok(()) if same_folder(&f, dir) => return Ok(Some(f)),
            Ok(()) => continue,
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(std::io::Error::other(format!(
                    "another s1557 run is writing into {}; wait for it to finish",
                    dir.display()
                )))
            }
            Err(std::fs::TryLockError::Error(_)) => return Ok(None),
        }
    }
    Err(std::io::Error::other(format!(
        "another s1557 run keeps replacing {}; wait for it to finish",
        dir.display()
    )))
}

/// Whether the open folder is still the one at `dir` (not swapped out since it was opened).
#[cfg(unix)]
fn same_folder(f: &File, dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), std::fs::metadata(dir)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_folder(_: &File, _: &Path) -> bool {
    true
}

/// Write `(file name, contents)` pairs into `dir`, creating it if needed. A name may hold one
/// folder (`figures/a.png`), created inside `dir`.
/// The bundle is swapped in whole (see the module notes); a folder that cannot be swapped (it
/// holds other folders, or is the working directory) is written file by file.
pub fn write_bundle(dir: &Path, files: &[(&str, &[u8])]) -> std::io::Result<()> {
    fs_err::create_dir_all(dir)?;
    let _lock = lock(dir, false)?;
    match super::swap::plan(dir, files)? {
        Some(plan) if plan.swap_in(files)? => Ok(()),
        _ => write_staged(dir, files),
    }
}

/// Write each file to a temporary file beside its target, then rename them all into place.
pub(super) fn write_staged(dir: &Path, files: &[(&str, &[u8])]) -> std::io::Result<()> {
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let target = dir.join(name);
        let folder = target.parent().unwrap_or(dir);
        fs_err::create_dir_all(folder)?;
        let base = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let mut tmp = Staged::new(folder, base)?;
        tmp.file.write_all(bytes)?;
        staged.push((tmp, target));
    }
    for (tmp, _) in &staged {
        tmp.file.sync_all()?;
    }
    // The renames run with interrupts held off, so an interrupt never leaves a mix of old and
    // new files; each staged file is forgotten as it is renamed.
    super::cleanup::critical(|pending| {
        for (tmp, target) in &mut staged {
            fs_err::rename(&tmp.path, &*target)?;
            tmp.done = true;
            pending.retain(|p| p != &tmp.path);
        }
        Ok(())
    })
}

/// Write one file atomically.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    // A shared lock: two commands may write different files into one folder at once, but not
    // while a bundle is being swapped into it (the file would be lost with the old folder).
    fs_err::create_dir_all(dir)?;
    let _lock = lock(dir, true)?;
    write_staged(dir, &[(name, bytes)])
}
