//! Reading a feed: which ORUK shape a file is, and each record mapped to Linkwell's fields.
//! v3 and v1 name the same things differently (`schedules`/`regular_schedules`,
//! `addresses`/`physical_addresses`, `attributes`/`service_taxonomys`...): each field is
//! read from whichever the record has, so one mapping serves both.

use super::{Feed, Mapped, Paging, Skipped};
use crate::domain::validate;
use crate::domain::vocabulary::{ServiceCategory, ServiceStatus, Weekday};
use crate::error::{CoreError, Result};
use chrono::NaiveDate;
use serde_json::{Map, Value, json};

/// A feed's organisation, matched by name with the directory's.
pub(crate) struct Organisation {
    pub name: String,
    pub website: Option<String>,
    pub email: Option<String>,
}

/// Tells what the file is; refuses one that is not JSON or not an ORUK feed.
pub(crate) fn parse_feed(text: &str) -> Result<Feed> {
    let v: Value = serde_json::from_str(text).map_err(|e| {
        let why = if e.is_eof() {
            "it ends too early (the file may be cut short)".to_string()
        } else {
            format!("it is not JSON (line {}, column {})", e.line(), e.column())
        };
        CoreError::invalid("file", format!("This file cannot be imported: {why}"))
    })?;
    let mut notes = Vec::new();
    let mut paging = None;
    let (format, records, complete) = match &v {
        Value::Array(items) => ("ORUK v3 list of services", items.clone(), true),
        Value::Object(o) if o.get("contents").is_some_and(Value::is_array) => {
            let items = array(&v, "contents").to_vec();
            let page = page_of(&v, "page_number", "total_pages", "first_page", "last_page");
            let complete = page.whole();
            check_count(&v, &["total_items"], items.len(), complete, &mut notes);
            paging = Some(page);
            ("ORUK v3 /services page", items, complete)
        }
        Value::Object(o) if o.get("content").is_some_and(Value::is_array) => {
            let items = array(&v, "content").to_vec();
            let page = page_of(&v, "number", "totalPages", "first", "last");
            let complete = page.whole();
            check_count(&v, &["totalElements"], items.len(), complete, &mut notes);
            paging = Some(page);
            ("ORUK v1 services page", items, complete)
        }
        // An organisation record: its services, each under that organisation.
        Value::Object(o)
            if o.contains_key("id") && o.get("services").is_some_and(Value::is_array) =>
        {
            let org: Map<String, Value> = o
                .iter()
                .filter(|(k, _)| k.as_str() != "services")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let items = array(&v, "services")
                .iter()
                .map(|s| {
                    let mut s = s.clone();
                    if let Some(m) = s.as_object_mut() {
                        m.entry("organization")
                            .or_insert_with(|| Value::Object(org.clone()));
                    }
                    s
                })
                .collect();
            ("ORUK v3 organisation record", items, false)
        }
        Value::Object(o) if o.contains_key("id") && o.contains_key("name") => {
            ("ORUK v3 service record", vec![v.clone()], false)
        }
        _ => {
            return Err(CoreError::invalid(
                "file",
                "This file is JSON but not an Open Referral UK feed: expected a /services page \
                 (contents or content), a list of services or one service record",
            ));
        }
    };
    Ok(Feed {
        format,
        records,
        complete,
        notes,
        paging,
    })
}

/// A page's envelope, under the names v3 or v1 give it.
fn page_of(v: &Value, number: &str, total: &str, first: &str, last: &str) -> Paging {
    Paging {
        number: int(v, number),
        total_pages: int(v, total),
        first: v.get(first).and_then(Value::as_bool),
        last: v.get(last).and_then(Value::as_bool),
    }
}

impl Paging {
    /// Whether this page is the feed's only page.
    pub(crate) fn whole(&self) -> bool {
        match (self.total_pages, self.first, self.last) {
            (_, Some(f), Some(l)) => f && l,
            (Some(p), _, _) => p <= 1,
            _ => true,
        }
    }

    /// Whether no page comes after this one, by what the envelope says (`number` is the
    /// page asked for, counted from 1).
    pub(crate) fn is_last(&self, number: u32) -> bool {
        self.last == Some(true) || self.total_pages.is_some_and(|t| i64::from(number) >= t)
    }
}

