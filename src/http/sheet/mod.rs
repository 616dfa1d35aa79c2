//! The printable 個別避難計画 sheet: one A4 page in Japanese that works on paper, because
//! networks fail in disasters. The map is a small SVG drawn from the coordinates, so the
//! sheet needs no tiles and no script.
//!
//! Two steps, each testable alone: [`SheetView::build`] decides every word, rounding and
//! number (plain strings, nothing HTML), and the askama template `templates/plan_sheet.html`
//! lays them out for A4, escaping every string it prints. The only trusted markup is the
//! mini-map ([`map::svg_map`], numbers only) and the sign-in QR code.

mod map;

use askama::Template;
use time::OffsetDateTime;

use super::AppState;
use crate::domain::auth::Role;
use crate::domain::hours::JST;
use crate::domain::plan::{Plan, PlanBody, PlanStatus, Transport};
use crate::domain::travel::{Mode, TravelModel, distance_ja, duration_ja, within_battery};
use crate::domain::{ChildProps, Contact, Device, Located, OutletType, PowerPointProps, ShelterKind, ShelterProps};
use crate::planning::nearest::{OpenQuery, ShelterFilter, nearest_power_for_child_from, nearest_shelters};
use crate::spatial::{Entry, geodesy::geodesic_inverse};
use map::{Marker, color, svg_map};

/// Eight-point compass name for a bearing, as people give directions.
pub fn compass_ja(bearing_deg: f64) -> &'static str {
    const NAMES: [&str; 8] = ["北", "北東", "東", "南東", "南", "南西", "西", "北西"];
    NAMES[(((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize) % 8]
}

/// Who the sheet is printed for. A family's copy carries nothing meant for staff; anything
/// staff-only is gated here, in one place, rather than in the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The household (a `family` token): its own child's sheet.
    Family,
    /// A coordinator or planner.
    Staff,
}

impl Audience {
    /// Staff for the staff roles; anything else gets the family's copy, the one that
    /// leaves things out.
    pub fn of(role: Option<Role>) -> Self {
        match role {
            Some(Role::Coordinator | Role::Planner) => Audience::Staff,
            Some(Role::Family) | None => Audience::Family,
        }
    }
}

/// The sheet as the template prints it: every field already worded and rounded, so the
/// template only lays out and escapes.
#[derive(Debug, Template)]
#[template(path = "plan_sheet.html")]
pub struct SheetView {
    /// The child's name.
    pub name: String,
    /// Name in kana, or empty.
    pub kana: String,
    /// Birth date, or 「—」.
    pub birth: String,
    /// The plan's version (0: no plan).
    pub version: i64,
    /// 合意済み, 作成中, 要見直し or 計画なし.
    pub status: &'static str,
    /// Who stored this plan version (a token name): printed for staff only, since it names
    /// a credential, not a person the family could call.
    pub author: Option<String>,
    /// The date printed (JST).
    pub printed: String,
    /// 「約6時間」, or 「—」 when no device is life-critical.
    pub autonomy: String,
    /// How the family travels, in Japanese.
    pub transport: &'static str,
    /// Critical load, watts, as printed.
    pub load_w: String,
    /// Warnings above the tables, plain text.
    pub alerts: Vec<String>,
    /// The medical devices.
    pub devices: Vec<DeviceRow>,
    /// Set when the rows are suggestions, not the plan's: says why.
    pub suggestion_note: Option<&'static str>,
    /// The plan's destinations (or the suggestions), numbered like the map.
    pub destinations: Vec<DestinationRow>,
    /// The mini-map: trusted SVG markup drawn from numbers only.
    pub map_svg: String,
    /// Family and emergency contacts.
    pub contacts: Vec<PersonRow>,
    /// The people who help the family move.
    pub supporters: Vec<PersonRow>,
    /// Home address.
    pub address: String,
    /// Mobility, or 「—」.
    pub mobility: String,
    /// Hospital name and phone.
    pub hospital: String,
    /// 済 or 未.
    pub utility: &'static str,
    /// Route notes, or 「—」.
    pub route: String,
    /// Last review date, or 「—」.
    pub reviewed: String,
    /// Next review due, or 「—」.
    pub due: String,
    /// A QR code that signs the family in to its page: trusted SVG markup that the code
    /// producing it generated (never text a person typed). `None` prints no box.
    pub login_qr_svg: Option<String>,
}

