//! Outcome measures. Each instrument has one form ([`instrument_form`]): its fields, ranges
//! and words, which the screen draws and [`Store::record_measure`] checks against, so the
//! rule is written once. Public instruments (ONS4, loneliness, groups, service use) store
//! their answers; licensed ones (PAM, EQ-5D, Well-being Star, SWEMWBS) only once the
//! organisation's licence has reached this laptop, and SWEMWBS keeps its item answers only
//! when that licence covers them. Follow-ups are in [`super::follow_ups`].

use crate::domain::validate::Checker;
use crate::domain::vocabulary::{
    Instrument, STAR_AREAS, TimePoint, ons4_anxiety_band, ons4_positive_band, pam_level,
};
use crate::error::Result;
use crate::records::WireText;
use crate::store::{self, Store, today};
use chrono::NaiveDate;
use linkwell_protocol::EntityKind;
use linkwell_protocol::EntityKind as K;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

crate::store::record_kinds!(InstrumentLicence, Measure);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Measure {
    pub id: Uuid,
    pub person_id: Uuid,
    pub instrument: Instrument,
    pub time_point: TimePoint,
    pub taken_on: NaiveDate,
    pub worker_id: Uuid,
    pub score: Option<f64>,
    #[ts(type = "number | null")]
    pub level: Option<i64>,
    #[ts(type = "number[]")]
    pub items: Vec<i64>,
}

