//! The person's own plan: the wellbeing plan (what keeps me well, triggers, early warning
//! signs, what I do, crisis help), goals under the Five Ways to Wellbeing with SMART steps,
//! and goal attainment ratings over time.

use crate::domain::validate::Checker;
use crate::domain::vocabulary::{FiveWays, GoalStatus, StepStatus, gas_t_score};
use crate::error::{CoreError, Result};
use crate::records::WireText;
use crate::store::{self, Store, today};
use chrono::NaiveDate;
use linkwell_protocol::EntityKind as K;
use linkwell_protocol::fields::text_limit;
use linkwell_protocol::{EntityKind, Operation};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use uuid::Uuid;

crate::store::record_kinds!(Goal, GoalRating, GoalStep, WellbeingPlan);

/// One version of a wellbeing plan. Saving writes a new version; older ones are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct WellbeingPlan {
    pub id: Uuid,
    pub person_id: Uuid,
    pub keeps_me_well: String,
    pub triggers: String,
    pub warning_signs: String,
    pub when_i_notice: String,
    pub crisis_help: String,
    pub written_on: NaiveDate,
    pub review_on: Option<NaiveDate>,
    pub worker_id: Uuid,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct WellbeingPlanInput {
    #[ts(as = "Option<String>", optional)]
    pub keeps_me_well: String,
    #[ts(as = "Option<String>", optional)]
    pub triggers: String,
    #[ts(as = "Option<String>", optional)]
    pub warning_signs: String,
    #[ts(as = "Option<String>", optional)]
    pub when_i_notice: String,
    #[ts(as = "Option<String>", optional)]
    pub crisis_help: String,
    pub review_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Goal {
    pub id: Uuid,
    pub person_id: Uuid,
    pub text: String,
    pub five_ways: FiveWays,
    pub set_on: NaiveDate,
    pub status: GoalStatus,
    pub archived: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct GoalInput {
    #[ts(as = "Option<String>", optional)]
    pub text: String,
    #[ts(as = "Option<String>", optional)]
    pub five_ways: String,
    #[ts(as = "Option<Vec<StepInput>>", optional)]
    pub steps: Vec<StepInput>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct GoalStep {
    pub id: Uuid,
    pub goal_id: Uuid,
    pub text: String,
    pub target_on: Option<NaiveDate>,
    pub status: StepStatus,
    pub archived: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct StepInput {
    #[ts(as = "Option<String>", optional)]
    pub text: String,
    pub target_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct GoalRating {
    pub id: Uuid,
    pub goal_id: Uuid,
    pub rated_on: NaiveDate,
    pub score: i8,
    pub worker_id: Uuid,
}

/// A goal with its steps and ratings, oldest rating first.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GoalDetail {
    pub goal: Goal,
    pub steps: Vec<GoalStep>,
    pub ratings: Vec<GoalRating>,
}

impl Store {
    pub fn save_wellbeing_plan(
        &mut self,
        person_id: Uuid,
        input: &WellbeingPlanInput,
    ) -> Result<WellbeingPlan> {
        self.person(person_id)?;
        let mut c = Checker::new();
        // The five parts of the plan share one limit on the wire.
        let max = text_limit(K::WellbeingPlan, "keeps_me_well");
        let keeps_me_well = c.optional(
            "keeps_me_well",
            "What keeps me well",
            Some(&input.keeps_me_well),
            max,
        );
        let triggers = c.optional(
            "triggers",
            "What can make me unwell",
            Some(&input.triggers),
            max,
        );
        let warning_signs = c.optional(
            "warning_signs",
            "Early warning signs",
            Some(&input.warning_signs),
            max,
        );
        let when_i_notice = c.optional(
            "when_i_notice",
            "What I will do when I notice them",
            Some(&input.when_i_notice),
            max,
        );
        let crisis_help = c.optional(
            "crisis_help",
            "What helps in a crisis and who to contact",
            Some(&input.crisis_help),
            max,
        );
        if [
            &keeps_me_well,
            &triggers,
            &warning_signs,
            &when_i_notice,
            &crisis_help,
        ]
        .iter()
        .all(|v| v.is_none())
        {
            c.fail("keeps_me_well", "Write at least one part of the plan");
        }
        let review_on = c.optional_date("review_on", "Review date", input.review_on.as_deref());
        if review_on.is_some_and(|d| d < today()) {
            c.fail("review_on", "Review date must be today or later");
        }
        c.finish()?;
        self.write(|w| {
            let plan = WellbeingPlan {
                id: w.new_id(),
                person_id,
                keeps_me_well: keeps_me_well.unwrap_or_default(),
                triggers: triggers.unwrap_or_default(),
                warning_signs: warning_signs.unwrap_or_default(),
                when_i_notice: when_i_notice.unwrap_or_default(),
                crisis_help: crisis_help.unwrap_or_default(),
                written_on: today(),
                review_on,
                worker_id: w.actor().worker_id,
            };
            w.create(&plan)?;
            Ok(plan)
        })
    }

    /// The current wellbeing plan (the latest version), if any.
    pub fn wellbeing_plan(&self, person_id: Uuid) -> Result<Option<WellbeingPlan>> {
        Ok(self.wellbeing_plan_history(person_id)?.pop())
    }

    pub fn wellbeing_plan_history(&self, person_id: Uuid) -> Result<Vec<WellbeingPlan>> {
        store::get_where(
            self.conn(),
            EntityKind::WellbeingPlan,
            "person_id = ?1",
            &person_id.to_string(),
            "written_on, rowid",
        )
    }

    pub fn add_goal(&mut self, person_id: Uuid, input: &GoalInput) -> Result<GoalDetail> {
        self.person(person_id)?;
        let mut c = Checker::new();
        let text = c.text(K::Goal, "text", "Goal", &input.text);
        let five_ways = FiveWays::parse(&input.five_ways);
        if five_ways.is_none() {
            c.fail(
                "five_ways",
                format!("Choose one of the Five Ways: {}", FiveWays::choices()),
            );
        }
        let steps: Vec<(String, Option<NaiveDate>)> = input
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                !s.text.trim().is_empty()
                    || s.target_on.as_deref().is_some_and(|t| !t.trim().is_empty())
            })
            .map(|(i, s)| check_step(&mut c, &format!("steps[{i}]"), s))
            .collect();
        c.finish()?;
        let id = self.write(|w| {
            let goal = Goal {
                id: w.new_id(),
                person_id,
                text,
                five_ways: five_ways.unwrap_or(FiveWays::Connect),
                set_on: today(),
                status: GoalStatus::Active,
                archived: false,
            };
            w.create(&goal)?;
            for (text, target_on) in steps {
                let step = GoalStep {
                    id: w.new_id(),
                    goal_id: goal.id,
                    text,
                    target_on,
                    status: StepStatus::Planned,
                    archived: false,
                };
                w.create(&step)?;
            }
            Ok(goal.id)
        })?;
        self.goal(id)
    }

    pub fn add_step(&mut self, goal_id: Uuid, input: &StepInput) -> Result<GoalStep> {
        self.goal(goal_id)?;
        let mut c = Checker::new();
        let (text, target_on) = check_step(&mut c, "step", input);
        c.finish()?;
        self.write(|w| {
            let step = GoalStep {
                id: w.new_id(),
                goal_id,
                text,
                target_on,
                status: StepStatus::Planned,
                archived: false,
            };
            w.create(&step)?;
            Ok(step)
        })
    }

    pub fn set_step_status(&mut self, step_id: Uuid, status: &str) -> Result<GoalStep> {
        let mut step: GoalStep = store::get(self.conn(), EntityKind::GoalStep, step_id)?;
        step.status = StepStatus::parse(status).ok_or_else(|| {
            CoreError::invalid(
                "status",
                format!("Step status must be one of: {}", StepStatus::choices()),
            )
        })?;
        self.write(|w| {
            let mut m = Map::new();
            m.insert("status".into(), step.status.as_str().into());
            w.record(EntityKind::GoalStep, step_id, Operation::Update, m)?;
            Ok(step)
        })
    }

    pub fn set_goal_status(&mut self, goal_id: Uuid, status: &str) -> Result<Goal> {
        let mut goal = self.goal(goal_id)?.goal;
        goal.status = GoalStatus::parse(status).ok_or_else(|| {
            CoreError::invalid(
                "status",
                format!("Goal status must be one of: {}", GoalStatus::choices()),
            )
        })?;
        self.write(|w| {
            let mut m = Map::new();
            m.insert("status".into(), goal.status.as_str().into());
            w.record(EntityKind::Goal, goal_id, Operation::Update, m)?;
            Ok(goal)
        })
    }

    /// Rates progress on a goal, -2 (much less than expected) to +2 (much better).
    pub fn rate_goal(
        &mut self,
        goal_id: Uuid,
        score: i64,
        rated_on: Option<&str>,
    ) -> Result<GoalRating> {
        self.goal(goal_id)?;
        let mut c = Checker::new();
        if !(-2..=2).contains(&score) {
            c.fail("score", "Progress must be rated from -2 (much less than expected) to +2 (much better than expected)");
        }
        let rated_on = match rated_on.filter(|s| !s.trim().is_empty()) {
            Some(d) => c.date("rated_on", "Date rated", d),
            None => Some(today()),
        };
        if rated_on.is_some_and(|d| d > today()) {
            c.fail("rated_on", "Date rated cannot be in the future");
        }
        c.finish()?;
        self.write(|w| {
            let r = GoalRating {
                id: w.new_id(),
                goal_id,
                rated_on: rated_on.unwrap_or_else(today),
                score: score as i8,
                worker_id: w.actor().worker_id,
            };
            w.create(&r)?;
            Ok(r)
        })
    }

    pub fn goal(&self, goal_id: Uuid) -> Result<GoalDetail> {
        let goal: Goal = store::get(self.conn(), EntityKind::Goal, goal_id)?;
        let id = goal_id.to_string();
        let steps = store::get_where(
            self.conn(),
            EntityKind::GoalStep,
            "goal_id = ?1 AND archived = 0",
            &id,
            "target_on IS NULL, target_on, rowid",
        )?;
        let ratings = store::get_where(
            self.conn(),
            EntityKind::GoalRating,
            "goal_id = ?1",
            &id,
            "rated_on, rowid",
        )?;
        Ok(GoalDetail {
            goal,
            steps,
            ratings,
        })
    }

    pub fn goals(&self, person_id: Uuid) -> Result<Vec<GoalDetail>> {
        let goals: Vec<Goal> = store::get_where(
            self.conn(),
            EntityKind::Goal,
            "person_id = ?1 AND archived = 0",
            &person_id.to_string(),
            "set_on, rowid",
        )?;
        goals.into_iter().map(|g| self.goal(g.id)).collect()
    }

    /// The Kiresuk-Sherman T-score over the latest rating of each rated goal (equal weights).
    pub fn goal_attainment(&self, person_id: Uuid) -> Result<Option<f64>> {
        let latest: Vec<(f64, i8)> = self
            .goals(person_id)?
            .iter()
            .filter_map(|g| g.ratings.last().map(|r| (1.0, r.score)))
            .collect();
        Ok(gas_t_score(&latest))
    }
}

fn check_step(c: &mut Checker, field: &str, s: &StepInput) -> (String, Option<NaiveDate>) {
    let text = c.required(
        &format!("{field}.text"),
        "Step",
        &s.text,
        text_limit(K::GoalStep, "text"),
    );
    let target_on = c.optional_date(
        &format!("{field}.target_on"),
        "Target date",
        s.target_on.as_deref(),
    );
    (text, target_on)
}
