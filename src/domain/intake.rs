//! 全数把握: merging the children lists that several divisions (健康課, 保育課, 教育支援課,
//! 危機管理課) report into the welfare division's one record per child. Same child: the same
//! `課名:ID`, or the same name kana and birth date. Empty fields are filled; fields that
//! disagree are kept as [`Conflict`]s for a coordinator, never overwritten.

use super::child::{ChildProps, Conflict, Contact, Device};
use super::{Hazard, Located};

/// One reported child: what the division knows, and where it is if the row said so.
#[derive(Debug, Clone)]
pub struct Report {
    /// The row's line, for the operator.
    pub line: u64,
    /// The division's own ID for the child, if any.
    pub external_id: Option<String>,
    /// The reported fields.
    pub props: ChildProps,
    /// (lon, lat), when the row has coordinates.
    pub position: Option<(f64, f64)>,
}

/// What a merge did, for the report and for the write.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Children not seen before (with a position).
    pub created: Vec<Located<ChildProps>>,
    /// Stored children that gained fields or a source.
    pub merged: Vec<Located<ChildProps>>,
    /// (child id, conflict) for every disagreement found in this run.
    pub conflicts: Vec<(String, Conflict)>,
    /// (line, name) of new children without coordinates: reported, not guessed.
    pub unlocated: Vec<(u64, String)>,
}