/// One medical device, as the table prints it.
#[derive(Debug)]
pub struct DeviceRow {
    /// Kind, in Japanese.
    pub kind: &'static str,
    /// Model, or empty.
    pub model: String,
    /// Plug: AC100V, DC12V or USB.
    pub input: &'static str,
    /// 「150 W」.
    pub rated: String,
    /// 「8 時間」.
    pub battery: String,
    /// Marked 生命維持.
    pub life_critical: bool,
    /// What the family does by hand, or 「—」.
    pub manual: String,
}

/// One row of the destination table.
#[derive(Debug)]
pub struct DestinationRow {
    /// 電源（第1）, 避難所（候補）, …
    pub role: &'static str,
    /// The id the plan names (printed when it is not registered).
    pub id: String,
    /// The badge colour (power or shelter), as on the map.
    pub color: &'static str,
    /// The place, or `None` when the id is not registered (any more).
    pub place: Option<PlaceRow>,
}

/// A registered destination, worded.
#[derive(Debug)]
pub struct PlaceRow {
    /// Its number on the map.
    pub number: usize,
    /// Name.
    pub name: String,
    /// Address, or empty.
    pub address: String,
    /// Capacity, hours, contact… joined by 「 / 」.
    pub extra: String,
    /// Compass direction from home.
    pub compass: &'static str,
    /// 「5.2 km」.
    pub distance: String,
    /// 「徒歩で約50分」.
    pub travel: String,
    /// Set when the trip uses more than half the battery.
    pub warning: Option<String>,
}

/// A contact or supporter line.
#[derive(Debug)]
pub struct PersonRow {
    /// Name.
    pub name: String,
    /// Relation, or empty.
    pub relation: String,
    /// Phone, or empty.
    pub phone: String,
}

/// One destination: from the plan, or suggested when the plan names none. `place` is
/// `None` when the id is not registered (any more): the sheet must say so rather than
/// silently leave the row out.
struct Destination {
    role: &'static str,
    id: String,
    power: bool,
    place: Option<Place>,
}

struct Place {
    name: String,
    address: String,
    extra: String,
    lon: f64,
    lat: f64,
    distance_m: f64,
    bearing_deg: f64,
}

fn place<P>(home: &Located<ChildProps>, item: &Located<P>, name: &str, address: Option<&str>, extra: String) -> Place {
    let (distance_m, bearing_deg) = geodesic_inverse(home.lon, home.lat, item.lon, item.lat);
    Place {
        name: name.to_owned(),
        address: address.unwrap_or("").to_owned(),
        extra,
        lon: item.lon,
        lat: item.lat,
        distance_m,
        bearing_deg,
    }
}

fn power_place(home: &Located<ChildProps>, p: &Located<PowerPointProps>) -> Place {
    place(home, p, &p.props.name, p.props.address.as_deref(), power_extra(&p.props))
}

fn shelter_place(home: &Located<ChildProps>, s: &Located<ShelterProps>) -> Place {
    place(home, s, &s.props.name, s.props.address.as_deref(), shelter_extra(&s.props))
}

fn power_extra(p: &PowerPointProps) -> String {
    let mut parts = vec![format!("容量 {} W", p.capacity_w)];
    if p.pure_sine {
        parts.push("正弦波".into());
    }
    if let Some(h) = &p.hours {
        parts.push(format!("利用時間 {h}"));
    }
    if p.requires_registration {
        parts.push("要事前登録".into());
    }
    if p.call_first {
        parts.push("事前に電話".into());
    }
    if let Some(c) = &p.contact {
        parts.push(format!("連絡先 {c}"));
    }
    parts.join(" / ")
}

fn shelter_extra(s: &ShelterProps) -> String {
    let hazards: Vec<&str> = s.hazards.iter().map(|h| h.label_ja()).collect();
    let mut parts = vec![format!("指定: {}", if hazards.is_empty() { "なし".to_owned() } else { hazards.join("・") })];
    if let Some(c) = &s.contact {
        parts.push(format!("連絡先 {c}"));
    }
    parts.join(" / ")
}

