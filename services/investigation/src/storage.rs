//! Evidence files (S10): a storage trait and its local-directory backend. What reaches the
//! storage is already sealed with the office's key (`Keyring::seal`, bound to the case and the
//! evidence id), so a backend only ever holds ciphertext.

use std::path::{Path, PathBuf};

use aduan_runtime::{Error, Result};

/// Where sealed evidence files are kept. Keys are `<office>/<complaint id>/<evidence id>`, made of
/// the characters `[A-Za-z0-9.-/]` only.
#[async_trait::async_trait]
pub trait EvidenceStorage: Send + Sync {
    /// Stores `sealed` under `key` (replacing nothing: a key is written once).
    async fn put(&self, key: &str, sealed: &[u8]) -> Result<()>;
    /// The sealed bytes under `key`.
    async fn get(&self, key: &str) -> Result<Vec<u8>>;
    /// Removes `key` (used when the case write that would reference it fails).
    async fn delete(&self, key: &str) -> Result<()>;
}

/// Files in a local directory (the embedded default; a mounted volume in a cluster).
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// A store rooted at `root` (created when missing).
    pub fn new(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| {
            Error::invalid(
                "investigation.storage_dir",
                format!("cannot create {}: {e}", root.display()),
            )
        })?;
        Ok(Self { root })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The path of a key; refuses anything that could leave the root.
    pub fn path_of(&self, key: &str) -> Result<PathBuf> {
        let ok = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            });
        if !ok {
            return Err(Error::Internal("an evidence key is malformed".into()));
        }
        Ok(self.root.join(key))
    }
}

fn io(what: &str, e: std::io::Error) -> Error {
    Error::Internal(format!("evidence storage: {what}: {}", e.kind()))
}

#[async_trait::async_trait]
impl EvidenceStorage for LocalDir {
    async fn put(&self, key: &str, sealed: &[u8]) -> Result<()> {
        let path = self.path_of(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| io("create directory", e))?;
        }
        // Write to a temporary name, flush, then rename: a crash never leaves half a file.
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
        let write = async {
            use tokio::io::AsyncWriteExt;
            let mut f = tokio::fs::File::create(&tmp).await?;
            f.write_all(sealed).await?;
            f.sync_all().await?;
            tokio::fs::rename(&tmp, &path).await
        };
        if let Err(e) = write.await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(io("write", e));
        }
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>> {
        let path = self.path_of(key)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::FailedPrecondition(
                "the evidence file is missing from the storage".into(),
            )),
            Err(e) => Err(io("read", e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("delete", e)),
        }
    }
}

/// The sealing binding of an evidence file.
pub fn evidence_aad(complaint_id: &str, evidence_id: &str) -> Vec<u8> {
    format!("{}:{complaint_id}:evidence:{evidence_id}", crate::SERVICE).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete_and_no_escape() {
        let root = std::env::temp_dir().join(format!("aduan-ev-{}", uuid::Uuid::new_v4()));
        let s = LocalDir::new(&root).unwrap();
        s.put("35.27/abc-1/ev-1", b"sealed").await.unwrap();
        assert_eq!(s.get("35.27/abc-1/ev-1").await.unwrap(), b"sealed");
        s.delete("35.27/abc-1/ev-1").await.unwrap();
        assert!(s.get("35.27/abc-1/ev-1").await.is_err());
        for bad in ["../x", "a//b", "/etc/passwd", "a/./b", "a b", ""] {
            assert!(s.path_of(bad).is_err(), "{bad}");
        }
        let _ = std::fs::remove_dir_all(root);
    }
}
