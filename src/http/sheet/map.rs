//! The sheet's mini-map: an SVG drawn from coordinates alone, so it needs no tiles, no
//! script and no network on the day.
//!
//! The template inserts it as trusted markup (`|safe`). That is sound because this module
//! interpolates only numbers and the constant strings below — no name, address or other text
//! a person typed — so there is nothing to escape; keep it that way (names on the map would
//! overlap anyway, which is why markers carry the table's numbers instead).

/// Where a marker goes and what it shows: its number in the destination table and whether
/// it is a power point (else a shelter).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Marker {
    /// The number the table row carries.
    pub number: usize,
    /// A power point (orange) or a shelter (blue).
    pub power: bool,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
}

pub(super) const MARKER_R: f64 = 8.0;
/// Marker and badge colour of power points.
pub(super) const POWER_COLOR: &str = "#d35400";
/// Marker and badge colour of shelters.
pub(super) const SHELTER_COLOR: &str = "#1565c0";

/// The colour a destination's marker and badge share.
pub(super) fn color(power: bool) -> &'static str {
    if power { POWER_COLOR } else { SHELTER_COLOR }
}

/// A small map: home in the middle, destinations placed by their true offsets as numbered
/// circles keyed to the table (names would overlap and run off the edge). Circles that would
/// cover each other are nudged apart, with a thin leader to the true spot.
pub(super) fn svg_map((home_lon, home_lat): (f64, f64), placed: &[Marker]) -> String {
    let (w, h) = (340.0, 220.0);
    let cos = home_lat.to_radians().cos();
    let offsets: Vec<(f64, f64)> =
        placed.iter().map(|p| ((p.lon - home_lon) * cos * 111_320.0, (p.lat - home_lat) * 110_574.0)).collect();
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
    for (m, (x, y)) in placed.iter().zip(&offsets) {
        let (tx, ty) = (cx + x * scale, cy - y * scale);
        let (px, py) = nudge((tx, ty), &taken, (w, h));
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
            "<circle cx=\"{px:.1}\" cy=\"{py:.1}\" r=\"{MARKER_R}\" fill=\"{}\" stroke=\"#fff\"/><text x=\"{px:.1}\" y=\"{:.1}\" font-size=\"10\" font-weight=\"bold\" fill=\"#fff\" text-anchor=\"middle\">{}</text>",
            color(m.power),
            py + 3.5,
            m.number,
        ));
    }
    out.push_str(&format!("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"#2e7d32\"/>", cx - 6.0, cy - 6.0));
    out.push_str(&markers);
    out.push_str(&format!(
        "<text x=\"{x}\" y=\"16\" font-size=\"10\" text-anchor=\"end\"><tspan fill=\"#2e7d32\">■</tspan>自宅 <tspan fill=\"{POWER_COLOR}\">●</tspan>電源 <tspan fill=\"{SHELTER_COLOR}\">●</tspan>避難所</text>",
        x = w - 6.0
    ));
    out.push_str(&scale_bar(scale, h));
    out.push_str("</svg>");
    out
}

/// Where a marker meant for `(tx, ty)` goes: there if it covers no marker already `taken`,
/// else the first free spot on rings around it, kept inside the `(w, h)` frame.
fn nudge((tx, ty): (f64, f64), taken: &[(f64, f64)], (w, h): (f64, f64)) -> (f64, f64) {
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
    (px, py)
}

/// A round-number scale bar at least 50 px long.
fn scale_bar(scale: f64, h: f64) -> String {
    let bar_m = [100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0, 50_000.0]
        .into_iter()
        .find(|m| m * scale >= 50.0)
        .unwrap_or(100_000.0);
    format!(
        "<line x1=\"10\" y1=\"{y}\" x2=\"{x2:.1}\" y2=\"{y}\" stroke=\"#000\" stroke-width=\"2\"/><text x=\"10\" y=\"{ty}\" font-size=\"10\">{label}</text>",
        y = h - 12.0,
        x2 = 10.0 + bar_m * scale,
        ty = h - 16.0,
        label = if bar_m >= 1000.0 { format!("{} km", bar_m / 1000.0) } else { format!("{bar_m} m") }
    )
}

#[cfg(test)]
mod tests {
    use super::{MARKER_R, Marker, svg_map};

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
        let marker = |number, power, (lon, lat)| Marker { number, power, lon, lat };
        let placed = [
            marker(1, true, (140.06, 35.80)),
            marker(2, false, (140.06, 35.80)),
            marker(3, false, (140.0601, 35.8001)),
        ];
        let svg = svg_map(home, &placed);
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
        assert!(!svg.contains(">4</text>"), "numbers only, one per marker");
        assert!(svg.ends_with("</svg>") && svg.contains("1 km</text>"), "a closed SVG with a scale bar: {svg}");
    }
}
