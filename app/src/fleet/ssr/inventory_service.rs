//! The fleet inventory: readers by device type and software version, and the readers running
//! an older version than most of their device type, within what the caller may see.

use super::reader_views::{Row, SELECT};
use crate::error::AppResult;
use crate::fleet::bulk_types::{InventoryCell, InventoryView, OutdatedReader};
use crate::fleet::types::ReaderView;
use crate::fleet::versions::newer_first;
use crate::ssr::binds::Binds;
use crate::ssr::caller::Caller;
use crate::ssr::fleet_scope::LocationScope;
use std::cmp::Ordering;

/// How many outdated readers the Overview lists; the count says how many more there are.
const LISTED: usize = 50;

pub async fn inventory(caller: &Caller) -> AppResult<InventoryView> {
    let mut binds = Binds::new();
    let scope =
        LocationScope::for_caller(caller).clause(&mut binds, "r.tenant_id", "r.location_id");
    let counts: Vec<(String, Option<String>, i64)> = binds
        .query_as(&format!(
            "SELECT r.device_type, r.sw_version, COUNT(*) FROM readers r WHERE {scope}
             GROUP BY r.device_type, r.sw_version"
        ))
        .fetch_all(&caller.db().pool)
        .await?;
    let mut cells: Vec<InventoryCell> = counts
        .into_iter()
        .map(|(device_type, sw_version, readers)| InventoryCell {
            device_type,
            sw_version,
            readers,
        })
        .collect();
    cells.sort_by(|a, b| {
        a.device_type
            .cmp(&b.device_type)
            .then_with(|| match (&a.sw_version, &b.sw_version) {
                (Some(x), Some(y)) => newer_first(x, y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
    });
    // The most common version of each device type; a tie goes to the newer version, so a
    // fleet half upgraded does not call the upgraded half outdated.
    let mut common: Vec<(String, String, i64)> = Vec::new();
    for cell in &cells {
        let Some(version) = &cell.sw_version else {
            continue;
        };
        match common.iter_mut().find(|(d, _, _)| *d == cell.device_type) {
            Some(best) if cell.readers > best.2 => {
                *best = (cell.device_type.clone(), version.clone(), cell.readers)
            }
            Some(_) => {}
            None => common.push((cell.device_type.clone(), version.clone(), cell.readers)),
        }
    }
    let older: Vec<(&str, &str, i64)> = cells
        .iter()
        .filter_map(|cell| {
            let version = cell.sw_version.as_deref()?;
            let (_, usual, _) = common.iter().find(|(d, _, _)| *d == cell.device_type)?;
            (newer_first(version, usual) == Ordering::Greater).then_some((
                cell.device_type.as_str(),
                version,
                cell.readers,
            ))
        })
        .collect();
    let outdated_total = older.iter().map(|(_, _, n)| n).sum();
    let outdated = if older.is_empty() {
        Vec::new()
    } else {
        let mut binds = Binds::new();
        let scope =
            LocationScope::for_caller(caller).clause(&mut binds, "r.tenant_id", "r.location_id");
        let pairs: Vec<String> = older
            .iter()
            .map(|(device, version, _)| {
                let d = binds.add(*device);
                let v = binds.add(*version);
                format!("(r.device_type = {d} AND r.sw_version = {v})")
            })
            .collect();
        let rows: Vec<Row> = binds
            .query_as(&format!(
                "{SELECT} WHERE {scope} AND ({}) ORDER BY LOWER(r.label), r.id LIMIT {LISTED}",
                pairs.join(" OR ")
            ))
            .fetch_all(&caller.db().pool)
            .await?;
        rows.into_iter()
            .map(ReaderView::from)
            .map(|r| {
                let usual = common
                    .iter()
                    .find(|(d, _, _)| *d == r.device_type)
                    .map(|(_, v, _)| v.clone())
                    .unwrap_or_default();
                OutdatedReader {
                    label: r.label,
                    location: r.location_name,
                    sw_version: r.sw_version.unwrap_or_default(),
                    common: usual,
                    device_type: r.device_type,
                    id: r.id,
                }
            })
            .collect()
    };
    Ok(InventoryView {
        cells,
        common,
        outdated,
        outdated_total,
    })
}
