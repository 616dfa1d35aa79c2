//! The live indexes of all three kinds of point, kept in step with the store.

use std::sync::Arc;

use parking_lot::RwLock;

use super::{SpatialIndex, ZoneIndex};
use crate::domain::hazard_zone::{Exposure, HazardZone, exposure_of};
use crate::domain::{ChildProps, Located, PowerPointProps, Resource, ShelterProps};

/// Entries applied per hold of an index's write lock: a few hundred microseconds of
/// R-tree updates, so a reader waits at most that long behind a bulk write.
const APPLY_CHUNK: usize = 1_000;

/// Index payload: the whole resource, shared so answers never copy it while the lock is held.
pub type Entry<P> = Arc<Located<P>>;

/// One index per kind. Each sits behind its own `RwLock` held only for one query or one
/// update, so a write never stalls readers for long (DESIGN.md, Concurrency).
#[derive(Default)]
pub struct Catalog {
    /// Power points.
    pub power_points: RwLock<SpatialIndex<Entry<PowerPointProps>>>,
    /// Shelters.
    pub shelters: RwLock<SpatialIndex<Entry<ShelterProps>>>,
    /// Children (homes).
    pub children: RwLock<SpatialIndex<Entry<ChildProps>>>,
    /// Hazard zones (polygons).
    pub hazard_zones: RwLock<ZoneIndex>,
}

/// A resource kind that has an index in the [`Catalog`].
pub trait Indexed: Resource {
    /// Whether answers carry `hazard_exposure`: homes and shelters, not power points.
    const EXPOSED: bool = false;

    /// The index of this kind.
    fn index(catalog: &Catalog) -> &RwLock<SpatialIndex<Entry<Self>>>;
}

impl Indexed for PowerPointProps {
    fn index(catalog: &Catalog) -> &RwLock<SpatialIndex<Entry<Self>>> {
        &catalog.power_points
    }
}

impl Indexed for ShelterProps {
    const EXPOSED: bool = true;

    fn index(catalog: &Catalog) -> &RwLock<SpatialIndex<Entry<Self>>> {
        &catalog.shelters
    }
}

impl Indexed for ChildProps {
    const EXPOSED: bool = true;

    fn index(catalog: &Catalog) -> &RwLock<SpatialIndex<Entry<Self>>> {
        &catalog.children
    }
}

impl Catalog {
    /// Replaces one kind's index wholesale (start-up), using rstar's bulk load.
    pub fn load<P: Indexed>(&self, items: Vec<Located<P>>) {
        let entries = items.into_iter().map(|i| (i.id.clone(), i.lon, i.lat, Arc::new(i))).collect();
        *P::index(self).write() = SpatialIndex::bulk_load(entries);
    }

    /// Applies committed writes (the follower's alone), [`APPLY_CHUNK`] at a time with the
    /// lock released in between, so a bulk write of 100,000 never holds readers for long.
    pub(super) fn upsert<P: Indexed>(&self, items: &[Located<P>]) {
        for chunk in items.chunks(APPLY_CHUNK) {
            let entries: Vec<_> = chunk.iter().map(|i| Arc::new(i.clone())).collect();
            let mut index = P::index(self).write();
            for e in entries {
                index.upsert(e.id.clone(), e.lon, e.lat, e);
            }
        }
    }

    /// Applies committed deletes (the follower's alone), chunked like [`Catalog::upsert`].
    pub(super) fn remove<P: Indexed>(&self, ids: &[&str]) {
        for chunk in ids.chunks(APPLY_CHUNK) {
            let mut index = P::index(self).write();
            for id in chunk {
                index.remove(id);
            }
        }
    }

    /// Replaces the zone index wholesale (start-up).
    pub fn load_zones(&self, zones: Vec<HazardZone>) {
        *self.hazard_zones.write() = ZoneIndex::bulk_load(zones);
    }

    /// Applies committed zone writes and deletes (the follower's alone), chunked like
    /// [`Catalog::upsert`].
    pub(super) fn apply_zones(&self, present: Vec<HazardZone>, gone: &[&str]) {
        let mut present = present.into_iter().peekable();
        while present.peek().is_some() {
            let mut index = self.hazard_zones.write();
            for zone in present.by_ref().take(APPLY_CHUNK) {
                index.upsert(zone);
            }
        }
        for chunk in gone.chunks(APPLY_CHUNK) {
            let mut index = self.hazard_zones.write();
            for id in chunk {
                index.remove(id);
            }
        }
    }

    /// What a place is exposed to: per hazard the most severe zone covering it. Derived at
    /// each read, so a new zone shows on every home and shelter at once.
    pub fn exposure_at(&self, lon: f64, lat: f64) -> Vec<Exposure> {
        let zones = self.hazard_zones.read().at(lon, lat);
        exposure_of(zones.iter().map(|z| z.as_ref()))
    }

    /// The Feature a client sees, with `hazard_exposure` for a home or a shelter, derived
    /// from the zones now indexed.
    pub fn feature<P: Indexed>(&self, item: &Located<P>) -> geojson::Feature {
        let mut feature = item.to_feature();
        if P::EXPOSED
            && let Some(props) = feature.properties.as_mut()
        {
            let exposure = serde_json::to_value(self.exposure_at(item.lon, item.lat)).unwrap_or_default();
            props.insert("hazard_exposure".into(), exposure);
        }
        feature
    }

    /// One resource by id, from memory.
    pub fn get<P: Indexed>(&self, id: &str) -> Option<Entry<P>> {
        P::index(self).read().get(id).map(|(_, _, v)| Arc::clone(v))
    }

    /// How many of one kind are live.
    pub fn count<P: Indexed>(&self) -> usize {
        P::index(self).read().len()
    }

    /// All of one kind, or those inside a lon/lat box, ordered by id.
    pub fn list<P: Indexed>(&self, bbox: Option<[f64; 4]>) -> Vec<Entry<P>> {
        let index = P::index(self).read();
        let mut out: Vec<Entry<P>> = match bbox {
            Some([min_lon, min_lat, max_lon, max_lat]) => index
                .in_bbox(min_lon, min_lat, max_lon, max_lat)
                .into_iter()
                .map(|(_, _, _, v)| Arc::clone(v))
                .collect(),
            None => index.iter().map(|(_, _, _, v)| Arc::clone(v)).collect(),
        };
        drop(index);
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}
