//! Referrers as records the team shares (name, role, organisation, GP practice and its ODS
//! code, how to reach them), the organisation's letterhead, and each message sent back to a
//! referrer as it was sent: insert-only, so a correction is a new message naming the one it
//! replaces.

use crate::domain::validate::{self, Checker};
use crate::domain::vocabulary::{MessageKind, MessageRoute};
use crate::error::{CoreError, Result};
use crate::records::WireText;
use crate::records::pathway::choose;
use crate::store::{self, Store, today};
use chrono::{NaiveDate, NaiveDateTime};
use linkwell_protocol::EntityKind as K;
use linkwell_protocol::{EntityKind, Operation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::store::record_kinds!(Referrer, ReferrerMessage, Letterhead);

/// Someone who refers people (a GP, a practice nurse, a social worker...), reused across
/// referrals and shared by the team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Referrer {
    pub id: Uuid,
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    /// The GP practice's name, when the referrer works in one.
    pub practice: Option<String>,
    /// The practice's ODS code (`C84001`).
    pub ods_code: Option<String>,
    pub secure_email: Option<String>,
    pub postal_address: Option<String>,
    pub postcode: Option<String>,
    pub preferred_route: MessageRoute,
    pub archived: bool,
    pub created_on: NaiveDate,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ReferrerInput {
    #[ts(as = "Option<String>", optional)]
    pub name: String,
    pub role: Option<String>,
    pub organisation: Option<String>,
    pub practice: Option<String>,
    pub ods_code: Option<String>,
    pub secure_email: Option<String>,
    pub postal_address: Option<String>,
    pub postcode: Option<String>,
    #[ts(as = "Option<String>", optional)]
    pub preferred_route: String,
}

/// Validates a referrer's form, naming every field; at least one way to reach them, and the
/// preferred route must be one they can be reached by.
pub fn check_referrer(input: &ReferrerInput) -> Result<Referrer> {
    let mut c = Checker::new();
    let name = c.text(K::Referrer, "name", "Referrer's name", &input.name);
    let role = c.optional_text(K::Referrer, "role", "Role", input.role.as_deref());
    let organisation = c.optional_text(
        K::Referrer,
        "organisation",
        "Organisation",
        input.organisation.as_deref(),
    );
    let practice = c.optional_text(
        K::Referrer,
        "practice",
        "GP practice",
        input.practice.as_deref(),
    );
    let ods_code = c.optional_checked("ods_code", input.ods_code.as_deref(), validate::ods_code);
    let secure_email = c.optional_checked(
        "secure_email",
        input.secure_email.as_deref(),
        validate::email,
    );
    let postal_address = c.optional_text(
        K::Referrer,
        "postal_address",
        "Postal address",
        input.postal_address.as_deref(),
    );
    let postcode = c.optional_checked("postcode", input.postcode.as_deref(), validate::postcode);
    let has = |f: &Option<String>, raw: &Option<String>| {
        f.is_some() || raw.as_deref().is_some_and(|s| !s.trim().is_empty())
    };
    let email_given = has(&secure_email, &input.secure_email);
    let post_given = has(&postal_address, &input.postal_address);
    let gp_given = has(&ods_code, &input.ods_code);
    // One way to reach them given and none chosen: that one is the way (no pick to make).
    let only = match (email_given, post_given, gp_given) {
        (true, false, false) => Some("secure_email"),
        (false, true, false) => Some("post"),
        (false, false, true) => Some("gp_system"),
        _ => None,
    };
    let typed = match input.preferred_route.trim() {
        "" => only.unwrap_or(""),
        t => t,
    };
    let route = if !email_given && !post_given && !gp_given && typed.is_empty() {
        c.fail(
            "preferred_route",
            "Give at least one way to reach the referrer: a secure email, a postal address or the GP practice's ODS code",
        );
        None
    } else {
        let route = MessageRoute::parse(typed);
        if route.is_none() {
            c.fail(
                "preferred_route",
                choose(
                    "how the referrer gets messages",
                    typed,
                    MessageRoute::labels(),
                ),
            );
        }
        route
    };
    match route {
        Some(MessageRoute::SecureEmail) if !email_given => c.fail(
            "secure_email",
            "Give the referrer's secure email, or choose another way to reach them",
        ),
        Some(MessageRoute::Post) if !post_given => c.fail(
            "postal_address",
            "Give the referrer's postal address, or choose another way to reach them",
        ),
        Some(MessageRoute::GpSystem) if !gp_given => c.fail(
            "ods_code",
            "Give the GP practice's ODS code (like C84001) to send into the GP system, or choose another way",
        ),
        _ => {}
    }
    c.finish()?;
    Ok(Referrer {
        id: Uuid::nil(),
        name,
        role,
        organisation,
        practice,
        ods_code,
        secure_email,
        postal_address,
        postcode,
        preferred_route: route.unwrap_or(MessageRoute::Post),
        archived: false,
        created_on: today(),
    })
}

/// The organisation's letterhead: the service's name and how to reach it, at the top of
/// every letter. The latest recorded wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Letterhead {
    pub id: Uuid,
    pub service_name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub recorded_on: NaiveDate,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct LetterheadInput {
    #[ts(as = "Option<String>", optional)]
    pub service_name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

/// A message as it was sent to a referrer: what it said (its structured record), by which
/// route, when and by whom. Never changed; a correction replaces it with a new one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct ReferrerMessage {
    pub id: Uuid,
    pub person_id: Uuid,
    pub referral_id: Uuid,
    pub referrer_id: Option<Uuid>,
    pub kind: MessageKind,
    pub route: MessageRoute,
    pub sent_at: NaiveDateTime,
    pub worker_id: Uuid,
    /// The message this one corrects.
    pub replaces: Option<Uuid>,
    /// Which content rule applied: `codes_only` or `consent_to_share`.
    pub consent_rule: String,
    /// The structured record sent, as JSON text.
    pub content: String,
}

impl Store {
    pub fn add_referrer(&mut self, input: &ReferrerInput) -> Result<Referrer> {
        let mut r = check_referrer(input)?;
        self.write(|w| {
            r.id = w.new_id();
            w.create(&r)?;
            Ok(r)
        })
    }

    /// Corrects a referrer's details: only the fields that changed are written.
    pub fn update_referrer(&mut self, id: Uuid, input: &ReferrerInput) -> Result<Referrer> {
        let current = self.referrer(id)?;
        let mut next = check_referrer(input)?;
        next.id = id;
        next.created_on = current.created_on;
        next.archived = current.archived;
        let changes = store::changed_fields(&current, &next)?;
        self.write(|w| {
            if !changes.is_empty() {
                w.record(EntityKind::Referrer, id, Operation::Update, changes)?;
            }
            Ok(next)
        })
    }

    pub fn referrer(&self, id: Uuid) -> Result<Referrer> {
        store::get(self.conn(), EntityKind::Referrer, id)
    }

    /// The team's referrers, by name (archived ones left out).
    pub fn referrers(&self) -> Result<Vec<Referrer>> {
        store::get_where(
            self.conn(),
            EntityKind::Referrer,
            "archived = ?1",
            "0",
            "name COLLATE NOCASE, id",
        )
    }

    /// A referral may only name a referrer this laptop knows.
    pub(crate) fn check_referrer_id(&self, c: &mut Checker, id: Option<Uuid>) -> Result<()> {
        if let Some(id) = id {
            match self.referrer(id) {
                Ok(_) => {}
                Err(CoreError::NotFound { .. }) => c.fail(
                    "referrer_id",
                    "That referrer is not in the team's list: choose one from the list or add them",
                ),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    pub fn set_letterhead(&mut self, input: &LetterheadInput) -> Result<Letterhead> {
        let mut c = Checker::new();
        let service_name = c.text(
            K::Letterhead,
            "service_name",
            "Service name",
            &input.service_name,
        );
        let address = c.optional_text(
            K::Letterhead,
            "address",
            "Address",
            input.address.as_deref(),
        );
        let phone = c.optional_checked("phone", input.phone.as_deref(), validate::phone);
        let email = c.optional_checked("email", input.email.as_deref(), validate::email);
        let website = c.optional_text(
            K::Letterhead,
            "website",
            "Website",
            input.website.as_deref(),
        );
        c.finish()?;
        self.write(|w| {
            let l = Letterhead {
                id: w.new_id(),
                service_name,
                address,
                phone,
                email,
                website,
                recorded_on: today(),
            };
            w.create(&l)?;
            Ok(l)
        })
    }

    /// The organisation's letterhead as last recorded, or None (letters then use the team's
    /// name).
    pub fn letterhead(&self) -> Result<Option<Letterhead>> {
        Ok(store::get_where::<Letterhead>(
            self.conn(),
            EntityKind::Letterhead,
            "?1 = '1'",
            "1",
            "recorded_on DESC, rowid DESC",
        )?
        .into_iter()
        .next())
    }

    /// Every message sent about a referral, oldest first.
    pub fn referrer_messages(&self, referral_id: Uuid) -> Result<Vec<ReferrerMessage>> {
        store::get_where(
            self.conn(),
            EntityKind::ReferrerMessage,
            "referral_id = ?1",
            &referral_id.to_string(),
            "sent_at, rowid",
        )
    }
}
