//! The export gate's rule, pure: do streamed bytes (their size and MD5) match the catalog
//! record? A plain MD5 checksum is compared directly; S3-multipart-style `<hex>-1` (shown in
//! the vendor's object-types doc) is md5 of the bytes' md5; anything else cannot be verified,
//! and unverifiable bytes are never reported exported. No I/O here.

use crate::css::model::ObjectRecord;
use md5::{Digest as _, Md5};

/// What a size/MD5 check concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Bytes match; their MD5 (hex).
    Match(String),
    Mismatch(String),
}

/// Compares streamed bytes with the catalog record: size, then MD5. The catalog checksum is a
/// plain MD5, or S3-style `<md5 of the part md5s>-1` for a single part (= md5(md5(bytes)));
/// any other checksum cannot be verified, and unverifiable bytes are never reported exported.
pub fn check(rec: &ObjectRecord, size: u64, md5: [u8; 16]) -> Check {
    if size != rec.stored_bytes {
        return Check::Mismatch(format!(
            "size {size} differs from catalog storedBytes {}",
            rec.stored_bytes
        ));
    }
    let got = hex::encode(md5);
    if let Some(want) = rec.md5_hex() {
        return if want == got {
            Check::Match(got)
        } else {
            Check::Mismatch(format!("md5 {got} differs from catalog {want}"))
        };
    }
    let sum = catalog_checksum(rec);
    if let Some(outer) = sum.strip_suffix("-1") {
        let of_md5 = hex::encode(Md5::digest(md5));
        return if outer == of_md5 {
            Check::Match(got)
        } else {
            Check::Mismatch(format!("md5 {got} does not match catalog checksum {sum}"))
        };
    }
    Check::Mismatch(format!(
        "catalog checksum {sum:?} ({}) cannot be verified",
        rec.checksum_type.as_deref().unwrap_or("no type")
    ))
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
        assert_eq!(
            check(&rec(5, &hexmd5), 5, md5),
            Check::Match(hexmd5.clone())
        );
        assert_eq!(
            check(&rec(5, &hexmd5.to_uppercase()), 5, md5),
            Check::Match(hexmd5.clone())
        );
        assert!(
            matches!(check(&rec(6, &hexmd5), 5, md5), Check::Mismatch(r) if r.contains("size"))
        );
        let other = hex::encode(Md5::digest(b"hellp"));
        assert!(matches!(check(&rec(5, &other), 5, md5), Check::Mismatch(r) if r.contains("md5")));
    }

    #[test]
    fn single_part_etag_style_checksum_is_verified() {
        let md5: [u8; 16] = Md5::digest(b"abc").into();
        let etag = format!("{}-1", hex::encode(Md5::digest(md5)));
        assert_eq!(
            check(&rec(3, &etag), 3, md5),
            Check::Match(hex::encode(md5))
        );
        let wrong = format!("{}-1", hex::encode(Md5::digest(b"zzz")));
        assert!(matches!(check(&rec(3, &wrong), 3, md5), Check::Mismatch(_)));
        assert!(
            matches!(check(&rec(3, "abc-7"), 3, md5), Check::Mismatch(r) if r.contains("cannot be verified"))
        );
        assert!(matches!(check(&rec(3, ""), 3, md5), Check::Mismatch(_)));
    }
}
