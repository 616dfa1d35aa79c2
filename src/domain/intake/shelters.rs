//! The national shelter data: a re-import refreshes what the national data owns and keeps
//! what the city added (power points, contact, accessibility) — see [`merge_shelter`].

use crate::domain::{Hazard, ShelterKind, ShelterProps};

/// What one row of the national shelter data says. `None` where the file's layout has no
/// such column: those fields of a stored shelter are left as they are.
#[derive(Debug, Clone, PartialEq)]
pub struct ShelterReport {
    /// The row's line.
    pub line: u64,
    /// 共通ID.
    pub gsi_id: String,
    /// 施設・場所名.
    pub name: String,
    /// The kind the file lists it as (emergency-site or designated-shelter file).
    pub kind: ShelterKind,
    /// 住所; a blank address does not erase a stored one.
    pub address: Option<String>,
    /// The hazard columns, when the layout has them.
    pub hazards: Option<Vec<Hazard>>,
    /// 受入対象者, when the layout has the column (blank: none).
    pub accepts: Option<Option<String>>,
    /// 想定収容人数, when the layout has the column (blank: unknown).
    pub capacity_people: Option<Option<u32>>,
    /// (lon, lat), when the row has coordinates (or they were found from the address).
    pub position: Option<(f64, f64)>,
}

/// A site listed both as emergency site and as designated shelter is a designated shelter,
/// and one the city made a welfare shelter stays one: a re-import never lowers the kind.
fn kind_rank(k: ShelterKind) -> u8 {
    match k {
        ShelterKind::EmergencySite => 0,
        ShelterKind::Designated => 1,
        ShelterKind::Welfare => 2,
    }
}

/// The shelter after one national row: starts from the stored record, takes the name and
/// address, and the hazards, 受入対象者 and capacity only when the file has those columns —
/// so the emergency-site file (hazards) and the designated-shelter file (受入対象者) can be
/// imported in either order. Power points, accessibility, contact and district are the
/// city's and never touched.
pub fn merge_shelter(stored: Option<&ShelterProps>, r: &ShelterReport) -> ShelterProps {
    let mut s = match stored {
        Some(s) => s.clone(),
        None => ShelterProps {
            name: String::new(),
            kind: r.kind,
            hazards: Vec::new(),
            capacity_people: None,
            accessible: false,
            accepts: None,
            power_point_ids: Vec::new(),
            gsi_id: None,
            address: None,
            district: None,
            contact: None,
        },
    };
    s.name = r.name.clone();
    s.gsi_id = Some(r.gsi_id.clone());
    if kind_rank(r.kind) > kind_rank(s.kind) {
        s.kind = r.kind;
    }
    if r.address.is_some() {
        s.address = r.address.clone();
    }
    if let Some(h) = &r.hazards {
        s.hazards = h.clone();
    }
    if let Some(a) = &r.accepts {
        s.accepts = a.clone();
    }
    if let Some(c) = r.capacity_people {
        s.capacity_people = c;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn national(kind: ShelterKind) -> ShelterReport {
        ShelterReport {
            line: 2,
            gsi_id: "122320001".into(),
            name: "白井第一小学校".into(),
            kind,
            address: Some("千葉県白井市白井1".into()),
            hazards: None,
            accepts: None,
            capacity_people: None,
            position: Some((140.06, 35.795)),
        }
    }

    #[test]
    fn a_national_reimport_keeps_what_the_city_added() {
        let stored: ShelterProps = serde_json::from_value(json!({
            "name": "白井第一小学校（旧名）", "kind": "welfare", "hazards": ["earthquake"], "accessible": true,
            "accepts": "要配慮者", "capacity_people": 80, "power_point_ids": ["pp-004"], "gsi_id": "122320001",
            "district": "白井", "contact": "047-000-2001"}))
        .unwrap();
        let mut row = national(ShelterKind::EmergencySite);
        row.hazards = Some(vec![Hazard::Flood, Hazard::Earthquake]);
        let s = merge_shelter(Some(&stored), &row);
        assert_eq!(s.name, "白井第一小学校");
        assert_eq!(s.kind, ShelterKind::Welfare, "never downgraded");
        assert_eq!(s.hazards, [Hazard::Flood, Hazard::Earthquake]);
        assert_eq!((s.accepts.as_deref(), s.capacity_people), (Some("要配慮者"), Some(80)), "no such columns");
        assert_eq!(s.power_point_ids, ["pp-004"]);
        assert!(s.accessible);
        assert_eq!((s.district.as_deref(), s.contact.as_deref()), (Some("白井"), Some("047-000-2001")));
    }

    #[test]
    fn both_national_files_in_either_order_give_hazards_and_accepts() {
        let mut emergency = national(ShelterKind::EmergencySite);
        emergency.hazards = Some(vec![Hazard::Earthquake, Hazard::Fire]);
        let mut designated = national(ShelterKind::Designated);
        designated.accepts = Some(Some("地域住民".into()));
        let a = merge_shelter(Some(&merge_shelter(None, &emergency)), &designated);
        let b = merge_shelter(Some(&merge_shelter(None, &designated)), &emergency);
        assert_eq!(a, b);
        assert_eq!(a.kind, ShelterKind::Designated);
        assert_eq!(a.hazards, [Hazard::Earthquake, Hazard::Fire]);
        assert_eq!(a.accepts.as_deref(), Some("地域住民"));
    }
}
