//! The vocabulary of social prescribing (see shared/DOMAIN.md) as closed sets: roles, referral
//! sources and reasons, pathway stages and statuses, session modes, measures, directory
//! categories. Each has a stable stored form (`as_str`) and a plain-English label for screens.

use serde::{Deserialize, Serialize};

/// Declares a closed vocabulary: stored as snake_case text, shown with a label.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
        #[ts(export)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)+ }
            }

            /// Accepts the stored code or the label, case-insensitively.
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                $name::ALL.iter().copied().find(|v| {
                    v.as_str().eq_ignore_ascii_case(s) || v.label().eq_ignore_ascii_case(s)
                })
            }

            /// The allowed values, for error messages and pick lists.
            pub fn choices() -> String {
                $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }

            /// The allowed values in words, for messages a worker reads.
            pub fn labels() -> String {
                $name::ALL.iter().map(|v| v.label()).collect::<Vec<_>>().join(", ")
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }
    };
}

vocabulary!(Role {
    HealthCoach => "health_coach", "Health coach";
    LinkWorker => "link_worker", "Link worker";
    Supervisor => "supervisor", "Supervisor";
    Admin => "admin", "Administrator";
});

vocabulary!(ReferralSource {
    Gp => "gp", "GP";
    PracticeNurse => "practice_nurse", "Practice nurse";
    HealthCareAssistant => "health_care_assistant", "Health care assistant";
    SocialServices => "social_services", "Social services";
    VoluntarySector => "voluntary_sector", "Voluntary sector";
    Family => "family", "Family";
    CommunityFacility => "community_facility", "Community facility";
    SelfReferral => "self", "Self-referral";
    RegisterSearch => "register_search", "Register-search invitation";
});

vocabulary!(ReferralReason {
    Loneliness => "loneliness", "Loneliness";
    Isolation => "isolation", "Social isolation";
    Inactivity => "inactivity", "Inactivity";
    Weight => "weight", "Weight";
    LongTermCondition => "long_term_condition", "Managing a long-term condition";
    MentalWellbeing => "mental_wellbeing", "Mental wellbeing";
    MoneyDebt => "money_debt", "Money or debt";
    Housing => "housing", "Housing";
    Employment => "employment", "Employment";
    CarerSupport => "carer_support", "Carer support";
    Bereavement => "bereavement", "Bereavement";
    Other => "other", "Other";
});

vocabulary!(
    /// SNOMED CT codes recorded in GP systems for the referral.
    SnomedCode {
        ReferralToSocialPrescribing => "871731000000106", "Referral to social prescribing service";
        SocialPrescribingDeclined => "871711000000103", "Social prescribing declined";
    }
);

vocabulary!(ContactMethod {
    Phone => "phone", "Phone";
    Text => "text", "Text message";
    Email => "email", "Email";
    Letter => "letter", "Letter";
    InPerson => "in_person", "In person";
});

vocabulary!(ContactOutcome {
    NoAnswer => "no_answer", "No answer";
    LeftMessage => "left_message", "Left a message";
    WrongNumber => "wrong_number", "Wrong number";
    Spoke => "spoke", "Spoke to the person";
    AppointmentBooked => "appointment_booked", "Appointment booked";
    Declined => "declined", "Declined the service";
});

vocabulary!(Stage {
    HealthCoach => "health_coach", "Health coach";
    LinkWorker => "link_worker", "Link worker";
});

vocabulary!(
    /// Episode status; the order is the pathway's (a state machine that only moves forward
    /// unless explicitly reopened).
    EpisodeStatus {
        Referred => "referred", "Referred";
        Contacting => "contacting", "Contacting";
        Active => "active", "Active";
        Closed => "closed", "Closed";
    }
);

vocabulary!(ClosingReason {
    GoalsMet => "goals_met", "Goals met";
    ChoseToStop => "chose_to_stop", "Chose to stop";
    CouldNotContact => "could_not_contact", "Could not contact";
    MovedAway => "moved_away", "Moved away";
    ReferredElsewhere => "referred_elsewhere", "Referred elsewhere";
    Died => "died", "Died";
});

