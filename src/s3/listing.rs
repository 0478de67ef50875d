//! Presence from directory listings (`S3_PRESENCE`): a no-op re-run costs one
//! `ListObjectsV2` page per 1,000 keys of a directory instead of a HEAD (and a sidecar HEAD)
//! per object. Keys come from a template, so the objects of one window cluster under a few
//! directories (key up to its last `/`). The first time a directory is routed to its listing
//! ([`listing_rules::route`]) it is listed once (all pages, `delimiter=/`; concurrent askers
//! wait for that one listing) and its keys → (size, ETag) are cached. What a listed entry
//! proves is [`listing_rules::from_listing`]; what it cannot prove (multipart ETags …) and
//! every directory past its page cap or whose listing failed go to today's per-object path,
//! [`S3Target::presence`]. Memory is bounded: past `cache_keys` cached keys the least
//! recently used directories are dropped (a dropped directory is listed again if asked
//! about), so at most `cache_keys` + `max_pages` × 1,000 keys are held. It never writes.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::listing_rules::{self, Entry, Listed, PresenceMode, Route};
use super::presence::{ExistingObject, Presence, Want};
use super::{proof, sidecar_key, S3Error, S3Target};
use crate::css::model::ObjectRecord;

/// Keys per `ListObjectsV2` page (S3's maximum).
const PAGE_KEYS: i32 = 1000;

/// The `S3_PRESENCE*` settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceSettings {
    pub mode: PresenceMode,
    /// The key template puts `{id}` in the directory part ([`listing_rules::directory_per_object`]).
    pub directory_per_object: bool,
    /// `S3_PRESENCE_CACHE_KEYS`: listed keys kept in memory, at most (one directory always).
    pub cache_keys: usize,
    /// `S3_PRESENCE_MAX_PAGES`: pages listed per directory before it falls back to HEADs.
    pub max_pages: u32,
}

/// Default `S3_PRESENCE_CACHE_KEYS`: ~30 MB of cached entries.
pub const DEFAULT_CACHE_KEYS: usize = 200_000;
/// Default `S3_PRESENCE_MAX_PAGES`: directories of up to 100,000 keys are listed.
pub const DEFAULT_MAX_PAGES: u32 = 100;

