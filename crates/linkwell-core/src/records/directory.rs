//! The community directory (services and groups, shaped after Open Referral UK) and onward
//! referrals ("social prescriptions") from a person to a service, with status and barriers.

use crate::domain::take_up;
use crate::domain::validate::{self, Checker};
use crate::domain::vocabulary::{
    Barrier, FiveWays, OnwardStatus, ServiceCategory, ServiceStatus, Weekday,
};
use crate::error::{CoreError, Refusal, Result};
use crate::records::WireText;
use crate::store::{self, Store, today};
use chrono::NaiveDate;
use linkwell_protocol::EntityKind as K;
use linkwell_protocol::fields::text_limit;
use linkwell_protocol::{EntityKind, Operation};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use uuid::Uuid;

crate::store::record_kinds!(OnwardReferral, Provider, Service);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Provider {
    pub id: Uuid,
    pub name: String,
    pub website: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// A regular session of a service, e.g. weekly on Thursday 13:30–15:00.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Schedule {
    pub weekday: Weekday,
    pub starts: String,
    pub ends: String,
    /// "weekly", "fortnightly", "monthly".
    pub frequency: String,
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let every = match self.frequency.as_str() {
            "weekly" => format!("{}s", self.weekday.label()),
            other => format!("{} ({other})", self.weekday.label()),
        };
        write!(f, "{every} {}–{}", self.starts, self.ends)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Service {
    pub id: Uuid,
    pub provider_id: Option<Uuid>,
    pub name: String,
    pub description: String,
    pub categories: Vec<ServiceCategory>,
    pub five_ways: Vec<FiveWays>,
    pub schedules: Vec<Schedule>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub cost: Option<String>,
    pub free: bool,
    pub step_free: bool,
    pub hearing_loop: bool,
    pub transport: Option<String>,
    pub taking_new_members: bool,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub lead: Option<String>,
    pub last_verified_on: Option<NaiveDate>,
    pub status: ServiceStatus,
    pub redirect_to: Option<Uuid>,
    /// Places and room, set on its own (`Store::set_capacity`); an edit of the rest keeps it.
    #[serde(flatten, default)]
    #[ts(flatten)]
    pub capacity: crate::records::groups::Capacity,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ScheduleInput {
    #[ts(as = "Option<String>", optional)]
    pub weekday: String,
    #[ts(as = "Option<String>", optional)]
    pub starts: String,
    #[ts(as = "Option<String>", optional)]
    pub ends: String,
    pub frequency: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ServiceInput {
    pub provider_id: Option<Uuid>,
    #[ts(as = "Option<String>", optional)]
    pub name: String,
    #[ts(as = "Option<String>", optional)]
    pub description: String,
    #[ts(as = "Option<Vec<String>>", optional)]
    pub categories: Vec<String>,
    #[ts(as = "Option<Vec<String>>", optional)]
    pub five_ways: Vec<String>,
    #[ts(as = "Option<Vec<ScheduleInput>>", optional)]
    pub schedules: Vec<ScheduleInput>,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub cost: Option<String>,
    #[ts(as = "Option<bool>", optional)]
    pub free: bool,
    #[ts(as = "Option<bool>", optional)]
    pub step_free: bool,
    #[ts(as = "Option<bool>", optional)]
    pub hearing_loop: bool,
    pub transport: Option<String>,
    #[ts(as = "Option<bool>", optional)]
    pub taking_new_members: bool,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub lead: Option<String>,
    pub last_verified_on: Option<String>,
    pub status: Option<String>,
}

fn check_time(c: &mut Checker, field: &str, label: &str, v: &str) -> String {
    let v = v.trim();
    match chrono::NaiveTime::parse_from_str(v, "%H:%M") {
        Ok(t) => t.format("%H:%M").to_string(),
        Err(_) => {
            c.fail(
                field,
                format!("{label} \"{v}\" is not a time (use HH:MM, e.g. 13:30)"),
            );
            v.to_string()
        }
    }
}

fn service_fields(c: &mut Checker, i: &ServiceInput) -> Service {
    let name = c.text(K::Service, "name", "Name", &i.name);
    let description = c.text(K::Service, "description", "What happens", &i.description);
    let categories = service_categories(c, &i.categories);
    let five_ways = service_five_ways(c, &i.five_ways);
    let schedules = i
        .schedules
        .iter()
        .enumerate()
        .map(|(n, s)| schedule_fields(c, &format!("schedules[{n}]"), s))
        .collect();
    let postcode = c.optional_checked("postcode", i.postcode.as_deref(), validate::postcode);
    let contact_phone =
        c.optional_checked("contact_phone", i.contact_phone.as_deref(), validate::phone);
    let contact_email =
        c.optional_checked("contact_email", i.contact_email.as_deref(), validate::email);
    let last_verified_on = c.optional_date(
        "last_verified_on",
        "Last checked",
        i.last_verified_on.as_deref(),
    );
    if last_verified_on.is_some_and(|d| d > today()) {
        c.fail("last_verified_on", "Last checked cannot be in the future");
    }
    let status = service_status(c, i.status.as_deref());
    Service {
        id: Uuid::nil(),
        provider_id: i.provider_id,
        name,
        description,
        categories,
        five_ways,
        schedules,
        venue: c.optional_text(K::Service, "venue", "Venue", i.venue.as_deref()),
        address: c.optional_text(K::Service, "address", "Address", i.address.as_deref()),
        postcode,
        cost: c.optional_text(K::Service, "cost", "Cost", i.cost.as_deref()),
        free: i.free,
        step_free: i.step_free,
        hearing_loop: i.hearing_loop,
        transport: c.optional_text(K::Service, "transport", "Transport", i.transport.as_deref()),
        taking_new_members: i.taking_new_members,
        contact_name: c.optional_text(
            K::Service,
            "contact_name",
            "Contact name",
            i.contact_name.as_deref(),
        ),
        contact_phone,
        contact_email,
        lead: c.optional_text(K::Service, "lead", "Group lead", i.lead.as_deref()),
        last_verified_on,
        status,
        redirect_to: None,
        capacity: Default::default(),
    }
}

/// The categories chosen, each once, in the order given; at least one.
fn service_categories(c: &mut Checker, codes: &[String]) -> Vec<ServiceCategory> {
    if codes.is_empty() {
        c.fail("categories", "Choose at least one category");
    }
    distinct_codes(c, "categories", codes, ServiceCategory::parse, |s| {
        format!(
            "\"{s}\" is not a category; choose from: {}",
            ServiceCategory::choices()
        )
    })
}

/// The Five Ways a service serves, each once, in the order given.
fn service_five_ways(c: &mut Checker, codes: &[String]) -> Vec<FiveWays> {
    distinct_codes(c, "five_ways", codes, FiveWays::parse, |s| {
        format!(
            "\"{s}\" is not one of the Five Ways: {}",
            FiveWays::choices()
        )
    })
}

/// Each known code once, in the order given; an unknown one fails `field` with `unknown`'s words.
fn distinct_codes<V: PartialEq>(
    c: &mut Checker,
    field: &str,
    codes: &[String],
    parse: fn(&str) -> Option<V>,
    unknown: impl Fn(&str) -> String,
) -> Vec<V> {
    let mut chosen = Vec::new();
    for s in codes {
        match parse(s) {
            Some(v) if !chosen.contains(&v) => chosen.push(v),
            Some(_) => {}
            None => c.fail(field, unknown(s)),
        }
    }
    chosen
}

/// One weekly, fortnightly or monthly meeting; `f` is the field path errors name.
fn schedule_fields(c: &mut Checker, f: &str, s: &ScheduleInput) -> Schedule {
    let weekday = Weekday::parse(&s.weekday).unwrap_or_else(|| {
        c.fail(
            &format!("{f}.weekday"),
            format!("\"{}\" is not a day of the week", s.weekday),
        );
        Weekday::Mon
    });
    let starts = check_time(c, &format!("{f}.starts"), "Start time", &s.starts);
    let ends = check_time(c, &format!("{f}.ends"), "End time", &s.ends);
    if starts >= ends && starts.len() == 5 && ends.len() == 5 {
        c.fail(
            &format!("{f}.ends"),
            "End time must be after the start time",
        );
    }
    let frequency = s
        .frequency
        .clone()
        .filter(|f| !f.trim().is_empty())
        .unwrap_or_else(|| "weekly".into());
    if !["weekly", "fortnightly", "monthly"].contains(&frequency.as_str()) {
        c.fail(
            &format!("{f}.frequency"),
            "How often must be weekly, fortnightly or monthly",
        );
    }
    Schedule {
        weekday,
        starts,
        ends,
        frequency,
    }
}

/// Active unless the worker chose another status.
fn service_status(c: &mut Checker, status: Option<&str>) -> ServiceStatus {
    match status.filter(|s| !s.trim().is_empty()) {
        None => ServiceStatus::Active,
        Some(s) => ServiceStatus::parse(s).unwrap_or_else(|| {
            c.fail(
                "status",
                format!("Status must be one of: {}", ServiceStatus::choices()),
            );
            ServiceStatus::Active
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct OnwardReferral {
    pub id: Uuid,
    pub person_id: Uuid,
    pub service_id: Uuid,
    pub status: OnwardStatus,
    pub barriers: Vec<Barrier>,
    pub suggested_on: NaiveDate,
    pub status_on: NaiveDate,
    pub feedback: Option<String>,
    pub worker_id: Uuid,
    /// Who went along to the first session: a worker, or a volunteer by name.
    #[serde(default)]
    pub accompanied_by_worker_id: Option<Uuid>,
    #[serde(default)]
    pub accompanied_by_name: Option<String>,
    /// The day the person first agreed to go (enrolled); kept when the status moves on.
    #[serde(default)]
    pub agreed_on: Option<NaiveDate>,
}

/// Who went along to a first session: one of the team, or a named volunteer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct AccompaniedInput {
    pub worker_id: Option<Uuid>,
    pub volunteer_name: Option<String>,
}

impl Store {
    pub fn add_provider(
        &mut self,
        name: &str,
        website: Option<&str>,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<Provider> {
        let mut c = Checker::new();
        let name = c.text(K::Provider, "name", "Organisation name", name);
        let website = c.optional_text(K::Provider, "website", "Website", website);
        let phone = phone
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .and_then(|v| validate::phone(v).map_err(|m| c.fail("phone", m)).ok());
        let email = email
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .and_then(|v| validate::email(v).map_err(|m| c.fail("email", m)).ok());
        c.finish()?;
        self.write(|w| {
            let p = Provider {
                id: w.new_id(),
                name,
                website,
                phone,
                email,
            };
            w.create(&p)?;
            Ok(p)
        })
    }

    pub fn add_service(&mut self, input: &ServiceInput) -> Result<Service> {
        let mut c = Checker::new();
        let mut s = service_fields(&mut c, input);
        if let Some(pid) = input.provider_id
            && store::load(self.conn(), EntityKind::Provider, pid)?.is_none()
        {
            c.fail("provider_id", "That organisation is not in the directory");
        }
        c.finish()?;
        self.write(|w| {
            s.id = w.new_id();
            w.create(&s)?;
            Ok(s)
        })
    }

    /// Edits a service; only changed fields are recorded (per-field last-writer-wins in sync).
    pub fn update_service(&mut self, id: Uuid, input: &ServiceInput) -> Result<Service> {
        let current = self.service(id)?;
        let mut c = Checker::new();
        let mut next = service_fields(&mut c, input);
        c.finish()?;
        next.id = id;
        next.redirect_to = current.redirect_to;
        next.capacity = current.capacity.clone();
        let changed = store::changed_fields(&current, &next)?;
        if changed.is_empty() {
            return Ok(current);
        }
        self.write(|w| {
            w.record(EntityKind::Service, id, Operation::Update, changed)?;
            Ok(next)
        })
    }

    /// Marks a service as checked today (directory upkeep).
    pub fn verify_service(&mut self, id: Uuid) -> Result<Service> {
        let mut s = self.service(id)?;
        s.last_verified_on = Some(today());
        self.write(|w| {
            let mut m = Map::new();
            m.insert("last_verified_on".into(), today().to_string().into());
            w.record(EntityKind::Service, id, Operation::Update, m)?;
            Ok(s)
        })
    }

    /// Archives a service (closed). Never a hard delete: onward referrals keep pointing at it.
    pub fn archive_service(&mut self, id: Uuid) -> Result<Service> {
        let mut s = self.service(id)?;
        s.status = ServiceStatus::Closed;
        self.write(|w| {
            let mut m = Map::new();
            m.insert("status".into(), ServiceStatus::Closed.as_str().into());
            w.record(EntityKind::Service, id, Operation::Archive, m)?;
            Ok(s)
        })
    }

    /// Merges a duplicate into the record to keep: the duplicate is closed with a redirect.
    pub fn merge_service(&mut self, duplicate: Uuid, keep: Uuid) -> Result<Service> {
        if duplicate == keep {
            return Err(CoreError::invalid(
                "keep",
                "A service cannot be merged into itself",
            ));
        }
        let kept = self.service(keep)?;
        if kept.redirect_to.is_some() {
            return Err(CoreError::invalid(
                "keep",
                "That service was itself merged; merge into the one it points to",
            ));
        }
        self.service(duplicate)?;
        self.write(|w| {
            let mut m = Map::new();
            m.insert("status".into(), ServiceStatus::Closed.as_str().into());
            m.insert("redirect_to".into(), keep.to_string().into());
            w.record(EntityKind::Service, duplicate, Operation::Archive, m)?;
            Ok(())
        })?;
        Ok(kept)
    }

    /// A service, following merge redirects to the record that was kept.
    pub fn service(&self, id: Uuid) -> Result<Service> {
        let mut s: Service = store::get(self.conn(), EntityKind::Service, id)?;
        for _ in 0..8 {
            match s.redirect_to {
                Some(next) => s = store::get(self.conn(), EntityKind::Service, next)?,
                None => break,
            }
        }
        Ok(s)
    }

    pub fn services(&self) -> Result<Vec<Service>> {
        store::get_where(
            self.conn(),
            EntityKind::Service,
            "redirect_to IS NULL AND ?1 = ?1",
            "",
            "name",
        )
    }

    /// Suggests, agrees or makes an onward referral from a person to a service.
    pub fn refer_onward(
        &mut self,
        person_id: Uuid,
        service_id: Uuid,
        status: &str,
    ) -> Result<OnwardReferral> {
        self.person(person_id)?;
        let service = self.service(service_id)?;
        let mut c = Checker::new();
        let st = OnwardStatus::parse(status).filter(|s| s.is_starting());
        if st.is_none() {
            let starting: Vec<&str> = OnwardStatus::STARTING.iter().map(|s| s.label()).collect();
            c.fail(
                "status",
                format!("A referral starts as one of: {}", starting.join(", ")),
            );
        }
        if service.status == ServiceStatus::Closed {
            c.fail("service_id", format!("{} has closed", service.name));
        }
        c.finish()?;
        if let Some(open) = self
            .onward_referrals(person_id)?
            .into_iter()
            .find(|o| o.service_id == service.id && o.status.is_open())
        {
            return Err(Refusal::AlreadyReferred {
                service: service.name,
                status: open.status.label(),
            }
            .into());
        }
        self.write(|w| {
            new_onward(
                w,
                person_id,
                service.id,
                st.unwrap_or(OnwardStatus::Suggested),
            )
        })
    }

    /// Moves an onward referral on, records barriers and feedback from the group.
    pub fn update_onward_referral(
        &mut self,
        id: Uuid,
        status: Option<&str>,
        barriers: Option<&[String]>,
        feedback: Option<&str>,
    ) -> Result<OnwardReferral> {
        let mut r: OnwardReferral = store::get(self.conn(), EntityKind::OnwardReferral, id)?;
        let mut c = Checker::new();
        let mut m = Map::new();
        if let Some(s) = status {
            match OnwardStatus::parse(s) {
                Some(st) if st != r.status => {
                    r.status = st;
                    r.status_on = today();
                    m.insert("status".into(), st.as_str().into());
                    m.insert("status_on".into(), today().to_string().into());
                    note_agreed(&mut r, &mut m);
                }
                Some(_) => {}
                None => c.fail(
                    "status",
                    format!("Status must be one of: {}", OnwardStatus::choices()),
                ),
            }
        }
        if let Some(bs) = barriers {
            let mut parsed = Vec::new();
            for b in bs {
                match Barrier::parse(b) {
                    Some(v) if !parsed.contains(&v) => parsed.push(v),
                    Some(_) => {}
                    None => c.fail(
                        "barriers",
                        format!(
                            "\"{b}\" is not a barrier; choose from: {}",
                            Barrier::choices()
                        ),
                    ),
                }
            }
            if parsed != r.barriers {
                m.insert("barriers".into(), serde_json::to_value(&parsed)?);
                r.barriers = parsed;
            }
        }
        if let Some(f) = feedback {
            let f = c.optional_text(
                K::OnwardReferral,
                "feedback",
                "Feedback from the group",
                Some(f),
            );
            if f != r.feedback {
                m.insert("feedback".into(), f.clone().into());
                r.feedback = f;
            }
        }
        c.finish()?;
        if m.is_empty() {
            return Ok(r);
        }
        self.write(|w| {
            w.record(EntityKind::OnwardReferral, id, Operation::Update, m)?;
            Ok(r)
        })
    }

    /// Records who went along to the first session (a worker, or a volunteer by name) and
    /// moves the referral on to "accompanied" if it had not got that far.
    pub fn record_accompanied(
        &mut self,
        onward_id: Uuid,
        input: &AccompaniedInput,
    ) -> Result<OnwardReferral> {
        let mut r: OnwardReferral = store::get(self.conn(), EntityKind::OnwardReferral, onward_id)?;
        let mut c = Checker::new();
        let name = c.optional(
            "volunteer_name",
            "Volunteer's name",
            input.volunteer_name.as_deref(),
            text_limit(K::OnwardReferral, "accompanied_by_name"),
        );
        match (input.worker_id, &name) {
            (Some(_), Some(_)) => c.fail(
                "volunteer_name",
                "Choose a worker or name a volunteer, not both",
            ),
            (None, None) => c.fail(
                "worker_id",
                "Say who went along: a worker, or a volunteer's name",
            ),
            (Some(w), None) if self.worker(w).is_err() => {
                c.fail("worker_id", "That worker is not in this team")
            }
            _ => {}
        }
        c.finish()?;
        let mut m = Map::new();
        m.insert(
            "accompanied_by_worker_id".into(),
            input.worker_id.map(|w| w.to_string()).into(),
        );
        m.insert("accompanied_by_name".into(), name.clone().into());
        if matches!(
            r.status,
            OnwardStatus::Suggested | OnwardStatus::Agreed | OnwardStatus::ReferralMade
        ) {
            r.status = OnwardStatus::Accompanied;
            r.status_on = today();
            m.insert("status".into(), r.status.as_str().into());
            m.insert("status_on".into(), today().to_string().into());
            note_agreed(&mut r, &mut m);
        }
        r.accompanied_by_worker_id = input.worker_id;
        r.accompanied_by_name = name;
        self.write(|w| {
            w.record(EntityKind::OnwardReferral, onward_id, Operation::Update, m)?;
            Ok(r)
        })
    }

    pub fn onward_referrals(&self, person_id: Uuid) -> Result<Vec<OnwardReferral>> {
        store::get_where(
            self.conn(),
            EntityKind::OnwardReferral,
            "person_id = ?1",
            &person_id.to_string(),
            "suggested_on, rowid",
        )
    }
}

/// A new onward referral in `status`, written by `w` (one transaction with whatever follows).
pub(crate) fn new_onward(
    w: &mut store::Writer<'_>,
    person_id: Uuid,
    service_id: Uuid,
    status: OnwardStatus,
) -> Result<OnwardReferral> {
    let r = OnwardReferral {
        id: w.new_id(),
        person_id,
        service_id,
        status,
        barriers: Vec::new(),
        suggested_on: today(),
        status_on: today(),
        feedback: None,
        worker_id: w.actor().worker_id,
        accompanied_by_worker_id: None,
        accompanied_by_name: None,
        agreed_on: take_up::agreed(status).then(today),
    };
    w.create(&r)?;
    Ok(r)
}

/// The first time a referral reaches an agreed status, the day is kept (enrolment).
pub(crate) fn note_agreed(r: &mut OnwardReferral, m: &mut Map<String, serde_json::Value>) {
    if r.agreed_on.is_none() && take_up::agreed(r.status) {
        r.agreed_on = Some(today());
        m.insert("agreed_on".into(), today().to_string().into());
    }
}