vocabulary!(SessionMode {
    FaceToFace => "face_to_face", "Face to face";
    Phone => "phone", "Phone";
    Video => "video", "Video";
    Email => "email", "Email";
    Text => "text", "Text message";
    HomeVisit => "home_visit", "Home visit";
});

vocabulary!(Attendance {
    Booked => "booked", "Booked";
    Attended => "attended", "Attended";
    DidNotAttend => "did_not_attend", "Did not attend";
    Cancelled => "cancelled", "Cancelled";
});

vocabulary!(ConsentKind {
    Service => "service", "Consent to the service";
    Contact => "contact", "Consent to be contacted";
    ShareWithReferrer => "share_with_referrer", "Consent to share with the referrer and GP";
    Evaluation => "evaluation", "Consent to evaluation use";
});

vocabulary!(RiskKind {
    Safeguarding => "safeguarding", "Safeguarding concern";
    LoneWorking => "lone_working", "Lone-working caution";
    CrisisPlan => "crisis_plan", "Crisis plan in place";
});

vocabulary!(FiveWays {
    Connect => "connect", "Connect";
    BeActive => "be_active", "Be active";
    TakeNotice => "take_notice", "Take notice";
    Learn => "learn", "Learn";
    Give => "give", "Give";
});

vocabulary!(GoalStatus {
    Active => "active", "Working on it";
    Achieved => "achieved", "Achieved";
    Stopped => "stopped", "Stopped";
});

vocabulary!(StepStatus {
    Planned => "planned", "To do";
    Done => "done", "Done";
    Dropped => "dropped", "Dropped";
});

vocabulary!(
    /// Outcome instruments. Licensed ones are recorded as scores only and must be enabled per
    /// organisation with the licence holder's name.
    Instrument {
        Ons4 => "ons4", "ONS personal wellbeing (ONS4)";
        Pam => "pam", "Patient Activation Measure (PAM)";
        Eq5d => "eq5d", "EQ-5D";
        WellbeingStar => "wellbeing_star", "Well-being Star";
        Swemwbs => "swemwbs", "SWEMWBS";
        Loneliness => "loneliness", "Loneliness (ONS direct question)";
        GroupMemberships => "group_memberships", "Number of groups belonged to";
        ServiceUse => "service_use", "Service use in the last 3 months";
    }
);

impl Instrument {
    pub fn is_licensed(self) -> bool {
        matches!(
            self,
            Instrument::Pam | Instrument::Eq5d | Instrument::WellbeingStar | Instrument::Swemwbs
        )
    }
}

vocabulary!(TimePoint {
    T0 => "t0", "Baseline (T0)";
    T1 => "t1", "About 4 months (T1)";
    T2 => "t2", "About 8 months (T2)";
    Other => "other", "Other";
});

vocabulary!(FollowUpDecisionKind {
    Declined => "declined", "Person declined";
    NotPossible => "not_possible", "Could not be done";
    RemindLater => "remind_later", "Remind me later";
});

vocabulary!(ServiceCategory {
    LongTermCondition => "long_term_condition", "Long-term condition support";
    MentalHealth => "mental_health", "Mental health";
    PhysicalActivity => "physical_activity", "Physical activity";
    WeightHealthyEating => "weight_healthy_eating", "Weight and healthy eating";
    NhsServices => "nhs_services", "NHS services";
    WelfareRights => "welfare_rights", "Welfare rights and benefits";
    LearningEmployment => "learning_employment", "Learning and employment";
    Volunteering => "volunteering", "Volunteering";
    Arts => "arts", "Arts";
    CommunityActivities => "community_activities", "Community activities";
    Befriending => "befriending", "Befriending";
    CommunityCafe => "community_cafe", "Community café";
});

vocabulary!(ServiceStatus {
    Active => "active", "Active";
    Paused => "paused", "Paused";
    Closed => "closed", "Closed";
});