/// The destinations the plan names, in the sheet's order, registered or not.
fn planned(state: &AppState, home: &Located<ChildProps>, b: &PlanBody) -> Vec<Destination> {
    [
        ("電源（第1）", &b.power_point_id, true),
        ("電源（第2）", &b.backup_power_point_id, true),
        ("避難所（第1）", &b.shelter_id, false),
        ("避難所（第2）", &b.backup_shelter_id, false),
    ]
    .into_iter()
    .filter_map(|(role, id, power)| {
        let id = id.clone()?;
        let place = if power {
            state.catalog.get::<PowerPointProps>(&id).map(|p| power_place(home, &p))
        } else {
            state.catalog.get::<ShelterProps>(&id).map(|s| shelter_place(home, &s))
        };
        Some(Destination { role, id, power, place })
    })
    .collect()
}

/// What the sheet offers when the plan names no destination: the nearest point that can
/// run all the child's life-critical devices, and the nearest shelter to stay at — a
/// 指定緊急避難場所 is an open-air refuge for the first minutes, no place to run a
/// ventilator, so it is offered only when there is nothing else.
fn suggested(state: &AppState, home: &Located<ChildProps>, at: OffsetDateTime) -> Vec<Destination> {
    let open = OpenQuery::any(at);
    let power = nearest_power_for_child_from(&state.catalog, home, (home.lat, home.lon), 1, None, false, &open);
    let shelters = nearest_shelters(&state.catalog, home.lat, home.lon, 10, None, &ShelterFilter::default());
    let shelter = shelters.iter().find(|s| s.item.props.kind != ShelterKind::EmergencySite).or(shelters.first());
    let power = power.first().map(|p| Destination {
        role: "電源（候補）",
        id: p.item.id.clone(),
        power: true,
        place: Some(power_place(home, &p.item)),
    });
    let shelter = shelter.map(|s| Destination {
        role: "避難所（候補）",
        id: s.item.id.clone(),
        power: false,
        place: Some(shelter_place(home, &s.item)),
    });
    power.into_iter().chain(shelter).collect()
}

/// Minutes to each destination and the half-battery warning, in the plan's travel mode.
struct Trip {
    travel: TravelModel,
    transport: Option<Transport>,
    autonomy_h: Option<f64>,
}

impl Trip {
    fn minutes(&self, p: &Place) -> f64 {
        self.travel.minutes(p.distance_m, self.transport)
    }

    fn words(&self, minutes: f64) -> String {
        format!("{}で約{}", Mode::of(self.transport).label_ja(), duration_ja(minutes))
    }

    /// 「約15分」: half the battery, the most a trip may use.
    fn half_battery(&self) -> String {
        format!("約{}", self.autonomy_h.map(|h| duration_ja(h * 30.0)).unwrap_or_default())
    }
}

/// The table rows and the map markers, numbered alike (1, 2, … over registered places).
fn rows(trip: &Trip, dests: Vec<Destination>) -> (Vec<DestinationRow>, Vec<Marker>) {
    let mut markers = Vec::new();
    let rows = dests
        .into_iter()
        .map(|d| {
            let place = d.place.map(|p| {
                let number = markers.len() + 1;
                markers.push(Marker { number, power: d.power, lon: p.lon, lat: p.lat });
                let minutes = trip.minutes(&p);
                PlaceRow {
                    number,
                    compass: compass_ja(p.bearing_deg),
                    distance: distance_ja(p.distance_m),
                    travel: trip.words(minutes),
                    warning: (!within_battery(minutes, trip.autonomy_h))
                        .then(|| format!("⚠ バッテリーの半分（{}）を超えます", trip.half_battery())),
                    name: p.name,
                    address: p.address,
                    extra: p.extra,
                }
            });
            DestinationRow { role: d.role, id: d.id, color: color(d.power), place }
        })
        .collect();
    (rows, markers)
}

