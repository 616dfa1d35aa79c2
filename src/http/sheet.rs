//! The printable 個別避難計画 sheet: one A4 page in Japanese that works on paper, because
//! networks fail in disasters. The map is a small SVG drawn from the coordinates, so the
//! sheet needs no tiles and no script.

use html_escape::encode_text as esc;

use super::AppState;
use crate::domain::plan::{Plan, PlanBody, PlanStatus, Transport};
use crate::domain::travel::{Mode, round1, within_battery};
use crate::domain::{ChildProps, Located, PowerPointProps, ShelterProps};
use crate::spatial::{Entry, geodesy::geodesic_inverse};

/// Eight-point compass name for a bearing, as people give directions.
pub fn compass_ja(bearing_deg: f64) -> &'static str {
    const NAMES: [&str; 8] = ["北", "北東", "東", "南東", "南", "南西", "西", "北西"];
    NAMES[(((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize) % 8]
}

/// One destination the plan names. `place` is `None` when the id is not registered (any
/// more): the sheet must say so rather than silently leave the row out.
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

/// The number each registered destination carries on the map and in the table (1, 2, …).
fn numbers(dests: &[Destination]) -> Vec<Option<usize>> {
    let mut next = 0;
    dests
        .iter()
        .map(|d| {
            d.place.as_ref().map(|_| {
                next += 1;
                next
            })
        })
        .collect()
}

const MARKER_R: f64 = 8.0;

/// A small map: home in the middle, destinations placed by their true offsets as numbered
/// circles keyed to the table (names would overlap and run off the edge). Circles that would
/// cover each other are nudged apart, with a thin leader to the true spot.
fn svg_map((home_lon, home_lat): (f64, f64), dests: &[Destination]) -> String {
    let (w, h) = (340.0, 220.0);
    let cos = home_lat.to_radians().cos();
    let placed: Vec<(usize, &Destination, &Place)> =
        dests.iter().zip(numbers(dests)).filter_map(|(d, n)| Some((n?, d, d.place.as_ref()?))).collect();
    let offsets: Vec<(f64, f64)> =
        placed.iter().map(|(_, _, p)| ((p.lon - home_lon) * cos * 111_320.0, (p.lat - home_lat) * 110_574.0)).collect();
    let reach = offsets.iter().map(|(x, y)| x.abs().max(y.abs())).fold(200.0_f64, f64::max);
    let scale = (h / 2.0 - 24.0) / reach;
    let mut out = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"位置関係の略図（番号は行き先の表と同じ）\">"
    );
    out.push_str(&format!("<rect width=\"{w}\" height=\"{h}\" fill=\"#f7f7f7\" stroke=\"#999\"/>"));
    out.push_str("<text x=\"8\" y=\"16\" font-size=\"11\">↑北</text>");
    let (cx, cy) = (w / 2.0, h / 2.0);
    let mut taken: Vec<(f64, f64)> = vec![(cx, cy)];
    let mut markers = String::new();
    for ((n, d, _), (x, y)) in placed.iter().zip(&offsets) {
        let (tx, ty) = (cx + x * scale, cy - y * scale);
        let (mut px, mut py) = (tx, ty);
        for step in 1..=12 {
            if taken.iter().all(|(ax, ay)| (ax - px).hypot(ay - py) >= 2.0 * MARKER_R + 1.0) {
                break;
            }
            let angle = f64::from(step) * std::f64::consts::FRAC_PI_3;
            let r = (2.0 * MARKER_R + 2.0) * (1.0 + f64::from(step / 6));
            (px, py) = (
                (tx + r * angle.cos()).clamp(MARKER_R, w - MARKER_R),
                (ty + r * angle.sin()).clamp(MARKER_R, h - MARKER_R),
            );
        }
        taken.push((px, py));
        out.push_str(&format!(
            "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{tx:.1}\" y2=\"{ty:.1}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>"
        ));
        if (px, py) != (tx, ty) {
            markers.push_str(&format!(
                "<line x1=\"{tx:.1}\" y1=\"{ty:.1}\" x2=\"{px:.1}\" y2=\"{py:.1}\" stroke=\"#000\" stroke-width=\"0.8\"/>"
            ));
        }
        markers.push_str(&format!(
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"{MARKER_R}\" fill=\"{}\" stroke=\"#fff\"/><text x=\"{px:.1}\" y=\"{:.1}\" font-size=\"10\" font-weight=\"bold\" fill=\"#fff\" text-anchor=\"middle\">{n}</text>",
            if d.power { POWER_COLOR } else { SHELTER_COLOR },
            py + 3.5,
        ));
    }
    out.push_str(&format!("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#2e7d32\"/>", cx - 6.0, cy - 6.0));
    out.push_str(&markers);
    out.push_str(&format!(
        "<text x=\"{x}\" y=\"16\" font-size=\"10\" text-anchor=\"end\"><tspan fill=\"#2e7d32\">■</tspan>自宅 <tspan fill=\"{POWER_COLOR}\">●</tspan>電源 <tspan fill=\"{SHELTER_COLOR}\">●</tspan>避難所</text>",
        x = w - 6.0
    ));
    let bar_m = [100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0, 50_000.0]
        .into_iter()
        .find(|m| m * scale >= 50.0)
        .unwrap_or(100_000.0);
    out.push_str(&format!(
        "<line x1=\"10\" y1=\"{y}\" x2=\"{x2:.1}\" y2=\"{y}\" stroke=\"#000\" stroke-width=\"2\"/><text x=\"10\" y=\"{ty}\" font-size=\"10\">{label}</text></svg>",
        y = h - 12.0,
        x2 = 10.0 + bar_m * scale,
        ty = h - 16.0,
        label = if bar_m >= 1000.0 { format!("{} km", bar_m / 1000.0) } else { format!("{bar_m} m") }
    ));
    out
}

