//! Settings of a running server: travel assumptions, base map, where the web files are.

use std::path::PathBuf;

use crate::domain::travel::TravelModel;

/// GSI standard tiles (地理院タイル), the base map most Japanese municipal maps use.
pub const GSI_TILES: &str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png";
/// Attribution the GSI terms ask for.
pub const GSI_ATTRIBUTION: &str =
    "<a href=\"https://maps.gsi.go.jp/development/ichiran.html\" target=\"_blank\">地理院タイル</a>";

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
        }
    }
}