vocabulary!(Weekday {
    Mon => "mon", "Monday";
    Tue => "tue", "Tuesday";
    Wed => "wed", "Wednesday";
    Thu => "thu", "Thursday";
    Fri => "fri", "Friday";
    Sat => "sat", "Saturday";
    Sun => "sun", "Sunday";
});

vocabulary!(
    /// Onward referral (social prescription) status, in pathway order.
    OnwardStatus {
        Suggested => "suggested", "Suggested";
        Agreed => "agreed", "Agreed";
        ReferralMade => "referral_made", "Referral made";
        Accompanied => "accompanied", "Accompanied to first session";
        Attending => "attending", "Attending";
        Stopped => "stopped", "Stopped";
        Declined => "declined", "Declined";
    }
);

vocabulary!(Barrier {
    Cost => "cost", "Cost";
    Mobility => "mobility", "Mobility";
    Transport => "transport", "Transport";
    Confidence => "confidence", "Confidence";
    NoCapacity => "no_capacity", "Group is full";
});

vocabulary!(
    /// Whether a group has room for someone new, when nobody knows how many places are free.
    HasRoom {
        Yes => "yes", "Has room";
        No => "no", "No room at present";
        Unknown => "unknown", "Not known";
    }
);

vocabulary!(
    /// How a person's wait on a group's waiting list ended.
    WaitEnd {
        GotPlace => "got_place", "Got a place";
        NoLongerWaiting => "no_longer_waiting", "No longer waiting";
    }
);

vocabulary!(
    /// What was missing when nothing in the directory suited a person's need.
    GapMissing {
        Cost => "cost", "Nothing they could afford";
        Time => "time", "Nothing at a time they could go";
        Access => "access", "Nothing they could get to or into";
        NoSuchGroup => "no_such_group", "No such group nearby";
        Other => "other", "Something else";
    }
);

vocabulary!(
    /// How a message reaches a referrer.
    MessageRoute {
        SecureEmail => "secure_email", "Secure email";
        Post => "post", "Post";
        GpSystem => "gp_system", "Into the GP system";
    }
);

vocabulary!(
    /// The messages back to a referrer, at the points referrers asked for.
    MessageKind {
        Accepted => "accepted", "Referral accepted";
        Declined => "declined", "Referral declined";
        FirstSeen => "first_seen", "First seen";
        Closed => "closed", "Support closed";
    }
);

/// ONS4 bands for life satisfaction, worthwhile and happiness (higher is better).
pub fn ons4_positive_band(score: u8) -> &'static str {
    match score {
        0..=4 => "low",
        5..=6 => "medium",
        7..=8 => "high",
        _ => "very high",
    }
}

/// ONS4 bands for anxiety (lower is better).
pub fn ons4_anxiety_band(score: u8) -> &'static str {
    match score {
        0..=1 => "very low",
        2..=3 => "low",
        4..=5 => "medium",
        _ => "high",
    }
}

/// PAM activation level from a 0-100 score (level 1 ≤ 47.0, 2 ≤ 55.1, 3 ≤ 67.0, 4 above).
pub fn pam_level(score: f64) -> u8 {
    if score <= 47.0 {
        1
    } else if score <= 55.1 {
        2
    } else if score <= 67.0 {
        3
    } else {
        4
    }
}

/// The Kiresuk-Sherman goal attainment T-score with ρ = 0.3 over (weight, rating) pairs,
/// ratings in -2..=2. None when there are no goals.
pub fn gas_t_score(goals: &[(f64, i8)]) -> Option<f64> {
    const RHO: f64 = 0.3;
    if goals.is_empty() {
        return None;
    }
    let sum_wx: f64 = goals.iter().map(|(w, x)| w * f64::from(*x)).sum();
    let sum_w2: f64 = goals.iter().map(|(w, _)| w * w).sum();
    let sum_w: f64 = goals.iter().map(|(w, _)| w).sum();
    let denom = ((1.0 - RHO) * sum_w2 + RHO * sum_w * sum_w).sqrt();
    if denom == 0.0 {
        return None;
    }
    Some(50.0 + 10.0 * sum_wx / denom)
}