const POWER_COLOR: &str = "#d35400";
const SHELTER_COLOR: &str = "#1565c0";

/// The destinations the plan names, in the sheet's order, registered or not.
fn destinations(state: &AppState, home: &Located<ChildProps>, body: Option<&PlanBody>) -> Vec<Destination> {
    let Some(b) = body else { return Vec::new() };
    let power = |id: &str| {
        let p = state.catalog.get::<PowerPointProps>(id)?;
        Some(place(home, &p, &p.props.name, p.props.address.as_deref(), power_extra(&p.props)))
    };
    let shelter = |id: &str| {
        let s = state.catalog.get::<ShelterProps>(id)?;
        Some(place(home, &s, &s.props.name, s.props.address.as_deref(), shelter_extra(&s.props)))
    };
    [
        ("電源（第1）", &b.power_point_id, true),
        ("電源（第2）", &b.backup_power_point_id, true),
        ("避難所（第1）", &b.shelter_id, false),
        ("避難所（第2）", &b.backup_shelter_id, false),
    ]
    .into_iter()
    .filter_map(|(role, id, is_power)| {
        let id = id.clone()?;
        let place = if is_power { power(&id) } else { shelter(&id) };
        Some(Destination { role, id, power: is_power, place })
    })
    .collect()
}

/// One table row: the number on the map, the place, the way there, and a warning when the
/// trip would use more than half of the battery.
fn destination_row(
    d: &Destination,
    number: Option<usize>,
    minutes: Option<f64>,
    mode: Mode,
    autonomy_h: Option<f64>,
) -> String {
    let badge = |n: usize| {
        format!(
            "<span class=\"num\" style=\"background:{}\">{n}</span>",
            if d.power { POWER_COLOR } else { SHELTER_COLOR }
        )
    };
    let (Some(p), Some(n), Some(minutes)) = (&d.place, number, minutes) else {
        return format!(
            "<tr><th>{}</th><td colspan=\"2\" class=\"missing\"><b>未登録: {}</b><br><small>計画の行き先が見つかりません。担当者に確認してください。</small></td></tr>",
            d.role,
            esc(&d.id)
        );
    };
    let warning = if within_battery(minutes, autonomy_h) {
        String::new()
    } else {
        format!(
            "<b class=\"warn\">⚠ バッテリーの半分（約{}分）を超えます</b>",
            autonomy_h.map(|h| round1(h * 30.0)).unwrap_or_default()
        )
    };
    format!(
        "<tr><th>{badge} {role}</th><td><b>{name}</b><br>{address}<br><small>{extra}</small></td><td class=\"dist\">自宅から{compass}へ<br>{km} km・{mode} 約{min}分{warning}</td></tr>",
        badge = badge(n),
        role = d.role,
        name = esc(&p.name),
        address = esc(&p.address),
        extra = esc(&p.extra),
        compass = compass_ja(p.bearing_deg),
        km = round1(p.distance_m / 1000.0),
        mode = mode.label_ja(),
        min = round1(minutes),
    )
}

