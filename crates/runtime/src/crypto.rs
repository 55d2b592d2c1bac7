//! Encryption of personal data at rest with per-office keys (AES-256-GCM), and a keyed blind
//! index (HMAC-SHA-256) for exact look-ups by NIK or telephone number (DESIGN "Privacy").
//!
//! Ciphertext layout: `0xA1 | kid length (1 byte) | kid | 12-byte random nonce | AES-GCM output`.
//! The key id lets keys rotate: new data is sealed with the office's active key, old data stays
//! readable while its key is listed. The additional authenticated data binds a ciphertext to its
//! record, so a ciphertext moved to another row or office fails to open.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::Deserialize;
use sha2::Sha256;

use crate::error::{Error, Result};

const VERSION: u8 = 0xA1;

/// Per-office key material.
struct OfficeKeys {
    active: String,
    keys: HashMap<String, Aes256Gcm>,
    index_key: [u8; 32],
}

/// The keys of every office of the deployment.
pub struct Keyring {
    master: Option<[u8; 32]>,
    /// The key of the access logs' HMAC chains (docs/security.md): kept apart from the data and
    /// blind-index keys; each office's chain key derives from it.
    audit: Option<[u8; 32]>,
    configured: HashMap<String, Arc<OfficeKeys>>,
    derived: RwLock<HashMap<String, Arc<OfficeKeys>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    #[serde(default)]
    master: Option<String>,
    #[serde(default)]
    audit_key: Option<String>,
    #[serde(default)]
    offices: HashMap<String, OfficeEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficeEntry {
    active: String,
    keys: HashMap<String, String>,
    #[serde(default)]
    index_key: Option<String>,
}

fn decode_key(field: &str, b64: &str) -> Result<[u8; 32]> {
    let bytes = B64
        .decode(b64.trim())
        .map_err(|_| Error::invalid(field.to_string(), "not base64"))?;
    bytes
        .try_into()
        .map_err(|_| Error::invalid(field.to_string(), "a key must be 32 bytes"))
}

fn hkdf(master: &[u8; 32], info: &str) -> [u8; 32] {
    let hk = hkdf::Hkdf::<Sha256>::new(Some(b"aduan"), master);
    let mut out = [0u8; 32];
    // 32 bytes is always a valid HKDF-SHA256 output length.
    let _ = hk.expand(info.as_bytes(), &mut out);
    out
}

impl Keyring {
    /// A keyring whose office keys all derive from one master key.
    pub fn from_master(master: [u8; 32]) -> Self {
        Self {
            master: Some(master),
            audit: Some(hkdf(&master, "aduan/audit-chain/v1")),
            configured: HashMap::new(),
            derived: RwLock::new(HashMap::new()),
        }
    }

    /// Reads a keys file (see `crypto.keys_file` in the configuration reference).
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::invalid(
                "crypto.keys_file",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let file: KeysFile = toml::from_str(&text)
            .map_err(|e| Error::invalid("crypto.keys_file", e.message().to_string()))?;
        let master = file
            .master
            .as_deref()
            .map(|m| decode_key("crypto.keys_file.master", m))
            .transpose()?;
        let Some(audit) = file.audit_key.as_deref() else {
            return Err(Error::invalid(
                "crypto.keys_file.audit_key",
                "required: the key of the access logs' tamper-evident chains, apart from the data keys",
            ));
        };
        let audit = Some(decode_key("crypto.keys_file.audit_key", audit)?);
        let mut configured = HashMap::new();
        for (office, entry) in file.offices {
            let mut keys = HashMap::new();
            for (kid, b64) in &entry.keys {
                if kid.is_empty() || kid.len() > 32 {
                    return Err(Error::invalid(
                        format!("crypto.keys_file.offices.{office}.keys"),
                        "key ids are 1-32 characters",
                    ));
                }
                let raw = decode_key(
                    &format!("crypto.keys_file.offices.{office}.keys.{kid}"),
                    b64,
                )?;
                keys.insert(kid.clone(), Aes256Gcm::new(&raw.into()));
            }
            if !keys.contains_key(&entry.active) {
                return Err(Error::invalid(
                    format!("crypto.keys_file.offices.{office}.active"),
                    "names no listed key",
                ));
            }
            // The blind index must survive rotation of the data keys: a key of its own, always.
            let index_key = match &entry.index_key {
                Some(b) => decode_key(&format!("crypto.keys_file.offices.{office}.index_key"), b)?,
                None => {
                    return Err(Error::invalid(
                        format!("crypto.keys_file.offices.{office}.index_key"),
                        "required: without its own key the blind index would change with the \
                         first rotation of the data key and identity look-ups would break",
                    ));
                }
            };
            configured.insert(
                office,
                Arc::new(OfficeKeys {
                    active: entry.active,
                    keys,
                    index_key,
                }),
            );
        }
        Ok(Self {
            master,
            audit,
            configured,
            derived: RwLock::new(HashMap::new()),
        })
    }

