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
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required,
    ResponseBuilder, Schema,
};

use super::AppState;
use super::error::{Detail, ErrorBody, ErrorInfo};
use crate::domain::auth::AccessEntry;
use crate::domain::{ChildProps, Contact, Device, Hospital, Outlet, PowerPointProps, ShelterProps};
use crate::planning::summary::DistrictSummary;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(|| async { Json(document()) }))
}

/// A query or path parameter: name, where, required, schema, description.
type Param = (&'static str, ParameterIn, bool, ObjectBuilder, &'static str);

/// Who may call an operation; every operation also answers 401 to an unknown token.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// Anyone; a token, if sent, may widen the answer (exact counts for staff).
    Public,
    /// A bearer token is required (the role is in the summary and the 403 response).
    Token,
}

fn number() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Number)
}

fn number_in(min: f64, max: f64) -> ObjectBuilder {
    number().minimum(Some(min)).maximum(Some(max))
}

fn boolean() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Boolean).default(Some(serde_json::json!(false)))
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn integer_in(min: i64, max: i64, default: i64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min as f64))
        .maximum(Some(max as f64))
        .default(Some(serde_json::json!(default)))
}

fn one_of(values: &'static [&'static str]) -> ObjectBuilder {
    string().enum_values(Some(values.iter().copied()))
}

struct Op {
    method: HttpMethod,
    path: &'static str,
    summary: &'static str,
    tag: &'static str,
    access: Access,
    params: Vec<Param>,
    body: Option<&'static str>,
    ok: (&'static str, &'static str),
    errors: &'static [&'static str],
}

fn q(name: &'static str, schema: ObjectBuilder, description: &'static str) -> Param {
    (name, ParameterIn::Query, false, schema, description)
}

fn date_time() -> ObjectBuilder {
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
}

fn id_param() -> Param {
    ("id", ParameterIn::Path, true, string().pattern(Some("^[A-Za-z0-9._-]{1,64}$")), "[A-Za-z0-9._-]{1,64}")
}

