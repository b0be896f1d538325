//! Finding services in the directory: filtering by what a link worker asks for (words,
//! category, Five Ways, day, cost, access, room for new members) and suggesting services for
//! one person, ranked by their referral reasons, goals and access needs, each suggestion with
//! the reasons it was made in plain words.

use crate::domain::vocabulary::{
    Barrier, FiveWays, GoalStatus, OnwardStatus, ReferralReason, ServiceCategory, ServiceStatus,
    Weekday,
};
use crate::error::Result;
use crate::records::directory::Service;
use crate::records::people::Person;
use crate::records::plans::GoalDetail;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the directory screen filters by; every field is optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct ServiceFilter {
    /// Words to look for in the name, description, venue and address.
    pub text: Option<String>,
    pub category: Option<String>,
    pub five_ways: Option<String>,
    /// mon..sun
    pub day: Option<String>,
    #[ts(as = "Option<bool>", optional)]
    pub free_only: bool,
    #[ts(as = "Option<bool>", optional)]
    pub step_free: bool,
    #[ts(as = "Option<bool>", optional)]
    pub hearing_loop: bool,
    #[ts(as = "Option<bool>", optional)]
    pub taking_new_members: bool,
    /// Include paused and closed services too.
    #[ts(as = "Option<bool>", optional)]
    pub include_inactive: bool,
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// True when the service matches every filter given.
pub fn matches(s: &Service, f: &ServiceFilter) -> bool {
    if s.redirect_to.is_some() {
        return false;
    }
    if !f.include_inactive && s.status != ServiceStatus::Active {
        return false;
    }
    if let Some(c) = non_empty(&f.category)
        && !ServiceCategory::parse(c).is_some_and(|c| s.categories.contains(&c))
    {
        return false;
    }
    if let Some(w) = non_empty(&f.five_ways)
        && !FiveWays::parse(w).is_some_and(|w| s.five_ways.contains(&w))
    {
        return false;
    }
    if let Some(d) = non_empty(&f.day)
        && !Weekday::parse(d).is_some_and(|d| s.schedules.iter().any(|x| x.weekday == d))
    {
        return false;
    }
    if (f.free_only && !s.free)
        || (f.step_free && !s.step_free)
        || (f.hearing_loop && !s.hearing_loop)
        || (f.taking_new_members && !s.taking_new_members)
    {
        return false;
    }
    if let Some(text) = non_empty(&f.text) {
        let hay = fold(&format!(
            "{} {} {} {} {}",
            s.name,
            s.description,
            s.venue.as_deref().unwrap_or(""),
            s.address.as_deref().unwrap_or(""),
            s.categories
                .iter()
                .map(|c| c.label())
                .collect::<Vec<_>>()
                .join(" ")
        ));
        if !fold(text).split_whitespace().all(|w| hay.contains(w)) {
            return false;
        }
    }
    true
}

/// Lower case with common accents removed, so "cafe" finds "café".
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'Á' | 'À' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' => 'e',
            'í' | 'ï' | 'î' => 'i',
            'ó' | 'ö' | 'ô' => 'o',
            'ú' | 'ü' | 'û' => 'u',
            other => other,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The directory filtered, by name.
pub fn filter_services(store: &Store, f: &ServiceFilter) -> Result<Vec<Service>> {
    let mut out: Vec<Service> = store
        .services()?
        .into_iter()
        .filter(|s| matches(s, f))
        .collect();
    out.sort_by_key(|s| s.name.to_lowercase());
    Ok(out)
}

/// One suggested service with its score and the reasons, best first.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Suggestion {
    pub service: Service,
    pub score: i32,
    pub reasons: Vec<String>,
    /// Things to check with the person before referring (e.g. not taking new members).
    pub cautions: Vec<String>,
}

