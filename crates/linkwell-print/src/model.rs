//! Input model: the plain data a Green Book or a directory page is printed from.
//!
//! Everything here is owned, serde-derivable and free of database types, so callers
//! (the core, the CLI, a benchmark) build it however they like and hand it over.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use crate::PrintError;

/// Everything printed in one person's Green Book.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GreenBook {
    /// The name the person likes to be called; shown on every page.
    pub person_preferred_name: Option<String>,
    /// Full name; only its first part is used, and only when there is no preferred name.
    pub person_full_name: String,
    /// The link worker supporting the person, if one is allocated.
    pub worker: Option<WorkerContact>,
    /// The social prescribing service (name and contact details, crisis contacts).
    pub service: ServiceInfo,
    /// Part 1: the wellness plan, in the person's own words.
    pub plan: Option<WellnessPlan>,
    /// Part 2: goals with their steps and attainment ratings.
    pub goals: Vec<Goal>,
    /// Groups and activities the person has been linked to.
    pub groups: Vec<GroupBlock>,
    /// Next appointment and actions agreed.
    pub next_steps: Option<NextSteps>,
    /// Scores the organisation chose to show the person (never questionnaire items).
    pub measures: Vec<MeasureLine>,
}

/// How to reach the person's link worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerContact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

/// The service running the link worker scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceInfo {
    pub name: String,
    pub phone: String,
    pub email: String,
    /// Who to contact urgently, e.g. NHS 111, Samaritans 116 123. When empty the cover
    /// prints a standard UK list (see [`CrisisContact::uk_defaults`]).
    pub crisis_contacts: Vec<CrisisContact>,
}

/// One crisis contact line, e.g. `{ name: "Samaritans", detail: "call 116 123, free, any time" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrisisContact {
    pub name: String,
    pub detail: String,
}

impl CrisisContact {
    /// The contacts printed when a service has not configured its own.
    pub fn uk_defaults() -> Vec<CrisisContact> {
        vec![
            CrisisContact {
                name: "Emergency".into(),
                detail: "call 999 if your life or someone else's is at risk".into(),
            },
            CrisisContact {
                name: "NHS 111".into(),
                detail: "call 111 (select the mental health option) or go to 111.nhs.uk".into(),
            },
            CrisisContact {
                name: "Samaritans".into(),
                detail: "call 116 123, free, day or night".into(),
            },
        ]
    }
}

/// Part 1 of the Green Book, in the person's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WellnessPlan {
    /// What keeps me well (daily things).
    pub keeps_me_well: String,
    /// What can make me unwell or stressed (triggers).
    pub triggers: String,
    /// Early warning signs that I am becoming unwell.
    pub warning_signs: String,
    /// What I will do when I notice them.
    pub what_i_do: String,
    /// What helps in a crisis and who to contact.
    pub crisis_help: String,
    pub written_on: NaiveDate,
    pub review_on: Option<NaiveDate>,
}

/// The Five Ways to Wellbeing a goal belongs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FiveWays {
    Connect,
    BeActive,
    TakeNotice,
    Learn,
    Give,
}

impl FiveWays {
    /// All five, in the order they are printed.
    pub const ALL: [FiveWays; 5] = [
        FiveWays::Connect,
        FiveWays::BeActive,
        FiveWays::TakeNotice,
        FiveWays::Learn,
        FiveWays::Give,
    ];

    /// The printed name, e.g. "Be active".
    pub fn label(self) -> &'static str {
        match self {
            FiveWays::Connect => "Connect",
            FiveWays::BeActive => "Be active",
            FiveWays::TakeNotice => "Take notice",
            FiveWays::Learn => "Learn",
            FiveWays::Give => "Give",
        }
    }

    /// One short plain-English line about this way to wellbeing.
    pub fn blurb(self) -> &'static str {
        match self {
            FiveWays::Connect => {
                "Spend time with people who matter to you: family, friends, neighbours, \
                 people at a group."
            }
            FiveWays::BeActive => {
                "Move in a way you enjoy and can manage: a walk, gardening, dancing, gentle \
                 exercise."
            }
            FiveWays::TakeNotice => {
                "Notice the world around you and how you feel, here and now: the weather, \
                 birds, a cup of tea."
            }
            FiveWays::Learn => {
                "Try something new or pick up an old interest: a recipe, a course, a skill, \
                 a hobby."
            }
            FiveWays::Give => {
                "Do something kind for someone, say thank you, or give some of your time to \
                 help others."
            }
        }
    }
}

