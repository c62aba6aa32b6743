//! Swap a whole bundle into its folder in one step, so a reader sees the old bundle or the new
//! one, never a mix.
//!
//! The bundle is written into a fresh staging folder beside the target (same file system); the
//! target's other entries (a sign-off, an action log, a user's notes) are hard-linked into it,
//! or copied where links are not supported; then the two folders are exchanged. The staging
//! name then holds the old folder, which is removed. A bundle's own names are replaced: its
//! files, and in its folders (`figures/`) the figures s1557 draws (`*.png`); anything else in
//! those folders is kept.
//!
//! A folder holding other folders, or holding the working directory, is not swapped (moving a
//! user's folders is not the harness's business): the caller writes it file by file.

use super::cleanup;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A folder ready to be swapped: its real path, its permissions, and what to carry over.
pub(super) struct Plan {
    target: PathBuf,
    permissions: std::fs::Permissions,
    carry: Vec<(PathBuf, Carry)>,
}

enum Carry {
    /// A file, with its identity when planned.
    File(Option<Identity>),
    Link(PathBuf),
}

/// A file's device, inode, size and modification time: a file replaced since (saved by an
/// editor) has another inode, one written in place another time or size.
#[cfg(unix)]
fn identity(p: &Path) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(p)
        .ok()
        .map(|m| (m.dev(), m.ino(), m.size(), m.mtime(), m.mtime_nsec()))
}

#[cfg(not(unix))]
fn identity(_: &Path) -> Option<Identity> {
    None
}

type Identity = (u64, u64, u64, i64, i64);

/// More entries than this to carry over: not a bundle folder; written file by file.
const MAX_CARRIED: usize = 10_000;

/// How `dir` can take `files` in one swap, or `None` when it must be written file by file.
/// A bundle file name held by a folder in `dir` is an error (nothing is written).
pub(super) fn plan(dir: &Path, files: &[(&str, &[u8])]) -> std::io::Result<Option<Plan>> {
    if cfg!(not(unix)) {
        return Ok(None);
    }
    let target = fs_err::canonicalize(dir)?;
    let cwd = std::env::current_dir().and_then(std::fs::canonicalize);
    if target.parent().is_none() || cwd.is_ok_and(|c| c.starts_with(&target)) {
        return Ok(None);
    }
    let mut carry = Vec::new();
    for entry in fs_err::read_dir(&target)? {
        let entry = entry?;
        let name = PathBuf::from(entry.file_name());
        let kind = entry.file_type()?;
        let owned_folder = files.iter().any(|(f, _)| Path::new(f).starts_with(&name))
            && !files.iter().any(|(f, _)| Path::new(f) == name);
        if owned_folder && kind.is_dir() {
            if !carry_inside(&target, &name, files, &mut carry)? {
                return Ok(None);
            }
        } else if files.iter().any(|(f, _)| Path::new(f) == name) || owned_folder {
            if kind.is_dir() != owned_folder {
                return Err(std::io::Error::other(format!(
                    "`{}` is a {} in {}; s1557 writes a {} there: move it away",
                    name.display(),
                    if kind.is_dir() { "folder" } else { "file" },
                    target.display(),
                    if owned_folder { "folder" } else { "file" },
                )));
            }
        } else if !carry_entry(&target, name, &kind, &mut carry)? {
            return Ok(None);
        }
        if carry.len() > MAX_CARRIED {
            return Ok(None);
        }
    }
    let permissions = fs_err::metadata(&target)?.permissions();
    Ok(Some(Plan {
        target,
        permissions,
        carry,
    }))
}

/// Carry a plain file or a symbolic link; anything else (a folder, a socket) is not swapped.
fn carry_entry(
    target: &Path,
    rel: PathBuf,
    kind: &std::fs::FileType,
    carry: &mut Vec<(PathBuf, Carry)>,
) -> std::io::Result<bool> {
    if kind.is_symlink() {
        let dest = fs_err::read_link(target.join(&rel))?;
        carry.push((rel, Carry::Link(dest)));
    } else if kind.is_file() {
        let id = identity(&target.join(&rel));
        carry.push((rel, Carry::File(id)));
    } else {
        return Ok(false);
    }
    Ok(true)
}