impl Measure {
    /// A plain-English reading of the measure (ONS4 bands, the Star's areas by name...): what
    /// the person page and the Green Book show.
    pub fn summary(&self) -> String {
        let item = |i: usize| self.items.get(i).copied().unwrap_or(0);
        match self.instrument {
            Instrument::Ons4 if self.items.len() == 4 => {
                let b = |i: usize| ons4_positive_band(item(i).clamp(0, 10) as u8);
                format!(
                    "life satisfaction {} ({}), worthwhile {} ({}), happiness {} ({}), anxiety {} ({})",
                    item(0),
                    b(0),
                    item(1),
                    b(1),
                    item(2),
                    b(2),
                    item(3),
                    ons4_anxiety_band(item(3).clamp(0, 10) as u8)
                )
            }
            Instrument::Pam => format!(
                "score {:.1}, level {}",
                self.score.unwrap_or(0.0),
                self.level.unwrap_or(0)
            ),
            Instrument::Eq5d => format!(
                "index {:.3}, health today {} out of 100",
                self.score.unwrap_or(0.0),
                item(0)
            ),
            Instrument::Swemwbs => format!("metric score {:.2}", self.score.unwrap_or(0.0)),
            Instrument::WellbeingStar if self.items.len() == STAR_AREAS.len() => STAR_AREAS
                .iter()
                .zip(&self.items)
                .map(|((_, area), v)| format!("{area} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            Instrument::WellbeingStar => format!("area scores {:?}", self.items),
            Instrument::Loneliness => LONELINESS
                .get((item(0) - 1).clamp(0, 4) as usize)
                .map_or(String::new(), |s| format!("lonely: {}", s.to_lowercase())),
            Instrument::GroupMemberships => match item(0) {
                1 => "1 group".to_string(),
                n => format!("{n} groups"),
            },
            // Service use recorded before the four cost-case items were added had three.
            Instrument::ServiceUse => SERVICE_USE
                .iter()
                .zip(&self.items)
                .map(|((_, what), v)| format!("{what} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            Instrument::Ons4 => String::new(),
        }
    }
}

/// What each PAM activation level means, in words a person can use (Insignia's level names).
const PAM_LEVEL_WORDS: [&str; 4] = [
    "starting to take a role in your own health",
    "building knowledge and confidence",
    "taking action",
    "keeping going, even under stress",
];

impl Measure {
    /// What the person's own Green Book prints: words and scales they can use. A PAM score, an
    /// EQ-5D index or a SWEMWBS metric score to two places means nothing to the person who
    /// answered; the level, "out of" and their own health rating do.
    pub fn for_the_person(&self) -> String {
        match self.instrument {
            Instrument::Pam => match self.level {
                Some(l @ 1..=4) => format!("level {l} of 4: {}", PAM_LEVEL_WORDS[l as usize - 1]),
                _ => String::new(),
            },
            Instrument::Swemwbs => self.score.map_or(String::new(), |s| {
                format!(
                    "{} out of 35 (a higher score means better wellbeing)",
                    s.round()
                )
            }),
            Instrument::Eq5d => self.items.first().map_or(String::new(), |h| {
                format!("your health today: {h} out of 100")
            }),
            _ => self.summary(),
        }
    }
}

/// The ONS direct loneliness question's answers, coded 1..=5.
pub const LONELINESS: [&str; 5] = [
    "Often or always",
    "Some of the time",
    "Occasionally",
    "Hardly ever",
    "Never",
];

/// Service use in the last 3 months, in stored order: the first three are the evaluation's
/// cost case (000 §3.2), the rest what a fuller cost case needs.
pub const SERVICE_USE: [(&str, &str); 7] = [
    ("gp", "GP appointments"),
    ("ae", "A&E attendances"),
    ("hospital_nights", "Nights in hospital"),
    ("practice_nurse", "Practice nurse appointments"),
    ("out_of_hours", "Calls to 111 or out of hours"),
    ("outpatient", "Outpatient appointments"),
    ("social_care", "Social care contacts"),
];

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct MeasureInput {
    #[ts(as = "Option<String>", optional)]
    pub instrument: String,
    #[ts(as = "Option<String>", optional)]
    pub time_point: String,
    #[ts(as = "Option<String>", optional)]
    pub taken_on: String,
    pub score: Option<f64>,
    /// Numbers as typed (a whole-number field is checked here, not refused as malformed).
    pub level: Option<f64>,
    /// The answers in the order of the form's `items.*` fields; null where left blank.
    pub items: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct InstrumentLicence {
    pub id: Uuid,
    pub instrument: Instrument,
    pub licence_holder: String,
    pub enabled: bool,
    pub recorded_on: NaiveDate,
    /// The date on the licence, as the administrator entered it.
    pub licensed_on: Option<NaiveDate>,
    /// The licence lets the organisation keep the item answers (SWEMWBS), not only scores.
    #[serde(default)]
    pub covers_items: bool,
}

/// One field of a measure's form: what the screen draws and the core checks.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MeasureField {
    /// The input's name, and the field its errors name: `score`, `level` or `items.<code>`.
    pub field: String,
    pub label: String,
    pub min: f64,
    pub max: f64,
    pub whole: bool,
    pub required: bool,
    /// For an answer picked from a list (loneliness): each value's words.
    pub choices: Vec<MeasureChoice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct MeasureChoice {
    #[ts(type = "number")]
    pub value: i64,
    pub label: String,
}

/// An instrument's form as this laptop may use it now.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct InstrumentForm {
    pub instrument: Instrument,
    pub label: String,
    pub licensed: bool,
    /// Why it cannot be recorded here yet (no licence has arrived); null when it can.
    pub unavailable: Option<String>,
    pub licence: Option<InstrumentLicence>,
    /// A line for the worker above the fields.
    pub hint: String,
    pub fields: Vec<MeasureField>,
}

fn number(field: &str, label: &str, min: f64, max: f64, whole: bool) -> MeasureField {
    MeasureField {
        field: field.to_string(),
        label: label.to_string(),
        min,
        max,
        whole,
        required: true,
        choices: Vec::new(),
    }
}

fn items(codes: &[(&str, &str)], min: i64, max: i64) -> Vec<MeasureField> {
    codes
        .iter()
        .map(|(code, label)| {
            number(
                &format!("items.{code}"),
                label,
                min as f64,
                max as f64,
                true,
            )
        })
        .collect()
}

/// The fields of an instrument's form; `items_licensed` adds SWEMWBS's seven answers.
fn fields_of(instrument: Instrument, items_licensed: bool) -> (String, Vec<MeasureField>) {
    match instrument {
        Instrument::Ons4 => (
            "Four questions, each answered 0 to 10.".into(),
            items(&crate::domain::vocabulary::ONS4_ITEMS, 0, 10),
        ),
        Instrument::Swemwbs => {
            let mut f = vec![number("score", "Metric score", 7.0, 35.0, false)];
            if items_licensed {
                let statements: Vec<(String, String)> = (1..=7)
                    .map(|n| (format!("s{n}"), format!("Statement {n} (1 to 5)")))
                    .collect();
                let refs: Vec<(&str, &str)> = statements
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                f.extend(items(&refs, 1, 5).into_iter().map(|mut i| {
                    i.required = false;
                    i
                }));
            }
            let hint = if items_licensed {
                "The metric score from the scoring table; the seven answers too if you have them."
            } else {
                "The metric score only (7 to 35), from the scoring table. The answers are not kept."
            };
            (hint.into(), f)
        }
        Instrument::Pam => (
            "The score and level from the PAM tool.".into(),
            vec![
                number("score", "PAM score", 0.0, 100.0, false),
                MeasureField {
                    required: false,
                    ..number("level", "Activation level", 1.0, 4.0, true)
                },
            ],
        ),
        Instrument::Eq5d => (
            "The index value from the EQ-5D value set, and the health scale.".into(),
            vec![
                number("score", "EQ-5D index", -0.6, 1.0, false),
                number(
                    "items.vas",
                    "Health today (VAS, 0 to 100)",
                    0.0,
                    100.0,
                    true,
                ),
            ],
        ),
        Instrument::WellbeingStar => (
            "Each area's score on the Star, 1 to 10.".into(),
            items(&STAR_AREAS, 1, 10),
        ),
        Instrument::Loneliness => (
            "How often do you feel lonely?".into(),
            vec![MeasureField {
                choices: LONELINESS
                    .iter()
                    .zip(1..)
                    .map(|(l, value)| MeasureChoice {
                        value,
                        label: (*l).to_string(),
                    })
                    .collect(),
                ..number("items.how_often", "How often lonely", 1.0, 5.0, true)
            }],
        ),
        Instrument::GroupMemberships => (
            "Groups, clubs or organisations the person belongs to.".into(),
            vec![number(
                "items.groups",
                "Number of groups belonged to",
                0.0,
                50.0,
                true,
            )],
        ),
        Instrument::ServiceUse => (
            "In the last 3 months, as the person remembers it.".into(),
            items(&SERVICE_USE, 0, 92),
        ),
    }
}

/// What a form's fields hold once checked.
type Values = (Option<f64>, Option<i64>, Vec<i64>);

/// Checks each field of the form against its range, naming it in the form's words.
fn check_values(c: &mut Checker, form: &InstrumentForm, input: &MeasureInput) -> Values {
    let item_fields = form
        .fields
        .iter()
        .filter(|f| f.field.starts_with("items."))
        .count();
    if input.items.len() > item_fields {
        c.fail(
            "items",
            format!(
                "{} has {item_fields} answers, not {}",
                form.label,
                input.items.len()
            ),
        );
    }
    let (mut score, mut level, mut items) = (None, None, Vec::new());
    let mut item_index = 0;
    for f in &form.fields {
        let given = match f.field.as_str() {
            "score" => input.score,
            "level" => input.level,
            _ => {
                item_index += 1;
                input.items.get(item_index - 1).copied().flatten()
            }
        };
        let Some(v) = given else {
            if f.required {
                c.fail(&f.field, format!("{} is needed", f.label));
            }
            continue;
        };
        if !(f.min..=f.max).contains(&v) || (f.whole && v.fract() != 0.0) {
            let kind = if f.whole { "a whole number " } else { "" };
            c.fail(
                &f.field,
                format!(
                    "{} must be {kind}from {} to {} ({v} is not)",
                    f.label, f.min, f.max
                ),
            );
            continue;
        }
        match f.field.as_str() {
            "score" => score = Some(v),
            "level" => level = Some(v as i64),
            _ => items.push(v as i64),
        }
    }
    if form.instrument == Instrument::Swemwbs && !items.is_empty() && items.len() != 7 {
        c.fail("items", "Give all seven SWEMWBS answers, or none");
    }
    if form.instrument == Instrument::Pam
        && let Some(s) = score
    {
        let derived = i64::from(pam_level(s));
        if level.is_some_and(|l| l != derived) {
            c.fail(
                "level",
                format!(
                    "A PAM score of {s:.1} is level {derived}, not {}",
                    level.unwrap_or(0)
                ),
            );
        }
        level = Some(derived);
    }
    (score, level, items)
}

/// The instrument, time point and date of a measure, each checked.
/// `referred_on` is the person's first referral (or when they were entered, if earlier), so a
/// worker back-entering an old referral can also enter the measures taken at the time.
fn check_when(
    c: &mut Checker,
    referred_on: NaiveDate,
    input: &MeasureInput,
) -> (Option<Instrument>, Option<TimePoint>, Option<NaiveDate>) {
    let inst = Instrument::parse(&input.instrument);
    if inst.is_none() {
        c.fail(
            "instrument",
            format!("Instrument must be one of: {}", Instrument::choices()),
        );
    }
    let tp = TimePoint::parse(&input.time_point);
    if tp.is_none() {
        c.fail(
            "time_point",
            format!("Time point must be one of: {}", TimePoint::choices()),
        );
    }
    let taken_on = c.date("taken_on", "Date taken", &input.taken_on);
    if taken_on.is_some_and(|d| d > today()) {
        c.fail("taken_on", "Date taken cannot be in the future");
    }
    if taken_on.is_some_and(|d| d < referred_on - chrono::Duration::days(366)) {
        c.fail(
            "taken_on",
            "Date taken is more than a year before the person was referred",
        );
    }
    (inst, tp, taken_on)
}

impl Store {
    /// Enables (or disables) a licensed instrument on this laptop only. Real deployments get
    /// licences from the server (`linkwell-server instrument licence`); tests and demo data use
    /// this.
    pub fn set_instrument_licence(
        &mut self,
        instrument: &str,
        licence_holder: &str,
        enabled: bool,
    ) -> Result<InstrumentLicence> {
        let mut c = Checker::new();
        let inst = Instrument::parse(instrument);
        match inst {
            None => c.fail(
                "instrument",
                format!("Instrument must be one of: {}", Instrument::choices()),
            ),
            Some(i) if !i.is_licensed() => c.fail(
                "instrument",
                format!("{} is public and needs no licence", i.label()),
            ),
            _ => {}
        }
        let holder = c.text(
            K::InstrumentLicence,
            "licence_holder",
            "Licence holder",
            licence_holder,
        );
        c.finish()?;
        self.write(|w| {
            let l = InstrumentLicence {
                id: w.new_id(),
                instrument: inst.unwrap_or(Instrument::Pam),
                licence_holder: holder,
                enabled,
                recorded_on: today(),
                licensed_on: Some(today()),
                covers_items: false,
            };
            w.create(&l)?;
            Ok(l)
        })
    }

    /// The licence in force for an instrument (the latest recorded), if enabled.
    pub fn licence(&self, instrument: Instrument) -> Result<Option<InstrumentLicence>> {
        let all: Vec<InstrumentLicence> = store::get_where(
            self.conn(),
            EntityKind::InstrumentLicence,
            "instrument = ?1",
            instrument.as_str(),
            "recorded_on, rowid",
        )?;
        Ok(all.into_iter().last().filter(|l| l.enabled))
    }

    /// The form of one instrument as this laptop may use it now.
    pub fn instrument_form(&self, instrument: Instrument) -> Result<InstrumentForm> {
        let licence = if instrument.is_licensed() {
            self.licence(instrument)?
        } else {
            None
        };
        let unavailable = (instrument.is_licensed() && licence.is_none()).then(|| {
            format!(
                "{} is licensed, and this organisation's licence has not reached this laptop. \
                 An administrator enables it on the server with the licence holder's name and \
                 date; it arrives with the next sync.",
                instrument.label()
            )
        });
        let items_licensed = licence.as_ref().is_some_and(|l| l.covers_items);
        let (hint, fields) = fields_of(instrument, items_licensed);
        Ok(InstrumentForm {
            instrument,
            label: instrument.label().to_string(),
            licensed: instrument.is_licensed(),
            unavailable,
            licence,
            hint,
            fields,
        })
    }

    /// Every instrument's form, in vocabulary order.
    pub fn instrument_forms(&self) -> Result<Vec<InstrumentForm>> {
        Instrument::ALL
            .iter()
            .map(|i| self.instrument_form(*i))
            .collect()
    }

    pub fn record_measure(&mut self, person_id: Uuid, input: &MeasureInput) -> Result<Measure> {
        let person = self.person(person_id)?;
        let first_referral = self
            .referrals(person_id)?
            .into_iter()
            .map(|r| r.received_on)
            .min();
        let referred_on = first_referral.map_or(person.created_on, |r| r.min(person.created_on));
        let mut c = Checker::new();
        let (inst, tp, taken_on) = check_when(&mut c, referred_on, input);
        let mut values = Values::default();
        if let Some(i) = inst {
            let form = self.instrument_form(i)?;
            match &form.unavailable {
                Some(why) => c.fail("instrument", why.clone()),
                None => values = check_values(&mut c, &form, input),
            }
            if let (Some(tp), Some(on)) = (tp, taken_on) {
                self.check_baseline_first(&mut c, person_id, i, tp, on)?;
            }
        }
        c.finish()?;
        let (score, level, items) = values;
        self.write(|w| {
            let m = Measure {
                id: w.new_id(),
                person_id,
                instrument: inst.unwrap_or(Instrument::Ons4),
                time_point: tp.unwrap_or(TimePoint::Other),
                taken_on: taken_on.unwrap_or_else(today),
                worker_id: w.actor().worker_id,
                score,
                level,
                items,
            };
            w.create(&m)?;
            Ok(m)
        })
    }

    /// A follow-up (T1, T2) needs its instrument's baseline first, taken no later.
    fn check_baseline_first(
        &self,
        c: &mut Checker,
        person_id: Uuid,
        instrument: Instrument,
        tp: TimePoint,
        taken_on: NaiveDate,
    ) -> Result<()> {
        if !matches!(tp, TimePoint::T1 | TimePoint::T2) {
            return Ok(());
        }
        let baseline = self
            .measures(person_id)?
            .into_iter()
            .filter(|m| m.instrument == instrument && m.time_point == TimePoint::T0)
            .map(|m| m.taken_on)
            .min();
        match baseline {
            None => c.fail(
                "time_point",
                format!(
                    "{} has no baseline (T0) for this person yet: record the T0 before its {}",
                    instrument.label(),
                    tp.label()
                ),
            ),
            Some(b) if b > taken_on => c.fail(
                "taken_on",
                format!(
                    "Date taken is before the baseline (T0) of {}",
                    b.format("%-d %B %Y")
                ),
            ),
            _ => {}
        }
        Ok(())
    }

    pub fn measures(&self, person_id: Uuid) -> Result<Vec<Measure>> {
        store::get_where(
            self.conn(),
            EntityKind::Measure,
            "person_id = ?1",
            &person_id.to_string(),
            "taken_on, rowid",
        )
    }
}
