//! The national data as it is distributed: a zipped Shapefile (`.shp`, `.dbf`, and a `.cpg`
//! naming the `.dbf`'s encoding), read into the GeoJSON the zone parser takes, so both forms
//! pass the same checks. Without a `.cpg` the `.dbf` is taken as Shift_JIS, as 国土数値情報
//! ships it.

use std::io::{Cursor, Read};

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value, json};
use shapefile::dbase::{self, FieldValue};

use crate::domain::hazard_zone::geometry_json;

/// Whether the bytes are a zip archive (its local-file signature).
pub(super) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The archive's polygons and attributes as a FeatureCollection; a broken record names its
/// number (1-based, as GIS tools count them).
pub(super) fn zones_geojson(bytes: &[u8]) -> Result<Value> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).context("not a readable zip archive")?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .context("a member's name is unreadable")?;
    let shp = names.iter().find(|n| n.to_ascii_lowercase().ends_with(".shp")).context("no .shp in the archive")?;
    let stem = shp[..shp.len() - 4].to_owned();
    let mut member = |ext: &str| -> Result<Option<Vec<u8>>> {
        let Some(name) = names.iter().find(|n| {
            n.len() == stem.len() + 4 && n.to_ascii_lowercase() == format!("{}{ext}", stem.to_ascii_lowercase())
        }) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        archive.by_name(name)?.read_to_end(&mut out)?;
        Ok(Some(out))
    };
    let shp_bytes = member(".shp")?.context("the .shp could not be read")?;
    let dbf_bytes = member(".dbf")?.with_context(|| format!("no {stem}.dbf beside the .shp"))?;
    let encoding = encoding_of(member(".cpg")?.as_deref())?;
    let shapes = shapefile::ShapeReader::new(Cursor::new(shp_bytes)).context("the .shp is not a Shapefile")?;
    let table = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(encoding))
        .build(Cursor::new(dbf_bytes))
        .context("the .dbf is not a dBase table")?;
    let mut reader = shapefile::Reader::new(shapes, table);
    let progress = crate::cli::progress::reading(bytes.len());
    let mut features = Vec::new();
    for (i, item) in reader.iter_shapes_and_records_as::<shapefile::Polygon, dbase::Record>().enumerate() {
        let (polygon, record) = item.with_context(|| format!("record {}: not a polygon with its attributes", i + 1))?;
        let shape =
            geo::MultiPolygon::try_from(polygon).with_context(|| format!("record {}: a broken polygon", i + 1))?;
        let props: Map<String, Value> = record.into_iter().filter_map(|(k, v)| Some((k, cell(v)?))).collect();
        features.push(json!({"type": "Feature", "geometry": geometry_json(&shape), "properties": props}));
        progress.set_position((bytes.len() * (i + 1) / (i + 2)) as u64);
    }
    progress.finish_and_clear();
    Ok(json!({"type": "FeatureCollection", "features": features}))
}

/// The `.dbf`'s text encoding from the `.cpg` (`UTF-8`, `SJIS`, `CP932`, …).
fn encoding_of(cpg: Option<&[u8]>) -> Result<&'static encoding_rs::Encoding> {
    let Some(cpg) = cpg else { return Ok(encoding_rs::SHIFT_JIS) };
    let name = String::from_utf8_lossy(cpg).trim().to_ascii_uppercase().replace(['-', '_'], "");
    match name.as_str() {
        "UTF8" | "65001" => Ok(encoding_rs::UTF_8),
        "SJIS" | "SHIFTJIS" | "CP932" | "932" | "WINDOWS31J" | "MS932" => Ok(encoding_rs::SHIFT_JIS),
        other => bail!("the .cpg names an encoding this import does not read: {other}"),
    }
}

/// One attribute as JSON; empty cells are left out.
fn cell(value: FieldValue) -> Option<Value> {
    match value {
        FieldValue::Character(Some(s)) => Some(Value::String(s.trim().to_owned())),
        FieldValue::Numeric(Some(n)) | FieldValue::Double(n) | FieldValue::Currency(n) => Some(number(n)),
        FieldValue::Float(Some(n)) => Some(number(f64::from(n))),
        FieldValue::Integer(n) => Some(Value::from(n)),
        FieldValue::Logical(Some(b)) => Some(Value::Bool(b)),
        _ => None,
    }
}

/// A whole number as an integer (ranks and codes are), anything else as it is.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 { Value::from(n as i64) } else { json!(n) }
}