impl Default for PresenceSettings {
    fn default() -> Self {
        PresenceSettings {
            mode: PresenceMode::Auto,
            directory_per_object: false,
            cache_keys: DEFAULT_CACHE_KEYS,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }
}

/// One directory's listing, once it ran.
enum Outcome {
    /// Complete: name (key without the directory) → entry.
    Listed(HashMap<String, Entry>),
    /// Past the page cap, or the listing failed: its objects go to the per-object path.
    Unlisted,
}

struct Slot {
    seen: u64,
    used: u64,
    keys: usize,
    listing: Arc<OnceCell<Outcome>>,
}

#[derive(Default)]
struct Cache {
    dirs: HashMap<String, Slot>,
    /// Last use → directory: the least recently used comes first.
    by_use: BTreeMap<u64, String>,
    /// Directories (one each) plus listed keys held.
    held: usize,
    tick: u64,
}

/// The presence source of a run: listings where they pay, the per-object path elsewhere.
pub struct PresenceSource {
    s3: S3Target,
    settings: PresenceSettings,
    cache: Mutex<Cache>,
}

impl PresenceSource {
    pub fn new(s3: S3Target, settings: PresenceSettings) -> PresenceSource {
        PresenceSource {
            s3,
            settings,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The presence decision for the object at `key` (as [`S3Target::presence`], whose answer
    /// it gives wherever a listing cannot decide). The object seen is returned too; from a
    /// listing it has no `css-md5` (listings carry no metadata).
    pub async fn check(
        &self,
        key: &str,
        rec: &ObjectRecord,
    ) -> Result<(Presence, Option<ExistingObject>), S3Error> {
        let dir = listing_rules::directory_of(key);
        let Some(cell) = self.routed(dir) else {
            return self.s3.presence(key, rec).await;
        };
        let outcome = cell.get_or_init(|| self.list(dir, &cell)).await;
        let Outcome::Listed(entries) = outcome else {
            return self.s3.presence(key, rec).await;
        };
        let name = &key[dir.len()..];
        let object = entries.get(name);
        let sidecar = entries.get(&sidecar_key(name));
        let checksum = crate::verify::catalog_checksum(rec);
        let want = Want {
            size: rec.stored_bytes,
            checksum: &checksum,
            sidecar: self.s3.settings.sidecar,
        };
        match listing_rules::from_listing(object, sidecar, want) {
            Listed::Decided(p) => Ok((
                p,
                object.map(|e| ExistingObject {
                    md5_meta: None,
                    size: e.size,
                    e_tag: e.e_tag.clone(),
                }),
            )),
            Listed::Head => self.s3.presence(key, rec).await,
        }
    }

    /// Counts the ask and returns the directory's listing cell when it is routed to a listing.
    fn routed(&self, dir: &str) -> Option<Arc<OnceCell<Outcome>>> {
        let s = self.settings;
        if s.mode == PresenceMode::Head || (s.mode == PresenceMode::Auto && s.directory_per_object)
        {
            return None; // never routed to a listing: nothing to remember
        }
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        c.tick += 1;
        let tick = c.tick;
        let fresh = !c.dirs.contains_key(dir);
        let slot = c.dirs.entry(dir.to_string()).or_insert_with(|| Slot {
            seen: 0,
            used: 0,
            keys: 0,
            listing: Arc::new(OnceCell::new()),
        });
        slot.seen += 1;
        let previous = std::mem::replace(&mut slot.used, tick);
        let unlisted = matches!(slot.listing.get(), Some(Outcome::Unlisted));
        let route = listing_rules::route(s.mode, s.directory_per_object, slot.seen, unlisted);
        let cell = slot.listing.clone();
        c.by_use.remove(&previous);
        c.by_use.insert(tick, dir.to_string());
        if fresh {
            c.held += 1; // a directory counts as one key, so that HEAD-routed ones are bounded too
            c.evict(dir, s.cache_keys);
        }
        (route == Route::List).then_some(cell)
    }

    /// Lists `dir` completely (or gives up past the page cap), then accounts for its keys.
    async fn list(&self, dir: &str, cell: &Arc<OnceCell<Outcome>>) -> Outcome {
        let outcome = match self.list_pages(dir).await {
            Ok(Some(entries)) => Outcome::Listed(entries),
            Ok(None) => {
                tracing::info!(
                    dir,
                    max_pages = self.settings.max_pages,
                    "directory too large to list; checking its objects one by one"
                );
                Outcome::Unlisted
            }
            Err(e) => {
                tracing::warn!(dir, error = %crate::chain::error_chain(&e),
                    "directory listing failed; checking its objects one by one");
                Outcome::Unlisted
            }
        };
        if let Outcome::Listed(entries) = &outcome {
            self.account(dir, cell, entries.len());
        }
        outcome
    }

    /// Every key directly under `dir`, `None` past `max_pages` pages.
    async fn list_pages(&self, dir: &str) -> Result<Option<HashMap<String, Entry>>, S3Error> {
        let mut entries = HashMap::new();
        let mut token = None;
        for _ in 0..self.settings.max_pages {
            let page = self
                .s3
                .client
                .list_objects_v2()
                .bucket(&self.s3.settings.bucket)
                .prefix(dir)
                .delimiter("/")
                .max_keys(PAGE_KEYS)
                .set_continuation_token(token.take())
                .send()
                .await;
            super::presence::count("list");
            let page = page.map_err(|e| self.s3.ctx.map("ListObjectsV2", e))?;
            for o in page.contents() {
                let Some(name) = o.key().and_then(|k| k.strip_prefix(dir)) else {
                    continue;
                };
                let size = o.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
                let e_tag = o.e_tag().map(proof::normalize);
                entries.insert(name.to_string(), Entry { size, e_tag });
            }
            match page.next_continuation_token() {
                Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                _ => return Ok(Some(entries)),
            }
        }
        Ok(None)
    }

    /// Records `keys` cached for `dir` (if its slot is still the one listed), dropping least
    /// recently used directories past the cap.
    fn account(&self, dir: &str, cell: &Arc<OnceCell<Outcome>>, keys: usize) {
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match c.dirs.get_mut(dir) {
            Some(slot) if Arc::ptr_eq(&slot.listing, cell) => slot.keys = keys,
            _ => return, // dropped while it was listed: nothing of it is held
        }
        c.held += keys;
        c.evict(dir, self.settings.cache_keys);
    }
}

impl Cache {
    /// Drops least recently used directories other than `keep` while more than `cap` keys are
    /// held.
    fn evict(&mut self, keep: &str, cap: usize) {
        while listing_rules::must_evict(self.held, cap, self.dirs.len().saturating_sub(1)) {
            let Some(used) = self
                .by_use
                .iter()
                .find(|(_, d)| d.as_str() != keep)
                .map(|(&u, _)| u)
            else {
                break;
            };
            let Some(gone) = self.by_use.remove(&used) else {
                break;
            };
            if let Some(s) = self.dirs.remove(&gone) {
                self.held = self.held.saturating_sub(s.keys + 1);
            }
        }
    }
}
