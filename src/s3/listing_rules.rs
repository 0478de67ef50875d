//! The pure rules of listing-based presence ([`super::listing`]): which "directory" (key up to
//! its last `/`) a key lists under, whether a directory is worth listing or its objects are
//! better HEADed one by one, and what a listed entry proves. It owns no I/O and no cache.
//!
//! What a listing proves, next to [`super::presence::decide`] (the HEAD rules): a
//! `ListObjectsV2` entry carries a key, a size and an ETag but no user metadata. So:
//! - absent from a complete listing → [`Presence::Absent`] (no HEAD);
//! - listed with another size → [`Presence::NotOurs`]`("size")`, as a HEAD would decide;
//! - listed with a plain-MD5 ETag equal to the catalog MD5 and the catalog size → the bytes are
//!   proven by the object itself ([`proof::etag_proves_catalog`], the same proof `decide` uses):
//!   [`Presence::Present`], or [`Presence::RepairSidecar`] when sidecars are on and the
//!   sidecar is absent from the listing. The sidecar's metadata (and the object's `css-md5`)
//!   is not visible in a listing; neither is load-bearing here, as the object's own ETag proves
//!   its bytes;
//! - anything else (a multipart ETag `…-N`, an ETag that is no MD5, e.g. SSE-KMS, no ETag, or
//!   a plain MD5 that differs from the catalog's) → [`Listed::Head`]: today's per-object path
//!   ([`super::S3Target::presence`]: HEAD + sidecar, read-back) decides, so a multipart object,
//!   or one overwritten with other bytes of the same size, is judged exactly as before. The
//!   sidecar's listed ETag cannot stand in for its metadata: the sidecar's body is the catalog
//!   record, which does not carry the object's ETag.

use super::presence::{Presence, Want};
use super::proof;

/// `S3_PRESENCE`: how presence is learnt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PresenceMode {
    /// List a directory once it has shown [`LIST_AFTER`] objects, unless the key template puts
    /// `{id}` in the directory part (one directory per object: a listing costs as much as a
    /// HEAD and proves less).
    #[default]
    Auto,
    /// List every directory from its first object.
    List,
    /// A HEAD (+ sidecar HEAD) per object, as before listings.
    Head,
}

impl PresenceMode {
    pub fn parse(s: &str) -> Option<PresenceMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(PresenceMode::Auto),
            "list" => Some(PresenceMode::List),
            "head" => Some(PresenceMode::Head),
            _ => None,
        }
    }
}

/// In `auto`, a directory is listed from its `LIST_AFTER`-th object on (the first ones are
/// HEADed): a directory holding one object never costs a listing on top of its HEAD.
pub const LIST_AFTER: u64 = 2;

/// The directory of a key: everything up to and including its last `/` (`""` at the root).
pub fn directory_of(key: &str) -> &str {
    key.rfind('/').map_or("", |i| &key[..=i])
}

/// Whether a key template (as written, e.g. `region={region}/{id}/{objectName}`) puts `{id}` before
/// its last `/`: then every object has a directory of its own.
pub fn directory_per_object(template: &str) -> bool {
    template
        .rfind('/')
        .is_some_and(|i| template[..i].contains("{id}"))
}

/// What to do for one object of a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Decide from the directory's listing (listed once, shared).
    List,
    /// Today's per-object path.
    Head,
}

/// The route of an object: `seen` objects of its directory were asked about so far, this one
/// included; `too_big` when the directory's listing ran past its page cap.
pub fn route(mode: PresenceMode, one_dir_per_object: bool, seen: u64, too_big: bool) -> Route {
    match mode {
        _ if too_big => Route::Head,
        PresenceMode::Head => Route::Head,
        PresenceMode::List => Route::List,
        PresenceMode::Auto if one_dir_per_object || seen < LIST_AFTER => Route::Head,
        PresenceMode::Auto => Route::List,
    }
}

/// One `ListObjectsV2` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub size: u64,
    /// Normalised ([`proof::normalize`]); `None` when the server gave none.
    pub e_tag: Option<String>,
}

/// What a listing decides for one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listed {
    Decided(Presence),
    /// The listing cannot prove it: ask today's per-object path.
    Head,
}

/// The presence of an object from a complete listing of its directory: `object` and `sidecar`
/// are their entries (`None`: not listed).
pub fn from_listing(object: Option<&Entry>, sidecar: Option<&Entry>, want: Want) -> Listed {
    let Some(o) = object else {
        return Listed::Decided(Presence::Absent);
    };
    if o.size != want.size {
        return Listed::Decided(Presence::NotOurs("size"));
    }
    match o.e_tag.as_deref().filter(|t| !t.is_empty()) {
        Some(t) if proof::etag_proves_catalog(t, want.checksum) => {
            Listed::Decided(if want.sidecar && sidecar.is_none() {
                Presence::RepairSidecar
            } else {
                Presence::Present
            })
        }
        _ => Listed::Head,
    }
}

/// Bounded memory: whether a cache holding `held` keys must drop its least recently used
/// directory, `others` being the directories it could drop (the one just listed never is: a
/// directory is never split).
pub fn must_evict(held: usize, cap: usize, others: usize) -> bool {
    others > 0 && held > cap
}

#[cfg(test)]
#[path = "listing_rules_tests.rs"]
mod tests;
