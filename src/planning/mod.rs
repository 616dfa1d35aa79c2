//! Rules that read the domain and the index: nearest answers now; the plan audit and
//! outage scenarios build on them.

pub mod area;
pub mod assign;
pub mod audit;
pub mod call_list;
pub mod feed;
pub mod hazard;
pub mod incident;
pub mod incident_input;
pub mod nearest;
pub mod outage;
pub mod summary;
