//! Per-district counts for the public map, with small counts suppressed.
//!
//! Districts come from the city's list ([`Districts`]); anything else is counted under
//! 「その他」, so free text never reaches an anonymous caller. A public count from 1 to 9
//! children could identify a family in a small 町字, so it is hidden (primary suppression),
//! and further cells are hidden until no hidden count can be worked out by subtraction from
//! a published total (complementary suppression, [`hidden_cells`]). Staff see exact figures.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::DeviceKind;
use crate::domain::district::Districts;
use crate::spatial::Catalog;

/// Smallest child count shown to the public; 1..SUPPRESS_BELOW are hidden, 0 is shown.
pub const SUPPRESS_BELOW: u64 = 10;

/// One district's figures.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DistrictSummary {
    /// 町字 from the city's list, or 「その他」 for everything else (and records without one).
    pub district: String,
    /// Children with at least one life-critical device; `null` when suppressed.
    pub children: Option<u64>,
    /// Children by kind of life-critical device, a kind `null` when hidden; the whole map
    /// `null` when the district's count is suppressed.
    pub by_device_kind: Option<BTreeMap<String, Option<u64>>>,
    /// Whether any child count in this entry was hidden.
    pub suppressed: bool,
    /// Power points in the district.
    pub power_points: u64,
    /// Shelters in the district.
    pub shelters: u64,
}

/// A count as the caller may see it: exact for staff, suppressed 1–9 for the public. Only the
/// primary rule: [`hidden_cells`] adds the complements.
pub fn visible(count: u64, exact: bool) -> Option<u64> {
    if exact || !small(count) { Some(count) } else { None }
}

fn small(count: u64) -> bool {
    (1..SUPPRESS_BELOW).contains(&count)
}

#[derive(Default)]
struct Tally {
    children: u64,
    by_kind: BTreeMap<DeviceKind, u64>,
    power_points: u64,
    shelters: u64,
}

/// Which cells the public does not see. `rows[d][0]` is district `d`'s child count and
/// `rows[d][1..]` its counts per device kind. Counts of 1–9 are hidden; a hidden district
/// count hides the district's kinds too; then, until nothing changes: a column (the district
/// counts, or one kind across districts: each sums to a city figure) or a published
/// district's kinds (they sum to its count) whose hidden cells could be worked out get
/// another one ([`complement`]).
pub fn hidden_cells(rows: &[Vec<u64>]) -> Vec<Vec<bool>> {
    let width = rows.first().map_or(0, Vec::len);
    let mut hidden: Vec<Vec<bool>> = rows.iter().map(|r| r.iter().map(|&n| small(n)).collect()).collect();
    loop {
        let mut changed = false;
        for h in hidden.iter_mut().filter(|h| h[0] && h.iter().any(|x| !x)) {
            h.fill(true);
            changed = true;
        }
        for j in 0..width {
            // A kind cell of a district published with 0 children is a known zero: no cover.
            let known = |d: usize| j > 0 && !hidden[d][0] && rows[d][0] == 0;
            let line: Vec<(usize, u64)> = (0..rows.len()).filter(|&d| !known(d)).map(|d| (d, rows[d][j])).collect();
            if let Some(d) = complement(&line, |d| hidden[d][j]) {
                hidden[d][j] = true;
                changed = true;
            }
        }
        for d in 0..rows.len() {
            let line: Vec<(usize, u64)> = (1..width).map(|j| (j, rows[d][j])).collect();
            if let Some(j) = complement(&line, |j| hidden[d][j]).filter(|_| !hidden[d][0]) {
                hidden[d][j] = true;
                changed = true;
            }
        }
        if !changed {
            match cover_pinned(rows, &hidden) {
                Some((d, j)) => hidden[d][j] = true,
                None => return hidden,
            }
        }
    }
}

/// Where one district (or none) has every child of a kind, the city's own figure for that
/// kind is the district's: nothing the summary hides can cover it.
pub fn coverable(rows: &[Vec<u64>], j: usize) -> bool {
    rows.iter().filter(|r| r[j] > 0).count() >= 2
}