/// The warnings above the tables: planned trips over half the battery, and planned
/// destinations that are not registered.
fn alerts(trip: &Trip, rows: &[DestinationRow]) -> Vec<String> {
    let too_far: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let p = r.place.as_ref()?;
            p.warning.as_ref().map(|_| format!("{}「{}」（{}）", r.role, p.name, p.travel))
        })
        .collect();
    let missing = rows.iter().filter(|r| r.place.is_none()).count();
    let mut alerts = Vec::new();
    if !too_far.is_empty() {
        alerts.push(format!(
            "⚠ {} への移動はバッテリーの半分（{}）を超えます。近い行き先への見直しが必要です。",
            too_far.join("、"),
            trip.half_battery()
        ));
    }
    if missing > 0 {
        alerts.push(format!("⚠ 計画の行き先 {missing} か所が未登録です（下の表の「未登録」）。"));
    }
    alerts
}

fn device_row(d: &Device) -> DeviceRow {
    DeviceRow {
        kind: d.kind.label_ja(),
        model: d.model.clone().unwrap_or_default(),
        input: match d.input {
            OutletType::Ac100v => "AC100V",
            OutletType::Dc12v => "DC12V",
            OutletType::Usb => "USB",
        },
        rated: format!("{} W", d.rated_w),
        battery: format!("{} 時間", d.battery_h),
        life_critical: d.life_critical,
        manual: d.manual_alternative.clone().unwrap_or_else(|| "—".into()),
    }
}

fn people(list: &[Contact]) -> Vec<PersonRow> {
    list.iter()
        .map(|p| PersonRow {
            name: p.name.clone(),
            relation: p.relation.clone().unwrap_or_default(),
            phone: p.phone.clone().unwrap_or_default(),
        })
        .collect()
}

fn transport_ja(transport: Option<Transport>) -> &'static str {
    match transport {
        Some(Transport::Walk) => "徒歩",
        Some(Transport::FamilyCar) => "自家用車",
        Some(Transport::WelfareVehicle) => "福祉車両",
        Some(Transport::Ambulance) => "救急車",
        Some(Transport::Other) => "その他",
        None => "未定",
    }
}

fn status_ja(status: Option<PlanStatus>) -> &'static str {
    match status {
        Some(PlanStatus::Agreed) => "合意済み",
        Some(PlanStatus::Draft) => "作成中",
        Some(PlanStatus::NeedsReview) => "要見直し",
        None => "計画なし",
    }
}

/// The destination rows: the plan's, or — when it names none — suggestions, marked so.
fn destination_rows(
    state: &AppState,
    child: &Located<ChildProps>,
    body: Option<&PlanBody>,
    trip: &Trip,
    at: OffsetDateTime,
) -> (Option<&'static str>, Vec<DestinationRow>, Vec<Marker>) {
    let planned = body.map(|b| planned(state, child, b)).unwrap_or_default();
    if !planned.is_empty() {
        let (rows, markers) = rows(trip, planned);
        return (None, rows, markers);
    }
    let note = if body.is_none() {
        "計画未作成のため、近くの候補を表示しています"
    } else {
        "計画に行き先がないため、近くの候補を表示しています"
    };
    let (rows, markers) = rows(trip, suggested(state, child, at));
    (Some(note), rows, markers)
}

impl SheetView {
    /// Words and numbers for the sheet of `child` with its current `plan` (if any), for
    /// `audience`, printed at `at`.
    pub fn build(
        state: &AppState,
        child: &Entry<ChildProps>,
        plan: Option<&Plan>,
        audience: Audience,
        at: OffsetDateTime,
    ) -> Self {
        let c = &child.props;
        let body = plan.map(|p| &p.body);
        let transport = body.and_then(|b| b.transport);
        let trip = Trip { travel: state.config.travel, transport, autonomy_h: c.autonomy_h() };
        let (suggestion_note, destinations, markers) = destination_rows(state, child, body, &trip, at);
        let alerts = if suggestion_note.is_some() { Vec::new() } else { alerts(&trip, &destinations) };
        let date = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
        let text = |s: Option<&str>| s.filter(|s| !s.trim().is_empty()).unwrap_or("—").to_owned();
        SheetView {
            name: c.name.clone(),
            kana: c.name_kana.clone().unwrap_or_default(),
            birth: date(c.birth_date),
            version: plan.map(|p| p.version).unwrap_or(0),
            status: status_ja(body.map(|b| b.status)),
            author: plan.filter(|_| audience == Audience::Staff).map(|p| p.author.clone()),
            printed: at.to_offset(JST).date().to_string(),
            autonomy: c.autonomy_h().map(|h| format!("約{}", duration_ja(h * 60.0))).unwrap_or_else(|| "—".into()),
            transport: transport_ja(transport),
            load_w: c.critical_load_w().to_string(),
            alerts,
            devices: c.devices.iter().map(device_row).collect(),
            suggestion_note,
            destinations,
            map_svg: svg_map((child.lon, child.lat), &markers),
            contacts: people(&c.contacts),
            supporters: people(body.map(|b| b.supporters.as_slice()).unwrap_or(&[])),
            address: c.address.clone().unwrap_or_default(),
            mobility: text(c.mobility.as_deref()),
            hospital: c
                .hospital
                .as_ref()
                .map(|h| format!("{} {}", h.name, h.phone.as_deref().unwrap_or("")))
                .unwrap_or_default(),
            utility: if c.utility_registered { "済" } else { "未" },
            route: text(body.and_then(|b| b.route_notes.as_deref())),
            reviewed: date(body.and_then(|b| b.reviewed_at)),
            due: date(body.and_then(|b| b.next_review_due)),
            login_qr_svg: None,
        }
    }
}

