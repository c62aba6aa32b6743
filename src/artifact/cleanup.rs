//! Temporary paths that must not outlive the process: staged files and staging folders are
//! registered here while they exist, and an interrupt (SIGINT, SIGTERM) removes them
//! before the process exits. A swap of a folder into place runs inside [`critical`], so an
//! interrupt waits for it to finish and then removes whichever tree the staging name holds
//! (the new one before the swap, the old one after): the target folder is never left mixed.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Register a temporary path (a file or a folder) for removal on interrupt.
pub fn track(path: &Path) {
    critical(|p| p.push(path.to_path_buf()));
}

/// Forget a path that has been renamed into place or removed.
pub fn untrack(path: &Path) {
    critical(|p| p.retain(|x| x != path));
}

/// Run `f` with interrupts held off (the clean-up waits until `f` returns), with the list of
/// registered paths at hand: a path created inside `f` and registered there has no moment
/// unregistered, and no file is being written into a staging folder while it is removed.
pub fn critical<T>(f: impl FnOnce(&mut Vec<PathBuf>) -> T) -> T {
    let mut held = pending();
    f(&mut held)
}

fn remove_all(paths: &[PathBuf]) {
    for p in paths {
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => {
                let _ = std::fs::remove_dir_all(p);
            }
            Ok(_) => {
                let _ = std::fs::remove_file(p);
            }
            Err(_) => {}
        }
    }
}

/// Install the interrupt handler (the command-line entry point calls this once): on SIGINT or
/// SIGTERM the registered paths are removed and the process exits with 128 + the
/// signal number, as a shell reports a killed command.
#[cfg(unix)]
pub fn install() {
    // Not SIGHUP: under `nohup` it is ignored on purpose, and a handler would undo that.
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            let held = pending();
            remove_all(&held);
            eprintln!("s1557: interrupted; temporary files removed, no output left half-written");
            std::process::exit(128 + sig);
        }
    });
}

/// Without Unix signals there is nothing to install; staged files are still removed on drop.
#[cfg(not(unix))]
pub fn install() {}