/// A cell to hide so that a cell the rules left recoverable ([`recoverable`]) no longer is:
/// the smallest open cell beside it (its district's kinds, then its column), else the
/// smallest open district count. `None` when nothing coverable is recoverable.
fn cover_pinned(rows: &[Vec<u64>], hidden: &[Vec<bool>]) -> Option<(usize, usize)> {
    let (d, j) = recoverable(rows, hidden).into_iter().find(|&(_, j)| coverable(rows, j))?;
    let width = rows[0].len();
    let in_row: Vec<(usize, usize)> = if hidden[d][0] { vec![] } else { (1..width).map(|k| (d, k)).collect() };
    let in_column: Vec<(usize, usize)> = (0..rows.len()).map(|e| (e, j)).collect();
    let totals: Vec<(usize, usize)> = (0..rows.len()).map(|e| (e, 0)).collect();
    let open = |cells: &[(usize, usize)]| {
        cells.iter().copied().filter(|&(e, k)| !hidden[e][k] && rows[e][k] > 0).min_by_key(|&(e, k)| rows[e][k])
    };
    open(&in_row)
        .or_else(|| open(&in_column))
        .or_else(|| open(&totals))
        .or_else(|| (0..rows.len()).find(|&e| !hidden[e][0]).map(|e| (e, 0)))
}

/// The hidden cells an attacker can pin down who knows the published cells, every city-wide
/// figure (the children in all, each kind's count) and takes a district's count for the sum
/// of its kinds (exact when each child has one kind; with more, they know less).
///
/// The table is a flow: totals column → district (its count) → kind column (its cells).
/// Another table agreeing with everything published differs by a circulation over the
/// hidden cells, and one through a cell exists iff a cycle does, with every cell it
/// lowers at least 1 (conformal decomposition). So a cell can rise iff its head reaches
/// its tail, and fall (when ≥ 1) iff its tail reaches its head, without using the cell.
pub fn recoverable(rows: &[Vec<u64>], hidden: &[Vec<bool>]) -> Vec<(usize, usize)> {
    // No districts (an empty city): nothing published, nothing to recover.
    let Some(width) = rows.first().map(Vec::len) else { return Vec::new() };
    // Each hidden cell as (from, to, value): node j < width is column j, width + d district d.
    let edges: Vec<(usize, usize, u64)> = (0..rows.len())
        .flat_map(|d| (0..width).map(move |j| (d, j)))
        .filter(|&(d, j)| hidden[d][j])
        .map(|(d, j)| if j == 0 { (0, width + d, rows[d][0]) } else { (width + d, j, rows[d][j]) })
        .collect();
    let reaches = |from: usize, to: usize, skip: usize| {
        let mut seen = vec![false; width + rows.len()];
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            for (_, &(a, b, v)) in edges.iter().enumerate().filter(|&(e, _)| e != skip) {
                if a == n {
                    stack.push(b);
                }
                if b == n && v >= 1 {
                    stack.push(a);
                }
            }
        }
        false
    };
    let cells: Vec<(usize, usize)> =
        (0..rows.len()).flat_map(|d| (0..width).map(move |j| (d, j))).filter(|&(d, j)| hidden[d][j]).collect();
    cells
        .into_iter()
        .zip(&edges)
        .enumerate()
        .filter(|&(e, (_, &(a, b, v)))| !(reaches(b, a, e) || (v >= 1 && reaches(a, b, e))))
        .map(|(_, (cell, _))| cell)
        .collect()
}

/// The cell to hide next in one sum's cells `(position, count)`, if the hidden ones can be
/// worked out: exactly one hidden (then the smallest non-zero open cell, else a zero), or all
/// hidden ones zero (then the smallest non-zero open cell: a known zero says "none of kind k
/// here", which is what suppression hides).
fn complement(line: &[(usize, u64)], hidden: impl Fn(usize) -> bool) -> Option<usize> {
    let (shut, open): (Vec<_>, Vec<_>) = line.iter().partition(|&&(i, _)| hidden(i));
    let smallest = |nonzero: bool| {
        open.iter().filter(|&&&(_, n)| !nonzero || n > 0).min_by_key(|&&&(_, n)| (n == 0, n)).map(|&&(i, _)| i)
    };
    match shut.len() {
        0 => None,
        1 => smallest(false),
        _ if shut.iter().all(|&&(_, n)| n == 0) => smallest(true),
        _ => None,
    }
}

/// Counts per listed district (and 「その他」) that has a child, a power point or a shelter.
fn tallies(catalog: &Catalog, districts: &Districts) -> BTreeMap<String, Tally> {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let key = |d: &Option<String>| districts.bucket(d.as_deref()).to_owned();
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
}