/// In a bundle's own folder, keep what s1557 did not draw: files other than `*.png`.
fn carry_inside(
    target: &Path,
    folder: &Path,
    files: &[(&str, &[u8])],
    carry: &mut Vec<(PathBuf, Carry)>,
) -> std::io::Result<bool> {
    for entry in fs_err::read_dir(target.join(folder))? {
        let entry = entry?;
        let rel = folder.join(entry.file_name());
        let drawn = rel.extension().is_some_and(|e| e == "png");
        if drawn || files.iter().any(|(f, _)| Path::new(f) == rel) {
            continue;
        }
        if !carry_entry(target, rel, &entry.file_type()?, carry)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// An error that says the system will not do this step here, rather than that the write failed.
fn refused(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        e.kind(),
        K::PermissionDenied | K::CrossesDevices | K::ResourceBusy
    )
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A fresh name beside `target`: `.{name}.s1557-{what}-{pid}-{n}`.
fn sibling(target: &Path, what: &str) -> PathBuf {
    let base = target.file_name().unwrap_or_default().to_string_lossy();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    target.with_file_name(format!(".{base}.s1557-{what}-{pid}-{n}"))
}

/// The staging folder: removed with whatever it holds when dropped (the new bundle before the
/// swap, the old folder after it), and removed by the interrupt handler meanwhile.
struct Staging(PathBuf);

impl Staging {
    fn create(target: &Path) -> std::io::Result<Staging> {
        loop {
            let path = sibling(target, "new");
            let made = cleanup::critical(|pending| {
                let made = std::fs::create_dir(&path);
                if made.is_ok() {
                    pending.push(path.clone());
                }
                made
            });
            match made {
                Ok(()) => return Ok(Staging(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    let parent = target.parent().unwrap_or(target);
                    return Err(std::io::Error::new(
                        e.kind(),
                        format!("cannot create a folder in {}: {e}", parent.display()),
                    ));
                }
            }
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        cleanup::untrack(&self.0);
    }
}

impl Plan {
    /// Write the bundle, carry the rest over, and swap. `Ok(false)`: the system refused a step
    /// (no right to create a folder beside the target, to link or copy another user's file, or
    /// to move the folder: a shared sticky folder, a mount point): nothing changed, and the
    /// caller writes file by file.
    pub(super) fn swap_in(&self, files: &[(&str, &[u8])]) -> std::io::Result<bool> {
        match self.try_swap(files) {
            Err(e) if refused(&e) => Ok(false),
            other => other.map(|()| true),
        }
    }

    fn try_swap(&self, files: &[(&str, &[u8])]) -> std::io::Result<()> {
        let staging = Staging::create(&self.target)?;
        fs_err::set_permissions(&staging.0, self.permissions.clone())?;
        // Each file is written with interrupts held off, so an interrupt never removes the
        // staging folder while a file is being made in it.
        for (name, bytes) in files {
            let path = staging.0.join(name);
            cleanup::critical(|_| -> std::io::Result<()> {
                if let Some(folder) = path.parent() {
                    fs_err::create_dir_all(folder)?;
                }
                let mut f = fs_err::File::create(&path)?;
                f.write_all(bytes)?;
                f.sync_all()
            })?;
        }
        for (rel, how) in &self.carry {
            cleanup::critical(|_| self.carry_one(&staging.0, rel, how))?;
        }
        std::fs::File::open(&staging.0)?.sync_all()?;
        stall_for_tests();
        // The new folder is locked before it is swapped in, so no other run can take it while
        // the old one is emptied; the exchange and the rescue run with interrupts held off.
        let _lock = super::write::lock(&staging.0, false)?;
        cleanup::critical(|_| -> std::io::Result<()> {
            exchange(&staging.0, &self.target)?;
            // The staging name now holds the old folder: keep what arrived in it since the plan.
            if !self.rescue(&staging.0, files) {
                let kept = sibling(&self.target, "kept");
                std::fs::rename(&staging.0, &kept)?;
                return Err(std::io::Error::other(format!(
                    "the new files are in place, but some saved into the folder while it was written could not be moved into it: they are kept in {}",
                    kept.display()
                )));
            }
            Ok(())
        })?;
        if let Some(parent) = self.target.parent() {
            let _ = std::fs::File::open(parent).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    /// Move into the new folder whatever the old one gained or had replaced after the plan (a
    /// file an editor saved meanwhile), so removing the old folder loses nothing of the user's.
    fn rescue(&self, old: &Path, files: &[(&str, &[u8])]) -> bool {
        let owned = |rel: &Path| files.iter().any(|(f, _)| Path::new(f) == rel);
        let look = |rel: PathBuf| -> bool {
            let from = old.join(&rel);
            let Ok(m) = std::fs::symlink_metadata(&from) else {
                return true;
            };
            let unchanged = !m.is_dir()
                && self.carry.iter().any(|(r, c)| {
                    r == &rel
                        && match c {
                            Carry::File(id) => id.is_some() && *id == identity(&from),
                            Carry::Link(dest) => {
                                std::fs::read_link(&from).ok().as_ref() == Some(dest)
                            }
                        }
                });
            unchanged || std::fs::rename(&from, self.target.join(&rel)).is_ok()
        };
        let Ok(entries) = std::fs::read_dir(old) else {
            return false;
        };
        let mut all = true;
        for e in entries.flatten() {
            let name = PathBuf::from(e.file_name());
            let folder =
                files.iter().any(|(f, _)| Path::new(f).starts_with(&name)) && !owned(&name);
            if folder && e.file_type().is_ok_and(|t| t.is_dir()) {
                for inner in std::fs::read_dir(e.path()).into_iter().flatten().flatten() {
                    let rel = name.join(inner.file_name());
                    if !owned(&rel) && rel.extension().is_none_or(|x| x != "png") {
                        all &= look(rel);
                    }
                }
            } else if !owned(&name) && !folder {
                all &= look(name);
            }
        }
        all
    }

    fn carry_one(&self, staging: &Path, rel: &Path, how: &Carry) -> std::io::Result<()> {
        let to = staging.join(rel);
        if let Some(folder) = to.parent() {
            fs_err::create_dir_all(folder)?;
        }
        match how {
            Carry::File(_) => {
                let from = self.target.join(rel);
                if std::fs::hard_link(&from, &to).is_err() {
                    fs_err::copy(&from, &to)?;
                }
            }
            #[cfg(unix)]
            Carry::Link(dest) => std::os::unix::fs::symlink(dest, &to)?,
            #[cfg(not(unix))]
            Carry::Link(_) => {}
        }
        Ok(())
    }
}

/// Debug builds only: `S1557_STALL_BEFORE_SWAP_MS` holds the staged bundle before the swap, so
/// a test can interrupt the run there.
fn stall_for_tests() {
    if cfg!(debug_assertions) {
        if let Some(ms) = std::env::var("S1557_STALL_BEFORE_SWAP_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
        {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }
}

/// Exchange the two folders in one step where the system can (Linux); else rename the target
/// aside, the staging folder in, and the old folder to the staging name.
fn exchange(staging: &Path, target: &Path) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        use rustix::io::Errno;
        match renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(()),
            Err(e) if e == Errno::INVAL || e == Errno::NOSYS || e == Errno::OPNOTSUPP => {}
            Err(e) => return Err(e.into()),
        }
    }
    let aside = sibling(target, "old");
    std::fs::rename(target, &aside)?;
    if let Err(e) = std::fs::rename(staging, target) {
        let _ = std::fs::rename(&aside, target);
        return Err(e);
    }
    std::fs::rename(&aside, staging)
}