/// A goal in the person's own words, with its SMART steps and attainment ratings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    pub text: String,
    pub five_ways: FiveWays,
    pub steps: Vec<Step>,
    pub ratings: Vec<Rating>,
}

/// A small step towards a goal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub text: String,
    pub target_on: Option<NaiveDate>,
    pub done: bool,
}

/// A goal attainment rating, -2..=2 against the expected outcome (0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub rated_on: NaiveDate,
    /// -2..=2; values outside the range are clamped when printed.
    pub score: i8,
}

impl Rating {
    /// The score in words, as printed for the person.
    pub fn words(score: i8) -> &'static str {
        match score.clamp(-2, 2) {
            -2 => "much less than expected",
            -1 => "less than expected",
            0 => "as expected",
            1 => "better than expected",
            _ => "much better than expected",
        }
    }
}

/// A group or activity the person is linked to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupBlock {
    pub name: String,
    pub what_happens: String,
    /// e.g. "Thursdays 13:30–15:00"; empty when the group has not given a schedule.
    pub when: String,
    pub place: String,
    pub postcode: String,
    pub cost: String,
    pub access: String,
    pub contact: String,
}

/// Next appointment and what was agreed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextSteps {
    pub next_appointment: Option<String>,
    pub actions_agreed: Vec<String>,
}

/// A score the organisation enabled for printing, e.g. `{ "Life satisfaction", "7 out of 10" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureLine {
    pub label: String,
    pub value: String,
}

/// One directory service, printed as a standalone insert for the Green Book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServicePage {
    pub name: String,
    pub description: String,
    pub categories: Vec<String>,
    pub what_happens: String,
    pub when: String,
    pub place: String,
    pub postcode: String,
    pub cost: String,
    pub access: String,
    pub contact: String,
    /// When the directory entry was last checked; printed in the footer if known.
    pub last_checked: Option<NaiveDate>,
}

/// How to print.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintOptions {
    /// Sections to print, in this order; `None` prints every section that has content
    /// (every section when `blank`).
    pub pages: Option<Vec<Section>>,
    /// 16 pt body text with wider line spacing instead of 12 pt.
    pub large_print: bool,
    /// Blank versions: headings and ruled writing lines instead of the person's content.
    pub blank: bool,
    /// The date shown in every footer.
    pub printed_on: NaiveDate,
    /// Document creation/modification time (UTC). Set it for reproducible bytes;
    /// `None` uses the current time.
    pub fixed_timestamp: Option<NaiveDateTime>,
}

impl PrintOptions {
    /// Standard print of every section with content, printed on `printed_on`.
    pub fn new(printed_on: NaiveDate) -> Self {
        PrintOptions {
            pages: None,
            large_print: false,
            blank: false,
            printed_on,
            fixed_timestamp: None,
        }
    }
}

/// A section (page group) of the Green Book.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Section {
    Cover,
    WellnessPlan,
    FiveWays,
    Goals,
    Groups,
    NextSteps,
}

impl Section {
    /// Every section in book order.
    pub const ALL: [Section; 6] = [
        Section::Cover,
        Section::WellnessPlan,
        Section::FiveWays,
        Section::Goals,
        Section::Groups,
        Section::NextSteps,
    ];

