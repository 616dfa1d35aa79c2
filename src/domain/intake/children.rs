//! 全数把握: merging the children lists that several divisions (健康課, 保育課, 教育支援課,
//! 危機管理課) report into the welfare division's one record per child. Fields that disagree
//! are kept as [`Conflict`]s for a coordinator, never overwritten; a report that could be
//! one of several stored children is not guessed at but listed for the coordinator.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use crate::domain::child::{ChildProps, Conflict, Contact, Device, DeviceKind};
use crate::domain::{Hazard, Located, OutletType};

/// How names, kana and addresses are compared: NFKC (full-width letters and digits,
/// half-width katakana), katakana folded to hiragana, all whitespace (full-width too) removed.
/// Divisions type the same name differently; these differences say nothing about the child.
pub fn text_key(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// One reported device. Blank cells are `None`: not known, so they cannot disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedDevice {
    /// Device kind; devices are compared with the stored ones of the same kind.
    pub kind: DeviceKind,
    /// Rated power, watts (required on a report: it sizes the power a child needs).
    pub rated_w: f64,
    /// Plug, when the row says.
    pub input: Option<OutletType>,
    /// Battery runtime in hours, when the row says.
    pub battery_h: Option<f64>,
    /// Whether the child cannot do without it, when the row says.
    pub life_critical: Option<bool>,
}

impl ReportedDevice {
    /// The device as stored for a new record: unknown plug AC100V, unknown battery 0 h,
    /// unknown life-critical no (the contract's defaults).
    pub fn to_device(&self, id: String) -> Device {
        Device {
            id: Some(id),
            kind: self.kind,
            model: None,
            rated_w: self.rated_w,
            draw_w: None,
            input: self.input.unwrap_or(OutletType::Ac100v),
            battery_h: self.battery_h.unwrap_or(0.0),
            pure_sine_required: false,
            life_critical: self.life_critical.unwrap_or(false),
            manual_alternative: None,
        }
    }
}

/// One reported child: what the division knows, and where it is if the row said so.
#[derive(Debug, Clone)]
pub struct Report {
    /// The row's line, for the operator.
    pub line: u64,
    /// The division's own ID for the child, if any.
    pub external_id: Option<String>,
    /// The reported fields. Consent and devices are in [`Report::consent`] and
    /// [`Report::devices`], where a blank is "not known" rather than "no".
    pub props: ChildProps,
    /// 情報提供の同意, when the row says.
    pub consent: Option<bool>,
    /// The reported devices.
    pub devices: Vec<ReportedDevice>,
    /// (lon, lat), when the row has coordinates.
    pub position: Option<(f64, f64)>,
    /// (lon, lat) found from the address; used only to place a new child (it is often
    /// only the 町字), never compared with a stored home.
    pub geocoded: Option<(f64, f64)>,
}

impl Report {
    /// The record a report starts when it is a child not seen before.
    fn new_child(&self, source: &str, external_id: Option<String>) -> ChildProps {
        let mut props = self.props.clone();
        props.consent_to_share = self.consent.unwrap_or(false);
        props.devices = self.devices.iter().enumerate().map(|(i, d)| d.to_device(format!("d{}", i + 1))).collect();
        props.sources = vec![source.into()];
        props.external_ids = external_id.into_iter().collect();
        props
    }
}

/// A conflict found in this run, with the line that reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The row's line.
    pub line: u64,
    /// The child it was merged into.
    pub child_id: String,
    /// What disagrees.
    pub conflict: Conflict,
}

/// Why a match rests on less than kana and birth date (or the division's ID) together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loose {
    /// Same kana (or name), different birth date.
    BirthDateDiffers,
    /// Same kana (or name); one side has no birth date.
    BirthDateMissing,
    /// Same name and birth date, different kana.
    KanaDiffers,
}

/// A report merged into a child on a loose match, for a coordinator to confirm.
#[derive(Debug, Clone, PartialEq)]
pub struct LooseMatch {
    /// The row's line.
    pub line: u64,
    /// The reported name.
    pub name: String,
    /// The child it was merged into.
    pub child_id: String,
    /// What differed.
    pub why: Loose,
}

/// A report that fits several children: not merged and not created, for a coordinator.
#[derive(Debug, Clone, PartialEq)]
pub struct Ambiguous {
    /// The row's line.
    pub line: u64,
    /// The reported name.
    pub name: String,
    /// The children it could be.
    pub candidates: Vec<String>,
}