/// Figures for every district that has a child, a power point or a shelter; `exact` for staff.
pub fn area_summary(catalog: &Catalog, districts: &Districts, exact: bool) -> Vec<DistrictSummary> {
    let tallies = tallies(catalog, districts);
    let rows: Vec<Vec<u64>> = tallies
        .values()
        .map(|t| {
            let kinds = DeviceKind::ALL.iter().map(|k| t.by_kind.get(k).copied().unwrap_or(0));
            std::iter::once(t.children).chain(kinds).collect()
        })
        .collect();
    let hidden = if exact { vec![vec![false; DeviceKind::ALL.len() + 1]; rows.len()] } else { hidden_cells(&rows) };
    tallies
        .into_iter()
        .zip(rows.iter().zip(&hidden))
        .map(|((district, t), (row, hide))| {
            let shown = |j: usize| (!hide[j]).then_some(row[j]);
            let by_device_kind = (!hide[0]).then(|| {
                DeviceKind::ALL.iter().enumerate().map(|(i, k)| (k.as_str().to_owned(), shown(i + 1))).collect()
            });
            DistrictSummary {
                district,
                children: shown(0),
                by_device_kind,
                suppressed: hide.iter().any(|h| *h),
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

    /// Rows from per-kind counts, the district count their sum.
    fn table(kinds: &[&[u64]]) -> Vec<Vec<u64>> {
        kinds.iter().map(|k| std::iter::once(k.iter().sum()).chain(k.iter().copied()).collect()).collect()
    }

    fn check(rows: &[Vec<u64>]) -> Vec<Vec<bool>> {
        let hidden = hidden_cells(rows);
        for (d, row) in rows.iter().enumerate() {
            for (j, &n) in row.iter().enumerate() {
                assert!(!small(n) || hidden[d][j], "{rows:?}: a small count shown at {d},{j}");
            }
            assert!(!hidden[d][0] || hidden[d].iter().all(|h| *h), "{rows:?}: a hidden district shows a kind");
        }
        let pinned: Vec<_> = recoverable(rows, &hidden).into_iter().filter(|&(_, j)| coverable(rows, j)).collect();
        assert_eq!(pinned, vec![], "{rows:?} hidden as {hidden:?}");
        hidden
    }

    #[test]
    fn the_attacker_finds_what_subtraction_gives_away() {
        let rows = table(&[&[3, 0], &[12, 5]]);
        let only_small = vec![vec![true, true, true], vec![false, false, false]];
        assert_eq!(recoverable(&rows, &only_small), vec![(0, 0), (0, 1), (0, 2)], "the city total minus 17");
        let both = vec![vec![true; 3]; 2];
        assert_eq!(recoverable(&rows, &both), vec![], "two hidden districts: counts and kinds can trade");
        let rows = table(&[&[3, 4], &[12, 5], &[10, 10]]);
        let one_kind = vec![vec![false, true, false], vec![false, false, false], vec![false; 3]];
        assert_eq!(recoverable(&rows, &one_kind), vec![(0, 1)], "its district's count minus the other kind");
    }

    #[test]
    fn an_empty_city_has_nothing_to_hide_or_recover() {
        assert_eq!(recoverable(&[], &[]), vec![]);
        assert_eq!(hidden_cells(&[]), Vec::<Vec<bool>>::new());
    }

    #[test]
    fn one_small_district_gets_a_second_one_hidden() {
        let rows = table(&[&[3, 0], &[10, 2], &[12, 0], &[20, 5]]);
        let hidden = check(&rows);
        assert!(hidden[0].iter().all(|h| *h));
        assert_eq!(hidden.iter().filter(|h| h[0]).count(), 2, "{hidden:?}");
    }

    #[test]
    fn one_small_kind_in_a_published_district_gets_a_second_one_hidden() {
        let rows = table(&[&[12, 3, 0], &[15, 0, 10], &[11, 10, 12]]);
        let hidden = check(&rows);
        assert!(!hidden[0][0], "a count of 15 is published");
        assert!(hidden[0][2] && hidden[0][1], "{hidden:?}");
    }

    #[test]
    fn every_district_small_hides_every_count() {
        let rows = table(&[&[1, 0], &[0, 1], &[1, 1]]);
        let hidden = check(&rows);
        assert!(hidden.iter().flatten().all(|h| *h));
    }

    #[test]
    fn many_small_tables_recover_nothing() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            [0, 0, 1, 2, 4, 9, 10, 11, 14][(seed % 9) as usize]
        };
        for n in 0..3000 {
            let kinds: Vec<Vec<u64>> = (0..2 + n % 5).map(|_| (0..1 + n % 3).map(|_| next()).collect()).collect();
            let slices: Vec<&[u64]> = kinds.iter().map(Vec::as_slice).collect();
            check(&table(&slices));
        }
    }
}
