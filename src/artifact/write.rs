//! The one place that writes output files, atomically: every file of a bundle is written to a
//! temporary file in the target folder first, and only when all are written are they renamed
//! into place. A failure before the renames leaves the folder as it was.

use std::io::Write;
use std::path::Path;

/// Write `(file name, contents)` pairs into `dir`, creating it if needed. A name may hold one
/// folder (`figures/a.png`), created inside `dir`.
pub fn write_bundle(dir: &Path, files: &[(&str, &[u8])]) -> std::io::Result<()> {
    fs_err::create_dir_all(dir)?;
    let mut staged = Vec::with_capacity(files.len());
    for (name, bytes) in files {
        let target = dir.join(name);
        let folder = target.parent().unwrap_or(dir);
        fs_err::create_dir_all(folder)?;
        let base = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{base}."))
            .suffix(".tmp")
            .tempfile_in(folder)?;
        tmp.write_all(bytes)?;
        readable(tmp.as_file())?;
        tmp.as_file().sync_all()?;
        staged.push((tmp, target));
    }
    for (tmp, target) in staged {
        tmp.persist(&target).map_err(|e| e.error)?;
    }
    Ok(())
}

/// Write one file atomically.
pub fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    write_bundle(dir, &[(name, bytes)])
}

/// Temporary files are created owner-only; outputs are ordinary files (rw-r--r--).
pub fn readable(file: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}
