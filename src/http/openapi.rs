//! `GET /api/v1/openapi.json`: the machine-readable contract, built from the code.
//!
//! Property schemas come from the domain types' `ToSchema` derives, so a field added to a
//! type appears here; the operations are one table below, checked against the router by a
//! test that calls every documented path.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required,
    ResponseBuilder, Schema,
};

use super::AppState;
use super::error::{Detail, ErrorBody, ErrorInfo};
use crate::domain::{ChildProps, Contact, Device, Hospital, Outlet, PowerPointProps, ShelterProps};
use crate::planning::summary::DistrictSummary;
use crate::store::AccessEntry;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(|| async { Json(document()) }))
}

/// A query or path parameter: name, where, required, JSON type, description.
type Param = (&'static str, ParameterIn, bool, Type, &'static str);

struct Op {
    method: HttpMethod,
    path: &'static str,
    summary: &'static str,
    tag: &'static str,
    params: Vec<Param>,
    body: Option<&'static str>,
    ok: (&'static str, &'static str),
    errors: &'static [&'static str],
}

fn q(name: &'static str, ty: Type, description: &'static str) -> Param {
    (name, ParameterIn::Query, false, ty, description)
}

fn id_param() -> Param {
    ("id", ParameterIn::Path, true, Type::String, "[A-Za-z0-9._-]{1,64}")
}