/// The whole sheet as an HTML page laid out for A4 printing.
#[expect(clippy::too_many_lines, reason = "being replaced by an askama template (branch sheet)")]
pub fn render(state: &AppState, child: &Entry<ChildProps>, plan: Option<&Plan>) -> String {
    let c = &child.props;
    let travel = state.config.travel;
    let body = plan.map(|p| &p.body);
    let transport = body.and_then(|b| b.transport);
    let mode = Mode::of(transport);
    let dests = destinations(state, child, body);
    let minutes: Vec<Option<f64>> =
        dests.iter().map(|d| d.place.as_ref().map(|p| travel.minutes(p.distance_m, transport))).collect();
    let too_far: Vec<String> = dests
        .iter()
        .zip(&minutes)
        .filter_map(|(d, m)| {
            let (p, m) = (d.place.as_ref()?, (*m)?);
            let mode = mode.label_ja();
            (!within_battery(m, c.autonomy_h()))
                .then(|| format!("{}「{}」（{mode}約{}分）", d.role, esc(&p.name), round1(m)))
        })
        .collect();

    let devices: String = c
        .devices
        .iter()
        .map(|d| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} W</td><td>{} 時間</td><td>{}</td><td>{}</td></tr>",
                d.kind.label_ja(),
                esc(d.model.as_deref().unwrap_or("")),
                match d.input {
                    crate::domain::OutletType::Ac100v => "AC100V",
                    crate::domain::OutletType::Dc12v => "DC12V",
                    crate::domain::OutletType::Usb => "USB",
                },
                d.rated_w,
                d.battery_h,
                if d.life_critical { "<b>生命維持</b>" } else { "" },
                esc(d.manual_alternative.as_deref().unwrap_or("—"))
            )
        })
        .collect();
    let destinations: String = dests
        .iter()
        .zip(numbers(&dests))
        .zip(&minutes)
        .map(|((d, n), m)| destination_row(d, n, *m, mode, c.autonomy_h()))
        .collect();
    let missing = dests.iter().filter(|d| d.place.is_none()).count();
    let mut alerts = String::new();
    if !too_far.is_empty() {
        alerts.push_str(&format!(
            "<div class=\"alert danger\">⚠ {} への移動はバッテリーの半分（約{}分）を超えます。近い行き先への見直しが必要です。</div>",
            too_far.join("、"),
            c.autonomy_h().map(|h| round1(h * 30.0)).unwrap_or_default()
        ));
    }
    if missing > 0 {
        alerts.push_str(&format!(
            "<div class=\"alert danger\">⚠ 計画の行き先 {missing} か所が未登録です（下の表の「未登録」）。</div>"
        ));
    }
    let people = |list: &[crate::domain::Contact]| -> String {
        list.iter()
            .map(|p| {
                format!(
                    "<li>{}（{}） {}</li>",
                    esc(&p.name),
                    esc(p.relation.as_deref().unwrap_or("")),
                    esc(p.phone.as_deref().unwrap_or(""))
                )
            })
            .collect()
    };
    let transport = match body.and_then(|b| b.transport) {
        Some(Transport::Walk) => "徒歩",
        Some(Transport::FamilyCar) => "自家用車",
        Some(Transport::WelfareVehicle) => "福祉車両",
        Some(Transport::Ambulance) => "救急車",
        Some(Transport::Other) => "その他",
        None => "未定",
    };
    let status = match body.map(|b| b.status) {
        Some(PlanStatus::Agreed) => "合意済み",
        Some(PlanStatus::Draft) => "作成中",
        Some(PlanStatus::NeedsReview) => "要見直し",
        None => "計画なし",
    };
    let date = |d: Option<time::Date>| d.map(|d| d.to_string()).unwrap_or_else(|| "—".into());
    let autonomy = c.autonomy_h().map(|h| format!("{h} 時間")).unwrap_or_else(|| "—".into());
    let hospital = c
        .hospital
        .as_ref()
        .map(|h| format!("{} {}", esc(&h.name), esc(h.phone.as_deref().unwrap_or(""))))
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>個別避難計画 {name}</title>
<style>
@page {{ size: A4; margin: 10mm; }}
* {{ box-sizing: border-box; }}
body {{ font-family: "Noto Sans CJK JP", "Noto Sans JP", sans-serif; font-size: 9.5pt; line-height: 1.35; margin: 0; color: #000; }}
h1 {{ font-size: 15pt; margin: 0 0 2mm; }} h2 {{ font-size: 11pt; margin: 3mm 0 1mm; border-bottom: 1px solid #000; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ border: 1px solid #888; padding: 1mm 1.5mm; vertical-align: top; text-align: left; }}
th {{ background: #eee; white-space: nowrap; }} ul {{ margin: 0; padding-left: 5mm; }}
.row {{ display: flex; gap: 4mm; }} .row > div {{ flex: 1; }} .row > div.wide {{ flex: 3; }} .row > div.map {{ flex: 2; }} .row svg {{ max-width: 100%; height: auto; }}
td.dist {{ width: 10em; }} td.dist .warn {{ display: block; }}
.alert {{ border: 2px solid #b71c1c; padding: 1.5mm; font-weight: bold; }}
.alert.danger {{ margin-top: 1mm; background: #fdecea; color: #8e0000; }}
.warn, .missing b {{ color: #b71c1c; }}
.num {{ display: inline-block; width: 5mm; height: 5mm; border-radius: 50%; color: #fff; text-align: center; line-height: 5mm; font-size: 8pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
small {{ color: #333; }} .meta {{ font-size: 8.5pt; color: #333; }}
</style></head><body>
<h1>個別避難計画（電源確保） — {name}</h1>
<div class="meta">{kana}　生年月日 {birth}　計画 第{version}版（{status}）　作成 {author}　印刷 {today}</div>
<div class="alert">生命維持機器のバッテリーは約 {autonomy}。停電したら、バッテリーの半分を使い切る前に移動してください（移動手段: {transport}）。必要電力 {load} W。</div>
{alerts}
<h2>医療機器</h2>
<table><tr><th>機器</th><th>機種</th><th>電源</th><th>定格</th><th>バッテリー</th><th>区分</th><th>停電時の代替手段</th></tr>{devices}</table>
<h2>行き先</h2>
<div class="row"><div class="wide"><table>{destinations}</table></div><div class="map">{map}</div></div>
<h2>連絡先と支援者</h2>
<div class="row"><div><b>家族・緊急連絡先</b><ul>{contacts}</ul></div><div><b>避難支援者</b><ul>{supporters}</ul></div></div>
<p>住所: {address}　移動: {mobility}　かかりつけ病院: {hospital}　電力会社への登録: {utility}</p>
<h2>経路・メモ</h2><p>{route}</p>
<p class="meta">最終見直し {reviewed}　次回見直し期限 {due}　— 白井市 障害福祉課・危機管理課（powermap）</p>
</body></html>"#,
        name = esc(&c.name),
        kana = esc(c.name_kana.as_deref().unwrap_or("")),
        birth = date(c.birth_date),
        version = plan.map(|p| p.version).unwrap_or(0),
        author = esc(plan.map(|p| p.author.as_str()).unwrap_or("—")),
        today = crate::planning::audit::today_in_japan(),
        load = c.critical_load_w(),
        map = svg_map((child.lon, child.lat), &dests),
        alerts = alerts,
        contacts = people(&c.contacts),
        supporters = people(body.map(|b| b.supporters.as_slice()).unwrap_or(&[])),
        address = esc(c.address.as_deref().unwrap_or("")),
        mobility = esc(c.mobility.as_deref().unwrap_or("—")),
        utility = if c.utility_registered { "済" } else { "未" },
        route = esc(body.and_then(|b| b.route_notes.as_deref()).unwrap_or("—")),
        reviewed = date(body.and_then(|b| b.reviewed_at)),
        due = date(body.and_then(|b| b.next_review_due)),
    )
}

#[cfg(test)]
mod tests {
    use super::{Destination, MARKER_R, Place, compass_ja, destination_row, svg_map};

    fn dest(role: &'static str, id: &str, power: bool, at: Option<(f64, f64)>) -> Destination {
        let place = at.map(|(lon, lat)| Place {
            name: format!("名前 {id}"),
            address: String::new(),
            extra: String::new(),
            lon,
            lat,
            distance_m: 1935.5,
            bearing_deg: 0.0,
        });
        Destination { role, id: id.into(), power, place }
    }

    fn circles(svg: &str) -> Vec<(f64, f64)> {
        svg.split("<circle ")
            .skip(1)
            .map(|c| {
                let attr = |name: &str| -> f64 {
                    let rest = &c[c.find(&format!("{name}=\"")).unwrap() + name.len() + 2..];
                    rest[..rest.find('"').unwrap()].parse().unwrap()
                };
                (attr("cx"), attr("cy"))
            })
            .collect()
    }

    #[test]
    fn map_markers_are_numbered_like_the_table_and_do_not_cover_each_other() {
        let home = (140.05, 35.79);
        let dests = [
            dest("電源（第1）", "pp-1", true, Some((140.06, 35.80))),
            dest("電源（第2）", "gone", true, None),
            dest("避難所（第1）", "sh-1", false, Some((140.06, 35.80))),
            dest("避難所（第2）", "sh-2", false, Some((140.0601, 35.8001))),
        ];
        let svg = svg_map(home, &dests);
        let at = circles(&svg);
        assert_eq!(at.len(), 3, "one circle per registered destination");
        for (i, a) in at.iter().enumerate() {
            for b in &at[i + 1..] {
                assert!((a.0 - b.0).hypot(a.1 - b.1) >= 2.0 * MARKER_R, "{a:?} covers {b:?}");
            }
            assert!((MARKER_R..=340.0 - MARKER_R).contains(&a.0) && (MARKER_R..=220.0 - MARKER_R).contains(&a.1));
        }
        for n in ["1", "2", "3"] {
            assert!(svg.contains(&format!("text-anchor=\"middle\">{n}</text>")), "marker {n}");
        }
        assert!(!svg.contains(">4</text>") && !svg.contains("名前"), "numbers only, no names to overlap");
    }

    #[test]
    fn a_destination_that_is_not_registered_says_so_with_its_id() {
        let row = destination_row(
            &dest("避難所（第1）", "sh-999", false, None),
            None,
            None,
            crate::domain::travel::Mode::Drive,
            Some(3.0),
        );
        assert!(row.contains("未登録: sh-999"), "{row}");
    }

    #[test]
    fn a_trip_over_half_the_battery_is_flagged_in_its_row() {
        let d = dest("電源（第1）", "pp-1", true, Some((140.06, 35.80)));
        let far = destination_row(&d, Some(1), Some(50.3), crate::domain::travel::Mode::Walk, Some(0.5));
        assert!(far.contains("バッテリーの半分（約15分）を超えます") && far.contains("徒歩 約50.3分"), "{far}");
        let near = destination_row(&d, Some(1), Some(14.9), crate::domain::travel::Mode::Walk, Some(0.5));
        assert!(!near.contains("超えます"), "{near}");
        assert!(near.contains(">1</span>"), "the row carries the map's number");
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