fn kana_key(kana: &str) -> String {
    kana.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether `report` is the stored child `c`.
fn same_child(c: &ChildProps, external: Option<&str>, r: &ChildProps) -> bool {
    if let Some(ext) = external
        && c.external_ids.iter().any(|e| e == ext)
    {
        return true;
    }
    match (&c.name_kana, c.birth_date, &r.name_kana, r.birth_date) {
        (Some(a), Some(da), Some(b), Some(db)) => kana_key(a) == kana_key(b) && da == db,
        _ => false,
    }
}

/// Fills `stored` from `reported` when empty; a differing value becomes a conflict.
fn merge_field<T: PartialEq + Clone + ToString>(
    field: &str,
    stored: &mut Option<T>,
    reported: &Option<T>,
    source: &str,
    conflicts: &mut Vec<Conflict>,
) {
    match (stored.as_ref(), reported) {
        (_, None) => {}
        (None, Some(r)) => *stored = Some(r.clone()),
        (Some(s), Some(r)) if s == r => {}
        (Some(s), Some(r)) => conflicts.push(Conflict {
            field: field.into(),
            stored: s.to_string(),
            reported: r.to_string(),
            source: source.into(),
        }),
    }
}

/// Merges one report into a stored child; returns the new conflicts (also kept on the child).
fn merge_into(stored: &mut ChildProps, report: &Report, source: &str) -> Vec<Conflict> {
    let r = &report.props;
    let mut found = Vec::new();
    if stored.name != r.name && !r.name.is_empty() {
        found.push(Conflict {
            field: "name".into(),
            stored: stored.name.clone(),
            reported: r.name.clone(),
            source: source.into(),
        });
    }
    let same_kana = matches!((&stored.name_kana, &r.name_kana), (Some(a), Some(b)) if kana_key(a) == kana_key(b));
    if !same_kana {
        merge_field("name_kana", &mut stored.name_kana, &r.name_kana, source, &mut found);
    }
    merge_field("birth_date", &mut stored.birth_date, &r.birth_date, source, &mut found);
    merge_field("address", &mut stored.address, &r.address, source, &mut found);
    merge_field("district", &mut stored.district, &r.district, source, &mut found);
    for contact in &r.contacts {
        if !stored.contacts.iter().any(|c: &Contact| c.name == contact.name && c.phone == contact.phone) {
            stored.contacts.push(contact.clone());
        }
    }
    for h in &r.home_hazards {
        if !stored.home_hazards.contains(h) {
            stored.home_hazards.push(*h);
        }
    }
    stored.home_hazards.sort_by_key(|h| Hazard::ALL.iter().position(|x| x == h));
    if r.consent_to_share && !stored.consent_to_share {
        stored.consent_to_share = true;
    }
    let kinds = |d: &[Device]| {
        let mut k: Vec<_> = d.iter().map(|x| x.kind).collect();
        k.sort();
        k
    };
    if stored.devices.is_empty() {
        stored.devices = r.devices.clone();
    } else if !r.devices.is_empty() && kinds(&stored.devices) != kinds(&r.devices) {
        let list = |d: &[Device]| d.iter().map(|x| x.kind.label_ja()).collect::<Vec<_>>().join("・");
        found.push(Conflict {
            field: "devices".into(),
            stored: list(&stored.devices),
            reported: list(&r.devices),
            source: source.into(),
        });
    }
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

/// Merges a division's reports into the stored children. `new_id` names new records.
pub fn merge(
    stored: &[Located<ChildProps>],
    reports: Vec<Report>,
    source: &str,
    mut new_id: impl FnMut() -> String,
) -> Outcome {
    let mut out = Outcome::default();
    // Working copies: stored children touched so far, then the ones this file creates.
    let mut touched: Vec<Located<ChildProps>> = Vec::new();
    for mut report in reports {
        if let Some(ext) = &report.external_id {
            report.external_id = Some(format!("{source}:{ext}"));
        }
        let ext = report.external_id.clone();
        let hit_touched = touched.iter().position(|c| same_child(&c.props, ext.as_deref(), &report.props));
        let hit_created = out.created.iter().position(|c| same_child(&c.props, ext.as_deref(), &report.props));
        let target: &mut Located<ChildProps> = if let Some(i) = hit_created {
            &mut out.created[i]
        } else if let Some(i) = hit_touched {
            &mut touched[i]
        } else if let Some(found) = stored.iter().find(|c| same_child(&c.props, ext.as_deref(), &report.props)) {
            touched.push(found.clone());
            let last = touched.len() - 1;
            &mut touched[last]
        } else {
            let Some((lon, lat)) = report.position else {
                out.unlocated.push((report.line, report.props.name.clone()));
                continue;
            };
            let mut props = report.props.clone();
            props.sources = vec![source.into()];
            props.external_ids = ext.into_iter().collect();
            out.created.push(Located { id: new_id(), lon, lat, props });
            continue;
        };
        let id = target.id.clone();
        for c in merge_into(&mut target.props, &report, source) {
            out.conflicts.push((id.clone(), c));
        }
    }
    out.merged = touched;
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
                                "sources": ["障害福祉課"]})),
        }]
    }

    fn report(line: u64, v: serde_json::Value, position: Option<(f64, f64)>) -> Report {
        Report { line, external_id: None, props: props(v), position }
    }

    #[test]
    fn the_same_child_from_two_divisions_is_one_record_with_both_sources() {
        let r = report(
            2,
            json!({"name": "白井 陽翔（架空）", "name_kana": "しろいはると", "birth_date": "2019-05-14",
                                 "address": "白井市復（架空）"}),
            None,
        );
        let out = merge(&stored(), vec![r], "健康課", || "new".into());
        assert!(out.created.is_empty() && out.conflicts.is_empty());
        assert_eq!(out.merged.len(), 1);
        assert_eq!(out.merged[0].props.sources, ["障害福祉課", "健康課"]);
        assert_eq!(out.merged[0].props.address.as_deref(), Some("白井市復（架空）"), "empty fields are filled");
    }

    #[test]
    fn a_differing_birth_date_is_a_conflict_not_an_overwrite() {
        let mut r = report(3, json!({"name": "白井 陽翔（架空）", "birth_date": "2019-05-15"}), None);
        r.external_id = Some("K-12".into());
        let mut s = stored();
        s[0].props.external_ids = vec!["保育課:K-12".into()];
        let out = merge(&s, vec![r], "保育課", || "new".into());
        assert_eq!(out.merged[0].props.birth_date.unwrap().to_string(), "2019-05-14");
        assert_eq!(out.conflicts.len(), 1);
        assert_eq!(out.conflicts[0].1.field, "birth_date");
        assert_eq!(out.merged[0].props.conflicts, [out.conflicts[0].1.clone()]);
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
            json!({"name": "七次 湊（架空）", "name_kana": "ななつぎみなと", "birth_date": "2020-01-02", "district": "七次台"}),
            None,
        );
        let c = report(4, json!({"name": "位置 不明（架空）"}), None);
        let mut n = 0;
        let out = merge(&stored(), vec![a, b, c], "教育支援課", || {
            n += 1;
            format!("child-n{n}")
        });
        assert_eq!(out.created.len(), 1);
        assert_eq!(out.created[0].props.district.as_deref(), Some("七次台"));
        assert_eq!(out.unlocated, [(4, "位置 不明（架空）".to_owned())]);
    }
}