/// A new child the report cannot place.
#[derive(Debug, Clone, PartialEq)]
pub struct Unlocated {
    /// The row's line.
    pub line: u64,
    /// The reported name.
    pub name: String,
    /// Whether the row had an address that could have been looked up.
    pub has_address: bool,
}

/// What a merge did, for the report and for the write.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Children not seen before (with a position).
    pub created: Vec<Located<ChildProps>>,
    /// Stored children that gained fields, a source or a conflict: the ones to write.
    pub merged: Vec<Located<ChildProps>>,
    /// Ids of stored children a report matched that nothing changed: not rewritten.
    pub unchanged: Vec<String>,
    /// Every disagreement found in this run, with its line.
    pub conflicts: Vec<Found>,
    /// Merges on a loose match (kana without birth date, …).
    pub loose: Vec<LooseMatch>,
    /// Reports that could be several children.
    pub ambiguous: Vec<Ambiguous>,
    /// New children without coordinates: reported, not guessed.
    pub unlocated: Vec<Unlocated>,
}

/// How strongly a stored child matches a report.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Strength {
    /// The division's own ID, or kana (name when a side has no kana) and birth date.
    Sure,
    /// Only part of that.
    Loose(Loose),
}

/// Compares one child with one report.
fn strength(c: &ChildProps, external: Option<&str>, r: &ChildProps) -> Option<Strength> {
    if let Some(ext) = external
        && c.external_ids.iter().any(|e| e == ext)
    {
        return Some(Strength::Sure);
    }
    let kana = match (&c.name_kana, &r.name_kana) {
        (Some(a), Some(b)) => Some(text_key(a) == text_key(b)),
        _ => None,
    };
    let same_name = text_key(&c.name) == text_key(&r.name);
    let birth = match (c.birth_date, r.birth_date) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    };
    match (kana.unwrap_or(same_name), birth) {
        (true, Some(true)) => Some(Strength::Sure),
        (true, Some(false)) => Some(Strength::Loose(Loose::BirthDateDiffers)),
        (true, None) => Some(Strength::Loose(Loose::BirthDateMissing)),
        (false, Some(true)) if same_name => Some(Strength::Loose(Loose::KanaDiffers)),
        _ => None,
    }
}

fn conflict(
    field: impl Into<String>,
    stored: impl Into<String>,
    reported: impl Into<String>,
    source: &str,
) -> Conflict {
    Conflict { field: field.into(), stored: stored.into(), reported: reported.into(), source: source.into() }
}

/// Text fields: an empty stored field is filled; a different one (ignoring width, kana
/// script and spaces) is a conflict.
fn merge_text(
    field: &str,
    stored: &mut Option<String>,
    reported: &Option<String>,
    source: &str,
    out: &mut Vec<Conflict>,
) {
    match (stored.as_ref(), reported) {
        (_, None) => {}
        (None, Some(r)) => *stored = Some(r.clone()),
        (Some(s), Some(r)) if text_key(s) == text_key(r) => {}
        (Some(s), Some(r)) => out.push(conflict(field, s, r, source)),
    }
}

/// "はい" / "いいえ", as the CSV writes yes/no.
pub fn yes_no(v: bool) -> &'static str {
    if v { "はい" } else { "いいえ" }
}

/// The plug as the CSV writes it.
pub fn input_label(t: OutletType) -> &'static str {
    match t {
        OutletType::Ac100v => "AC100V",
        OutletType::Dc12v => "DC12V",
        OutletType::Usb => "USB",
    }
}

/// Homes closer than this are the same place (two divisions' geocoding differs by metres).
const SAME_PLACE_M: f64 = 30.0;

fn distance_m((lon1, lat1): (f64, f64), (lon2, lat2): (f64, f64)) -> f64 {
    let mean_lat = ((lat1 + lat2) / 2.0).to_radians();
    let dx = (lon2 - lon1).to_radians() * mean_lat.cos();
    let dy = (lat2 - lat1).to_radians();
    6_371_000.0 * dx.hypot(dy)
}

