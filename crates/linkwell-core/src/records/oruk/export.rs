//! The directory as an ORUK v3 UK-profile `/services` page: one page holding every service
//! as a full record (which also satisfies the page's list schema). The ids of a record's parts
//! (schedules, locations...) are derived from the service's id, so an export of the same
//! directory gives the same ids each time.

use crate::error::Result;
use crate::store;
use linkwell_protocol::EntityKind;
use rusqlite::Connection;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub(crate) fn page(conn: &Connection) -> Result<Value> {
    let services = store::load_where(
        conn,
        EntityKind::Service,
        "redirect_to IS NULL AND ?1 = ?1",
        "",
        "name, id",
    )?;
    let mut contents = Vec::with_capacity(services.len());
    for s in &services {
        contents.push(record(conn, s)?);
    }
    let n = contents.len();
    Ok(json!({
        "total_items": n,
        "total_pages": 1,
        "page_number": 1,
        "size": n,
        "first_page": true,
        "last_page": true,
        "empty": n == 0,
        "contents": contents,
    }))
}

fn get<'a>(s: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    s.get(k).and_then(Value::as_str).filter(|v| !v.is_empty())
}

/// A stable id for part `n` of kind `part` of the record `of`.
fn part_id(of: &str, part: &str, n: usize) -> String {
    let hash = Sha256::digest(format!("{of}/{part}/{n}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Only absolute web addresses pass the schema's `uri` format.
fn web(s: Option<&str>) -> Option<String> {
    let s = s?;
    if s.starts_with("http://") || s.starts_with("https://") {
        Some(s.to_string())
    } else if s.starts_with("www.") {
        Some(format!("https://{s}"))
    } else {
        None
    }
}

/// Puts `v` under `k` unless it is null or empty.
fn put(o: &mut Map<String, Value>, k: &str, v: Value) {
    let empty = match &v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    if !empty {
        o.insert(k.into(), v);
    }
}

fn record(conn: &Connection, s: &Map<String, Value>) -> Result<Value> {
    let own = get(s, "id").unwrap_or_default().to_string();
    // The feed's id when it is one ORUK accepts, so a council can match its own records.
    let id = get(s, "feed_id")
        .filter(|f| Uuid::parse_str(f).is_ok())
        .map_or(own.clone(), str::to_string);
    let status = match get(s, "status") {
        Some("paused") => "temporarily closed",
        Some("closed") => "inactive",
        _ => "active",
    };
    let mut o = Map::new();
    o.insert("id".into(), id.clone().into());
    o.insert("name".into(), get(s, "name").unwrap_or_default().into());
    o.insert(
        "description".into(),
        get(s, "description").unwrap_or_default().into(),
    );
    o.insert("status".into(), status.into());
    put(&mut o, "url", web(get(s, "website")).into());
    put(&mut o, "email", get(s, "contact_email").into());
    put(
        &mut o,
        "minimum_age",
        s.get("min_age").cloned().unwrap_or_default(),
    );
    put(
        &mut o,
        "maximum_age",
        s.get("max_age").cloned().unwrap_or_default(),
    );
    put(&mut o, "assured_date", get(s, "last_verified_on").into());
    if let Some(org) = organisation(conn, s)? {
        o.insert("organization_id".into(), org["id"].clone());
        o.insert("organization".into(), org);
    }
    put(&mut o, "schedules", schedules(&own, s));
    put(&mut o, "service_at_locations", locations(&own, s));
    put(&mut o, "languages", languages(&own, s));
    put(&mut o, "cost_options", costs(&own, s));
    put(&mut o, "contacts", contacts(&own, s));
    put(&mut o, "attributes", attributes(&own, s));
    Ok(Value::Object(o))
}

fn organisation(conn: &Connection, s: &Map<String, Value>) -> Result<Option<Value>> {
    let Some(pid) = get(s, "provider_id").and_then(|p| Uuid::parse_str(p).ok()) else {
        return Ok(None);
    };
    let Some(p) = store::load(conn, EntityKind::Provider, pid)? else {
        return Ok(None);
    };
    let mut o = Map::new();
    o.insert("id".into(), pid.to_string().into());
    o.insert("name".into(), get(&p, "name").unwrap_or_default().into());
    o.insert("description".into(), "".into());
    put(&mut o, "website", web(get(&p, "website")).into());
    put(&mut o, "email", get(&p, "email").into());
    Ok(Some(Value::Object(o)))
}

fn schedules(own: &str, s: &Map<String, Value>) -> Value {
    let items = s.get("schedules").and_then(Value::as_array);
    let out: Vec<Value> = items
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(n, sch)| {
            let (freq, interval) = match sch["frequency"].as_str() {
                Some("fortnightly") => ("WEEKLY", 2),
                Some("monthly") => ("MONTHLY", 1),
                _ => ("WEEKLY", 1),
            };
            let day = sch["weekday"].as_str().unwrap_or("mon");
            json!({
                "id": part_id(own, "schedule", n),
                "freq": freq,
                "interval": interval,
                "byday": day.get(..2).unwrap_or("MO").to_ascii_uppercase(),
                "opens_at": sch["starts"],
                "closes_at": sch["ends"],
            })
        })
        .collect();
    let mut out = out;
    if let (Some(note), Some(first)) = (get(s, "schedule_note"), out.first_mut()) {
        first["description"] = note.into();
    }
    Value::Array(out)
}

fn locations(own: &str, s: &Map<String, Value>) -> Value {
    let has = ["venue", "address", "postcode", "uprn"]
        .iter()
        .any(|k| get(s, k).is_some())
        || s.get("latitude").is_some_and(|v| !v.is_null());
    if !has {
        return Value::Array(Vec::new());
    }
    let mut loc = Map::new();
    loc.insert("id".into(), part_id(own, "location", 0).into());
    loc.insert("location_type".into(), "physical".into());
    put(&mut loc, "name", get(s, "venue").into());
    put(
        &mut loc,
        "latitude",
        s.get("latitude").cloned().unwrap_or_default(),
    );
    put(
        &mut loc,
        "longitude",
        s.get("longitude").cloned().unwrap_or_default(),
    );
    if let Some(u) = get(s, "uprn") {
        loc.insert("external_identifier".into(), u.into());
        loc.insert("external_identifier_type".into(), "UPRN".into());
    }
    if get(s, "address").is_some() || get(s, "postcode").is_some() {
        loc.insert(
            "addresses".into(),
            json!([{
                "id": part_id(own, "address", 0),
                "address_1": get(s, "address").unwrap_or_default(),
                "city": "",
                "state_province": "",
                "postal_code": get(s, "postcode").unwrap_or_default(),
                "country": "GB",
                "address_type": "physical",
            }]),
        );
    }
    if let Some(a) = get(s, "accessibility") {
        loc.insert(
            "accessibility".into(),
            json!([{"id": part_id(own, "accessibility", 0), "description": a}]),
        );
    }
    json!([{"id": part_id(own, "service_at_location", 0), "location": loc}])
}

fn languages(own: &str, s: &Map<String, Value>) -> Value {
    let names = s.get("languages").and_then(Value::as_array);
    Value::Array(
        names
            .into_iter()
            .flatten()
            .enumerate()
            .map(|(n, l)| json!({"id": part_id(own, "language", n), "name": l}))
            .collect(),
    )
}

fn costs(own: &str, s: &Map<String, Value>) -> Value {
    let free = s.get("free").and_then(Value::as_bool).unwrap_or(false);
    match (get(s, "cost"), free) {
        (Some(c), true) => json!([{"id": part_id(own, "cost", 0), "option": c, "amount": 0}]),
        (Some(c), false) => json!([{"id": part_id(own, "cost", 0), "option": c}]),
        (None, true) => json!([{"id": part_id(own, "cost", 0), "option": "Free", "amount": 0}]),
        (None, false) => json!([]),
    }
}

fn contacts(own: &str, s: &Map<String, Value>) -> Value {
    if get(s, "contact_name").is_none() && get(s, "contact_phone").is_none() {
        return json!([]);
    }
    let mut c = Map::new();
    c.insert("id".into(), part_id(own, "contact", 0).into());
    put(&mut c, "name", get(s, "contact_name").into());
    put(&mut c, "email", get(s, "contact_email").into());
    if let Some(p) = get(s, "contact_phone") {
        c.insert(
            "phones".into(),
            json!([{"id": part_id(own, "phone", 0), "number": p}]),
        );
    }
    json!([c])
}

/// Categories as terms of a "linkwell" taxonomy, tags as terms of "linkwell-tags".
fn attributes(own: &str, s: &Map<String, Value>) -> Value {
    let cats = s.get("categories").and_then(Value::as_array);
    let tags = s.get("tags").and_then(Value::as_array);
    let terms = cats
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|c| {
            let label =
                crate::domain::vocabulary::ServiceCategory::parse(c).map_or(c, |v| v.label());
            ("linkwell", c.to_string(), label.to_string())
        })
        .chain(
            tags.into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|t| ("linkwell-tags", t.to_string(), t.to_string())),
        );
    Value::Array(
        terms
            .enumerate()
            .map(|(n, (taxonomy, code, label))| {
                json!({
                    "id": part_id(own, "attribute", n),
                    "link_type": "service",
                    "taxonomy_term": {
                        "id": part_id(taxonomy, &code, 0),
                        "name": label,
                        "description": label,
                        "taxonomy": taxonomy,
                        "term": code,
                    },
                })
            })
            .collect(),
    )
}
