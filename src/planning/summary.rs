//! Per-district counts for the public map, with small counts suppressed.
//!
//! A public count from 1 to 9 children could identify a family in a small 町字, so it is
//! shown as `null` with `suppressed: true`; staff see exact figures.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::DeviceKind;
use crate::spatial::Catalog;

/// Smallest child count shown to the public; 1..SUPPRESS_BELOW are hidden, 0 is shown.
pub const SUPPRESS_BELOW: u64 = 10;

/// One district's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DistrictSummary {
    /// 町字, or `(未設定)` when a record names none.
    pub district: String,
    /// Children with at least one life-critical device; `null` when suppressed.
    pub children: Option<u64>,
    /// Children by kind of life-critical device; `null` when suppressed.
    pub by_device_kind: BTreeMap<String, Option<u64>>,
    /// Whether any child count in this entry was hidden.
    pub suppressed: bool,
    /// Power points in the district.
    pub power_points: u64,
    /// Shelters in the district.
    pub shelters: u64,
}

/// A count as the caller may see it: exact for staff, suppressed 1–9 for the public.
pub fn visible(count: u64, exact: bool) -> Option<u64> {
    if exact || count == 0 || count >= SUPPRESS_BELOW { Some(count) } else { None }
}

const UNSET: &str = "(未設定)";

#[derive(Default)]
struct Tally {
    children: u64,
    by_kind: BTreeMap<DeviceKind, u64>,
    power_points: u64,
    shelters: u64,
}

/// Figures for every district that has a child, a power point or a shelter.
pub fn area_summary(catalog: &Catalog, exact: bool) -> Vec<DistrictSummary> {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let key = |d: &Option<String>| d.clone().unwrap_or_else(|| UNSET.to_owned());
    for child in catalog.list::<crate::domain::ChildProps>(None) {
        let mut kinds: Vec<DeviceKind> = child.props.life_critical().map(|d| d.kind).collect();
        if kinds.is_empty() {
            continue;
        }
        kinds.sort();
        kinds.dedup();
        let t = tallies.entry(key(&child.props.district)).or_default();
        t.children += 1;
        for kind in kinds {
            *t.by_kind.entry(kind).or_default() += 1;
        }
    }
    for p in catalog.list::<crate::domain::PowerPointProps>(None) {
        tallies.entry(key(&p.props.district)).or_default().power_points += 1;
    }
    for s in catalog.list::<crate::domain::ShelterProps>(None) {
        tallies.entry(key(&s.props.district)).or_default().shelters += 1;
    }
    tallies
        .into_iter()
        .map(|(district, t)| {
            let by_device_kind: BTreeMap<String, Option<u64>> = DeviceKind::ALL
                .iter()
                .map(|k| (k.as_str().to_owned(), visible(t.by_kind.get(k).copied().unwrap_or(0), exact)))
                .collect();
            let children = visible(t.children, exact);
            let suppressed = children.is_none() || by_device_kind.values().any(Option::is_none);
            DistrictSummary {
                district,
                children,
                by_device_kind,
                suppressed,
                power_points: t.power_points,
                shelters: t.shelters,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_nine_are_hidden_from_the_public_only() {
        assert_eq!(visible(0, false), Some(0));
        assert_eq!(visible(1, false), None);
        assert_eq!(visible(9, false), None);
        assert_eq!(visible(10, false), Some(10));
        assert_eq!(visible(3, true), Some(3));
    }
}