    /// Reads `keys_file` if given, else the master key in `data_dir/master.key`, creating it
    /// (32 random bytes, mode 0600) on first start.
    pub fn load(keys_file: &str, data_dir: &Path) -> Result<Self> {
        if !keys_file.is_empty() {
            return Self::from_file(Path::new(keys_file));
        }
        let path = data_dir.join("master.key");
        let b64 = crate::fsutil::read_or_create_secret(&path, || {
            let mut k = [0u8; 32];
            rand::rng().fill_bytes(&mut k);
            B64.encode(k)
        })?;
        Ok(Self::from_master(decode_key("master.key", &b64)?))
    }

    fn office(&self, office: &str) -> Result<Arc<OfficeKeys>> {
        if let Some(k) = self.configured.get(office) {
            return Ok(k.clone());
        }
        if let Some(k) = self
            .derived
            .read()
            .ok()
            .and_then(|m| m.get(office).cloned())
        {
            return Ok(k);
        }
        let Some(master) = &self.master else {
            return Err(Error::Internal(format!(
                "no encryption key for office {office}"
            )));
        };
        let data = hkdf(master, &format!("aduan/office/{office}/data/v1"));
        let index_key = hkdf(master, &format!("aduan/office/{office}/blind-index/v1"));
        let mut keys = HashMap::new();
        keys.insert("m1".to_string(), Aes256Gcm::new(&data.into()));
        let k = Arc::new(OfficeKeys {
            active: "m1".into(),
            keys,
            index_key,
        });
        if let Ok(mut m) = self.derived.write() {
            m.insert(office.to_string(), k.clone());
        }
        Ok(k)
    }

    /// Encrypts `plaintext` for `office`, bound to `aad` (for example the record's id).
    pub fn seal(&self, office: &str, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let k = self.office(office)?;
        let cipher = k
            .keys
            .get(&k.active)
            .ok_or_else(|| Error::Internal("active key missing".into()))?;
        let (nonce, ct) = encrypt(cipher, aad, plaintext)?;
        let kid = k.active.as_bytes();
        let mut out = Vec::with_capacity(2 + kid.len() + 12 + ct.len());
        out.push(VERSION);
        out.push(kid.len() as u8);
        out.extend_from_slice(kid);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts what [`Keyring::seal`] produced for the same office and `aad`.
    pub fn open(&self, office: &str, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        let bad = || Error::Internal("ciphertext does not open".into());
        let (&version, rest) = sealed.split_first().ok_or_else(bad)?;
        if version != VERSION {
            return Err(bad());
        }
        let (&kid_len, rest) = rest.split_first().ok_or_else(bad)?;
        let kid_len = kid_len as usize;
        if rest.len() < kid_len + 12 {
            return Err(bad());
        }
        let (kid, rest) = rest.split_at(kid_len);
        let (nonce, ct) = rest.split_at(12);
        let kid = std::str::from_utf8(kid).map_err(|_| bad())?;
        let k = self.office(office)?;
        let cipher = k.keys.get(kid).ok_or_else(bad)?;
        cipher
            .decrypt(
                &Nonce::from(<[u8; 12]>::try_from(nonce).map_err(|_| bad())?),
                Payload { msg: ct, aad },
            )
            .map_err(|_| bad())
    }

    /// A new data key for complaint `complaint_id` of `office`, and its wrapped form to store
    /// beside the data (sealed with the office's active key, bound to the complaint).
    pub fn new_data_key(&self, office: &str, complaint_id: &str) -> Result<(DataKey, Vec<u8>)> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let key = DataKey::from_bytes(bytes);
        let wrapped = self.wrap_data_key(office, complaint_id, &key)?;
        Ok((key, wrapped))
    }

    /// Opens data sealed either with a complaint's data key (`key`; the `0xA2` format) or, from
    /// before the complaints had keys of their own, with `office`'s key.
    pub fn open_sealed(
        &self,
        office: &str,
        key: Option<&DataKey>,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>> {
        match (sealed.first(), key) {
            (Some(&DATA_KEY_VERSION), Some(k)) => k.open(aad, sealed),
            (Some(&DATA_KEY_VERSION), None) => Err(Error::Internal(
                "sealed with a data key that is gone".into(),
            )),
            _ => self.open(office, aad, sealed),
        }
    }

    /// `key` wrapped for `office` (a complaint transferred to another office is re-wrapped).
    pub fn wrap_data_key(
        &self,
        office: &str,
        complaint_id: &str,
        key: &DataKey,
    ) -> Result<Vec<u8>> {
        self.seal(office, &data_key_aad(complaint_id), &key.bytes)
    }

    /// The data key of `complaint_id` from its wrapped form.
    pub fn data_key(&self, office: &str, complaint_id: &str, wrapped: &[u8]) -> Result<DataKey> {
        let bytes = self.open(office, &data_key_aad(complaint_id), wrapped)?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Internal("a data key is 32 bytes".into()))?;
        Ok(DataKey::from_bytes(bytes))
    }