/// The whole sheet as an HTML page laid out for A4 printing.
pub fn render(
    state: &AppState,
    child: &Entry<ChildProps>,
    plan: Option<&Plan>,
    audience: Audience,
    at: OffsetDateTime,
) -> askama::Result<String> {
    SheetView::build(state, child, plan, audience, at).render()
}

#[cfg(test)]
mod tests {
    use askama::Template;

    use super::{Destination, Place, SheetView, Trip, compass_ja, rows};
    use crate::domain::plan::Transport;
    use crate::domain::travel::TravelModel;

    /// A destination `distance_m` due north of home (or not registered, with `None`).
    fn dest(role: &'static str, id: &str, power: bool, distance_m: Option<f64>) -> Destination {
        let place = distance_m.map(|distance_m| Place {
            name: format!("名前 {id}"),
            address: String::new(),
            extra: String::new(),
            lon: 140.05,
            lat: 35.79 + distance_m / 110_574.0,
            distance_m,
            bearing_deg: 0.0,
        });
        Destination { role, id: id.into(), power, place }
    }

    fn walking(autonomy_h: Option<f64>) -> Trip {
        Trip { travel: TravelModel::default(), transport: Some(Transport::Walk), autonomy_h }
    }

    /// A sheet with nothing on it but the destinations given.
    fn sheet(trip: &Trip, dests: Vec<Destination>) -> SheetView {
        let (destinations, markers) = rows(trip, dests);
        SheetView {
            name: "テスト（架空）".into(),
            kana: String::new(),
            birth: "—".into(),
            version: 1,
            status: "合意済み",
            author: None,
            printed: "2026-12-03".into(),
            autonomy: "約30分".into(),
            transport: "徒歩",
            load_w: "150".into(),
            alerts: super::alerts(trip, &destinations),
            devices: Vec::new(),
            suggestion_note: None,
            destinations,
            map_svg: super::svg_map((140.05, 35.79), &markers),
            contacts: Vec::new(),
            supporters: Vec::new(),
            address: String::new(),
            mobility: "—".into(),
            hospital: String::new(),
            utility: "未",
            route: "—".into(),
            reviewed: "—".into(),
            due: "—".into(),
            login_qr_svg: None,
        }
    }

    #[test]
    fn text_a_person_typed_is_printed_as_text_not_markup() {
        let mut view = sheet(&walking(Some(6.0)), vec![dest("電源（第1）", "pp-1", true, Some(800.0))]);
        view.name = "<script>alert(1)</script>".into();
        view.route = "\"裏口\" & <b>坂</b>".into();
        if let Some(p) = view.destinations[0].place.as_mut() {
            p.name = "<img src=x onerror=alert(1)>".into();
        }
        let html = view.render().unwrap();
        assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<b>坂"), "{html}");
        assert!(html.contains("<title>個別避難計画 &#60;script&#62;alert(1)&#60;/script&#62;</title>"), "{html}");
        assert!(html.contains("&#34;裏口&#34; &#38; &#60;b&#62;坂&#60;/b&#62;"), "{html}");
        assert!(html.contains("<svg viewBox") && html.contains("<circle "), "the trusted map is markup, not text");
    }

