//! A utility's outage list, read again and again, turned into outage areas with a start and
//! an end: a district listed with households out is dark since the first update that listed
//! it, and restored at the first update that no longer lists it (API.md, `incident outages`).
//!
//! The feed only ever says "listed now"; the history is ours to keep, so this is a small
//! state machine over successive snapshots, with no I/O (the reading and the XML are in `cli`).

use std::collections::BTreeMap;

use time::OffsetDateTime;

/// One reading of the feed: when the utility updated it, and the districts it listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The feed's own update time (`<更新日時>`, JST), not when we read it.
    pub updated_at: OffsetDateTime,
    /// District name (町字) → households without power.
    pub districts: BTreeMap<String, u64>,
}

/// An outage of one district as the feed has shown it so far.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictOutage {
    /// The 町字 name, matched against children's and points' `district`.
    pub district: String,
    /// The first update that listed it.
    pub since: OffsetDateTime,
    /// The first update that no longer listed it; `None` while listed.
    pub restored_at: Option<OffsetDateTime>,
    /// Households out in the latest update that listed it.
    pub households: Option<u64>,
}

/// The outages a sequence of snapshots describes, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    /// Every outage seen, open ones with `restored_at: None`.
    pub outages: Vec<DistrictOutage>,
    /// The newest update applied: an older or equal one read again changes nothing.
    pub last_update: Option<OffsetDateTime>,
}

impl FeedState {
    /// Starts from outages already stored (a `--watch` that was restarted continues them).
    pub fn from_stored(outages: Vec<DistrictOutage>) -> Self {
        let last_update = outages.iter().flat_map(|o| [Some(o.since), o.restored_at]).flatten().max();
        Self { outages, last_update }
    }

    /// Applies one snapshot; returns the indexes of the outages it opened or changed, so the
    /// caller writes only those. A snapshot not newer than the last one is ignored (the feed
    /// served a cached copy), and a district listed with 0 households counts as not listed.
    pub fn apply(&mut self, snapshot: &Snapshot) -> Vec<usize> {
        if self.last_update.is_some_and(|last| snapshot.updated_at <= last) {
            return Vec::new();
        }
        self.last_update = Some(snapshot.updated_at);
        let mut changed = Vec::new();
        for (i, open) in self.outages.iter_mut().enumerate().filter(|(_, o)| o.restored_at.is_none()) {
            match snapshot.districts.get(&open.district).copied().filter(|&n| n > 0) {
                None => {
                    open.restored_at = Some(snapshot.updated_at);
                    changed.push(i);
                }
                Some(n) if open.households != Some(n) => {
                    open.households = Some(n);
                    changed.push(i);
                }
                Some(_) => {}
            }
        }
        for (district, &households) in snapshot.districts.iter().filter(|(_, n)| **n > 0) {
            let still_open = self.outages.iter().any(|o| o.restored_at.is_none() && &o.district == district);
            if !still_open {
                self.outages.push(DistrictOutage {
                    district: district.clone(),
                    since: snapshot.updated_at,
                    restored_at: None,
                    households: Some(households),
                });
                changed.push(self.outages.len() - 1);
            }
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn snap(at: OffsetDateTime, listed: &[(&str, u64)]) -> Snapshot {
        Snapshot { updated_at: at, districts: listed.iter().map(|(d, n)| ((*d).to_owned(), *n)).collect() }
    }

    #[test]
    fn listed_then_unlisted_becomes_since_and_restored_at() {
        let (t1, t2, t3) =
            (datetime!(2026-09-09 01:00 +9), datetime!(2026-09-09 01:30 +9), datetime!(2026-09-09 02:00 +9));
        let mut state = FeedState::default();
        assert_eq!(state.apply(&snap(t1, &[("復", 120), ("根", 40)])), vec![0, 1]);
        assert_eq!(state.apply(&snap(t2, &[("復", 80), ("根", 40), ("清水口", 5)])), vec![0, 2]);
        assert_eq!(state.apply(&snap(t3, &[("清水口", 5)])), vec![0, 1]);
        let by: Vec<_> =
            state.outages.iter().map(|o| (o.district.as_str(), o.since, o.restored_at, o.households)).collect();
        assert_eq!(by, [("復", t1, Some(t3), Some(80)), ("根", t1, Some(t3), Some(40)), ("清水口", t2, None, Some(5))]);
    }

    #[test]
    fn a_district_out_again_after_restoration_is_a_new_outage() {
        let (t1, t2, t3) =
            (datetime!(2026-09-09 01:00 UTC), datetime!(2026-09-09 02:00 UTC), datetime!(2026-09-09 03:00 UTC));
        let mut state = FeedState::default();
        state.apply(&snap(t1, &[("復", 10)]));
        state.apply(&snap(t2, &[]));
        state.apply(&snap(t3, &[("復", 3)]));
        assert_eq!(state.outages.len(), 2);
        assert_eq!((state.outages[1].since, state.outages[1].restored_at), (t3, None));
    }

    #[test]
    fn a_stale_or_repeated_snapshot_and_zero_households_change_nothing_wrongly() {
        let (t1, t2) = (datetime!(2026-09-09 01:00 UTC), datetime!(2026-09-09 02:00 UTC));
        let mut state = FeedState::default();
        state.apply(&snap(t2, &[("復", 10)]));
        assert!(state.apply(&snap(t1, &[])).is_empty(), "an older copy is ignored");
        assert!(state.apply(&snap(t2, &[])).is_empty(), "the same update read again is ignored");
        assert_eq!(state.outages[0].restored_at, None);
        let mut state = FeedState::default();
        state.apply(&snap(t1, &[("根", 0)]));
        assert!(state.outages.is_empty(), "0 households is not an outage");
    }

    #[test]
    fn a_restarted_watch_continues_the_stored_outages() {
        let t1 = datetime!(2026-09-09 01:00 UTC);
        let stored = vec![DistrictOutage { district: "復".into(), since: t1, restored_at: None, households: Some(9) }];
        let mut state = FeedState::from_stored(stored);
        assert!(state.apply(&snap(t1, &[])).is_empty(), "the update we already had");
        let t2 = datetime!(2026-09-09 02:00 UTC);
        assert_eq!(state.apply(&snap(t2, &[("復", 9)])), Vec::<usize>::new());
        assert_eq!(state.outages.len(), 1);
    }
}