/// Which directory categories help with each referral reason.
fn categories_for(reason: ReferralReason) -> &'static [ServiceCategory] {
    use ServiceCategory as C;
    match reason {
        ReferralReason::Loneliness | ReferralReason::Isolation => &[
            C::Befriending,
            C::CommunityActivities,
            C::CommunityCafe,
            C::Arts,
        ],
        ReferralReason::Inactivity => &[C::PhysicalActivity],
        ReferralReason::Weight => &[C::WeightHealthyEating, C::PhysicalActivity],
        ReferralReason::LongTermCondition => &[C::LongTermCondition, C::NhsServices],
        ReferralReason::MentalWellbeing => &[C::MentalHealth, C::Arts],
        ReferralReason::MoneyDebt | ReferralReason::Housing => &[C::WelfareRights],
        ReferralReason::Employment => &[C::LearningEmployment, C::Volunteering],
        ReferralReason::CarerSupport => &[C::Befriending, C::LongTermCondition],
        ReferralReason::Bereavement => &[C::MentalHealth, C::Befriending],
        ReferralReason::Other => &[],
    }
}

/// The words of four letters or more, each with its English (Snowball) stem, for matching a
/// goal's words against a service ("walking" ~ "walks", "gardening" ~ "garden") without the
/// false matches of bare prefixes ("community" is not "communication").
fn stems(s: &str) -> Vec<(String, String)> {
    // Built once: suggesting stems every service's name and description.
    static ENGLISH: std::sync::LazyLock<rust_stemmers::Stemmer> = std::sync::LazyLock::new(|| {
        rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English)
    });
    fold(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .filter(|w| !STOP.contains(w))
        .map(|w| (ENGLISH.stem(w).into_owned(), w.to_string()))
        .collect()
}

const STOP: &[&str] = &[
    "with", "that", "this", "from", "have", "will", "want", "would", "like", "more", "each",
    "week", "weeks", "every", "once", "back", "some", "about", "again", "into", "your", "their",
    "them", "they", "what", "when", "where", "there", "here", "other", "than", "then", "make",
    "feel", "able", "without", "stopping", "least", "group",
];

/// What one person needs, as the suggestions weigh it.
struct PersonNeeds {
    reasons: Vec<ReferralReason>,
    goals: Vec<GoalNeed>,
    linked: Vec<Uuid>,
    access: AccessNeeds,
    /// The person's postcode, normalised ("NG12 6QW"), when known.
    home: Option<String>,
}

/// An active goal with its words' stems, worked out once rather than for every service.
struct GoalNeed {
    detail: GoalDetail,
    stems: Vec<(String, String)>,
}

/// What the person needs to get to a service.
struct AccessNeeds {
    step_free: bool,
    hearing_loop: bool,
    cost_matters: bool,
    transport_matters: bool,
}

/// A service's running score, with the reasons and cautions found so far.
#[derive(Default)]
struct Scored {
    score: i32,
    why: Vec<String>,
    cautions: Vec<String>,
}

/// Services ranked for one person by their open referral's reasons, their active goals' Five
/// Ways and words, and what they need to get there (step-free access, hearing loop, cost,
/// transport). Services the person is already linked to, inactive services and merged
/// duplicates are left out. Ties go to services taking new members, then by name.
pub fn suggest_services(store: &Store, person_id: Uuid, limit: usize) -> Result<Vec<Suggestion>> {
    let needs = person_needs(store, person_id)?;
    let mut out: Vec<Suggestion> = store
        .services()?
        .into_iter()
        .filter(|s| qualifies(s, &needs.linked))
        .filter_map(|s| score_service(s, &needs))
        .collect();
    rank(&mut out);
    out.truncate(limit);
    Ok(out)
}