fn check_count(v: &Value, keys: &[&str], found: usize, whole: bool, notes: &mut Vec<String>) {
    for k in keys {
        if let Some(n) = int(v, k).filter(|n| whole && *n != found as i64) {
            notes.push(format!(
                "The feed says it holds {n} services but the file has {found}; the {found} \
                 found were read"
            ));
        }
    }
    if let Some(n) = int(v, "size").filter(|n| *n != found as i64 && whole) {
        notes.push(format!(
            "The page says its size is {n} but it has {found} services"
        ));
    }
}

fn array<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A field as trimmed text (numbers too: some feeds send ids and ages as numbers), if not blank.
fn text(v: &Value, k: &str) -> Option<String> {
    match v.get(k)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn int(v: &Value, k: &str) -> Option<i64> {
    match v.get(k)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn real(v: &Value, k: &str) -> Option<f64> {
    match v.get(k)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// At most `max` characters.
fn cut(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut t: String = s.chars().take(max - 1).collect();
    t.push('…');
    t
}

/// Feed text as plain text: HTML rendered as text (tags and scripts gone, entities decoded),
/// control characters dropped, runs of blank lines closed up.
pub(crate) fn plain(s: &str) -> String {
    let rendered = if s.contains('<') || s.contains('&') {
        html2text::config::plain_no_decorate()
            .link_footnotes(false)
            .string_from_read(s.as_bytes(), 10_000)
            .unwrap_or_else(|_| s.to_string())
    } else {
        s.to_string()
    };
    let cleaned: String = rendered
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    let mut out = Vec::new();
    for line in cleaned.lines().map(str::trim_end) {
        if !(line.trim().is_empty() && out.last().is_none_or(|l: &&str| l.trim().is_empty())) {
            out.push(line);
        }
    }
    out.join("\n").trim().to_string()
}

fn plain_field(v: &Value, k: &str, max: usize) -> Option<String> {
    text(v, k)
        .map(|s| cut(plain(&s), max))
        .filter(|s| !s.is_empty())
}

/// Maps one record, or says why it cannot be used.
pub(crate) fn service(raw: &Value, today: NaiveDate) -> std::result::Result<Mapped, Skipped> {
    if !raw.is_object() {
        return Err(Skipped {
            id: None,
            reason: "Not a service record (not a JSON object)".into(),
        });
    }
    let Some(feed_id) = text(raw, "id") else {
        return Err(Skipped {
            id: None,
            reason: "It has no id, so a later import could not find it again".into(),
        });
    };
    let Some(name) = plain_field(raw, "name", 200) else {
        return Err(Skipped {
            id: Some(feed_id),
            reason: "It has no name".into(),
        });
    };
    let mut f = Map::new();
    f.insert("name".into(), name.into());
    let description = plain_field(raw, "description", 4000).unwrap_or_default();
    f.insert("description".into(), description.into());
    categories(raw, &mut f);
    schedules(raw, &mut f);
    location(raw, &mut f);
    cost(raw, &mut f);
    contacts(raw, &mut f);
    eligibility(raw, &mut f);
    f.insert("languages".into(), languages(raw).into());
    f.insert("last_verified_on".into(), last_verified(raw, today).into());
    f.insert("status".into(), status(raw).as_str().into());
    Ok(Mapped {
        feed_id,
        provider: organisation(raw),
        absent: absent_fields(raw),
        fields: f,
    })
}

/// Which fields each group of a record's keys sets. A list page carries only a service's
/// one-to-one fields: a re-import from it must not clear schedules or locations it never had.
const SOURCES: &[(&[&str], &[&str])] = &[
    (&["description"], &["description"]),
    (&["organization"], &["provider_id"]),
    (
        &["attributes", "service_taxonomys", "taxonomy_terms"],
        &["categories", "tags"],
    ),
    (
        &["schedules", "regular_schedules", "service_at_locations"],
        &["schedules", "schedule_note"],
    ),
    (
        &["service_at_locations", "locations"],
        &[
            "venue",
            "address",
            "postcode",
            "uprn",
            "latitude",
            "longitude",
            "accessibility",
            "step_free",
            "hearing_loop",
        ],
    ),
    // Fees alone (a list page's summary) do not replace the cost options of a full record.
    (&["cost_options"], &["cost", "free"]),
    (&["contacts", "phones"], &["contact_name", "contact_phone"]),
    (&["email", "contacts"], &["contact_email"]),
    (&["url", "organization"], &["website"]),
    (
        &[
            "minimum_age",
            "maximum_age",
            "eligibilitys",
            "eligibility_description",
        ],
        &["min_age", "max_age", "eligibility"],
    ),
    (&["languages"], &["languages"]),
    (
        &["assured_date", "last_modified", "lastModified"],
        &["last_verified_on"],
    ),
    (&["status"], &["status"]),
];

fn absent_fields(raw: &Value) -> Vec<&'static str> {
    SOURCES
        .iter()
        .filter(|(keys, _)| !keys.iter().any(|k| raw.get(k).is_some()))
        .flat_map(|(_, fields)| fields.iter().copied())
        .collect()
}

fn organisation(raw: &Value) -> Option<Organisation> {
    let org = raw.get("organization")?;
    Some(Organisation {
        name: plain_field(org, "name", 200)?,
        website: text(org, "website")
            .or_else(|| text(org, "url"))
            .map(|s| cut(s, 300)),
        email: text(org, "email").and_then(|e| validate::email(&e).ok()),
    })
}

/// Every taxonomy term's name, from v3 attributes or v1 service_taxonomys.
fn terms(raw: &Value) -> Vec<String> {
    let v3 = array(raw, "attributes")
        .iter()
        .filter_map(|a| a.get("taxonomy_term"));
    let v1 = array(raw, "service_taxonomys")
        .iter()
        .filter_map(|t| t.get("taxonomy"));
    let direct = array(raw, "taxonomy_terms").iter();
    v3.chain(v1)
        .chain(direct)
        .filter_map(|t| text(t, "name").or_else(|| text(t, "term")))
        .map(|s| cut(plain(&s), 200))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Words in a taxonomy term that mean one of Linkwell's categories.
const CATEGORY_WORDS: &[(&str, ServiceCategory)] = &[
    ("mental health", ServiceCategory::MentalHealth),
    ("wellbeing", ServiceCategory::MentalHealth),
    ("physical activit", ServiceCategory::PhysicalActivity),
    ("exercise", ServiceCategory::PhysicalActivity),
    ("sport", ServiceCategory::PhysicalActivity),
    ("walking", ServiceCategory::PhysicalActivity),
    ("healthy eating", ServiceCategory::WeightHealthyEating),
    ("weight", ServiceCategory::WeightHealthyEating),
    ("long-term condition", ServiceCategory::LongTermCondition),
    ("long term condition", ServiceCategory::LongTermCondition),
    ("nhs", ServiceCategory::NhsServices),
    ("benefit", ServiceCategory::WelfareRights),
    ("welfare", ServiceCategory::WelfareRights),
    ("debt", ServiceCategory::WelfareRights),
    ("employment", ServiceCategory::LearningEmployment),
    ("learning", ServiceCategory::LearningEmployment),
    ("education", ServiceCategory::LearningEmployment),
    ("volunteer", ServiceCategory::Volunteering),
    ("arts", ServiceCategory::Arts),
    ("craft", ServiceCategory::Arts),
    ("music", ServiceCategory::Arts),
    ("befriend", ServiceCategory::Befriending),
    ("café", ServiceCategory::CommunityCafe),
    ("cafe", ServiceCategory::CommunityCafe),
    ("community", ServiceCategory::CommunityActivities),
];

fn category_of(term: &str) -> Option<ServiceCategory> {
    ServiceCategory::parse(term).or_else(|| {
        let t = term.to_lowercase();
        CATEGORY_WORDS
            .iter()
            .find(|(w, _)| t.contains(w))
            .map(|(_, c)| *c)
    })
}

/// Terms that match a Linkwell category become categories; the rest are kept as tags.
fn categories(raw: &Value, f: &mut Map<String, Value>) {
    let mut cats: Vec<&str> = Vec::new();
    let mut tags: Vec<String> = Vec::new();
    for t in terms(raw) {
        match category_of(&t) {
            Some(c) if !cats.contains(&c.as_str()) => cats.push(c.as_str()),
            Some(_) => {}
            None if !tags.contains(&t) => tags.push(t),
            None => {}
        }
    }
    cats.truncate(50);
    tags.truncate(50);
    f.insert("categories".into(), json!(cats));
    f.insert("tags".into(), json!(tags));
}

/// HH:MM from `10:00`, `10:00:00`, `9:30`, `10:00:00Z`, `10:00+01:00` or `10:00:00.000`:
/// a meeting's time as the feed's clock shows it (any zone is dropped).
pub(crate) fn time(s: &str) -> Option<String> {
    let core: String = s
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ':')
        .collect();
    let mut parts = core.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    (h < 24 && m < 60).then(|| format!("{h:02}:{m:02}"))
}

/// An RRULE day (`TH`, `2MO`, `-1FR`) or a day's name: the ordinal (if any) and the day.
pub(crate) fn byday(token: &str) -> Option<(Option<i32>, Weekday)> {
    let t = token.trim();
    let split = t
        .find(|c: char| c.is_ascii_alphabetic())
        .filter(|i| *i < t.len())?;
    let (num, day) = t.split_at(split);
    let ordinal = if num.is_empty() {
        None
    } else {
        Some(num.trim_start_matches('+').parse::<i32>().ok()?)
    };
    let day = match day.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        other => Weekday::parse(other)?,
    };
    Some((ordinal, day))
}

fn ordinal_words(n: i32) -> String {
    match n {
        -1 => "last".into(),
        -2 => "second to last".into(),
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        n => format!("{n}th"),
    }
}

/// Every schedule of the record and of its locations.
fn all_schedules(raw: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = array(raw, "schedules")
        .iter()
        .chain(array(raw, "regular_schedules"))
        .collect();
    for sal in array(raw, "service_at_locations") {
        out.extend(
            array(sal, "schedules")
                .iter()
                .chain(array(sal, "regular_schedules")),
        );
    }
    out
}

/// Weekly, fortnightly and monthly meetings become Linkwell schedules; which week of the
/// month, and anything that cannot be read as a meeting time, go to the schedule note.
fn schedules(raw: &Value, f: &mut Map<String, Value>) {
    let mut list: Vec<Value> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for s in all_schedules(raw) {
        match schedule(s) {
            Ok((items, note)) => {
                for i in items {
                    if !list.contains(&i) && list.len() < 50 {
                        list.push(i);
                    }
                }
                notes.extend(note);
            }
            Err(note) => notes.extend(note),
        }
    }
    f.insert("schedules".into(), Value::Array(list));
    let note = cut(notes.join("\n"), 4000);
    f.insert(
        "schedule_note".into(),
        Some(note).filter(|n| !n.is_empty()).into(),
    );
}

type ScheduleRead = std::result::Result<(Vec<Value>, Option<String>), Option<String>>;

fn schedule(s: &Value) -> ScheduleRead {
    let words = text(s, "description")
        .or_else(|| text(s, "notes"))
        .map(|d| cut(plain(&d), 500));
    let opens = text(s, "opens_at").and_then(|t| time(&t));
    let closes = text(s, "closes_at").and_then(|t| time(&t));
    let days: Vec<_> = text(s, "byday")
        .or_else(|| text(s, "weekday"))
        .map(|d| d.split(',').map(byday).collect::<Option<Vec<_>>>())
        .unwrap_or(Some(Vec::new()))
        .unwrap_or_default();
    let (Some(opens), Some(closes)) = (opens, closes) else {
        return Err(words.map(|w| format!("Times as the feed gives them: {w}")));
    };
    if days.is_empty() || opens >= closes {
        return Err(words.or(Some(format!("{opens}–{closes} (days not given)"))));
    }
    let freq = text(s, "freq").map_or("WEEKLY".into(), |f| f.to_ascii_uppercase());
    let interval = int(s, "interval").unwrap_or(1);
    let frequency = match (freq.as_str(), interval) {
        ("WEEKLY", 2) => "fortnightly",
        ("WEEKLY", _) | ("DAILY", _) => "weekly",
        ("MONTHLY", _) => "monthly",
        _ => return Err(words.or(Some(format!("Repeats {freq}, every {interval}")))),
    };
    let mut note = Vec::new();
    let items = days
        .iter()
        .map(|(ordinal, day)| {
            if let Some(n) = ordinal {
                note.push(format!(
                    "{} {} of the month, {opens}–{closes}",
                    ordinal_words(*n),
                    day.label()
                ));
            }
            json!({"weekday": day.as_str(), "starts": opens, "ends": closes, "frequency": frequency})
        })
        .collect();
    Ok((items, Some(note.join("; ")).filter(|n| !n.is_empty())))
}

/// The first location: its name as the venue, its first address, postcode (normalised by the
/// directory's own rule; one that is not a UK postcode is left out), UPRN, position and access.
fn location(raw: &Value, f: &mut Map<String, Value>) {
    let loc = array(raw, "service_at_locations")
        .iter()
        .map(|sal| sal.get("location").unwrap_or(sal))
        .chain(array(raw, "locations"))
        .next()
        .cloned()
        .unwrap_or(Value::Null);
    let addr = array(&loc, "addresses")
        .iter()
        .chain(array(&loc, "physical_addresses"))
        .next()
        .cloned()
        .unwrap_or(Value::Null);
    let lines: Vec<String> = ["address_1", "address_2", "city"]
        .iter()
        .filter_map(|k| text(&addr, k).map(|s| plain(&s)))
        .filter(|s| !s.is_empty())
        .collect();
    let postcode = text(&addr, "postal_code").and_then(|p| validate::postcode(&p).ok());
    let uprn = text(&loc, "external_identifier")
        .filter(|_| {
            text(&loc, "external_identifier_type").is_some_and(|t| t.eq_ignore_ascii_case("uprn"))
        })
        .or_else(|| text(&addr, "uprn"))
        .or_else(|| text(&loc, "uprn"))
        .map(|u| cut(u, 200));
    let lat = real(&loc, "latitude").filter(|x| (-90.0..=90.0).contains(x));
    let long = real(&loc, "longitude").filter(|x| (-180.0..=180.0).contains(x));
    let (lat, long) = if lat.is_some() && long.is_some() {
        (lat, long)
    } else {
        (None, None)
    };
    f.insert("venue".into(), plain_field(&loc, "name", 200).into());
    f.insert(
        "address".into(),
        Some(cut(lines.join(", "), 300))
            .filter(|s| !s.is_empty())
            .into(),
    );
    f.insert("postcode".into(), postcode.into());
    f.insert("uprn".into(), uprn.into());
    f.insert("latitude".into(), lat.into());
    f.insert("longitude".into(), long.into());
    accessibility(&loc, f);
}

/// What the feed says about access, and whether that means step-free access or a hearing loop.
fn accessibility(loc: &Value, f: &mut Map<String, Value>) {
    let mut parts: Vec<String> = Vec::new();
    for a in array(loc, "accessibility")
        .iter()
        .chain(array(loc, "accessibility_for_disabilities"))
    {
        for k in ["description", "accessibility", "details"] {
            if let Some(t) = text(a, k).map(|t| plain(&t)).filter(|t| !t.is_empty())
                && !parts.contains(&t)
            {
                parts.push(t);
            }
        }
    }
    let all = parts.join("\n").to_lowercase();
    let step_free = [
        "wheelchair",
        "step-free",
        "step free",
        "level access",
        "ramp",
    ]
    .iter()
    .any(|w| all.contains(w));
    let hearing_loop = ["induction loop", "hearing loop"]
        .iter()
        .any(|w| all.contains(w));
    f.insert("step_free".into(), step_free.into());
    f.insert("hearing_loop".into(), hearing_loop.into());
    f.insert(
        "accessibility".into(),
        Some(cut(parts.join("\n"), 4000))
            .filter(|s| !s.is_empty())
            .into(),
    );
}

/// Cost options in words (`Adults: £3 per session`); free when the feed says so or a price is 0.
fn cost(raw: &Value, f: &mut Map<String, Value>) {
    let mut parts = Vec::new();
    let mut any_zero = false;
    let mut any_price = false;
    for c in array(raw, "cost_options") {
        let amount = real(c, "amount");
        any_zero |= amount == Some(0.0);
        any_price |= amount.is_some_and(|a| a > 0.0);
        let words: Vec<String> = [
            text(c, "option"),
            amount.map(|a| format!("£{a:.2}").replace(".00", "")),
            text(c, "amount_description"),
        ]
        .into_iter()
        .flatten()
        .map(|s| plain(&s))
        .collect();
        if !words.is_empty() {
            parts.push(words.join(" "));
        }
    }
    if let Some(fees) = text(raw, "fees").or_else(|| text(raw, "fees_description")) {
        parts.push(plain(&fees));
    }
    let joined = parts.join("; ");
    let free = any_zero || (!any_price && joined.to_lowercase().contains("free"));
    f.insert(
        "cost".into(),
        Some(cut(joined, 200)).filter(|s| !s.is_empty()).into(),
    );
    f.insert("free".into(), free.into());
}

/// The first named contact, the first phone number and email that pass the directory's rules.
fn contacts(raw: &Value, f: &mut Map<String, Value>) {
    let contacts = array(raw, "contacts");
    let name = contacts.iter().find_map(|c| plain_field(c, "name", 120));
    let phones = contacts
        .iter()
        .flat_map(|c| array(c, "phones"))
        .chain(array(raw, "phones"));
    let phone = phones
        .filter_map(|p| text(p, "number"))
        .find_map(|n| validate::phone(&n).ok());
    let email = text(raw, "email")
        .into_iter()
        .chain(contacts.iter().filter_map(|c| text(c, "email")))
        .find_map(|e| validate::email(&e).ok());
    let website = text(raw, "url")
        .or_else(|| raw.get("organization").and_then(|o| text(o, "website")))
        .map(|u| cut(u, 300));
    f.insert("contact_name".into(), name.into());
    f.insert("contact_phone".into(), phone.into());
    f.insert("contact_email".into(), email.into());
    f.insert("website".into(), website.into());
}

/// Ages (v3 on the service, v1 in eligibilitys) and who the service is for, in words.
fn eligibility(raw: &Value, f: &mut Map<String, Value>) {
    let v1 = array(raw, "eligibilitys");
    let age = |k: &str| {
        int(raw, k)
            .or_else(|| v1.iter().find_map(|e| int(e, k)))
            .filter(|a| (0..=150).contains(a))
    };
    let (min, max) = (age("minimum_age"), age("maximum_age"));
    let words: Vec<String> = text(raw, "eligibility_description")
        .into_iter()
        .chain(v1.iter().filter_map(|e| text(e, "eligibility")))
        .map(|s| plain(&s))
        .filter(|s| !s.is_empty())
        .collect();
    f.insert("min_age".into(), min.into());
    f.insert("max_age".into(), max.into());
    f.insert(
        "eligibility".into(),
        Some(cut(words.join("\n"), 4000))
            .filter(|s| !s.is_empty())
            .into(),
    );
}

fn languages(raw: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in array(raw, "languages") {
        let name = match l {
            Value::String(s) => Some(s.trim().to_string()),
            _ => text(l, "name")
                .or_else(|| text(l, "language"))
                .or_else(|| text(l, "code")),
        };
        if let Some(n) = name.map(|n| cut(plain(&n), 200)).filter(|n| !n.is_empty())
            && !out.contains(&n)
            && out.len() < 50
        {
            out.push(n);
        }
    }
    out
}

/// The feed's assured date, else its last-modified date; never a day still to come.
fn last_verified(raw: &Value, today: NaiveDate) -> Option<String> {
    ["assured_date", "last_modified", "lastModified"]
        .iter()
        .filter_map(|k| text(raw, k))
        .find_map(|d| {
            let day = d.get(..10)?;
            NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
        })
        .filter(|d| *d <= today)
        .map(|d| d.to_string())
}

/// ORUK's active, temporarily closed, inactive and defunct as Linkwell's statuses.
fn status(raw: &Value) -> ServiceStatus {
    match text(raw, "status").map(|s| s.to_lowercase()).as_deref() {
        Some("temporarily closed" | "temporarily_closed") => ServiceStatus::Paused,
        Some("inactive" | "defunct" | "closed") => ServiceStatus::Closed,
        _ => ServiceStatus::Active,
    }
}