/// Each reported device against the stored devices of its kind (in order within the kind):
/// a field both sides know and that differs is a conflict; a device of a kind the record
/// lacks is added (like contacts, a second division may know of a device the first did not).
fn merge_devices(stored: &mut Vec<Device>, reported: &[ReportedDevice], source: &str, out: &mut Vec<Conflict>) {
    let mut nth: HashMap<DeviceKind, usize> = HashMap::new();
    for rd in reported {
        let k = nth.entry(rd.kind).or_default();
        let found = stored.iter().enumerate().filter(|(_, d)| d.kind == rd.kind).nth(*k).map(|(i, _)| i);
        *k += 1;
        let Some(i) = found else {
            let mut n = stored.len() + 1;
            while stored.iter().any(|d| d.id.as_deref() == Some(format!("d{n}").as_str())) {
                n += 1;
            }
            stored.push(rd.to_device(format!("d{n}")));
            continue;
        };
        let d = &stored[i];
        let field = |f: &str| format!("devices[{i}].{f}");
        if d.rated_w != rd.rated_w {
            out.push(conflict(field("rated_w"), d.rated_w.to_string(), rd.rated_w.to_string(), source));
        }
        if let Some(input) = rd.input.filter(|t| *t != d.input) {
            out.push(conflict(field("input"), input_label(d.input), input_label(input), source));
        }
        if let Some(h) = rd.battery_h.filter(|h| *h != d.battery_h) {
            out.push(conflict(field("battery_h"), d.battery_h.to_string(), h.to_string(), source));
        }
        if let Some(lc) = rd.life_critical.filter(|lc| *lc != d.life_critical) {
            out.push(conflict(field("life_critical"), yes_no(d.life_critical), yes_no(lc), source));
        }
    }
}

/// Merges one report into a child; returns the conflicts found (also kept on the child).
fn merge_into(target: &mut Located<ChildProps>, report: &Report, how: Strength, source: &str) -> Vec<Conflict> {
    let stored = &mut target.props;
    let r = &report.props;
    let mut found = Vec::new();
    if text_key(&stored.name) != text_key(&r.name) && !r.name.trim().is_empty() {
        found.push(conflict("name", &stored.name, &r.name, source));
    }
    merge_text("name_kana", &mut stored.name_kana, &r.name_kana, source, &mut found);
    match (stored.birth_date, r.birth_date) {
        (Some(s), Some(b)) if s != b => found.push(conflict("birth_date", s.to_string(), b.to_string(), source)),
        // The birth date tells children apart: on a loose match it is not filled in but
        // left for the coordinator to confirm.
        (None, Some(b)) if how != Strength::Sure => found.push(conflict("birth_date", "", b.to_string(), source)),
        (None, Some(b)) => stored.birth_date = Some(b),
        _ => {}
    }
    merge_text("address", &mut stored.address, &r.address, source, &mut found);
    merge_text("district", &mut stored.district, &r.district, source, &mut found);
    if let Some(p) = report.position
        && distance_m(p, (target.lon, target.lat)) > SAME_PLACE_M
    {
        let at = |(lon, lat): (f64, f64)| format!("{lat:.6},{lon:.6}");
        found.push(conflict("geometry", at((target.lon, target.lat)), at(p), source));
    }
    let same_contact = |a: &Contact, b: &Contact| {
        text_key(&a.name) == text_key(&b.name) && a.phone.as_deref().map(text_key) == b.phone.as_deref().map(text_key)
    };
    for contact in &r.contacts {
        if !stored.contacts.iter().any(|c| same_contact(c, contact)) {
            stored.contacts.push(contact.clone());
        }
    }
    for h in &r.home_hazards {
        if !stored.home_hazards.contains(h) {
            stored.home_hazards.push(*h);
        }
    }
    stored.home_hazards.sort_by_key(|h| Hazard::ALL.iter().position(|x| x == h));
    if let Some(consent) = report.consent.filter(|c| *c != stored.consent_to_share) {
        found.push(conflict("consent_to_share", yes_no(stored.consent_to_share), yes_no(consent), source));
    }
    merge_devices(&mut stored.devices, &report.devices, source, &mut found);
    if !stored.sources.iter().any(|s| s == source) {
        stored.sources.push(source.into());
    }
    if let Some(ext) = &report.external_id
        && !stored.external_ids.contains(ext)
    {
        stored.external_ids.push(ext.clone());
    }
    for c in &found {
        if !stored.conflicts.contains(c) {
            stored.conflicts.push(c.clone());
        }
    }
    found
}

/// A child being merged: stored (with its state before this run) or created by this run.
struct Entry {
    child: Located<ChildProps>,
    before: Option<ChildProps>,
    matched: bool,
}

/// Where to look children up: keys of kana, name and `課名:ID` → entries.
#[derive(Default)]
struct Index {
    keys: HashMap<String, Vec<usize>>,
}