    /// The key of `office`'s access-log chain (HMAC-SHA-256), derived from the audit key.
    pub fn audit_key(&self, office: &str) -> Result<[u8; 32]> {
        let audit = self
            .audit
            .as_ref()
            .ok_or_else(|| Error::Internal("no audit key".into()))?;
        Ok(hkdf(
            audit,
            &format!("aduan/office/{office}/audit-chain/v1"),
        ))
    }

    /// The blind index of a normalised value of `kind` (for example "nik" or "phone") for `office`:
    /// equal inputs give equal indexes, and without the office's index key nothing can be learnt
    /// from it. 128 bits, hex.
    pub fn blind_index(&self, office: &str, kind: &str, normalized: &str) -> Result<String> {
        let k = self.office(office)?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&k.index_key)
            .map_err(|_| Error::Internal("index key".into()))?;
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(normalized.as_bytes());
        let tag = mac.finalize().into_bytes();
        Ok(hex(&tag[..16]))
    }
}

/// AES-256-GCM under a fresh random nonce: the nonce and the ciphertext with its tag.
fn encrypt(cipher: &Aes256Gcm, aad: &[u8], plaintext: &[u8]) -> Result<([u8; 12], Vec<u8>)> {
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| Error::Internal("encryption failed".into()))?;
    Ok((nonce, ct))
}

/// The version byte of data sealed with a complaint's own data key.
const DATA_KEY_VERSION: u8 = 0xA2;

/// One complaint's own key (crypto-shredding, docs/privacy.md): its personal data in a service
/// is sealed with it, and the key is kept only wrapped by the office's key, beside the data.
/// Deleting the wrapped key makes every copy of that data unreadable, wherever it lies.
pub struct DataKey {
    bytes: [u8; 32],
    cipher: Aes256Gcm,
}

impl DataKey {
    fn from_bytes(bytes: [u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(&bytes.into()),
            bytes,
        }
    }

