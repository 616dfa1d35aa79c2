//! Settings every command reads (database, travel assumptions) and those of a running server
//! (base map, web files): parsed once from the command line and environment, validated once.

use std::path::PathBuf;

use clap::Args;

use crate::domain::district::Districts;
use crate::domain::travel::{DEFAULT_DETOUR_FACTOR, DEFAULT_DRIVE_KMH, DEFAULT_WALK_KMH, TravelModel};

/// GSI standard tiles (地理院タイル), the base map most Japanese municipal maps use.
pub const GSI_TILES: &str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png";
/// Attribution the GSI terms ask for.
pub const GSI_ATTRIBUTION: &str =
    "<a href=\"https://maps.gsi.go.jp/development/ichiran.html\" target=\"_blank\">地理院タイル</a>";

/// The national hazard-map tiles (重ねるハザードマップ, ハザードマップポータルサイト's open
/// data) offered as overlays by default: (name, URL template).
pub const HAZARD_TILES: [(&str, &str); 2] = [
    (
        "洪水浸水想定区域（想定最大規模）",
        "https://disaportaldata.gsi.go.jp/raster/01_flood_l2_shinsuishin_data/{z}/{x}/{y}.png",
    ),
    (
        "土砂災害警戒区域（急傾斜地の崩壊）",
        "https://disaportaldata.gsi.go.jp/raster/05_kyukeishakeikaikuiki/{z}/{x}/{y}.png",
    ),
];
/// Attribution the hazard-map portal asks for.
pub const HAZARD_ATTRIBUTION: &str = "<a href=\"https://disaportal.gsi.go.jp/hazardmapportal/hazardmap/copyright/opendata.html\" target=\"_blank\">ハザードマップポータルサイト</a>";

/// One raster overlay the map offers: a name for the layer switch and a URL template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HazardTiles {
    /// What the layer switch calls it.
    pub name: String,
    /// `{z}/{x}/{y}` template.
    pub url: String,
    /// Attribution (HTML).
    pub attribution: String,
}

impl HazardTiles {
    /// The defaults: the national flood and landslide layers.
    pub fn national() -> Vec<Self> {
        HAZARD_TILES
            .iter()
            .map(|(name, url)| Self {
                name: (*name).into(),
                url: (*url).into(),
                attribution: HAZARD_ATTRIBUTION.into(),
            })
            .collect()
    }

    /// `NAME=URL_TEMPLATE`, as `--hazard-tiles` takes it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (name, url) = text.split_once('=').ok_or("expected NAME=URL_TEMPLATE")?;
        let (name, url) = (name.trim(), url.trim());
        if name.is_empty() || !(url.starts_with("https://") || url.starts_with("http://")) || !url.contains("{z}") {
            return Err(format!(
                "expected NAME=URL_TEMPLATE with an http(s) URL holding {{z}}/{{x}}/{{y}}, not {text:?}"
            ));
        }
        Ok(Self { name: name.into(), url: url.into(), attribution: String::new() })
    }
}

/// The travel options, accepted by every command (before or after its name) so `serve`,
/// `audit` and `scenario` estimate with the same assumptions.
#[derive(Debug, Clone, Copy, Args)]
pub struct TravelArgs {
    /// Walking speed with equipment, km/h.
    #[arg(long, env = "POWERMAP_WALK_KMH", global = true, default_value_t = DEFAULT_WALK_KMH)]
    pub walk_kmh: f64,
    /// Driving speed in disaster traffic, km/h.
    #[arg(long, env = "POWERMAP_DRIVE_KMH", global = true, default_value_t = DEFAULT_DRIVE_KMH)]
    pub drive_kmh: f64,
    /// Road distance ÷ geodesic distance.
    #[arg(long, env = "POWERMAP_DETOUR_FACTOR", global = true, default_value_t = DEFAULT_DETOUR_FACTOR)]
    pub detour_factor: f64,
}

/// A setting outside what the estimates can use.
#[derive(Debug, thiserror::Error)]
#[error("{name} must be a number greater than 0")]
pub struct ConfigError {
    /// The option, as typed on the command line.
    pub name: &'static str,
}

impl TravelArgs {
    /// The model, or the first option that is not a positive number.
    pub fn model(&self) -> Result<TravelModel, ConfigError> {
        for (name, v) in
            [("--walk-kmh", self.walk_kmh), ("--drive-kmh", self.drive_kmh), ("--detour-factor", self.detour_factor)]
        {
            if !(v.is_finite() && v > 0.0) {
                return Err(ConfigError { name });
            }
        }
        Ok(TravelModel { detour_factor: self.detour_factor, walk_kmh: self.walk_kmh, drive_kmh: self.drive_kmh })
    }
}

/// What every command reads: one struct, built once from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Database URL: `sqlite://PATH` or `postgres://…`.
    pub db: String,
    /// Travel-time assumptions for every estimate.
    pub travel: TravelModel,
}

/// What a server instance is configured with.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Travel-time assumptions for every answer.
    pub travel: TravelModel,
    /// Tile URL template for the map.
    pub tiles_url: String,
    /// Tile attribution (HTML).
    pub tiles_attribution: String,
    /// Directory to read the web pages from on every request (for editing them); `None`
    /// serves the copy built into the binary.
    pub web_dir: Option<PathBuf>,
    /// The demo tokens as (role, secret) when serving the demo, so the staff pages can show
    /// them; `None` outside demo mode, where no secret is ever sent.
    pub demo_tokens: Option<Vec<(&'static str, &'static str)>>,
    /// Map centre `[lat, lon]` and zoom for the front end.
    pub center: [f64; 2],
    /// Initial zoom.
    pub zoom: u8,
    /// The city's districts (町字): the only names the public area summary prints.
    pub districts: Districts,
    /// Raster hazard-map overlays the map offers (off until a user switches one on).
    pub hazard_tiles: Vec<HazardTiles>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            travel: TravelModel::default(),
            tiles_url: GSI_TILES.to_owned(),
            tiles_attribution: GSI_ATTRIBUTION.to_owned(),
            web_dir: None,
            demo_tokens: None,
            center: [35.7912, 140.0559],
            zoom: 13,
            districts: Districts::shiroi(),
            hazard_tiles: HazardTiles::national(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hazard_tiles_take_a_name_and_a_tile_template() {
        let t = super::HazardTiles::parse("津波浸水想定=https://example.jp/tsunami/{z}/{x}/{y}.png").unwrap();
        assert_eq!((t.name.as_str(), t.url.as_str()), ("津波浸水想定", "https://example.jp/tsunami/{z}/{x}/{y}.png"));
        for bad in [
            "no-equals",
            "=https://example.jp/{z}/{x}/{y}.png",
            "x=ftp://example.jp/{z}",
            "x=https://example.jp/tile.png",
        ] {
            assert!(super::HazardTiles::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(super::HazardTiles::national().len(), 2);
    }
}