impl Index {
    fn add(&mut self, i: usize, c: &ChildProps) {
        let keys = c
            .name_kana
            .iter()
            .map(|k| format!("k:{}", text_key(k)))
            .chain([format!("n:{}", text_key(&c.name))])
            .chain(c.external_ids.iter().map(|e| format!("e:{e}")));
        for key in keys {
            let list = self.keys.entry(key).or_default();
            if !list.contains(&i) {
                list.push(i);
            }
        }
    }

    /// Entries that share the report's ID, kana or name (checked properly by [`strength`]).
    fn candidates(&self, r: &ChildProps, external: Option<&str>) -> Vec<usize> {
        let keys = r
            .name_kana
            .iter()
            .map(|k| format!("k:{}", text_key(k)))
            .chain([format!("n:{}", text_key(&r.name))])
            .chain(external.map(|e| format!("e:{e}")));
        let mut out: Vec<usize> = keys.filter_map(|k| self.keys.get(&k)).flatten().copied().collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// Merges a division's reports into the stored children. `new_id` names new records.
///
/// Same child: the division's own ID (`課名:ID`), or the same kana and birth date (the
/// name stands in for kana when a side has none). Same kana but a different or missing
/// birth date is still the same child when only one child fits — merged, with the birth
/// date left as a conflict and the match listed as loose. Several fitting children: the
/// report is listed as ambiguous and neither merged nor created.
pub fn merge(
    stored: &[Located<ChildProps>],
    reports: &[Report],
    source: &str,
    mut new_id: impl FnMut() -> String,
) -> Outcome {
    let mut out = Outcome::default();
    let mut entries: Vec<Entry> =
        stored.iter().map(|c| Entry { child: c.clone(), before: Some(c.props.clone()), matched: false }).collect();
    let mut index = Index::default();
    for (i, e) in entries.iter().enumerate() {
        index.add(i, &e.child.props);
    }
    for report in reports {
        let ext = report.external_id.as_ref().map(|e| format!("{source}:{e}"));
        let mut hits: Vec<(usize, Strength)> = index
            .candidates(&report.props, ext.as_deref())
            .into_iter()
            .filter_map(|i| strength(&entries[i].child.props, ext.as_deref(), &report.props).map(|s| (i, s)))
            .collect();
        if hits.iter().any(|(_, s)| *s == Strength::Sure) {
            hits.retain(|(_, s)| *s == Strength::Sure);
        }
        match hits.as_slice() {
            [] => {
                let Some((lon, lat)) = report.position.or(report.geocoded) else {
                    out.unlocated.push(Unlocated {
                        line: report.line,
                        name: report.props.name.clone(),
                        has_address: report.props.address.is_some(),
                    });
                    continue;
                };
                let props = report.new_child(source, ext);
                index.add(entries.len(), &props);
                entries.push(Entry { child: Located { id: new_id(), lon, lat, props }, before: None, matched: true });
            }
            [(i, how)] => {
                let mut report = report.clone();
                report.external_id = ext;
                let entry = &mut entries[*i];
                entry.matched = true;
                if let Strength::Loose(why) = how {
                    out.loose.push(LooseMatch {
                        line: report.line,
                        name: report.props.name.clone(),
                        child_id: entry.child.id.clone(),
                        why: *why,
                    });
                }
                for conflict in merge_into(&mut entry.child, &report, *how, source) {
                    out.conflicts.push(Found { line: report.line, child_id: entry.child.id.clone(), conflict });
                }
                index.add(*i, &entry.child.props);
            }
            several => out.ambiguous.push(Ambiguous {
                line: report.line,
                name: report.props.name.clone(),
                candidates: several.iter().map(|(i, _)| entries[*i].child.id.clone()).collect(),
            }),
        }
    }
    for e in entries.into_iter().filter(|e| e.matched) {
        match e.before {
            None => out.created.push(e.child),
            Some(before) if before == e.child.props => out.unchanged.push(e.child.id),
            Some(_) => out.merged.push(e.child),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: serde_json::Value) -> ChildProps {
        serde_json::from_value(v).unwrap()
    }

    fn stored() -> Vec<Located<ChildProps>> {
        vec![Located {
            id: "child-001".into(),
            lon: 140.05,
            lat: 35.79,
            props: props(json!({"name": "白井 陽翔（架空）", "name_kana": "しろい はると", "birth_date": "2019-05-14",
                                "consent_to_share": true, "sources": ["障害福祉課"],
                                "devices": [{"id": "d1", "kind": "ventilator", "rated_w": 150, "input": "ac100v",
                                             "battery_h": 8, "life_critical": true}]})),
        }]
    }

    fn report(line: u64, v: serde_json::Value, position: Option<(f64, f64)>) -> Report {
        Report {
            line,
            external_id: None,
            props: props(v),
            consent: None,
            devices: Vec::new(),
            position,
            geocoded: None,
        }
    }

    /// child-001 as another division reports it, born on `birth_date`.
    fn haruto(line: u64, birth_date: &str, position: Option<(f64, f64)>) -> Report {
        report(
            line,
            json!({"name": "白井 陽翔（架空）", "name_kana": "しろい はると", "birth_date": birth_date}),
            position,
        )
    }

    fn ids(n: &mut u32) -> impl FnMut() -> String + '_ {
        move || {
            *n += 1;
            format!("child-n{n}")
        }
    }

    #[test]
    fn kana_keys_ignore_script_width_and_spaces() {
        assert_eq!(text_key("シロイ　ハルト"), text_key("しろい はると"));
        assert_eq!(text_key("ｼﾛｲ ﾊﾙﾄ"), "しろいはると");
        assert_eq!(text_key("２丁目"), "2丁目");
        assert_ne!(text_key("しろい はると"), text_key("しろい はるか"));
    }

    #[test]
    fn the_same_child_from_two_divisions_is_one_record_with_both_sources() {
        let r = report(
            2,
            json!({"name": "白井　陽翔（架空）", "name_kana": "シロイハルト", "birth_date": "2019-05-14",
                   "address": "白井市復（架空）"}),
            None,
        );
        let out = merge(&stored(), &[r], "健康課", || "new".into());
        assert!(out.created.is_empty() && out.conflicts.is_empty() && out.loose.is_empty(), "{out:?}");
        assert_eq!(out.merged.len(), 1);
        assert_eq!(out.merged[0].props.sources, ["障害福祉課", "健康課"]);
        assert_eq!(out.merged[0].props.address.as_deref(), Some("白井市復（架空）"), "empty fields are filled");
    }

    #[test]
    fn same_kana_with_another_birth_date_merges_and_keeps_the_date_as_a_conflict() {
        let r = haruto(3, "2019-05-15", None);
        let out = merge(&stored(), &[r], "保育課", || "new".into());
        assert!(out.created.is_empty(), "not a duplicate");
        assert_eq!(out.merged.len(), 1);
        let child = &out.merged[0].props;
        assert_eq!(child.birth_date.unwrap().to_string(), "2019-05-14", "not overwritten");
        assert_eq!(child.sources, ["障害福祉課", "保育課"]);
        let expected = conflict("birth_date", "2019-05-14", "2019-05-15", "保育課");
        assert_eq!(out.conflicts, [Found { line: 3, child_id: "child-001".into(), conflict: expected.clone() }]);
        assert_eq!(child.conflicts, [expected]);
        assert_eq!(out.loose[0].why, Loose::BirthDateDiffers);
    }

    #[test]
    fn a_loose_match_does_not_fill_in_the_birth_date_it_could_not_check() {
        let mut s = stored();
        s[0].props.birth_date = None;
        let r = haruto(2, "2019-05-14", None);
        let out = merge(&s, &[r], "健康課", || "new".into());
        assert_eq!(out.merged[0].props.birth_date, None);
        assert_eq!(out.conflicts[0].conflict, conflict("birth_date", "", "2019-05-14", "健康課"));
        assert_eq!(out.loose[0].why, Loose::BirthDateMissing);
        // Matched by the division's own ID, the same date is filled in.
        let mut r = report(2, json!({"name": "白井 陽翔（架空）", "birth_date": "2019-05-14"}), None);
        r.external_id = Some("K-1".into());
        s[0].props.external_ids = vec!["健康課:K-1".into()];
        let out = merge(&s, &[r], "健康課", || "new".into());
        assert_eq!(out.merged[0].props.birth_date.unwrap().to_string(), "2019-05-14");
        assert!(out.conflicts.is_empty());
    }

    #[test]
    fn a_report_that_fits_two_children_is_neither_merged_nor_created() {
        let mut s = stored();
        let mut twin = s[0].clone();
        twin.id = "child-002".into();
        twin.props.birth_date = Some(time::macros::date!(2015 - 01 - 01));
        s.push(twin);
        let r = report(4, json!({"name": "白井 陽翔（架空）", "name_kana": "しろい はると"}), Some((140.0, 35.8)));
        let out = merge(&s, &[r], "教育支援課", || "new".into());
        assert!(out.created.is_empty() && out.merged.is_empty());
        assert_eq!(out.ambiguous[0].candidates, ["child-001", "child-002"]);
        // With the birth date it is one of them for sure.
        let r = haruto(4, "2015-01-01", None);
        let out = merge(&s, &[r], "教育支援課", || "new".into());
        assert!(out.ambiguous.is_empty() && out.loose.is_empty());
        assert_eq!(out.merged[0].id, "child-002");
    }

    #[test]
    fn devices_disagreeing_field_by_field_are_conflicts_and_new_kinds_are_added() {
        let mut r = haruto(2, "2019-05-14", None);
        r.devices = vec![
            ReportedDevice {
                kind: DeviceKind::Ventilator,
                rated_w: 300.0,
                input: Some(OutletType::Dc12v),
                battery_h: None,
                life_critical: Some(true),
            },
            ReportedDevice {
                kind: DeviceKind::PulseOximeter,
                rated_w: 2.0,
                input: Some(OutletType::Usb),
                battery_h: Some(24.0),
                life_critical: Some(false),
            },
        ];
        let out = merge(&stored(), &[r], "健康課", || "new".into());
        let fields: Vec<_> = out
            .conflicts
            .iter()
            .map(|f| (f.conflict.field.as_str(), f.conflict.stored.as_str(), f.conflict.reported.as_str()))
            .collect();
        assert_eq!(fields, [("devices[0].rated_w", "150", "300"), ("devices[0].input", "AC100V", "DC12V")]);
        let devices = &out.merged[0].props.devices;
        assert_eq!((devices[0].rated_w, devices[0].input), (150.0, OutletType::Ac100v), "stored values kept");
        assert_eq!(devices.len(), 2);
        assert_eq!((devices[1].kind, devices[1].id.as_deref()), (DeviceKind::PulseOximeter, Some("d2")));
    }

    #[test]
    fn consent_and_home_position_disagreements_are_conflicts() {
        let mut r = haruto(5, "2019-05-14", Some((140.06, 35.79)));
        r.consent = Some(false);
        let out = merge(&stored(), &[r.clone()], "危機管理課", || "new".into());
        let fields: Vec<_> = out.conflicts.iter().map(|f| f.conflict.field.as_str()).collect();
        assert_eq!(fields, ["geometry", "consent_to_share"]);
        assert!(out.merged[0].props.consent_to_share, "stored consent kept");
        assert_eq!((out.merged[0].lon, out.merged[0].lat), (140.05, 35.79), "stored home kept");
        // A few metres apart is the same home.
        r.position = Some((140.0501, 35.7901));
        r.consent = Some(true);
        let out = merge(&stored(), &[r], "危機管理課", || "new".into());
        assert!(out.conflicts.is_empty(), "{:?}", out.conflicts);
    }

    #[test]
    fn a_match_that_changes_nothing_is_unchanged_not_rewritten() {
        let r = haruto(2, "2019-05-14", None);
        let out = merge(&stored(), &[r], "障害福祉課", || "new".into());
        assert!(out.merged.is_empty());
        assert_eq!(out.unchanged, ["child-001"]);
    }

    #[test]
    fn new_children_need_a_position_and_duplicates_in_one_file_merge() {
        let a = report(
            2,
            json!({"name": "七次 湊（架空）", "name_kana": "ななつぎ みなと", "birth_date": "2020-01-02"}),
            Some((140.0, 35.8)),
        );
        let b = report(
            3,
            json!({"name": "七次 湊（架空）", "name_kana": "ナナツギミナト", "birth_date": "2020-01-02", "district": "七次台"}),
            None,
        );
        let c = report(4, json!({"name": "位置 不明（架空）", "address": "白井市のどこか"}), None);
        let mut geocoded = report(5, json!({"name": "住所 検索（架空）"}), None);
        geocoded.geocoded = Some((140.03, 35.80));
        let mut n = 0;
        let out = merge(&stored(), &[a, b, c, geocoded], "教育支援課", ids(&mut n));
        assert_eq!(out.created.len(), 2);
        assert_eq!(out.created[0].props.district.as_deref(), Some("七次台"));
        assert_eq!((out.created[1].lon, out.created[1].lat), (140.03, 35.80));
        assert_eq!(out.unlocated, [Unlocated { line: 4, name: "位置 不明（架空）".into(), has_address: true }]);
    }
}
