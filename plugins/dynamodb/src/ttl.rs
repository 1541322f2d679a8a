//! Time to Live: UpdateTimeToLive / DescribeTimeToLive, and the sweep that
//! really deletes expired items. The sweep is a chain of `schedule::after`
//! timers (they survive restarts); as on AWS, an expired item can still be
//! read until the sweep deletes it, and TTL values more than five years in
//! the past are ignored.

use ruststack_sdk::protocol::shapes::dynamodb::{input, out, output};
use ruststack_sdk::{Setting, log, schedule, settings};
use serde_json::{Value, json};

use crate::attr::{self, Item};
use crate::error::{Res, table_not_found, validation};
use crate::storage;
use crate::table;

/// Seconds between sweeps of a table with TTL enabled, unless set.
pub const DEFAULT_SWEEP_SECONDS: u64 = 5;
/// The setting that changes the sweep interval (`--set dynamodb.ttl-sweep-seconds=60`).
pub const SWEEP_SETTING: &str = "ttl-sweep-seconds";
/// The longest sweep interval accepted: a day.
const MAX_SWEEP_SECONDS: u64 = 24 * 3600;

/// The declaration of [`SWEEP_SETTING`], for the plugin's description.
pub fn sweep_setting() -> Setting {
    Setting {
        name: SWEEP_SETTING.into(),
        about: format!(
            "seconds between the sweeps that delete expired items, 1 to {MAX_SWEEP_SECONDS} (default {DEFAULT_SWEEP_SECONDS})"
        ),
    }
}

/// Milliseconds until the next sweep: the setting when it is valid, else
/// the default (and a warning in the server's log, once per sweep).
pub fn sweep_interval_ms() -> u64 {
    let seconds = match settings::get(SWEEP_SETTING) {
        None => DEFAULT_SWEEP_SECONDS,
        Some(v) => match v.trim().parse::<u64>() {
            Ok(s) if (1..=MAX_SWEEP_SECONDS).contains(&s) => s,
            _ => {
                log::warn(&format!(
                    "{SWEEP_SETTING} is {v:?}, not a whole number of seconds from 1 to {MAX_SWEEP_SECONDS}; sweeping every {DEFAULT_SWEEP_SECONDS} s"
                ));
                DEFAULT_SWEEP_SECONDS
            }
        },
    };
    seconds * 1000
}

const FIVE_YEARS_SECS: i64 = 5 * 365 * 24 * 3600;

fn payload(name: &str, gen_: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({"table": name, "gen": gen_})).expect("JSON values serialize")
}

/// Sets the next sweep of table `name` (its TTL generation `gen_`).
pub fn schedule_sweep(name: &str, gen_: u64) {
    schedule::after(sweep_interval_ms(), &payload(name, gen_));
}

/// UpdateTimeToLive.
pub fn update(input: input::UpdateTimeToLive<'_>) -> Res<Value> {
    let name = &table::name_of(input.table_name());
    table::check_name(name, "tableName")?;
    let mut meta = table::load(name).ok_or_else(|| table_not_found(name))?;
    let spec = input.time_to_live_specification();
    let attr_name = spec
        .and_then(|s| s.attribute_name())
        .unwrap_or("")
        .to_string();
    if attr_name.is_empty() {
        return Err(validation(
            "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let enable = spec.and_then(|s| s.enabled()) == Some(true);
    match (&meta.ttl_attribute, enable) {
        (Some(_), true) => return Err(validation("TimeToLive is already enabled")),
        (None, false) => return Err(validation("TimeToLive is already disabled")),
        (Some(cur), false) if *cur != attr_name => {
            return Err(validation(format!(
                "TimeToLive is active on a different AttributeName: current AttributeName is {cur}"
            )));
        }
        _ => {}
    }
    if enable {
        meta.ttl_attribute = Some(attr_name.clone());
        meta.ttl_gen += 1;
        schedule_sweep(name, meta.ttl_gen);
    } else {
        meta.ttl_attribute = None;
    }
    table::save(&meta);
    let spec = out::TimeToLiveSpecification::new()
        .enabled(enable)
        .attribute_name(attr_name);
    Ok(output::UpdateTimeToLive::new()
        .time_to_live_specification(spec)
        .into())
}

/// DescribeTimeToLive.
pub fn describe(input: input::DescribeTimeToLive<'_>) -> Res<Value> {
    let name = &table::name_of(input.table_name());
    table::check_name(name, "tableName")?;
    let meta = table::load(name).ok_or_else(|| table_not_found(name))?;
    let status = if meta.ttl_attribute.is_some() {
        "ENABLED"
    } else {
        "DISABLED"
    };
    let description = out::TimeToLiveDescription::new()
        .time_to_live_status(status)
        .attribute_name(meta.ttl_attribute);
    Ok(output::DescribeTimeToLive::new()
        .time_to_live_description(description)
        .into())
}

/// True when `item` has expired at `now_secs` by its TTL attribute.
pub fn expired(item: &Item, attr_name: &str, now_secs: i64) -> bool {
    let Some(d) = item.get(attr_name).and_then(attr::num) else {
        return false;
    };
    let Ok(t) = d.to_text().split('.').next().unwrap_or("").parse::<i64>() else {
        return false;
    };
    t <= now_secs && t > now_secs - FIVE_YEARS_SECS
}

/// A sweep timer fired: delete expired items, then schedule the next sweep.
pub fn on_timer(payload_bytes: &[u8]) {
    let Ok(p) = serde_json::from_slice::<Value>(payload_bytes) else {
        return;
    };
    let name = p["table"].as_str().unwrap_or("");
    let Some(meta) = table::load(name) else {
        return;
    };
    let Some(attr_name) = meta.ttl_attribute.clone() else {
        return;
    };
    if p["gen"].as_u64() != Some(meta.ttl_gen) {
        return;
    }
    let now = (ruststack_sdk::ids::now_ms() / 1000) as i64;
    let prefix = storage::table_prefix(name);
    let end = ruststack_sdk::keys::prefix_end(&prefix);
    let mut start = prefix.clone();
    loop {
        let rows = ruststack_sdk::kv::scan(&start, end.as_deref(), 256, false);
        for (k, v) in &rows {
            if let Ok(item) = serde_json::from_slice::<Item>(v)
                && expired(&item, &attr_name, now)
            {
                storage::write_item_by(&meta, k, Some((&item, v)), None, true);
            }
        }
        match rows.last() {
            Some((k, _)) if rows.len() == 256 => {
                start = k.clone();
                start.push(0);
            }
            _ => break,
        }
    }
    schedule::after(sweep_interval_ms(), payload_bytes);
}

#[cfg(test)]
mod tests {
    use ruststack_sdk::testkit;

    use super::*;

    #[test]
    fn sweep_interval_comes_from_the_setting_when_valid() {
        testkit::reset();
        assert_eq!(sweep_interval_ms(), DEFAULT_SWEEP_SECONDS * 1000);
        testkit::set_setting(SWEEP_SETTING, "60");
        assert_eq!(sweep_interval_ms(), 60_000);
        for bad in ["0", "-1", "1.5", "soon", "86401"] {
            testkit::set_setting(SWEEP_SETTING, bad);
            assert_eq!(sweep_interval_ms(), DEFAULT_SWEEP_SECONDS * 1000, "{bad}");
        }
        assert!(
            testkit::with(|t| t.logs.iter().any(|l| l.contains("\"soon\""))),
            "an invalid value is logged"
        );
    }
}
