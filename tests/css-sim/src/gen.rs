//! Deterministic catalog generation from `--seed`: how many objects of each type per region,
//! realistic sizes (log-normal, clamped per type), createdTime spread over a window, object
//! names and tags shaped like object-types.md's examples, non-AVAILABLE states, hostile names
//! and poison objects. Pure: config in, records out; no I/O, no HTTP, no digests.

use super::catalog::{mime_for, SimObject};
use super::config::{parse_types, SimConfig};
use super::content::ContentKind;
use super::faults::{hash_str, Rng};
use std::sync::OnceLock;

const IPBX: &str = "acmecorp";
const TENANT: &str = "acmecorp01";
const CUSTOMER: &str = "0012J00002KTQJYQA5";
const HOSTILE: [&str; 6] = ["../", "/abs/", "a\\", "..\\..\\", "C:\\", "dir/../../"];
const OTHER_STATES: [&str; 4] = ["PENDING", "REVOKED", "DELETED", "FAILED"];
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const NAMES: [&str; 8] = [
    "Alex Wilber",
    "Khang Glynn",
    "Megan Bowen",
    "Lee Gu",
    "Nestor Wilke",
    "Isaiah Langer",
    "Grady Archie",
    "Diego Siciliani",
];
const QUEUES: [(&str, &str); 4] = [
    ("Level 3 Support", "1819"),
    ("Sales", "571"),
    ("Billing", "480"),
    ("Main Support", "1820"),
];

/// (median bytes, sigma, min, max) of a type's size distribution.
fn size_model(object_type: &str) -> (f64, f64, u64, u64) {
    match object_type {
        "callrecording" => (1.2e6, 1.0, 30_000, 10_000_000),
        "callcenterrecording" => (1.5e6, 1.0, 30_000, 10_000_000),
        "screenrecording" => (8e6, 0.8, 500_000, 80_000_000),
        "transcription" => (3e3, 0.8, 300, 40_000),
        _ => (2.5e5, 0.8, 10_000, 3_000_000),
    }
}

/// Splits `total` by weights with the largest-remainder method (exact, deterministic).
pub fn split(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u64 = weights.iter().sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let mut out: Vec<u64> = weights.iter().map(|w| total * w / sum).collect();
    let mut rest: Vec<(u64, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, w)| (total * w % sum, i))
        .collect();
    rest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let missing = total - out.iter().sum::<u64>();
    for (_, i) in rest.into_iter().take(missing as usize) {
        out[i] += 1;
    }
    out
}

