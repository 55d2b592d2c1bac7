//! Small file helpers for secrets kept in the data directory.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Reads the secret in `path`, or creates it with `make()` (mode 0600, created exclusively so two
/// processes starting at once agree on one secret).
pub fn read_or_create_secret(path: &Path, make: impl FnOnce() -> String) -> Result<String> {
    if let Ok(s) = std::fs::read_to_string(path) {
        return Ok(s);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(mut f) => {
            let s = make();
            f.write_all(s.as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| Error::Internal(format!("cannot write {}: {e}", path.display())))?;
            Ok(s)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(path)
            .map_err(|e| Error::Internal(format!("cannot read {}: {e}", path.display()))),
        Err(e) => Err(Error::Internal(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}

/// Writes `bytes` to `path`, readable by the owner only (mode 0600 when it creates the file; an
/// existing file is truncated and keeps its mode): for exports that hold personal data.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