fn operations() -> Vec<Op> {
    use HttpMethod::{Delete, Get, Post, Put};
    use Type::{Boolean, Integer, Number, String as Str};
    let lat_lon = || {
        vec![
            ("lat", ParameterIn::Query, true, Number, "WGS 84 latitude, degrees"),
            ("lon", ParameterIn::Query, true, Number, "WGS 84 longitude, degrees"),
            q("k", Integer, "1–100, default 5"),
            q("max_distance_m", Number, "geodesic metres"),
        ]
    };
    let bbox = || vec![q("bbox", Str, "minLon,minLat,maxLon,maxLat")];
    let mut ops = Vec::new();
    for (path, one, coll, feat, tag) in [
        (
            "/api/v1/power-points",
            "/api/v1/power-points/{id}",
            "PowerPointCollection",
            "PowerPointFeature",
            "power points",
        ),
        ("/api/v1/shelters", "/api/v1/shelters/{id}", "ShelterCollection", "ShelterFeature", "shelters"),
        ("/api/v1/children", "/api/v1/children/{id}", "ChildCollection", "ChildFeature", "children"),
    ] {
        let write_errors: &[&str] = &["400", "401", "403", "409", "413", "422"];
        ops.push(Op {
            method: Get,
            path,
            summary: "List (optionally within a bbox)",
            tag,
            params: bbox(),
            body: None,
            ok: ("200", coll),
            errors: &["400", "401", "403"],
        });
        ops.push(Op {
            method: Post,
            path,
            summary: "Create one Feature or a FeatureCollection, all or nothing",
            tag,
            params: vec![],
            body: Some(coll),
            ok: ("201", coll),
            errors: write_errors,
        });
        ops.push(Op {
            method: Get,
            path: one,
            summary: "Read one",
            tag,
            params: vec![id_param()],
            body: None,
            ok: ("200", feat),
            errors: &["400", "401", "404"],
        });
        ops.push(Op {
            method: Put,
            path: one,
            summary: "Create or replace one",
            tag,
            params: vec![id_param()],
            body: Some(feat),
            ok: ("200", feat),
            errors: write_errors,
        });
        ops.push(Op {
            method: Delete,
            path: one,
            summary: "Delete one",
            tag,
            params: vec![id_param()],
            body: None,
            ok: ("204", ""),
            errors: &["401", "403", "404"],
        });
    }
    let mut power = lat_lon();
    power.extend([
        q("outlet", Str, "ac100v | dc12v | usb"),
        q("min_w", Number, "watts an outlet and the point must deliver"),
        q("pure_sine", Boolean, "only pure-sine points"),
        q("include_unavailable", Boolean, "also unavailable points"),
    ]);
    ops.push(Op {
        method: Get,
        path: "/api/v1/nearest/power",
        summary: "Nearest qualifying power points by geodesic distance",
        tag: "nearest",
        params: power,
        body: None,
        ok: ("200", "PowerPointCollection"),
        errors: &["400"],
    });
    let mut shelters = lat_lon();
    shelters.extend([
        q("hazard", Str, "one of the eight hazards"),
        q("kind", Str, "designated | welfare | emergency_site"),
        q("with_power", Boolean, "only shelters with on-site power"),
    ]);
    ops.push(Op {
        method: Get,
        path: "/api/v1/nearest/shelters",
        summary: "Nearest shelters",
        tag: "nearest",
        params: shelters,
        body: None,
        ok: ("200", "ShelterCollection"),
        errors: &["400"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/children/{id}/nearest-power",
        summary: "Nearest points that run all the child's life-critical devices, with within_battery",
        tag: "nearest",
        params: vec![
            id_param(),
            q("k", Integer, "1–100, default 5"),
            q("include_charge_only", Boolean, "also charge-only points"),
            q("max_distance_m", Number, "geodesic metres"),
            q("lat", Number, "origin instead of the child's home (with lon)"),
            q("lon", Number, "origin instead of the child's home (with lat)"),
        ],
        body: None,
        ok: ("200", "PowerPointCollection"),
        errors: &["400", "401", "404"],
    });
    let child_id = || vec![id_param()];
    ops.push(Op {
        method: Get,
        path: "/api/v1/children/{id}/plan",
        summary: "The child's current 個別避難計画",
        tag: "plans",
        params: child_id(),
        body: None,
        ok: ("200", "Plan"),
        errors: &["401", "404"],
    });
    ops.push(Op {
        method: Put,
        path: "/api/v1/children/{id}/plan",
        summary: "Store a new plan version; version is the one it was based on (0 for none); stale → 409",
        tag: "plans",
        params: child_id(),
        body: Some("PlanInput"),
        ok: ("200", "Plan"),
        errors: &["400", "401", "403", "404", "409", "422"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/children/{id}/plan/history",
        summary: "All plan versions, newest first",
        tag: "plans",
        params: child_id(),
        body: None,
        ok: ("200", "PlanHistory"),
        errors: &["401", "404"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/children/{id}/plan/sheet",
        summary: "Printable A4 plan sheet (HTML, Japanese)",
        tag: "plans",
        params: child_id(),
        body: None,
        ok: ("200", ""),
        errors: &["401", "404"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/plans/audit",
        summary: "Plan audit findings; format=csv for Excel (UTF-8 with BOM)",
        tag: "plans",
        params: vec![q("district", Str, "one 町字"), q("format", Str, "json | csv")],
        body: None,
        ok: ("200", "AuditReport"),
        errors: &["400", "401", "403"],
    });
    ops.push(Op {
        method: Post,
        path: "/api/v1/scenarios/outage",
        summary: "Outage scenario: affected and at-risk children, points out, optimal assignment; saved when named",
        tag: "scenarios",
        params: vec![],
        body: Some("OutageRequest"),
        ok: ("200", "OutageResult"),
        errors: &["400", "401", "403", "413", "422"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/scenarios",
        summary: "Saved scenarios with their totals, newest first",
        tag: "scenarios",
        params: vec![],
        body: None,
        ok: ("200", ""),
        errors: &["401", "403"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/scenarios/{id}",
        summary: "One saved scenario: its request and result",
        tag: "scenarios",
        params: vec![id_param()],
        body: None,
        ok: ("200", ""),
        errors: &["400", "401", "403", "404"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/scenarios/presets",
        summary: "Named demo areas (GeoJSON FeatureCollection of polygons with name and hours)",
        tag: "scenarios",
        params: vec![],
        body: None,
        ok: ("200", ""),
        errors: &[],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/areas/summary",
        summary: "Per-district counts; public answers suppress 1–9",
        tag: "summary",
        params: vec![],
        body: None,
        ok: ("200", "AreaSummary"),
        errors: &[],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/access-log",
        summary: "Who read or wrote which child, newest first",
        tag: "summary",
        params: vec![q("child_id", Str, "one child"), q("limit", Integer, "default 1000")],
        body: None,
        ok: ("200", "AccessLog"),
        errors: &["401", "403"],
    });
    ops.push(Op {
        method: Get,
        path: "/healthz",
        summary: "Liveness and live index counts",
        tag: "ops",
        params: vec![],
        body: None,
        ok: ("200", ""),
        errors: &[],
    });
    ops.push(Op {
        method: Get,
        path: "/readyz",
        summary: "Readiness: the database answers",
        tag: "ops",
        params: vec![],
        body: None,
        ok: ("200", ""),
        errors: &[],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/config",
        summary: "Front-end settings (tiles, travel speeds)",
        tag: "ops",
        params: vec![],
        body: None,
        ok: ("200", ""),
        errors: &[],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/openapi.json",
        summary: "This document",
        tag: "ops",
        params: vec![],
        body: None,
        ok: ("200", ""),
        errors: &[],
    });
    ops
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

fn json_content(schema: &str) -> utoipa::openapi::Content {
    ContentBuilder::new().schema(Some(schema_ref(schema))).build()
}

/// A GeoJSON Point Feature whose properties are `props`.
fn feature_schema(props: &str) -> Schema {
    let point = ObjectBuilder::new()
        .property("type", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["Point"])))
        .property(
            "coordinates",
            utoipa::openapi::schema::ArrayBuilder::new()
                .items(ObjectBuilder::new().schema_type(Type::Number))
                .min_items(Some(2))
                .max_items(Some(3)),
        )
        .required("type")
        .required("coordinates");
    ObjectBuilder::new()
        .property("type", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["Feature"])))
        .property("id", ObjectBuilder::new().schema_type(Type::String).pattern(Some("^[A-Za-z0-9._-]{1,64}$")))
        .property("geometry", point)
        .property("properties", schema_ref(props))
        .required("type")
        .required("geometry")
        .required("properties")
        .into()
}

fn collection_schema(feature: &str) -> Schema {
    ObjectBuilder::new()
        .property("type", ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["FeatureCollection"])))
        .property("features", utoipa::openapi::schema::ArrayBuilder::new().items(schema_ref(feature)))
        .property(
            "query",
            ObjectBuilder::new().description(Some("nearest queries: what was asked and the travel assumptions used")),
        )
        .required("type")
        .required("features")
        .into()
}

fn outage_request_schema() -> Schema {
    ObjectBuilder::new()
        .property(
            "area",
            ObjectBuilder::new().description(Some(
                "GeoJSON Polygon or MultiPolygon (holes allowed), bare, as a Feature, or as a FeatureCollection \
                 of exactly one; at most 100000 positions",
            )),
        )
        .property("hours", ObjectBuilder::new().schema_type(Type::Number).description(Some("outage length, > 0")))
        .property("name", ObjectBuilder::new().schema_type(Type::String).description(Some("save under this name")))
        .required("area")
        .required("hours")
        .into()
}

fn outage_result_schema() -> Schema {
    let ids = || utoipa::openapi::schema::ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String));
    let assignment = ObjectBuilder::new()
        .property("child_id", ObjectBuilder::new().schema_type(Type::String))
        .property("power_point_id", ObjectBuilder::new().schema_type(Type::String))
        .property("distance_m", ObjectBuilder::new().schema_type(Type::Number))
        .property("travel_min", ObjectBuilder::new().schema_type(Type::Number))
        .property(
            "within_battery",
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .description(Some("the trip leaves at least half the child's battery, as in nearest answers")),
        );
    let unassigned =
        ObjectBuilder::new().property("child_id", ObjectBuilder::new().schema_type(Type::String)).property(
            "reason",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["no_compatible_point", "all_full"]))
                .description(Some(
                    "no_compatible_point: no point that is up runs all the child's life-critical devices; \
                     all_full: some do, but their outlets and watts go to others in the optimum",
                )),
        );
    ObjectBuilder::new()
        .property("optimal", ObjectBuilder::new().schema_type(Type::Boolean))
        .property("affected", ids())
        .property("at_risk", ids())
        .property("assignments", utoipa::openapi::schema::ArrayBuilder::new().items(assignment))
        .property("unassigned", utoipa::openapi::schema::ArrayBuilder::new().items(unassigned))
        .property("points_out", ids())
        .property(
            "total_distance_m",
            ObjectBuilder::new().schema_type(Type::Number).description(Some("sum of the assignments' distance_m")),
        )
        .property("scenario_id", ObjectBuilder::new().schema_type(Type::String).description(Some("when saved")))
        .required("optimal")
        .required("assignments")
        .into()
}