/// Decides what the person needs: their referral reasons, active goals, the services they
/// are already linked to and their access needs.
fn person_needs(store: &Store, person_id: Uuid) -> Result<PersonNeeds> {
    let person = store.person(person_id)?;
    let reasons = referral_reasons(store, person_id)?;
    let goals = active_goals(store, person_id)?
        .into_iter()
        .map(|g| GoalNeed {
            stems: stems(&format!(
                "{} {}",
                g.goal.text,
                g.steps
                    .iter()
                    .map(|st| st.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
            detail: g,
        })
        .collect();
    let onward = store.onward_referrals(person_id)?;
    let linked: Vec<Uuid> = onward
        .iter()
        .filter(|o| !matches!(o.status, OnwardStatus::Stopped | OnwardStatus::Declined))
        .map(|o| o.service_id)
        .collect();
    let barriers: Vec<Barrier> = onward.iter().flat_map(|o| o.barriers.clone()).collect();
    let access = access_needs(&person, &barriers, &reasons);
    Ok(PersonNeeds {
        reasons,
        goals,
        linked,
        access,
        home: person.postcode,
    })
}

/// Decides which referral reasons count: the open episode's referral's, else the latest
/// referral's.
fn referral_reasons(store: &Store, person_id: Uuid) -> Result<Vec<ReferralReason>> {
    let referrals = store.referrals(person_id)?;
    let open = store.open_episode(person_id)?;
    Ok(match &open {
        Some(ep) => referrals
            .iter()
            .filter(|r| r.id == ep.referral_id)
            .flat_map(|r| r.reasons.clone())
            .collect(),
        None => referrals
            .last()
            .map(|r| r.reasons.clone())
            .unwrap_or_default(),
    })
}

/// Decides which goals count: those active and not archived.
fn active_goals(store: &Store, person_id: Uuid) -> Result<Vec<GoalDetail>> {
    Ok(store
        .goals(person_id)?
        .into_iter()
        .filter(|g| !g.goal.archived && g.goal.status == GoalStatus::Active)
        .collect())
}

/// Decides the person's access needs from their recorded needs, barriers and reasons.
fn access_needs(person: &Person, barriers: &[Barrier], reasons: &[ReferralReason]) -> AccessNeeds {
    let needs = fold(&format!(
        "{} {}",
        person.accessibility_needs.as_deref().unwrap_or(""),
        person.contact_restrictions.as_deref().unwrap_or("")
    ));
    let step_free = barriers.contains(&Barrier::Mobility)
        || [
            "wheelchair",
            "walking frame",
            "mobility",
            "stairs",
            "step-free",
            "step free",
            "ground floor",
            "ground-floor",
        ]
        .iter()
        .any(|w| needs.contains(w));
    let hearing_loop = ["hearing", "deaf", "hearing aid"]
        .iter()
        .any(|w| needs.contains(w));
    AccessNeeds {
        step_free,
        hearing_loop,
        cost_matters: barriers.contains(&Barrier::Cost)
            || reasons.contains(&ReferralReason::MoneyDebt),
        transport_matters: barriers.contains(&Barrier::Transport),
    }
}

/// Decides whether a service may be suggested at all: active, not merged, not already linked.
fn qualifies(s: &Service, linked: &[Uuid]) -> bool {
    s.status == ServiceStatus::Active && s.redirect_to.is_none() && !linked.contains(&s.id)
}

/// Decides a service's score, reasons and cautions; `None` when nothing the person asked for
/// matches it.
fn score_service(s: Service, needs: &PersonNeeds) -> Option<Suggestion> {
    let mut sc = Scored::default();
    score_reasons(&s, &needs.reasons, &mut sc);
    score_goals(&s, &needs.goals, &mut sc);
    if sc.score == 0 {
        return None;
    }
    score_access(&s, &needs.access, &mut sc);
    score_place(&s, needs.home.as_deref(), &mut sc);
    if s.taking_new_members {
        sc.score += 1;
    } else {
        sc.score -= 2;
        sc.cautions.push("Not taking new members at present".into());
    }
    Some(Suggestion {
        service: s,
        score: sc.score,
        reasons: sc.why,
        cautions: sc.cautions,
    })
}

/// Decides what a service earns for each referral reason it helps with, and says why.
fn score_reasons(s: &Service, reasons: &[ReferralReason], sc: &mut Scored) {
    for r in reasons {
        if let Some(c) = categories_for(*r).iter().find(|c| s.categories.contains(c)) {
            sc.score += 3;
            sc.why.push(format!(
                "Referred for {}: this is {}",
                r.label().to_lowercase(),
                c.label().to_lowercase()
            ));
        }
    }
}

/// Decides what a service earns for each goal whose Five Ways or words it fits, and says why.
fn score_goals(s: &Service, goals: &[GoalNeed], sc: &mut Scored) {
    let service_stems = stems(&format!("{} {}", s.name, s.description));
    for GoalNeed { detail, stems } in goals {
        let goal = &detail.goal;
        if s.five_ways.contains(&goal.five_ways) {
            sc.score += 2;
            sc.why.push(format!(
                "Fits the goal \"{}\" ({})",
                goal.text,
                goal.five_ways.label()
            ));
        }
        if let Some((_, word)) = stems
            .iter()
            .find(|(stem, _)| service_stems.iter().any(|(st, _)| st == stem))
        {
            sc.score += 3;
            sc.why
                .push(format!("Matches \"{word}\" in the goal \"{}\"", goal.text));
        }
    }
}

/// Decides what a service gains or loses for the person's access needs, with reasons and
/// cautions.
fn score_access(s: &Service, access: &AccessNeeds, sc: &mut Scored) {
    if access.step_free {
        if s.step_free {
            sc.score += 2;
            sc.why
                .push("Step-free access, which the person needs".into());
        } else {
            sc.score -= 3;
            sc.cautions
                .push("Not listed as step-free: check access first".into());
        }
    }
    if access.hearing_loop {
        if s.hearing_loop {
            sc.score += 1;
            sc.why.push("Has a hearing loop".into());
        } else {
            sc.cautions.push("No hearing loop listed".into());
        }
    }
    if access.cost_matters {
        if s.free {
            sc.score += 2;
            sc.why.push("Free, and cost is a worry".into());
        } else {
            sc.score -= 1;
            sc.cautions.push(format!(
                "Costs {}",
                s.cost.as_deref().unwrap_or("something")
            ));
        }
    }
    if access.transport_matters && s.transport.is_some() {
        sc.score += 1;
        sc.why.push(format!(
            "Transport: {}",
            s.transport.as_deref().unwrap_or("")
        ));
    }
}

/// A postcode's district ("NG12" of "NG12 6QW") and area ("NG"), from the normalised form.
fn district_and_area(postcode: &str) -> Option<(&str, &str)> {
    let district = postcode.split_whitespace().next()?;
    let area_len = district
        .find(|c: char| c.is_ascii_digit())
        .unwrap_or(district.len());
    Some((district, &district[..area_len]))
}

/// Decides what a service gains or loses for where it meets against where the person lives:
/// a group in their own postcode district first, one in another postcode area last and with a
/// caution. Services or people without a postcode are neither helped nor held back.
fn score_place(s: &Service, home: Option<&str>, sc: &mut Scored) {
    let (Some((home_district, home_area)), Some((district, area))) = (
        home.and_then(district_and_area),
        s.postcode.as_deref().and_then(district_and_area),
    ) else {
        return;
    };
    if district == home_district {
        sc.score += 3;
        sc.why
            .push(format!("Near home: in {district}, where the person lives"));
    } else if area == home_area {
        sc.score += 1;
    } else {
        sc.score -= 2;
        sc.cautions.push(format!(
            "In {district}, away from the person's home ({home_district}): check they can get there"
        ));
    }
}

/// Decides the order: best score first, then services taking new members, then by name.
fn rank(out: &mut [Suggestion]) {
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(
                b.service
                    .taking_new_members
                    .cmp(&a.service.taking_new_members),
            )
            .then(a.service.name.cmp(&b.service.name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::directory::{ScheduleInput, ServiceInput};
    use crate::records::pathway::{NewReferral, ReferralInput};
    use crate::records::people::{PersonInput, SetupInput};
    use crate::records::plans::{GoalInput, StepInput};

    fn svc(
        name: &str,
        cat: &str,
        way: &str,
        step_free: bool,
        free: bool,
        room: bool,
    ) -> ServiceInput {
        ServiceInput {
            name: name.into(),
            description: format!("{name}: a friendly local group."),
            categories: vec![cat.into()],
            five_ways: vec![way.into()],
            schedules: vec![ScheduleInput {
                weekday: "thu".into(),
                starts: "13:30".into(),
                ends: "14:30".into(),
                frequency: None,
            }],
            free,
            cost: (!free).then(|| "£3".into()),
            step_free,
            taking_new_members: room,
            ..Default::default()
        }
    }

    fn fixture(needs: Option<&str>) -> (tempfile::TempDir, Store, Uuid) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db"), None).unwrap();
        s.init(&SetupInput {
            team_name: "T".into(),
            worker_name: "W".into(),
            role: "link_worker".into(),
            ..Default::default()
        })
        .unwrap();
        for input in [
            svc(
                "Walking group",
                "physical_activity",
                "be_active",
                true,
                true,
                true,
            ),
            svc(
                "Chair yoga",
                "physical_activity",
                "be_active",
                false,
                false,
                true,
            ),
            svc("Lunch club", "community_cafe", "connect", true, false, true),
            svc("Debt advice", "welfare_rights", "learn", true, true, true),
            svc("Art class", "arts", "take_notice", true, false, false),
        ] {
            s.add_service(&input).unwrap();
        }
        let taken = s
            .take_referral(&NewReferral {
                person: PersonInput {
                    given_name: "Ann".into(),
                    family_name: "Lee".into(),
                    accessibility_needs: needs.map(Into::into),
                    ..Default::default()
                },
                referral: ReferralInput {
                    source: "gp".into(),
                    received_on: crate::store::today().to_string(),
                    reasons: vec!["inactivity".into(), "loneliness".into()],
                    consent_to_contact: true,
                    ..Default::default()
                },
                ..Default::default()
            })
            .unwrap();
        (dir, s, taken.person.id)
    }

    fn names(v: &[Suggestion]) -> Vec<&str> {
        v.iter().map(|s| s.service.name.as_str()).collect()
    }

    #[test]
    fn ranks_by_reasons_and_explains() {
        let (_d, s, pid) = fixture(None);
        let got = suggest_services(&s, pid, 10).unwrap();
        let n = names(&got);
        assert!(
            !n.contains(&"Debt advice"),
            "unrelated services are left out: {n:?}"
        );
        // One matching reason each: equal scores, so by name.
        assert_eq!(
            n[..3],
            ["Chair yoga", "Lunch club", "Walking group"],
            "{n:?}"
        );
        assert!(
            got[2].reasons.iter().any(|r| r.contains("inactivity")),
            "{:?}",
            got[2].reasons
        );
        assert!(got[1].reasons.iter().any(|r| r.contains("loneliness")));
        let art = got.iter().find(|x| x.service.name == "Art class").unwrap();
        assert!(art.cautions.iter().any(|c| c.contains("new members")));
        assert_eq!(n.last(), Some(&"Art class"), "full groups rank last: {n:?}");
    }

    #[test]
    fn groups_near_home_come_first_and_words_match_whole_words() {
        let (_d, mut s, pid) = fixture(None);
        let mut home = serde_json::Map::new();
        home.insert("postcode".into(), "NG12 5AB".into());
        s.write(|w| {
            w.record(
                linkwell_protocol::EntityKind::Person,
                pid,
                linkwell_protocol::Operation::Update,
                home,
            )
        })
        .unwrap();
        for (name, postcode, description) in [
            ("East Leake walk", "LE12 6LG", "A gentle walk"),
            ("Keyworth walk", "NG12 5XX", "A gentle walk"),
            ("Speaking up class", "NG12 5XX", "Communication skills"),
        ] {
            s.add_service(&ServiceInput {
                description: description.into(),
                postcode: Some(postcode.into()),
                ..svc(name, "arts", "learn", true, true, true)
            })
            .unwrap();
        }
        s.add_goal(
            pid,
            &GoalInput {
                text: "Walking with others in my community".into(),
                five_ways: "connect".into(),
                steps: vec![],
            },
        )
        .unwrap();
        let got = suggest_services(&s, pid, 20).unwrap();
        let n = names(&got);
        let at = |name: &str| n.iter().position(|x| *x == name);
        assert!(
            at("Keyworth walk").unwrap() < at("East Leake walk").unwrap(),
            "the walk in the person's own district first: {n:?}"
        );
        let keyworth = &got[at("Keyworth walk").unwrap()];
        assert!(keyworth.reasons.iter().any(|r| r.contains("Near home")));
        assert!(
            keyworth.reasons.iter().any(|r| r.contains("\"walking\"")),
            "the reason quotes the goal's word, not a fragment: {:?}",
            keyworth.reasons
        );
        let leake = &got[at("East Leake walk").unwrap()];
        assert!(leake.cautions.iter().any(|c| c.contains("LE12")));
        let speaking = &got[at("Speaking up class").unwrap()];
        assert!(
            !speaking.reasons.iter().any(|r| r.contains("Matches")),
            "\"community\" does not match \"communication\": {:?}",
            speaking.reasons
        );
    }

    #[test]
    fn goals_and_access_needs_change_the_order() {
        let (_d, mut s, pid) = fixture(Some("Uses a wheelchair"));
        s.add_goal(
            pid,
            &GoalInput {
                text: "Go walking with other people".into(),
                five_ways: "be_active".into(),
                steps: vec![StepInput {
                    text: "Walk to the park".into(),
                    target_on: None,
                }],
            },
        )
        .unwrap();
        let got = suggest_services(&s, pid, 10).unwrap();
        assert_eq!(got[0].service.name, "Walking group");
        assert!(got[0].reasons.iter().any(|r| r.contains("Step-free")));
        assert!(got[0].reasons.iter().any(|r| r.contains("goal")));
        let yoga = got.iter().find(|x| x.service.name == "Chair yoga").unwrap();
        assert!(yoga.cautions.iter().any(|c| c.contains("step-free")));
    }

    #[test]
    fn already_linked_services_are_not_suggested_again() {
        let (_d, mut s, pid) = fixture(None);
        let walk = s
            .services()
            .unwrap()
            .into_iter()
            .find(|x| x.name == "Walking group")
            .unwrap();
        s.refer_onward(pid, walk.id, "agreed").unwrap();
        let got = suggest_services(&s, pid, 10).unwrap();
        assert!(!names(&got).contains(&"Walking group"));
    }

    #[test]
    fn filters_combine() {
        let (_d, s, _) = fixture(None);
        let f = |f: ServiceFilter| {
            filter_services(&s, &f)
                .unwrap()
                .iter()
                .map(|x| x.name.clone())
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(
            f(ServiceFilter {
                text: Some("walk".into()),
                ..Default::default()
            }),
            "Walking group"
        );
        assert_eq!(
            f(ServiceFilter {
                category: Some("physical_activity".into()),
                step_free: true,
                ..Default::default()
            }),
            "Walking group"
        );
        assert_eq!(
            f(ServiceFilter {
                free_only: true,
                ..Default::default()
            }),
            "Debt advice,Walking group"
        );
        assert_eq!(
            f(ServiceFilter {
                day: Some("mon".into()),
                ..Default::default()
            }),
            ""
        );
        assert_eq!(
            f(ServiceFilter {
                taking_new_members: true,
                five_ways: Some("take_notice".into()),
                ..Default::default()
            }),
            ""
        );
    }
}