    #[test]
    fn a_destination_that_is_not_registered_says_so_with_its_id() {
        let html = sheet(&walking(Some(3.0)), vec![dest("避難所（第1）", "sh-999", false, None)]).render().unwrap();
        assert!(html.contains("未登録: sh-999"), "{html}");
        assert!(html.contains("計画の行き先 1 か所が未登録です"), "{html}");
        assert!(!html.contains("<circle ") && !html.contains("class=\"num\""), "nothing to number");
    }

    #[test]
    fn a_trip_over_half_the_battery_is_flagged_in_its_row() {
        // 1,934.6 m × 1.3 at 3 km/h is 50.3 minutes; half of 0.5 h is 15.
        let far = sheet(&walking(Some(0.5)), vec![dest("電源（第1）", "pp-1", true, Some(1934.6))]).render().unwrap();
        assert!(far.contains("<b class=\"warn\">⚠ バッテリーの半分（約15分）を超えます</b>"), "{far}");
        assert!(far.contains("1.9 km・徒歩で約50分"), "rounded as people read it: {far}");
        assert!(!far.contains("50.3") && !far.contains("1934"), "{far}");
        assert!(
            far.contains("電源（第1）「名前 pp-1」（徒歩で約50分） への移動はバッテリーの半分（約15分）を超えます"),
            "{far}"
        );
        // 573 m is 14.9 minutes on foot.
        let near = sheet(&walking(Some(0.5)), vec![dest("電源（第1）", "pp-1", true, Some(573.0))]).render().unwrap();
        assert!(!near.contains("超えます"), "{near}");
        assert!(near.contains("570 m・徒歩で約15分"), "{near}");
        assert!(near.contains(">1</span> 電源（第1）"), "the row carries the map's number");
    }

    #[test]
    fn rows_and_map_markers_are_numbered_alike_skipping_unregistered_places() {
        let trip = walking(None);
        let (table, markers) = rows(
            &trip,
            vec![
                dest("電源（第1）", "pp-1", true, Some(500.0)),
                dest("電源（第2）", "gone", true, None),
                dest("避難所（第1）", "sh-1", false, Some(900.0)),
            ],
        );
        let numbers: Vec<Option<usize>> = table.iter().map(|r| r.place.as_ref().map(|p| p.number)).collect();
        assert_eq!(numbers, [Some(1), None, Some(2)]);
        assert_eq!(markers.iter().map(|m| (m.number, m.power)).collect::<Vec<_>>(), [(1, true), (2, false)]);
        assert_eq!(table[2].color, super::map::SHELTER_COLOR);
    }

    #[test]
    fn the_sign_in_qr_box_prints_only_when_there_is_a_code() {
        let mut view = sheet(&walking(None), Vec::new());
        let without = view.render().unwrap();
        assert!(!without.contains("家族用ページへのログイン"), "{without}");
        view.login_qr_svg = Some("<svg class=\"test-qr\"><rect width=\"1\" height=\"1\"/></svg>".into());
        let with = view.render().unwrap();
        assert!(
            with.contains("<b>家族用ページへのログイン（QRコード）</b><svg class=\"test-qr\">"),
            "trusted markup: {with}"
        );
    }

    #[test]
    fn suggestions_say_why_they_are_shown() {
        let mut view = sheet(&walking(None), vec![dest("電源（候補）", "pp-9", true, Some(700.0))]);
        view.suggestion_note = Some("計画未作成のため、近くの候補を表示しています");
        let html = view.render().unwrap();
        assert!(html.contains("<p class=\"notice\">計画未作成のため、近くの候補を表示しています。"), "{html}");
        assert!(html.contains("電源（候補）") && html.contains("名前 pp-9"), "{html}");
        let empty = sheet(&walking(None), Vec::new()).render().unwrap();
        assert!(empty.contains("近くに条件に合う電源・避難所が見つかりません"), "{empty}");
    }

    #[test]
    fn compass_names() {
        assert_eq!(compass_ja(0.0), "北");
        assert_eq!(compass_ja(359.0), "北");
        assert_eq!(compass_ja(44.0), "北東");
        assert_eq!(compass_ja(180.0), "南");
        assert_eq!(compass_ja(290.0), "西");
    }
}