pub(crate) fn uuid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next_u64(), rng.next_u64());
    let b = (b & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    let a = (a & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

fn chars(rng: &mut Rng, set: &[u8], n: usize) -> String {
    (0..n).map(|_| *rng.pick(set) as char).collect()
}

fn digits(rng: &mut Rng, n: usize) -> String {
    chars(rng, b"0123456789", n)
}

struct User {
    id: String,
    name: &'static str,
    ext: u64,
}

/// Generates the catalog `cfg` describes, `now_ms` ending the createdTime window.
pub fn generate(cfg: &SimConfig, now_ms: i64) -> Result<Vec<SimObject>, String> {
    let types = parse_types(&cfg.types)?;
    let mut rng = Rng::new(cfg.seed);
    let users: Vec<User> = (0..12)
        .map(|i| User {
            id: chars(&mut rng, B64URL, 22),
            name: NAMES[i % NAMES.len()],
            ext: 100_000 + rng.range(0, 900_000),
        })
        .collect();
    let weights: Vec<u64> = types.iter().map(|t| t.1).collect();
    let regions = &cfg.regions;
    let mut out = Vec::new();
    for ((object_type, _), count) in types.iter().zip(split(cfg.objects, &weights)) {
        let per_region = split(count, &vec![1; regions.len()]);
        for (region, n) in regions.iter().zip(per_region) {
            for _ in 0..n {
                out.push(one(
                    cfg,
                    &mut rng,
                    &users,
                    object_type,
                    region,
                    now_ms,
                    None,
                ));
            }
        }
    }
    let total = out.len() as u64;
    let unavailable = (total as f64 * cfg.unavailable_share).round() as usize;
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by_key(|i| hash_str(cfg.seed, &format!("state:{}", out[*i].id)));
    for (k, i) in order.into_iter().take(unavailable).enumerate() {
        out[i].state = OTHER_STATES[k % OTHER_STATES.len()].to_string();
    }
    let part_style = (total as f64 * cfg.part_checksum_share).round() as usize;
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by_key(|i| hash_str(cfg.seed, &format!("checksum:{}", out[*i].id)));
    for i in order.into_iter().take(part_style) {
        out[i].part_style_checksum = true;
    }
    for i in 0..cfg.large_objects {
        let region = &regions[(i % regions.len() as u64) as usize];
        let size = Some(cfg.large_size);
        out.push(one(
            cfg,
            &mut rng,
            &users,
            "screenrecording",
            region,
            now_ms,
            size,
        ));
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
fn one(
    cfg: &SimConfig,
    rng: &mut Rng,
    users: &[User],
    object_type: &str,
    region: &str,
    now_ms: i64,
    size: Option<u64>,
) -> SimObject {
    let (median, sigma, lo, hi) = size_model(object_type);
    let drawn = (median * (sigma * rng.normal()).exp()).round() as u64;
    let mut bytes = size.unwrap_or_else(|| drawn.clamp(lo, hi));
    if let Some(cap) = cfg.max_object_size {
        bytes = bytes.min(cap);
    }
    let window_ms = (cfg.window_days * 86_400_000.0) as i64;
    let created_ms = (now_ms - (rng.f64() * window_ms as f64) as i64) / 1000 * 1000;
    let updated_ms = created_ms + 1000 * rng.range(1, 60) as i64;
    let duration_ms = (bytes / 16).max(1000);
    let start_ms = created_ms - duration_ms as i64 - rng.range(500, 5000) as i64;
    let user = rng.pick(users);
    let id = uuid(rng);
    let bucket_id = uuid(rng);
    let cc_call = format!("int-{start_ms:x}-{}", chars(rng, ALNUM, 25));
    let phone = format!("+1{}", digits(rng, 10));
    let direction = *rng.pick(&["INBOUND", "OUTBOUND"]);
    let (queue, queue_no) = *rng.pick(&QUEUES);
    let t = |k: &str, v: String| (k.to_string(), v);
    let (object_name, tags) = match object_type {
        "callrecording" | "voicemail" => {
            let (kind, suffix) = if object_type == "voicemail" {
                ("voicemail", "V")
            } else {
                ("callrecording", "E")
            };
            let call_id = (start_ms - rng.range(1_000, 900_000_000) as i64).to_string();
            let name = format!(
                "ipbx:{IPBX}:{kind}:users:{}:{start_ms}-{call_id}-{}-{phone}_{suffix}.mp3",
                user.ext, user.ext
            );
            let ext_id = chars(rng, B64URL, 22);
            let tags = vec![
                t("guid", bucket_id.clone()),
                t("pbxId", chars(rng, B64URL, 22)),
                t("callId", call_id.clone()),
                t("ipbxid", IPBX.into()),
                t("address", phone.clone()),
                t("endTime", (start_ms + duration_ms as i64).to_string()),
                t("branchId", chars(rng, B64URL, 22)),
                t("duration", duration_ms.to_string()),
                t("userName", user.name.into()),
                t("callLogId", format!("{ext_id}{call_id}")),
                t("direction", direction.into()),
                t("startTime", start_ms.to_string()),
                t("userEmail", "user@example.com".into()),
                t("extensionId", ext_id),
                t("extensionNumber", user.ext.to_string()),
                t("media-processed", "true".into()),
            ];
            (name, tags)
        }
        "screenrecording" => {
            let tags = vec![
                t("callId", cc_call.clone()),
                t("agentId", format!("ag{}", user.id)),
                t("duration", duration_ms.to_string()),
                t("tenantId", TENANT.into()),
                t("startTime", start_ms.to_string()),
                t("startedBy", "vcc-agui".into()),
                t("identifier", format!("NA12_{TENANT}")),
                t("transactionId", rng.range(1000, 99999).to_string()),
                t(
                    "recording_start_time",
                    super::catalog::iso(start_ms).replace(['-', ':'], ""),
                ),
            ];
            (format!("{cc_call}-phone-00-{TENANT}.mp4"), tags)
        }
        "transcription" => {
            let source = *rng.pick(&[
                "callcenterrecording",
                "callcentervoicemail",
                "voicecommentrecording",
                "callrecordingchannel",
            ]);
            let mut tags = vec![
                t("callId", format!("{cc_call}-phone-00-{TENANT}")),
                t("result", "ok".into()),
                t("agentId", format!("ag{}", user.id)),
                t("duration", (duration_ms / 1000).to_string()),
                t("language", "en-US".into()),
                t("provider", "voci".into()),
                t("sourceId", uuid(rng)),
                t("tenantId", TENANT.into()),
                t("sourceObjectType", source.into()),
            ];
            if source == "callrecordingchannel" {
                tags.push(t("speaker", rng.pick(&["owner", "external"]).to_string()));
            }
            (format!("{cc_call}-phone-00-{TENANT}.json"), tags)
        }
        _ => {
            // callcenterrecording, callcentervoicemail
            let vm = object_type == "callcentervoicemail";
            let call = format!(
                "{cc_call}-{}-00-{TENANT}",
                if vm { "vmail" } else { "phone" }
            );
            let agent = if vm {
                String::new()
            } else {
                user.name.to_string()
            };
            let tags = vec![
                t("callId", call.clone()),
                t("ipbxid", IPBX.into()),
                t("address", phone.clone()),
                t("agentId", user.id.clone()),
                t("branchId", chars(rng, B64URL, 22)),
                t("calleeId", digits(rng, 11)),
                t("callerId", phone.trim_start_matches('+').to_string()),
                t("duration", duration_ms.to_string()),
                t("mediaUrl", format!("R{}.wav", digits(rng, 18))),
                t("tenantId", TENANT.into()),
                t("agentName", agent.clone()),
                t("direction", direction.into()),
                t("queueName", queue.into()),
                t("startTime", start_ms.to_string()),
                t("calleeName", agent),
                t("callerName", "Cell Phone   CA".into()),
                t("channelName", "Main Support".into()),
                t("queueNumber", queue_no.into()),
                t("holdDuration", "0".into()),
                t("callSnippetId", String::new()),
                t("transactionId", rng.range(100, 99999).to_string()),
                t("extensionNumber", user.ext.to_string()),
                t("billingTelephoneNumber", digits(rng, 11)),
            ];
            (format!("{call}.mp3"), tags)
        }
    };
    SimObject {
        id,
        region: region.to_string(),
        object_type: object_type.to_string(),
        mime_type: mime_for(object_type).to_string(),
        object_name,
        customer_id: CUSTOMER.into(),
        user_id: user.id.clone(),
        stored_bytes: bytes,
        created_ms,
        updated_ms,
        state: "AVAILABLE".into(),
        bucket_id,
        tags,
        shared: false,
        kind: if object_type == "transcription" {
            ContentKind::Json
        } else {
            ContentKind::Binary
        },
        poison: false,
        part_style_checksum: false,
        expired: Default::default(),
        restored_at: OnceLock::new(),
        digest: OnceLock::new(),
    }
}

/// Applies `--archived`, `--hostile-names` and the poison flags to a generated or loaded
/// catalog.
pub fn decorate(cfg: &SimConfig, objects: &mut [SimObject]) -> Result<(), String> {
    let pick = |tag: &str, objects: &[SimObject]| -> Vec<usize> {
        let mut idx: Vec<usize> = (0..objects.len())
            .filter(|i| objects[*i].state == "AVAILABLE")
            .collect();
        idx.sort_by_key(|i| hash_str(cfg.seed, &format!("{tag}:{}", objects[*i].id)));
        idx
    };
    // issue 10 (css): --archived, picked first so that hostile and poison objects stay AVAILABLE.
    let archived = pick("archived", objects);
    if (archived.len() as u64) < cfg.archived {
        return Err(format!(
            "--archived {}: only {} AVAILABLE objects",
            cfg.archived,
            archived.len()
        ));
    }
    for i in archived.into_iter().take(cfg.archived as usize) {
        objects[i].state = "ARCHIVED".into();
    }
    let hostile = pick("hostile", objects);
    for (k, i) in hostile
        .into_iter()
        .take(cfg.hostile_names as usize)
        .enumerate()
    {
        let o = &mut objects[i];
        let base = o
            .object_name
            .rsplit([':', '/', '\\'])
            .next()
            .unwrap_or("x.mp3");
        o.object_name = format!("{}{base}", HOSTILE[k % HOSTILE.len()]);
    }
    let poison = pick("poison", objects);
    for i in poison
        .into_iter()
        .take(cfg.faults.fault_poison_count as usize)
    {
        objects[i].poison = true;
    }
    for id in cfg.faults.fault_poison_ids.iter().filter(|s| !s.is_empty()) {
        let o = objects
            .iter_mut()
            .find(|o| &o.id == id)
            .ok_or(format!("--fault-poison-ids: no object with id {id:?}"))?;
        o.poison = true;
    }
    Ok(())
}

#[cfg(test)]
#[path = "gen_tests.rs"]
mod tests;
