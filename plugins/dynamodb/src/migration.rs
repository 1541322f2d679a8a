//! Where data stored before accounts and regions were kept apart belongs:
//! account `000000000000`, in the region of the table it is part of (its
//! ARN says which), so a table created through eu-west-1 stays in eu-west-1.

use ruststack_sdk::keys::{Key, KeyReader};
use ruststack_sdk::scope::{self, DEFAULT_REGION, Scope};
use ruststack_sdk::{kv, migrate};
use serde_json::Value;

/// The scope of one stored entry (see `Service::legacy_scope`).
pub fn scope_of(key: &[u8], value: &[u8]) -> Scope {
    let mut r = KeyReader::new(key);
    let table_region = |name: &[u8]| -> Option<String> {
        let meta_key = Key::new().str("t").bytes(name).into_bytes();
        region_of_meta(&kv::unscoped::get(&meta_key)?)
    };
    let region = match r.bytes().as_deref() {
        Some(b"t") => {
            let region = region_of_meta(value);
            if let Some(region) = &region {
                keep_ttl_sweeping(value, region);
            }
            region
        }
        Some(b"i" | b"x") => r.bytes().and_then(|name| table_region(&name)),
        _ => return migrate::legacy_regional_in(key, value),
    };
    migrate::legacy_regional(region.as_deref())
}

/// The region in a stored table's ARN.
fn region_of_meta(meta: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(meta).ok()?;
    let arn = v["desc"]["TableArn"].as_str()?;
    ruststack_sdk::ids::parse_arn(arn).map(|a| a.region)
}

/// A table with TTL in another region than the default had its sweep timer
/// set before timers carried their scope: such a timer fires in the default
/// region, where the table no longer is, so its sweeps are started again in
/// the table's own region.
fn keep_ttl_sweeping(meta: &[u8], region: &str) {
    if region == DEFAULT_REGION {
        return;
    }
    let Ok(v) = serde_json::from_slice::<Value>(meta) else {
        return;
    };
    if v["ttl_attribute"].is_string()
        && let (Some(name), Some(gen_)) = (v["desc"]["TableName"].as_str(), v["ttl_gen"].as_u64())
    {
        scope::with(migrate::legacy_regional(Some(region)), || {
            crate::ttl::schedule_sweep(name, gen_)
        });
    }
}