impl OnwardStatus {
    /// The statuses an onward referral may start in: a referral cannot begin as attending,
    /// stopped or declined (those follow from what happens next).
    pub const STARTING: &'static [OnwardStatus] = &[
        OnwardStatus::Suggested,
        OnwardStatus::Agreed,
        OnwardStatus::ReferralMade,
        OnwardStatus::Accompanied,
    ];

    pub fn is_starting(self) -> bool {
        OnwardStatus::STARTING.contains(&self)
    }

    /// Still under way: a second referral to the same service would duplicate it.
    pub fn is_open(self) -> bool {
        !matches!(self, OnwardStatus::Stopped | OnwardStatus::Declined)
    }
}

/// The goal-attainment scale's ratings, -2 to +2.
pub const ATTAINMENT_SCORES: std::ops::RangeInclusive<i8> = -2..=2;

/// The four ONS personal wellbeing questions, in the order their items are stored.
pub const ONS4_ITEMS: [(&str, &str); 4] = [
    ("life_satisfaction", "Life satisfaction"),
    ("worthwhile", "Worthwhile"),
    ("happiness", "Happiness yesterday"),
    ("anxiety", "Anxiety yesterday"),
];

/// The Well-being Star's eight areas, in the order their scores are stored (each 1 to 10).
pub const STAR_AREAS: [(&str, &str); 8] = [
    ("lifestyle", "Lifestyle"),
    ("looking_after_yourself", "Looking after yourself"),
    ("managing_symptoms", "Managing symptoms"),
    (
        "work_volunteering",
        "Work, volunteering and other activities",
    ),
    ("money", "Money"),
    ("where_you_live", "Where you live"),
    ("family_friends", "Family and friends"),
    ("feeling_positive", "Feeling positive"),
];

/// Words for an attainment rating, for the person's own pages.
pub fn attainment_words(score: i8) -> &'static str {
    match score {
        i8::MIN..=-2 => "much less than expected",
        -1 => "less than expected",
        0 => "as expected",
        1 => "better than expected",
        _ => "much better than expected",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gas_matches_published_checks() {
        let up = gas_t_score(&[(1.0, 1), (1.0, 1), (1.0, 1)]).unwrap();
        let down = gas_t_score(&[(1.0, -1), (1.0, -1), (1.0, -1)]).unwrap();
        assert_eq!(format!("{up:.2}"), "63.69");
        assert_eq!(format!("{down:.2}"), "36.31");
        assert_eq!(gas_t_score(&[(1.0, 0), (2.0, 0)]), Some(50.0));
        assert_eq!(gas_t_score(&[]), None);
    }

    #[test]
    fn ons4_and_pam_bands() {
        assert_eq!(ons4_positive_band(4), "low");
        assert_eq!(ons4_positive_band(6), "medium");
        assert_eq!(ons4_positive_band(8), "high");
        assert_eq!(ons4_positive_band(10), "very high");
        assert_eq!(ons4_anxiety_band(1), "very low");
        assert_eq!(ons4_anxiety_band(3), "low");
        assert_eq!(ons4_anxiety_band(5), "medium");
        assert_eq!(ons4_anxiety_band(6), "high");
        assert_eq!(pam_level(47.0), 1);
        assert_eq!(pam_level(47.1), 2);
        assert_eq!(pam_level(55.2), 3);
        assert_eq!(pam_level(67.1), 4);
    }

    #[test]
    fn vocabularies_parse_codes_and_labels() {
        assert_eq!(
            ReferralSource::parse("self"),
            Some(ReferralSource::SelfReferral)
        );
        assert_eq!(
            ReferralSource::parse("Practice nurse"),
            Some(ReferralSource::PracticeNurse)
        );
        assert_eq!(
            SnomedCode::parse("871731000000106"),
            Some(SnomedCode::ReferralToSocialPrescribing)
        );
        assert_eq!(FiveWays::parse("be active"), Some(FiveWays::BeActive));
        assert_eq!(FiveWays::parse("jogging"), None);
    }
}
