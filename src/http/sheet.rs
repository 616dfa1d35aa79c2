//! The printable 個別避難計画 sheet: one A4 page in Japanese that works on paper, because
//! networks fail in disasters. The map is a small SVG drawn from the coordinates, so the
//! sheet needs no tiles and no script.

use html_escape::encode_text as esc;

use super::AppState;
use crate::domain::plan::{Plan, PlanStatus, Transport, walks};
use crate::domain::travel::round1;
use crate::domain::{ChildProps, Located, PowerPointProps, ShelterProps};
use crate::spatial::{Entry, geodesy::geodesic_inverse};

/// Eight-point compass name for a bearing, as people give directions.
pub fn compass_ja(bearing_deg: f64) -> &'static str {
    const NAMES: [&str; 8] = ["北", "北東", "東", "南東", "南", "南西", "西", "北西"];
    NAMES[(((bearing_deg.rem_euclid(360.0) + 22.5) / 45.0) as usize) % 8]
}

struct Destination {
    role: &'static str,
    name: String,
    address: String,
    extra: String,
    lon: f64,
    lat: f64,
    distance_m: f64,
    bearing_deg: f64,
}

fn destination<P>(
    role: &'static str,
    home: &Located<ChildProps>,
    item: &Located<P>,
    name: &str,
    address: Option<&str>,
    extra: String,
) -> Destination {
    let (distance_m, bearing_deg) = geodesic_inverse(home.lon, home.lat, item.lon, item.lat);
    Destination {
        role,
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

/// A small map: home in the middle, destinations placed by their true offsets.
fn svg_map(home: &Located<ChildProps>, dests: &[Destination]) -> String {
    let (w, h) = (340.0, 220.0);
    let cos = home.lat.to_radians().cos();
    let offsets: Vec<(f64, f64)> =
        dests.iter().map(|d| ((d.lon - home.lon) * cos * 111_320.0, (d.lat - home.lat) * 110_574.0)).collect();
    let reach = offsets.iter().map(|(x, y)| x.abs().max(y.abs())).fold(200.0_f64, f64::max);
    let scale = (h / 2.0 - 24.0) / reach;
    let mut out = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"位置関係の略図\">"
    );
    out.push_str(&format!("<rect width=\"{w}\" height=\"{h}\" fill=\"#f7f7f7\" stroke=\"#999\"/>"));
    out.push_str("<text x=\"8\" y=\"16\" font-size=\"11\">↑北</text>");
    let (cx, cy) = (w / 2.0, h / 2.0);
    for (d, (x, y)) in dests.iter().zip(&offsets) {
        let (px, py) = (cx + x * scale, cy - y * scale);
        out.push_str(&format!(
            "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{px:.1}\" y2=\"{py:.1}\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>"
        ));
        out.push_str(&format!(
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"6\" fill=\"{}\"/>",
            if d.role.contains("電源") { "#d35400" } else { "#1565c0" }
        ));
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            px + 8.0,
            py + 4.0,
            esc(&d.name)
        ));
    }
    out.push_str(&format!("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#2e7d32\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">自宅</text>", cx - 6.0, cy - 6.0, cx + 9.0, cy + 16.0));
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

/// The whole sheet as an HTML page laid out for A4 printing.
pub fn render(state: &AppState, child: &Entry<ChildProps>, plan: Option<&Plan>) -> String {
    let c = &child.props;
    let travel = state.config.travel;
    let body = plan.map(|p| &p.body);
    let walking = walks(body.and_then(|b| b.transport));
    let mut dests = Vec::new();
    let mut add_power = |role, id: Option<&String>| {
        if let Some(p) = id.and_then(|id| state.catalog.get::<PowerPointProps>(id)) {
            dests.push(destination(role, child, &p, &p.props.name, p.props.address.as_deref(), power_extra(&p.props)));
        }
    };
    add_power("電源（第1）", body.and_then(|b| b.power_point_id.as_ref()));
    add_power("電源（第2）", body.and_then(|b| b.backup_power_point_id.as_ref()));
    for (role, id) in [
        ("避難所（第1）", body.and_then(|b| b.shelter_id.as_ref())),
        ("避難所（第2）", body.and_then(|b| b.backup_shelter_id.as_ref())),
    ] {
        if let Some(s) = id.and_then(|id| state.catalog.get::<ShelterProps>(id)) {
            dests.push(destination(
                role,
                child,
                &s,
                &s.props.name,
                s.props.address.as_deref(),
                shelter_extra(&s.props),
            ));
        }
    }

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
        .map(|d| {
            let minutes = if walking { travel.walk_min(d.distance_m) } else { travel.drive_min(d.distance_m) };
            format!(
                "<tr><th>{}</th><td><b>{}</b><br>{}<br><small>{}</small></td><td class=\"dist\">自宅から{}へ<br>{} km・{} 約{}分</td></tr>",
                d.role,
                esc(&d.name),
                esc(&d.address),
                esc(&d.extra),
                compass_ja(d.bearing_deg),
                round1(d.distance_m / 1000.0),
                if walking { "徒歩" } else { "車" },
                round1(minutes)
            )
        })
        .collect();
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
td.dist {{ white-space: nowrap; }}
.alert {{ border: 2px solid #b71c1c; padding: 1.5mm; font-weight: bold; }}
small {{ color: #333; }} .meta {{ font-size: 8.5pt; color: #333; }}
</style></head><body>
<h1>個別避難計画（電源確保） — {name}</h1>
<div class="meta">{kana}　生年月日 {birth}　計画 第{version}版（{status}）　作成 {author}　印刷 {today}</div>
<div class="alert">生命維持機器のバッテリーは約 {autonomy}。停電したら、バッテリーの半分を使い切る前に移動してください（移動手段: {transport}）。必要電力 {load} W。</div>
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
        today = time::OffsetDateTime::now_utc().date(),
        load = c.critical_load_w(),
        map = svg_map(child, &dests),
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
    use super::compass_ja;

    #[test]
    fn compass_names() {
        assert_eq!(compass_ja(0.0), "北");
        assert_eq!(compass_ja(359.0), "北");
        assert_eq!(compass_ja(44.0), "北東");
        assert_eq!(compass_ja(180.0), "南");
        assert_eq!(compass_ja(290.0), "西");
    }
}
