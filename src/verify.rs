//! The export gate's rule, pure: do streamed bytes (their size and MD5) match the catalog
//! record? A plain MD5 checksum is compared directly; S3-multipart-style `<hex>-1` (shown in
//! the vendor's object-types doc) is md5 of the bytes' md5; anything else cannot be verified,
//! and unverifiable bytes are never reported exported. A match yields the [`Verified`] proof,
//! which nothing else can make; the S3 upload commits only against it. No I/O here.

use crate::css::model::ObjectRecord;
use md5::{Digest as _, Md5};

/// Proof that streamed bytes matched a catalog record: only [`check`] makes one (the fields
/// are private), and the S3 upload commits only against one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    md5_hex: String,
    size: u64,
    catalog_checksum: String,
}

impl Verified {
    /// MD5 of the streamed bytes, lowercase hex.
    pub fn md5_hex(&self) -> &str {
        &self.md5_hex
    }

    /// Size of the streamed bytes (= the catalog's storedBytes).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The catalog checksum the bytes were verified against, normalised as by
    /// [`catalog_checksum`].
    pub fn catalog_checksum(&self) -> &str {
        &self.catalog_checksum
    }
}

/// Why streamed bytes are not the catalog's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    #[error("size {got} differs from catalog storedBytes {want}")]
    Size { got: u64, want: u64 },
    #[error("md5 {got} differs from catalog {want}")]
    Md5 { got: String, want: String },
    #[error("md5 {got} does not match catalog checksum {sum}")]
    PartChecksum { got: String, sum: String },
    #[error("catalog checksum {sum:?} ({checksum_type}) cannot be verified")]
    Unverifiable { sum: String, checksum_type: String },
}

/// Compares streamed bytes with the catalog record: size, then MD5. The catalog checksum is a
/// plain MD5, or S3-style `<md5 of the part md5s>-1` for a single part (= md5(md5(bytes)));
/// any other checksum cannot be verified, and unverifiable bytes are never reported exported.
pub fn check(rec: &ObjectRecord, size: u64, md5: [u8; 16]) -> Result<Verified, Mismatch> {
    if size != rec.stored_bytes {
        return Err(Mismatch::Size {
            got: size,
            want: rec.stored_bytes,
        });
    }
    let got = hex::encode(md5);
    let sum = catalog_checksum(rec);
    let matched = if let Some(want) = rec.md5_hex() {
        want == got
    } else if let Some(outer) = sum.strip_suffix("-1") {
        outer == hex::encode(Md5::digest(md5))
    } else {
        return Err(Mismatch::Unverifiable {
            sum,
            checksum_type: rec
                .checksum_type
                .clone()
                .unwrap_or_else(|| "no type".into()),
        });
    };
    if !matched {
        return Err(match rec.md5_hex() {
            Some(want) => Mismatch::Md5 { got, want },
            None => Mismatch::PartChecksum { got, sum },
        });
    }
    Ok(Verified {
        md5_hex: got,
        size,
        catalog_checksum: sum,
    })
}

/// The catalog checksum normalised (trimmed, lowercase): what `css-md5` holds, and what the
/// "already exported?" check compares.
pub fn catalog_checksum(rec: &ObjectRecord) -> String {
    rec.checksum
        .as_deref()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(size: u64, checksum: &str) -> ObjectRecord {
        serde_json::from_value(serde_json::json!({
            "id": "x", "type": "voicemail", "objectName": "x.mp3", "checksumType": "MD5",
            "checksum": checksum, "storedBytes": size, "createdTime": "2026-11-01T00:00:00"
        }))
        .unwrap()
    }

    #[test]
    fn check_size_then_md5() {
        let bytes = b"hello";
        let md5: [u8; 16] = Md5::digest(bytes).into();
        let hexmd5 = hex::encode(md5);
        let proof = check(&rec(5, &hexmd5), 5, md5).unwrap();
        assert_eq!(proof.md5_hex(), hexmd5);
        assert_eq!(proof.size(), 5);
        assert_eq!(proof.catalog_checksum(), hexmd5);
        assert_eq!(
            check(&rec(5, &hexmd5.to_uppercase()), 5, md5)
                .unwrap()
                .md5_hex(),
            hexmd5
        );
        assert!(
            matches!(check(&rec(6, &hexmd5), 5, md5), Err(r) if r.to_string().contains("size"))
        );
        let other = hex::encode(Md5::digest(b"hellp"));
        assert!(matches!(check(&rec(5, &other), 5, md5), Err(r) if r.to_string().contains("md5")));
    }

    #[test]
    fn single_part_etag_style_checksum_is_verified() {
        let md5: [u8; 16] = Md5::digest(b"abc").into();
        let etag = format!("{}-1", hex::encode(Md5::digest(md5)));
        assert_eq!(
            check(&rec(3, &etag), 3, md5).unwrap().md5_hex(),
            hex::encode(md5)
        );
        let wrong = format!("{}-1", hex::encode(Md5::digest(b"zzz")));
        assert!(check(&rec(3, &wrong), 3, md5).is_err());
        assert!(
            matches!(check(&rec(3, "abc-7"), 3, md5), Err(r) if r.to_string().contains("cannot be verified"))
        );
        assert!(check(&rec(3, ""), 3, md5).is_err());
    }
}