    /// Encrypts `plaintext`, bound to `aad`: `0xA2 | 12-byte nonce | AES-GCM output`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let (nonce, ct) = encrypt(&self.cipher, aad, plaintext)?;
        let mut out = Vec::with_capacity(1 + 12 + ct.len());
        out.push(DATA_KEY_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts what [`DataKey::seal`] produced with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>> {
        let bad = || Error::Internal("ciphertext does not open".into());
        let (&version, rest) = sealed.split_first().ok_or_else(bad)?;
        if version != DATA_KEY_VERSION || rest.len() < 12 {
            return Err(bad());
        }
        let (nonce, ct) = rest.split_at(12);
        self.cipher
            .decrypt(
                &Nonce::from(<[u8; 12]>::try_from(nonce).map_err(|_| bad())?),
                Payload { msg: ct, aad },
            )
            .map_err(|_| bad())
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// What a wrapped data key is bound to: its complaint.
fn data_key_aad(complaint_id: &str) -> Vec<u8> {
    format!("aduan/data-key/v1/{complaint_id}").into_bytes()
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_pairs() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn seal_and_open_round_trip_and_bind_aad_and_office() {
        let ring = Keyring::from_master([7u8; 32]);
        let sealed = ring.seal("35.27", b"id-1", b"Siti Aminah").unwrap();
        assert!(!sealed.windows(11).any(|w| w == b"Siti Aminah"));
        assert_eq!(
            ring.open("35.27", b"id-1", &sealed).unwrap(),
            b"Siti Aminah"
        );
        assert!(
            ring.open("35.27", b"id-2", &sealed).is_err(),
            "aad binds the record"
        );
        assert!(
            ring.open("35.26", b"id-1", &sealed).is_err(),
            "office keys differ"
        );
        assert!(ring.open("35.27", b"id-1", &sealed[..5]).is_err());
        assert!(ring.open("35.27", b"id-1", &[]).is_err());
    }

    #[test]
    fn blind_index_is_stable_per_office_and_kind() {
        let ring = Keyring::from_master([7u8; 32]);
        let a = ring
            .blind_index("35.27", "nik", "3527045708900001")
            .unwrap();
        assert_eq!(
            a,
            ring.blind_index("35.27", "nik", "3527045708900001")
                .unwrap()
        );
        assert_ne!(
            a,
            ring.blind_index("35.26", "nik", "3527045708900001")
                .unwrap()
        );
        assert_ne!(
            a,
            ring.blind_index("35.27", "phone", "3527045708900001")
                .unwrap()
        );
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn keys_file_rotation_keeps_old_data_readable() {
        let dir = std::env::temp_dir().join(format!("aduan-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let k1 = B64.encode([1u8; 32]);
        let k2 = B64.encode([2u8; 32]);
        let idx = B64.encode([3u8; 32]);
        let f1 = dir.join("k1.toml");
        std::fs::write(
            &f1,
            format!("audit_key = \"{idx}\"\n[offices.\"35.27\"]\nactive = \"k1\"\nindex_key = \"{idx}\"\nkeys = {{ k1 = \"{k1}\" }}\n"),
        )
        .unwrap();
        let old = Keyring::from_file(&f1).unwrap();
        let sealed = old.seal("35.27", b"x", b"data").unwrap();
        let f2 = dir.join("k2.toml");
        std::fs::write(
            &f2,
            format!("audit_key = \"{idx}\"\n[offices.\"35.27\"]\nactive = \"k2\"\nindex_key = \"{idx}\"\nkeys = {{ k1 = \"{k1}\", k2 = \"{k2}\" }}\n"),
        )
        .unwrap();
        let new = Keyring::from_file(&f2).unwrap();
        assert_eq!(new.open("35.27", b"x", &sealed).unwrap(), b"data");
        let resealed = new.seal("35.27", b"x", b"data").unwrap();
        assert_eq!(&resealed[2..4], b"k2");
        assert_eq!(
            old.blind_index("35.27", "nik", "1").unwrap(),
            new.blind_index("35.27", "nik", "1").unwrap()
        );
        assert!(
            new.seal("35.01", b"x", b"d").is_err(),
            "no master, no entry"
        );
        std::fs::write(&f2, "[offices.\"35.27\"]\nactive = \"k9\"\nkeys = {}\n").unwrap();
        assert!(Keyring::from_file(&f2).is_err());
    }

    #[test]
    fn a_keys_file_without_an_index_key_is_refused() {
        let dir = std::env::temp_dir().join(format!("aduan-keys-idx-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("keys.toml");
        let k1 = B64.encode([1u8; 32]);
        std::fs::write(
            &f,
            format!("audit_key = \"{k1}\"\n[offices.\"35.27\"]\nactive = \"k1\"\nkeys = {{ k1 = \"{k1}\" }}\n"),
        )
        .unwrap();
        match Keyring::from_file(&f) {
            Err(Error::InvalidArgument(v)) => {
                assert_eq!(v[0].field, "crypto.keys_file.offices.35.27.index_key")
            }
            Err(e) => panic!("wrong refusal: {e}"),
            Ok(_) => panic!("a keys file without index_key was accepted"),
        }
    }

    #[test]
    fn a_complaints_data_key_opens_only_its_own_data() {
        let ring = Keyring::from_master([3u8; 32]);
        let (key, wrapped) = ring.new_data_key("35.27", "c-1").unwrap();
        let sealed = key.seal(b"c-1:case", b"nama korban").unwrap();
        assert_eq!(sealed[0], 0xA2);
        // Unwrapped again from its stored form, it opens the data.
        let again = ring.data_key("35.27", "c-1", &wrapped).unwrap();
        assert_eq!(again.open(b"c-1:case", &sealed).unwrap(), b"nama korban");
        // Another complaint's key, another aad, or the office key itself do not.
        let (other, _) = ring.new_data_key("35.27", "c-2").unwrap();
        assert!(other.open(b"c-1:case", &sealed).is_err());
        assert!(again.open(b"c-2:case", &sealed).is_err());
        assert!(ring.open("35.27", b"c-1:case", &sealed).is_err());
        // The wrapped key is bound to its complaint and office.
        assert!(ring.data_key("35.27", "c-2", &wrapped).is_err());
        assert!(ring.data_key("35.26", "c-1", &wrapped).is_err());
        // Re-wrapped for another office (a transfer), the same key.
        let moved = ring.wrap_data_key("35.26", "c-1", &again).unwrap();
        let there = ring.data_key("35.26", "c-1", &moved).unwrap();
        assert_eq!(there.open(b"c-1:case", &sealed).unwrap(), b"nama korban");
        assert_eq!(format!("{there:?}"), "DataKey(..)");
        // Opening by format: the data key's, or the office's for data from before the keys.
        let old = ring.seal("35.27", b"c-1:case", b"lama").unwrap();
        assert_eq!(
            ring.open_sealed("35.27", Some(&there), b"c-1:case", &old)
                .unwrap(),
            b"lama"
        );
        assert_eq!(
            ring.open_sealed("35.27", None, b"c-1:case", &old).unwrap(),
            b"lama"
        );
        assert_eq!(
            ring.open_sealed("35.27", Some(&there), b"c-1:case", &sealed)
                .unwrap(),
            b"nama korban"
        );
        assert!(
            ring.open_sealed("35.27", None, b"c-1:case", &sealed)
                .is_err()
        );
    }
}