    /// The name used on the command line and in [`Section::parse`].
    pub fn name(self) -> &'static str {
        match self {
            Section::Cover => "cover",
            Section::WellnessPlan => "plan",
            Section::FiveWays => "five-ways",
            Section::Goals => "goals",
            Section::Groups => "groups",
            Section::NextSteps => "next-steps",
        }
    }

    /// The title printed in the page header.
    pub fn title(self) -> &'static str {
        match self {
            Section::Cover => "My Green Book",
            Section::WellnessPlan => "My wellness plan",
            Section::FiveWays => "Five Ways to Wellbeing",
            Section::Goals => "My goals and steps",
            Section::Groups => "My groups and activities",
            Section::NextSteps => "Next steps",
        }
    }

    /// Parses a comma-separated list such as `"cover,plan,five-ways,goals,groups,next-steps"`
    /// (a single name is a list of one). Names are case-insensitive; `_`, spaces and `-`
    /// are interchangeable, and `wellness-plan` / `all` are accepted. Duplicates are dropped,
    /// the order given is kept.
    pub fn parse(list: &str) -> Result<Vec<Section>, PrintError> {
        let mut out: Vec<Section> = Vec::new();
        for raw in list.split(',') {
            let name = raw.trim();
            if name.is_empty() {
                continue;
            }
            let found: Vec<Section> = if normalise(name) == "all" {
                Section::ALL.to_vec()
            } else {
                vec![name.parse::<Section>()?]
            };
            for s in found {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        if out.is_empty() {
            return Err(PrintError::UnknownSection {
                name: list.trim().to_string(),
            });
        }
        Ok(out)
    }
}

fn normalise(name: &str) -> String {
    name.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == '_' || c == ' ' { '-' } else { c })
        .collect()
}

impl FromStr for Section {
    type Err = PrintError;

    /// Parses one section name (see [`Section::parse`] for lists).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match normalise(s).as_str() {
            "cover" => Ok(Section::Cover),
            "plan" | "wellness-plan" | "wellness" => Ok(Section::WellnessPlan),
            "five-ways" | "fiveways" | "five-ways-to-wellbeing" => Ok(Section::FiveWays),
            "goals" | "goals-and-steps" => Ok(Section::Goals),
            "groups" | "groups-and-activities" | "activities" => Ok(Section::Groups),
            "next-steps" | "nextsteps" | "next" => Ok(Section::NextSteps),
            _ => Err(PrintError::UnknownSection {
                name: s.trim().to_string(),
            }),
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Dates as printed for the person: "3 March 2025".
pub(crate) fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_list() {
        let got = Section::parse("cover,plan,five-ways,goals,groups,next-steps").unwrap();
        assert_eq!(got, Section::ALL.to_vec());
    }

    #[test]
    fn parse_is_forgiving_about_case_spacing_and_duplicates() {
        let got = Section::parse(" Goals , NEXT_STEPS,goals, wellness plan").unwrap();
        assert_eq!(
            got,
            vec![Section::Goals, Section::NextSteps, Section::WellnessPlan]
        );
        assert_eq!(Section::parse("all").unwrap(), Section::ALL.to_vec());
    }

    #[test]
    fn parse_names_the_bad_value() {
        let err = Section::parse("cover,gaols,plan").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("'gaols'"), "{msg}");
        assert!(msg.contains("five-ways"), "{msg}");
        assert!(Section::parse(" , ").is_err());
    }

    #[test]
    fn every_name_round_trips() {
        for s in Section::ALL {
            assert_eq!(s.name().parse::<Section>().unwrap(), s);
        }
    }

    #[test]
    fn rating_words_clamp() {
        assert_eq!(Rating::words(-2), "much less than expected");
        assert_eq!(Rating::words(0), "as expected");
        assert_eq!(Rating::words(2), "much better than expected");
        assert_eq!(Rating::words(9), "much better than expected");
        assert_eq!(Rating::words(-9), "much less than expected");
    }

    #[test]
    fn dates_are_long_and_plain() {
        let d = NaiveDate::from_ymd_opt(2025, 3, 3).unwrap();
        assert_eq!(long_date(d), "3 March 2025");
    }
}