/// The whole document.
pub fn document() -> OpenApi {
    let mut paths = PathsBuilder::new();
    let mut items: Vec<(&str, PathItem)> = Vec::new();
    for op in operations() {
        let mut b = OperationBuilder::new().summary(Some(op.summary)).tag(op.tag);
        for (name, place, required, ty, description) in op.params {
            b = b.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(place)
                    .required(if required { Required::True } else { Required::False })
                    .description(Some(description))
                    .schema(Some(ObjectBuilder::new().schema_type(ty))),
            );
        }
        if let Some(body) = op.body {
            b = b.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json_content(body))
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        let mut ok = ResponseBuilder::new().description("success");
        if !op.ok.1.is_empty() {
            ok = ok.content("application/json", json_content(op.ok.1));
        }
        b = b.response(op.ok.0, ok.build());
        for code in op.errors {
            b = b.response(
                *code,
                ResponseBuilder::new()
                    .description("error")
                    .content("application/json", json_content("ErrorBody"))
                    .build(),
            );
        }
        match items.iter_mut().find(|(p, _)| *p == op.path) {
            Some((_, item)) => {
                let mut merged = item.clone();
                let one = PathItem::new(op.method, b.build());
                merged.merge_operations(one);
                *item = merged;
            }
            None => items.push((op.path, PathItem::new(op.method, b.build()))),
        }
    }
    for (path, item) in items {
        paths = paths.path(path, item);
    }
    let mut components = ComponentsBuilder::new()
        .schema_from::<PowerPointProps>()
        .schema_from::<ShelterProps>()
        .schema_from::<ChildProps>()
        .schema_from::<Outlet>()
        .schema_from::<Device>()
        .schema_from::<Contact>()
        .schema_from::<crate::domain::Conflict>()
        .schema_from::<crate::planning::audit::Severity>()
        .schema_from::<crate::domain::plan::PlanStatus>()
        .schema_from::<crate::domain::plan::Transport>()
        .schema_from::<crate::domain::DeviceKind>()
        .schema_from::<crate::domain::OutletType>()
        .schema_from::<crate::domain::Status>()
        .schema_from::<crate::domain::PowerPointKind>()
        .schema_from::<crate::domain::ShelterKind>()
        .schema_from::<crate::domain::Hazard>()
        .schema_from::<Hospital>()
        .schema_from::<DistrictSummary>()
        .schema_from::<super::summary::AreaSummary>()
        .schema_from::<AccessEntry>()
        .schema_from::<ErrorBody>()
        .schema_from::<ErrorInfo>()
        .schema_from::<Detail>()
        .schema_from::<crate::domain::plan::Plan>()
        .schema_from::<crate::domain::plan::PlanBody>()
        .schema_from::<crate::domain::plan::PlanInput>()
        .schema_from::<super::plans::AuditReport>()
        .schema_from::<crate::planning::audit::Finding>()
        .schema("OutageRequest", outage_request_schema())
        .schema("OutageResult", outage_result_schema())
        .schema("PlanHistory", utoipa::openapi::schema::ArrayBuilder::new().items(schema_ref("Plan")))
        .schema("AccessLog", utoipa::openapi::schema::ArrayBuilder::new().items(schema_ref("AccessEntry")));
    for (kind, props) in [("PowerPoint", "PowerPointProps"), ("Shelter", "ShelterProps"), ("Child", "ChildProps")] {
        components = components
            .schema(format!("{kind}Feature"), feature_schema(props))
            .schema(format!("{kind}Collection"), collection_schema(&format!("{kind}Feature")));
    }
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("powermap API").version(env!("CARGO_PKG_VERSION")).description(Some(
            "Nearest power for power-dependent children (医療的ケア児). Distances are WGS 84 geodesic metres (Karney).",
        )))
        .paths(paths.build())
        .components(Some(components.build()))
        .build()
}
