//! The in-memory spatial index: exact WGS 84 geodesic nearest on an R-tree of unit vectors.

mod catalog;
mod follower;
pub mod geodesy;
mod index;
mod zones;

pub use catalog::{Catalog, Entry, Indexed};
pub use follower::{ChangeFeed, ChangeListener, Follower};
pub use index::{Hit, SpatialIndex};
pub use zones::ZoneIndex;