fn operations() -> Vec<Op> {
    use HttpMethod::{Delete, Get, Post, Put};
    let lat_lon = || {
        vec![
            ("lat", ParameterIn::Query, true, number_in(-90.0, 90.0), "WGS 84 latitude, degrees"),
            ("lon", ParameterIn::Query, true, number_in(-180.0, 180.0), "WGS 84 longitude, degrees"),
            q("k", integer_in(1, 100, 5), "1–100, default 5"),
            q("max_distance_m", number().minimum(Some(0.0)), "geodesic metres"),
        ]
    };
    let bbox = || vec![q("bbox", string(), "minLon,minLat,maxLon,maxLat")];
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
            access: if tag == "children" { Access::Token } else { Access::Public },
            params: bbox(),
            body: None,
            ok: ("200", coll),
            errors: &["400"],
        });
        ops.push(Op {
            method: Post,
            path,
            summary: "Create one Feature or a FeatureCollection, all or nothing",
            tag,
            access: Access::Token,
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
            access: if tag == "children" { Access::Token } else { Access::Public },
            params: vec![id_param()],
            body: None,
            ok: ("200", feat),
            errors: &["400", "404"],
        });
        ops.push(Op {
            method: Put,
            path: one,
            summary: "Create or replace one",
            tag,
            access: Access::Token,
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
            access: Access::Token,
            params: vec![id_param()],
            body: None,
            ok: ("204", ""),
            errors: &["401", "403", "404"],
        });
    }
    let mut power = lat_lon();
    power.extend([
        q("outlet", one_of(&["ac100v", "dc12v", "usb"]), "one outlet type"),
        q("min_w", number().minimum(Some(0.0)), "watts an outlet and the point must deliver"),
        q("pure_sine", boolean(), "only pure-sine points"),
        q("include_unavailable", boolean(), "also unavailable points"),
        q("open", one_of(&["any", "now"]), "now: only points open at `at` (unknown hours kept, open_now null)"),
        q("at", date_time(), "RFC 3339; default now"),
    ]);
    ops.push(Op {
        method: Get,
        path: "/api/v1/nearest/power",
        summary: "Nearest qualifying power points by geodesic distance",
        tag: "nearest",
        access: Access::Public,
        params: power,
        body: None,
        ok: ("200", "NearestPowerCollection"),
        errors: &["400"],
    });
    let mut shelters = lat_lon();
    shelters.extend([
        q(
            "hazard",
            one_of(&["flood", "landslide", "storm_surge", "earthquake", "tsunami", "fire", "inland_flood", "volcano"]),
            "only shelters designated for it",
        ),
        q("kind", one_of(&["designated", "welfare", "emergency_site"]), "shelter kind"),
        q("with_power", boolean(), "only shelters with on-site power"),
    ]);
    ops.push(Op {
        method: Get,
        path: "/api/v1/nearest/shelters",
        summary: "Nearest shelters",
        tag: "nearest",
        access: Access::Public,
        params: shelters,
        body: None,
        ok: ("200", "NearestShelterCollection"),
        errors: &["400"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/children/{id}/nearest-power",
        summary: "Nearest points that run all the child's life-critical devices, with within_battery",
        tag: "nearest",
        access: Access::Token,
        params: vec![
            id_param(),
            q("k", integer_in(1, 100, 5), "1–100, default 5"),
            q("include_charge_only", boolean(), "also charge-only points"),
            q("max_distance_m", number().minimum(Some(0.0)), "geodesic metres"),
            q("lat", number_in(-90.0, 90.0), "origin instead of the child's home (with lon)"),
            q("lon", number_in(-180.0, 180.0), "origin instead of the child's home (with lat)"),
            q("open", one_of(&["any", "now"]), "now: only points open at `at` (unknown hours kept, open_now null)"),
            q("at", date_time(), "RFC 3339; default now"),
        ],
        body: None,
        ok: ("200", "ChildNearestPowerCollection"),
        errors: &["400", "401", "404"],
    });
    let child_id = || vec![id_param()];
    ops.push(Op {
        method: Get,
        path: "/api/v1/children/{id}/plan",
        summary: "The child's current 個別避難計画",
        tag: "plans",
        access: Access::Token,
        params: child_id(),
        body: None,
        ok: ("200", "Plan"),
        errors: &["400", "404"],
    });
    ops.push(Op {
        method: Put,
        path: "/api/v1/children/{id}/plan",
        summary: "Store a new plan version; version is the one it was based on (0 for none); stale → 409",
        tag: "plans",
        access: Access::Token,
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
        access: Access::Token,
        params: child_id(),
        body: None,
        ok: ("200", "PlanHistory"),
        errors: &["400", "404"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/children/{id}/plan/sheet",
        summary: "Printable A4 plan sheet (HTML, Japanese)",
        tag: "plans",
        access: Access::Token,
        params: child_id(),
        body: None,
        ok: ("200", ""),
        errors: &["400", "404"],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/plans/audit",
        summary: "Plan audit findings; format=csv for Excel (UTF-8 with BOM)",
        tag: "plans",
        access: Access::Token,
        params: vec![
            q("district", string(), "one 町字"),
            q("severity", string(), "comma-separated severities to keep (error,warning,info); default all"),
            q("format", one_of(&["json", "csv"]), "default json"),
        ],
        body: None,
        ok: ("200", "AuditReport"),
        errors: &["400", "401", "403"],
    });
    ops.push(Op {
        method: Post,
        path: "/api/v1/scenarios/outage",
        summary: "Outage scenario: affected and at-risk children, points out, optimal assignment; saved when named",
        tag: "scenarios",
        access: Access::Token,
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
        access: Access::Token,
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
        access: Access::Token,
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
        access: Access::Public,
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
        access: Access::Public,
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
        access: Access::Token,
        params: vec![
            q("child_id", string(), "one child"),
            q("limit", integer_in(1, 100_000, 1000), "newest entries, default 1000"),
        ],
        body: None,
        ok: ("200", "AccessLog"),
        errors: &["401", "403"],
    });
    ops.push(Op {
        method: Get,
        path: "/healthz",
        summary: "Liveness and live index counts",
        tag: "ops",
        access: Access::Public,
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
        access: Access::Public,
        params: vec![],
        body: None,
        ok: ("200", ""),
        errors: &[],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/config",
        summary: "Front-end settings (tiles, travel speeds), every vocabulary with its labels, demo tokens in demo mode",
        tag: "ops",
        access: Access::Public,
        params: vec![],
        body: None,
        ok: ("200", ""),
        errors: &[],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/me",
        summary: "The caller's role, token name and bound children (all null or empty without a token)",
        tag: "ops",
        access: Access::Public,
        params: vec![],
        body: None,
        ok: ("200", "Me"),
        errors: &[],
    });
    ops.push(Op {
        method: Get,
        path: "/api/v1/openapi.json",
        summary: "This document",
        tag: "ops",
        access: Access::Public,
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
fn feature_schema(props: RefOr<Schema>) -> Schema {
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
        .property("properties", props)
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
        for (name, place, required, schema, description) in op.params {
            b = b.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(place)
                    .required(if required { Required::True } else { Required::False })
                    .description(Some(description))
                    .schema(Some(schema)),
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
        b = match op.access {
            // Optional: the empty requirement means "no token" is acceptable too.
            Access::Public => b.security(SecurityRequirement::default()),
            Access::Token => b,
        }
        .security(SecurityRequirement::new("bearer", Vec::<String>::new()));
        // An unknown or malformed token is a 401 on every route, public ones included.
        let mut codes = op.errors.to_vec();
        if !codes.contains(&"401") {
            codes.push("401");
            codes.sort_unstable();
        }
        for code in codes {
            b = b.response(
                code,
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
        .security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
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
        .schema_from::<super::summary::Me>()
        .schema_from::<AccessEntry>()
        .schema_from::<crate::domain::auth::Action>()
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
    // Resources as stored (a child also carries its derived fields), and as nearest answers
    // (with distance, bearing and travel minutes; for a child, whether the battery lasts).
    let read_only_number = |description: &'static str| {
        ObjectBuilder::new().schema_type(Type::Number).read_only(true).description(Some(description))
    };
    let derived = ObjectBuilder::new()
        .property("critical_load_w", read_only_number("sum of rated_w of life-critical devices"))
        .property(
            "autonomy_h",
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([Type::Number, Type::Null]))
                .read_only(true)
                .description(Some("smallest battery_h among life-critical devices; null if none")),
        );
    let travel = || {
        ObjectBuilder::new()
            .property("distance_m", read_only_number("WGS 84 geodesic metres (Karney), 0.1 m"))
            .property("bearing_deg", read_only_number("initial azimuth from the origin, 0–360"))
            .property("walk_min", read_only_number("distance × detour factor at walking speed"))
            .property("drive_min", read_only_number("distance × detour factor at driving speed"))
            .required("distance_m")
            .required("bearing_deg")
            .required("walk_min")
            .required("drive_min")
    };
    // Opening hours as of the query's `at`, for power answers.
    let nullable = |t: Type, description: &'static str| {
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([t, Type::Null]))
            .read_only(true)
            .description(Some(description))
    };
    let hours = |b: ObjectBuilder| {
        b.property("open_now", nullable(Type::Boolean, "open at `at`; null when hours are absent or free text"))
            .property("open_until", nullable(Type::String, "when open: the time it closes (JST); null if it does not"))
            .property("opens_at", nullable(Type::String, "when closed: the next opening within 14 days (JST)"))
    };
    let within_battery = ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .read_only(true)
        .description(Some("travel (walking if the plan says walk, else driving) takes at most half of autonomy_h"));
    let all_of = |parts: Vec<RefOr<Schema>>| -> RefOr<Schema> {
        let mut b = utoipa::openapi::schema::AllOfBuilder::new();
        for part in parts {
            b = b.item(part);
        }
        RefOr::T(b.into())
    };
    let shapes: [(&str, RefOr<Schema>); 6] = [
        ("PowerPoint", schema_ref("PowerPointProps")),
        ("Shelter", schema_ref("ShelterProps")),
        ("Child", all_of(vec![schema_ref("ChildProps"), RefOr::T(derived.into())])),
        ("NearestPower", all_of(vec![schema_ref("PowerPointProps"), RefOr::T(hours(travel()).into())])),
        ("NearestShelter", all_of(vec![schema_ref("ShelterProps"), RefOr::T(travel().into())])),
        (
            "ChildNearestPower",
            all_of(vec![
                schema_ref("PowerPointProps"),
                RefOr::T(hours(travel()).property("within_battery", within_battery).required("within_battery").into()),
            ]),
        ),
    ];
    for (kind, props) in shapes {
        components = components
            .schema(format!("{kind}Feature"), feature_schema(props))
            .schema(format!("{kind}Collection"), collection_schema(&format!("{kind}Feature")));
    }
    OpenApiBuilder::new()
        .info(InfoBuilder::new().title("powermap API").version(env!("CARGO_PKG_VERSION")).description(Some(
            "Nearest power for power-dependent children (医療的ケア児). Distances are WGS 84 geodesic metres (Karney).",
        )))
        .paths(paths.build())
        .components(Some(with_text_limits(components.build())))
        .build()
}

/// States the contract's text limits on every string property of the resources and plans,
/// as validation applies them (a `name` 200 characters, any other text 2,000), so the
/// document cannot list a field the limit forgets.
fn with_text_limits(mut components: utoipa::openapi::Components) -> utoipa::openapi::Components {
    use utoipa::openapi::schema::{ArrayItems, SchemaType};
    fn limit(key: &str, schema: &mut RefOr<Schema>) {
        let max = if key == "name" { crate::domain::MAX_NAME_CHARS } else { crate::domain::MAX_TEXT_CHARS };
        match schema {
            RefOr::T(Schema::Object(o)) => {
                let is_text = match &o.schema_type {
                    SchemaType::Type(t) => *t == Type::String,
                    SchemaType::Array(types) => types.contains(&Type::String),
                    SchemaType::AnyValue => false,
                };
                // Dates and enums have their own shape; the limit is for free text.
                if is_text && o.format.is_none() && o.enum_values.is_none() {
                    o.max_length = Some(max);
                }
            }
            RefOr::T(Schema::Array(a)) => {
                if let ArrayItems::RefOrSchema(items) = &mut a.items {
                    limit(key, items);
                }
            }
            _ => {}
        }
    }
    const TEXT_BEARING: [&str; 10] = [
        "PowerPointProps",
        "ShelterProps",
        "ChildProps",
        "Device",
        "Contact",
        "Hospital",
        "Conflict",
        "PlanInput",
        "PlanBody",
        "Outlet",
    ];
    for name in TEXT_BEARING {
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(name) {
            for (key, property) in o.properties.iter_mut() {
                limit(key, property);
            }
        }
    }
    components
}
