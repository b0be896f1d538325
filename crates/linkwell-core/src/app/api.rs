//! The one API surface every screen uses: a closed set of named calls with JSON arguments and
//! JSON answers. The desktop shell (Tauri `invoke`) and the browser bridge (HTTP) both hand a
//! method name and its arguments to [`dispatch`] and map [`ErrorBody`] at their edge, so no
//! rule lives in a transport and both behave identically.

use crate::domain::vocabulary;
use crate::error::{CoreError, FieldError, Result};
use crate::records::people::{Team, Worker};
use crate::store::{Store, today};
use crate::{
    demo, read::caseload, read::message, read::person_record, read::print, read::search,
    records::contacts, records::directory, records::follow_ups, records::groups, records::measures,
    records::pathway, records::people, records::plans, records::referrers,
};
use chrono::{Local, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// A request from a screen: the method name and its arguments.
#[derive(Debug, Deserialize)]
#[serde(
    tag = "method",
    content = "args",
    rename_all = "snake_case",
    deny_unknown_fields
)]
pub enum Request {
    /// Whether the database is set up, who this laptop belongs to, and pending changes.
    Status,
    /// First run: set up the team and worker, optionally with made-up demo data.
    Setup {
        setup: people::SetupInput,
        #[serde(default)]
        demo: bool,
    },
    /// Every pick list (code and label) the forms need.
    Vocabularies,
    Workers,
    Today {
        #[serde(default)]
        date: Option<String>,
    },
    Caseload {
        #[serde(default)]
        filter: caseload::CaseloadFilter,
    },
    Search {
        text: String,
        #[serde(default)]
        kind: Option<String>,
        #[serde(default)]
        limit: Option<u32>,
    },
    /// Validate-as-you-type for the new-referral form: every field error, nothing written.
    CheckNewReferral {
        referral: pathway::NewReferral,
    },
    TakeReferral {
        referral: pathway::NewReferral,
    },
    /// People already known who may be the one on a new-referral form (asked before saving).
    PersonMatches {
        person: people::PersonInput,
    },
    /// Everything the person screen shows, in one call.
    PersonRecord {
        person_id: Uuid,
    },
    UpdatePerson {
        person_id: Uuid,
        person: people::PersonInput,
    },
    CheckPerson {
        person: people::PersonInput,
    },
    RecordConsent {
        person_id: Uuid,
        consent: people::ConsentInput,
    },
    AddRiskFlag {
        person_id: Uuid,
        flag: people::RiskFlagInput,
    },
    ReviewRiskFlag {
        flag_id: Uuid,
        keep: bool,
        #[serde(default)]
        next_review_on: Option<String>,
    },
    LogContactAttempt {
        referral_id: Uuid,
        attempt: pathway::ContactAttemptInput,
    },
    HandOver {
        episode_id: Uuid,
        to_worker_id: Uuid,
        to_stage: String,
        note: String,
    },
    CloseEpisode {
        episode_id: Uuid,
        reason: String,
        closed_on: String,
    },
    ReopenEpisode {
        episode_id: Uuid,
    },
    RecordSession {
        person_id: Uuid,
        session: contacts::SessionInput,
    },
    UpdateSessionAttendance {
        session_id: Uuid,
        attendance: String,
    },
    AddNote {
        person_id: Uuid,
        #[serde(default)]
        session_id: Option<Uuid>,
        body: String,
    },
    ReviseNote {
        note_id: Uuid,
        supersedes: Uuid,
        body: String,
    },
    RetractNote {
        note_id: Uuid,
        reason: String,
    },
    SaveWellbeingPlan {
        person_id: Uuid,
        plan: plans::WellbeingPlanInput,
    },
    AddGoal {
        person_id: Uuid,
        goal: plans::GoalInput,
    },
    AddStep {
        goal_id: Uuid,
        step: plans::StepInput,
    },
    SetStepStatus {
        step_id: Uuid,
        status: String,
    },
    SetGoalStatus {
        goal_id: Uuid,
        status: String,
    },
    RateGoal {
        goal_id: Uuid,
        score: i64,
        #[serde(default)]
        rated_on: Option<String>,
    },
    RecordMeasure {
        person_id: Uuid,
        measure: measures::MeasureInput,
    },
    /// Declined, could not be done (with a reason), or remind me later.
    DecideFollowUp {
        person_id: Uuid,
        follow_up: follow_ups::FollowUpDecisionInput,
    },
    /// Each instrument's form and licence as this laptop has it (what a supervisor checks).
    InstrumentForms,
    /// Who went along to the first session of an onward referral.
    RecordAccompanied {
        onward_id: Uuid,
        accompanied: directory::AccompaniedInput,
    },
    /// The directory, filtered (text, category, Five Ways, day, cost, access, room).
    Services {
        #[serde(default)]
        filter: crate::read::suggest::ServiceFilter,
    },
    Service {
        service_id: Uuid,
    },
    AddService {
        service: directory::ServiceInput,
    },
    UpdateService {
        service_id: Uuid,
        service: directory::ServiceInput,
    },
    VerifyService {
        service_id: Uuid,
    },
    ArchiveService {
        service_id: Uuid,
    },
    /// Imports an Open Referral UK feed (the text of a JSON file) into the directory.
    ImportDirectory {
        text: String,
    },
    /// The feed import that stopped part-way, to carry on from (none when all is read).
    StoppedFeedImport,
    /// Services ranked for one person, each with the reasons it was suggested.
    SuggestServices {
        person_id: Uuid,
        #[serde(default)]
        limit: Option<usize>,
    },
    ReferOnward {
        person_id: Uuid,
        service_id: Uuid,
        #[serde(default)]
        status: Option<String>,
    },
    UpdateOnwardReferral {
        onward_id: Uuid,
        #[serde(default)]
        status: Option<String>,
        #[serde(default)]
        barriers: Option<Vec<String>>,
        #[serde(default)]
        feedback: Option<String>,
    },
    /// A group's places per session and free, or whether it has room.
    SetCapacity {
        service_id: Uuid,
        capacity: groups::CapacityInput,
    },
    /// Who is waiting for a place in a group, longest first.
    WaitingList {
        service_id: Uuid,
    },
    JoinWaitingList {
        waiting: groups::WaitingInput,
    },
    EndWait {
        entry_id: Uuid,
        reason: String,
    },
    RecordGroupAttendance {
        onward_id: Uuid,
        attended_on: String,
    },
    RecordLeadFeedback {
        onward_id: Uuid,
        feedback: groups::LeadFeedbackInput,
    },
    PendingCount,
    /// The honest state of sync: pending, last success, what failed, all synced or not.
    SyncStatus,
    /// Changes the server decided that a person should look at, and people two laptops
    /// entered who may be one.
    SyncReview,
    /// Settles one of them: seen, or two different people.
    SettleReview {
        id: String,
        settlement: crate::sync::ReviewSettlement,
    },
    /// Unsaved form text, kept in the encrypted database (see `drafts`).
    SaveDraft {
        key: String,
        fields: serde_json::Map<String, Value>,
    },
    Draft {
        key: String,
    },
    DiscardDraft {
        key: String,
    },
    ExportPerson {
        person_id: Uuid,
    },
    /// The team's referrers, by name.
    Referrers,
    AddReferrer {
        referrer: referrers::ReferrerInput,
    },
    UpdateReferrer {
        referrer_id: Uuid,
        referrer: referrers::ReferrerInput,
    },
    /// Validate-as-you-type for the referrer form: every field error, nothing written.
    CheckReferrer {
        referrer: referrers::ReferrerInput,
    },
    Letterhead,
    SetLetterhead {
        letterhead: referrers::LetterheadInput,
    },
    /// A message to the referrer as it would be sent now: words, letter pages and record.
    ReferrerMessage {
        kind: String,
        referral_id: Uuid,
        #[serde(default)]
        options: message::MessageOptions,
    },
    /// The letter as PDF bytes (base64) for the window to save or print.
    PrintReferrerMessage {
        kind: String,
        referral_id: Uuid,
        #[serde(default)]
        options: message::MessageOptions,
    },
    /// Records that the message went (route, when), keeping what it said.
    MarkMessageSent {
        kind: String,
        referral_id: Uuid,
        #[serde(default)]
        options: message::MessageOptions,
        #[serde(default)]
        sent: message::SentInput,
    },
    /// The Green Book laid out as it will print, for the preview (pages, runs in mm).
    GreenBookPreview {
        person_id: Uuid,
        #[serde(default)]
        options: print::GreenBookOptions,
    },
    /// The window's own print of the preview went to the printer: audited as printed.
    RecordPrinted {
        person_id: Uuid,
    },
    /// The Green Book as PDF bytes (base64) for the browser to save; audited as printed.
    PrintGreenBook {
        person_id: Uuid,
        #[serde(default)]
        options: print::GreenBookOptions,
    },
    /// The introduction for the lead of the group a person is referred onward to: text to copy.
    OnwardIntroduction {
        onward_id: Uuid,
    },
    /// The same introduction as a one-page PDF (base64), for the window to save or print.
    PrintOnwardIntroduction {
        onward_id: Uuid,
    },
    /// A group's directory page as a Green Book insert: PDF bytes (base64) for the browser.
    PrintServicePage {
        service_id: Uuid,
        #[serde(default)]
        options: print::GreenBookOptions,
    },
    /// A report's figures and tables (the Reports screen).
    Report(crate::read::report::ReportRequest),
    /// The same report as the evaluation pack's PDF (base64), for the window to save.
    ReportPdf(crate::read::report::ReportRequest),
}

/// The error shape every transport sends to the UI: a stable code, a message in a link
/// worker's words, the first field at fault (if any) and every field error.
#[derive(Debug, Clone, Serialize, PartialEq, ts_rs::TS)]
#[ts(export)]
pub struct ErrorBody {
    pub code: String,
    /// The particular refusal or sync failure (`open_episode_exists`, `offline`...), if any.
    pub reason: Option<String>,
    pub message: String,
    pub field: Option<String>,
    pub fields: Vec<FieldError>,
}

impl From<&CoreError> for ErrorBody {
    fn from(e: &CoreError) -> Self {
        let fields = match e {
            CoreError::Invalid(errs) => errs.clone(),
            // The unlock screen shows these next to the passphrase, in a worker's words.
            CoreError::WrongPassphrase { wait_seconds, .. } => vec![FieldError::new(
                "passphrase",
                if *wait_seconds > 0 {
                    format!(
                        "That passphrase is not right. Wait {wait_seconds} seconds before trying again."
                    )
                } else {
                    "That passphrase is not right. Try again.".to_string()
                },
            )],
            CoreError::TryAgainLater { seconds } => vec![FieldError::new(
                "passphrase",
                format!("Too many wrong passphrases. Wait {seconds} seconds before trying again."),
            )],
            _ => Vec::new(),
        };
        // Internal failures carry no detail to the screen (it may hold data); they are
        // reported generically and the transport may log the code.
        let message = if e.code() == "internal" {
            "Something went wrong saving or reading the record. Nothing was changed; please try again.".to_string()
        } else {
            e.to_string()
        };
        ErrorBody {
            code: e.code().to_string(),
            reason: e.reason().map(str::to_string),
            message,
            field: fields.first().map(|f| f.field.clone()),
            fields,
        }
    }
}

/// Parses a method and its arguments into a [`Request`] and runs it.
pub fn dispatch(store: &mut Store, method: &str, args: Value) -> Result<Value> {
    handle(store, parse_call(method, args)?)
}

/// Reads a named call with JSON arguments into a closed set of calls (`Request`, or the
/// gate's own). Unit variants take no arguments, so a call is retried without them.
pub(crate) fn parse_call<T: serde::de::DeserializeOwned>(method: &str, args: Value) -> Result<T> {
    let args = if args.is_null() { json!({}) } else { args };
    serde_json::from_value(json!({ "method": method, "args": args }))
        .or_else(|e| serde_json::from_value(json!({ "method": method })).map_err(|_| e))
        .map_err(|e| malformed(method, &e))
}

/// A call that is not one of ours, or whose arguments do not fit it.
pub(crate) fn malformed(method: &str, e: &serde_json::Error) -> CoreError {
    CoreError::invalid(
        "request",
        format!("Unknown or malformed call {method}: {e}"),
    )
}

fn to<T: Serialize>(v: T) -> Result<Value> {
    Ok(serde_json::to_value(v)?)
}

/// One entry of a pick list: the stored code and the words a worker sees.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

impl Choice {
    fn new(code: impl Into<String>, label: impl Into<String>) -> Choice {
        Choice {
            code: code.into(),
            label: label.into(),
        }
    }
}

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice::new(code(*v), label(*v)))
        .collect()
}

/// Declares [`Vocabularies`] (one field per list, so the UI's generated type names each) and
/// [`vocabularies`] from the closed sets, then the lists that are a rule's subset or scale.
macro_rules! vocabularies {
    ($($key:ident => $ty:ty,)+ ; $($extra:ident = $value:expr,)+) => {
        /// Every pick list the forms need (code and label); needs no store, so the unlock
        /// screen can have it too.
        #[derive(Debug, Clone, Serialize, ts_rs::TS)]
        #[ts(export)]
        pub struct Vocabularies {
            $(pub $key: Vec<Choice>,)+
            $(pub $extra: Vec<Choice>,)+
        }

        pub fn vocabularies() -> Vocabularies {
            Vocabularies {
                $($key: choices(<$ty>::ALL, <$ty>::as_str, <$ty>::label),)+
                $($extra: $value,)+
            }
        }
    };
}

vocabularies! {
    role => vocabulary::Role,
    referral_source => vocabulary::ReferralSource,
    referral_reason => vocabulary::ReferralReason,
    snomed_code => vocabulary::SnomedCode,
    contact_method => vocabulary::ContactMethod,
    contact_outcome => vocabulary::ContactOutcome,
    stage => vocabulary::Stage,
    episode_status => vocabulary::EpisodeStatus,
    closing_reason => vocabulary::ClosingReason,
    session_mode => vocabulary::SessionMode,
    attendance => vocabulary::Attendance,
    consent_kind => vocabulary::ConsentKind,
    risk_kind => vocabulary::RiskKind,
    five_ways => vocabulary::FiveWays,
    goal_status => vocabulary::GoalStatus,
    step_status => vocabulary::StepStatus,
    instrument => vocabulary::Instrument,
    time_point => vocabulary::TimePoint,
    follow_up_decision => vocabulary::FollowUpDecisionKind,
    service_category => vocabulary::ServiceCategory,
    service_status => vocabulary::ServiceStatus,
    weekday => vocabulary::Weekday,
    onward_status => vocabulary::OnwardStatus,
    barrier => vocabulary::Barrier,
    message_route => vocabulary::MessageRoute,
    message_kind => vocabulary::MessageKind,
    has_room => vocabulary::HasRoom,
    wait_end => vocabulary::WaitEnd,
    ;
    // Lists that are a rule's subset or scale rather than a whole vocabulary: the screens
    // read them here instead of deciding them again.
    onward_start_status = choices(
        vocabulary::OnwardStatus::STARTING,
        vocabulary::OnwardStatus::as_str,
        vocabulary::OnwardStatus::label,
    ),
    goal_rating = goal_ratings(),
    ons4_item = vocabulary::ONS4_ITEMS
        .iter()
        .map(|(code, label)| Choice::new(*code, *label))
        .collect(),
}

/// The goal attainment scale, each point with its sign and words ("+2 much better than expected").
fn goal_ratings() -> Vec<Choice> {
    vocabulary::ATTAINMENT_SCORES
        .map(|n| {
            let sign = if n > 0 { "+" } else { "" };
            Choice::new(
                n.to_string(),
                format!("{sign}{n} {}", vocabulary::attainment_words(n)),
            )
        })
        .collect()
}

/// Runs one request against the store.
pub fn handle(store: &mut Store, request: Request) -> Result<Value> {
    use Request as R;
    match request {
        R::Status => to(status(store)?),
        R::Setup {
            setup,
            demo: with_demo,
        } => {
            store.init(&setup)?;
            if with_demo {
                demo::seed(
                    store,
                    &demo::DemoOptions {
                        seed: 42,
                        people: 60,
                        sessions: 400,
                        today: today(),
                    },
                )?;
            }
            to(status(store)?)
        }
        R::Vocabularies => to(vocabularies()),
        R::Workers => to(store.workers()?),
        R::Today { date } => {
            let on = parse_date_or_today(date.as_deref())?;
            let worker = store.actor()?.worker_id;
            to(caseload::today(store.conn(), worker, on)?)
        }
        R::Caseload { filter } => {
            store.actor()?;
            to(caseload::caseload(
                store.conn(),
                &filter,
                Local::now().naive_local(),
            )?)
        }
        R::Search { text, kind, limit } => to(search::search(
            store.conn(),
            &text,
            kind.as_deref().filter(|k| !k.is_empty()),
            limit.unwrap_or(30).min(200),
        )?),
        R::CheckNewReferral { referral } => to(check(pathway::check_new_referral(&referral))?),
        R::TakeReferral { referral } => to(store.take_referral(&referral)?),
        R::PersonMatches { person } => to(store.person_matches(&person)?),
        R::CheckPerson { person } => to(check(people::check_person(&person, today()).map(|_| ()))?),
        R::PersonRecord { person_id } => to(person_record::person_record(store, person_id)?),
        R::UpdatePerson { person_id, person } => to(store.update_person(person_id, &person)?),
        R::RecordConsent { person_id, consent } => to(store.record_consent(person_id, &consent)?),
        R::AddRiskFlag { person_id, flag } => to(store.add_risk_flag(person_id, &flag)?),
        R::ReviewRiskFlag {
            flag_id,
            keep,
            next_review_on,
        } => to(store.review_risk_flag(flag_id, keep, next_review_on.as_deref())?),
        R::LogContactAttempt {
            referral_id,
            attempt,
        } => to(store.log_contact_attempt(referral_id, &attempt)?),
        R::HandOver {
            episode_id,
            to_worker_id,
            to_stage,
            note,
        } => to(store.hand_over(episode_id, to_worker_id, &to_stage, &note)?),
        R::CloseEpisode {
            episode_id,
            reason,
            closed_on,
        } => to(store.close_episode(episode_id, &reason, &closed_on)?),
        R::ReopenEpisode { episode_id } => to(store.reopen_episode(episode_id)?),
        R::RecordSession { person_id, session } => to(store.record_session(person_id, &session)?),
        R::UpdateSessionAttendance {
            session_id,
            attendance,
        } => to(store.update_session_attendance(session_id, &attendance)?),
        R::AddNote {
            person_id,
            session_id,
            body,
        } => to(store.add_note(person_id, session_id, &body)?),
        R::ReviseNote {
            note_id,
            supersedes,
            body,
        } => to(store.revise_note(note_id, supersedes, &body)?),
        R::RetractNote { note_id, reason } => to(store.retract_note(note_id, &reason)?),
        R::SaveWellbeingPlan { person_id, plan } => {
            to(store.save_wellbeing_plan(person_id, &plan)?)
        }
        R::AddGoal { person_id, goal } => to(store.add_goal(person_id, &goal)?),
        R::AddStep { goal_id, step } => to(store.add_step(goal_id, &step)?),
        R::SetStepStatus { step_id, status } => to(store.set_step_status(step_id, &status)?),
        R::SetGoalStatus { goal_id, status } => to(store.set_goal_status(goal_id, &status)?),
        R::RateGoal {
            goal_id,
            score,
            rated_on,
        } => to(store.rate_goal(goal_id, score, rated_on.as_deref())?),
        R::RecordMeasure { person_id, measure } => to(store.record_measure(person_id, &measure)?),
        R::DecideFollowUp {
            person_id,
            follow_up,
        } => to(store.decide_follow_up(person_id, &follow_up)?),
        R::InstrumentForms => to(store.instrument_forms()?),
        R::RecordAccompanied {
            onward_id,
            accompanied,
        } => to(store.record_accompanied(onward_id, &accompanied)?),
        R::Services { filter } => to(crate::read::suggest::filter_services(store, &filter)?),
        R::Service { service_id } => to(store.service(service_id)?),
        R::AddService { service } => to(store.add_service(&service)?),
        R::UpdateService {
            service_id,
            service,
        } => to(store.update_service(service_id, &service)?),
        R::VerifyService { service_id } => to(store.verify_service(service_id)?),
        R::ArchiveService { service_id } => to(store.archive_service(service_id)?),
        R::ImportDirectory { text } => to(store.import_oruk(&text)?),
        R::StoppedFeedImport => to(store.stopped_feed_import()?),
        R::SuggestServices { person_id, limit } => to(crate::read::suggest::suggest_services(
            store,
            person_id,
            limit.unwrap_or(10),
        )?),
        R::ReferOnward {
            person_id,
            service_id,
            status,
        } => to(store.refer_onward(
            person_id,
            service_id,
            status.as_deref().unwrap_or("suggested"),
        )?),
        R::UpdateOnwardReferral {
            onward_id,
            status,
            barriers,
            feedback,
        } => to(store.update_onward_referral(
            onward_id,
            status.as_deref(),
            barriers.as_deref(),
            feedback.as_deref(),
        )?),
        R::SetCapacity {
            service_id,
            capacity,
        } => to(store.set_capacity(service_id, &capacity)?),
        R::WaitingList { service_id } => to(store.waiting_list(service_id)?),
        R::JoinWaitingList { waiting } => to(store.join_waiting_list(&waiting)?),
        R::EndWait { entry_id, reason } => to(store.end_wait(entry_id, &reason)?),
        R::RecordGroupAttendance {
            onward_id,
            attended_on,
        } => to(store.record_group_attendance(onward_id, &attended_on)?),
        R::RecordLeadFeedback {
            onward_id,
            feedback,
        } => to(store.record_lead_feedback(onward_id, &feedback)?),
        R::SaveDraft { key, fields } => {
            store.save_draft(&key, &fields)?;
            Ok(Value::Null)
        }
        R::Draft { key } => to(store.draft(&key)?),
        R::DiscardDraft { key } => {
            store.discard_draft(&key)?;
            Ok(Value::Null)
        }
        R::PendingCount => to(store.pending_count()?),
        R::SyncStatus => to(store.sync_status().map_err(CoreError::from)?),
        R::SyncReview => to(store.review_items().map_err(CoreError::from)?),
        R::SettleReview { id, settlement } => to(store.settle_review(&id, settlement)?),
        R::ExportPerson { person_id } => store.export_person(person_id),
        R::Referrers => to(store.referrers()?),
        R::AddReferrer { referrer } => to(store.add_referrer(&referrer)?),
        R::UpdateReferrer {
            referrer_id,
            referrer,
        } => to(store.update_referrer(referrer_id, &referrer)?),
        R::CheckReferrer { referrer } => {
            to(check(referrers::check_referrer(&referrer).map(|_| ()))?)
        }
        R::Letterhead => to(store.letterhead()?),
        R::SetLetterhead { letterhead } => to(store.set_letterhead(&letterhead)?),
        R::ReferrerMessage {
            kind,
            referral_id,
            options,
        } => to(store.message_review(message::parse_kind(&kind)?, referral_id, &options)?),
        R::PrintReferrerMessage {
            kind,
            referral_id,
            options,
        } => {
            use base64::Engine as _;
            let kind = message::parse_kind(&kind)?;
            let pdf = store.message_pdf(kind, referral_id, &options)?;
            to(PrintedPdf {
                file_name: format!("{}.pdf", message::letter_file_stem(kind, referral_id)),
                bytes: pdf.len(),
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
            })
        }
        R::MarkMessageSent {
            kind,
            referral_id,
            options,
            sent,
        } => to(store.mark_message_sent(
            message::parse_kind(&kind)?,
            referral_id,
            &options,
            &sent,
        )?),
        R::GreenBookPreview { person_id, options } => {
            to(green_book_preview(store, person_id, &options)?)
        }
        R::RecordPrinted { person_id } => {
            store.person(person_id)?;
            store.record_audit(
                person_id,
                crate::records::audit::AuditAction::PrintedGreenBook,
            )?;
            Ok(Value::Null)
        }
        R::Report(req) => to(crate::read::report::report(
            store.conn(),
            store.actor()?.worker_id,
            &req,
        )?),
        R::ReportPdf(req) => {
            use base64::Engine as _;
            let answer = crate::read::report::report(store.conn(), store.actor()?.worker_id, &req)?;
            let pdf = crate::read::report::pack_pdf(&answer, today())?;
            to(PrintedPdf {
                file_name: format!("{}.pdf", crate::read::report::pack_file_stem(&answer)),
                bytes: pdf.len(),
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
            })
        }
        R::OnwardIntroduction { onward_id } => to(store.introduction(onward_id)?.0),
        R::PrintOnwardIntroduction { onward_id } => {
            use base64::Engine as _;
            let pdf = store.introduction_pdf(onward_id)?;
            let id = onward_id.simple().to_string();
            to(PrintedPdf {
                file_name: format!("introduction-{}-{}.pdf", &id[id.len() - 8..], today()),
                bytes: pdf.len(),
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
            })
        }
        R::PrintServicePage {
            service_id,
            options,
        } => {
            use base64::Engine as _;
            let pdf = store.service_page_pdf(service_id, &options)?;
            let on = options.fixed_date.unwrap_or_else(today);
            to(PrintedPdf {
                file_name: format!("{}.pdf", print::service_page_file_stem(service_id, on)),
                bytes: pdf.len(),
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
            })
        }
        R::PrintGreenBook { person_id, options } => {
            use base64::Engine as _;
            let pdf = store.green_book_pdf(person_id, &options)?;
            let on = options.fixed_date.unwrap_or_else(today);
            to(PrintedPdf {
                file_name: format!("{}.pdf", print::green_book_file_stem(person_id, on)),
                bytes: pdf.len(),
                pdf_base64: base64::engine::general_purpose::STANDARD.encode(&pdf),
            })
        }
    }
}

/// A section of the Green Book a worker can choose to print.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SectionChoice {
    pub name: &'static str,
    pub title: &'static str,
}

/// The print preview: the page model as it will print, and the sections to choose from.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct GreenBookPreview {
    pub display_name: String,
    pub sections: Vec<SectionChoice>,
    pub large_print: bool,
    pub blank: bool,
    pub page_count: usize,
    pub document: linkwell_print::Document,
}

/// A printed Green Book handed to the window to save or open.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PrintedPdf {
    pub file_name: String,
    /// Size in bytes.
    pub bytes: usize,
    pub pdf_base64: String,
}

/// The answer of a check call: a form's field errors, without failing.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CheckAnswer {
    pub ok: bool,
    pub errors: Vec<FieldError>,
}

/// Who is working and where, or that this laptop is not set up yet.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StatusAnswer {
    pub initialised: bool,
    pub today: NaiveDate,
    /// Changes waiting to be synced.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub pending: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub worker: Option<Worker>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub team: Option<Team>,
}

fn green_book_preview(
    store: &Store,
    person_id: Uuid,
    options: &print::GreenBookOptions,
) -> Result<GreenBookPreview> {
    let (document, opts) = store.green_book_document(person_id, options)?;
    Ok(GreenBookPreview {
        display_name: store.person(person_id)?.display_name().to_string(),
        sections: linkwell_print::Section::ALL
            .iter()
            .map(|s| SectionChoice {
                name: s.name(),
                title: s.title(),
            })
            .collect(),
        large_print: opts.large_print,
        blank: opts.blank,
        page_count: document.pages.len(),
        document,
    })
}

/// A check call answers with the field errors rather than failing, so a form can show them.
fn check(r: Result<()>) -> Result<CheckAnswer> {
    match r {
        Ok(()) => Ok(CheckAnswer {
            ok: true,
            errors: Vec::new(),
        }),
        Err(CoreError::Invalid(errors)) => Ok(CheckAnswer { ok: false, errors }),
        Err(e) => Err(e),
    }
}

fn parse_date_or_today(s: Option<&str>) -> Result<NaiveDate> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| CoreError::invalid("date", "Date must be written as YYYY-MM-DD")),
    }
}

fn status(store: &Store) -> Result<StatusAnswer> {
    match store.actor() {
        Ok(actor) => Ok(StatusAnswer {
            initialised: true,
            today: today(),
            pending: Some(store.pending_count()?),
            worker: Some(store.worker(actor.worker_id)?),
            team: Some(store.team()?),
        }),
        Err(CoreError::NotInitialised) => Ok(StatusAnswer {
            initialised: false,
            today: today(),
            pending: None,
            worker: None,
            team: None,
        }),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db"), None).unwrap();
        (dir, store)
    }

    fn setup(store: &mut Store) {
        dispatch(
            store,
            "setup",
            json!({ "setup": { "team_name": "Rushcliffe", "worker_name": "Priya Shah", "role": "link_worker" } }),
        )
        .unwrap();
    }

    #[test]
    fn a_misspelt_field_is_refused_by_name_and_nothing_is_saved() {
        let (_d, mut s) = store();
        setup(&mut s);
        let pending = s.pending_count().unwrap();
        // In the call's own arguments...
        let err = dispatch(&mut s, "today", json!({ "dat": "2026-01-01" })).unwrap_err();
        assert!(err.to_string().contains("unknown field `dat`"), "{err}");
        // ...and inside a form's input: "postcod" would otherwise be dropped silently.
        let err = dispatch(
            &mut s,
            "take_referral",
            json!({ "referral": {
                "person": { "given_name": "Ada", "family_name": "Lovelace", "postcod": "NG2 7QP" },
                "referral": { "source": "gp", "received_on": today().to_string() }
            } }),
        )
        .unwrap_err();
        assert_eq!(err.code(), "invalid");
        assert!(err.to_string().contains("unknown field `postcod`"), "{err}");
        assert_eq!(s.pending_count().unwrap(), pending, "nothing was saved");
    }

    #[test]
    fn status_before_and_after_setup() {
        let (_d, mut s) = store();
        let v = dispatch(&mut s, "status", Value::Null).unwrap();
        assert_eq!(v["initialised"], false);
        setup(&mut s);
        let v = dispatch(&mut s, "status", json!({})).unwrap();
        assert_eq!(v["initialised"], true);
        assert_eq!(v["worker"]["name"], "Priya Shah");
    }

    #[test]
    fn unknown_method_is_refused_in_words() {
        let (_d, mut s) = store();
        let e = dispatch(&mut s, "drop_everything", json!({})).unwrap_err();
        assert_eq!(e.code(), "invalid");
        let body = ErrorBody::from(&e);
        assert_eq!(body.field.as_deref(), Some("request"));
    }

    #[test]
    fn check_new_referral_names_fields_and_writes_nothing() {
        let (_d, mut s) = store();
        setup(&mut s);
        let before = s.pending_count().unwrap();
        let v = dispatch(
            &mut s,
            "check_new_referral",
            json!({ "referral": { "person": { "given_name": "", "nhs_number": "123" }, "referral": {} } }),
        )
        .unwrap();
        assert_eq!(v["ok"], false);
        let fields: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&"given_name"), "{fields:?}");
        assert!(fields.contains(&"reasons"), "{fields:?}");
        assert_eq!(s.pending_count().unwrap(), before);
    }

    #[test]
    fn take_referral_then_record_is_complete() {
        let (_d, mut s) = store();
        setup(&mut s);
        let referral = json!({
            "person": { "given_name": "Margaret", "family_name": "Hill", "postcode": "ng11 6ja" },
            "referral": { "source": "gp", "received_on": today().to_string(), "reasons": ["loneliness"], "consent_to_contact": true }
        });
        let ok = dispatch(
            &mut s,
            "check_new_referral",
            json!({ "referral": referral }),
        )
        .unwrap();
        assert_eq!(ok["ok"], true, "{ok}");
        let taken = dispatch(&mut s, "take_referral", json!({ "referral": referral })).unwrap();
        let pid = taken["person"]["id"].as_str().unwrap().to_string();
        let rec = dispatch(&mut s, "person_record", json!({ "person_id": pid })).unwrap();
        assert_eq!(rec["display_name"], "Margaret");
        assert_eq!(rec["person"]["postcode"], "NG11 6JA");
        assert_eq!(rec["referrals"].as_array().unwrap().len(), 1);
        let err = dispatch(
            &mut s,
            "add_note",
            json!({ "person_id": pid, "body": "   " }),
        )
        .unwrap_err();
        assert_eq!(ErrorBody::from(&err).code, "invalid");
    }

    #[test]
    fn vocabularies_carry_the_rules_subsets_and_scales() {
        let v = vocabularies();
        let codes =
            |list: &[Choice]| -> Vec<String> { list.iter().map(|c| c.code.clone()).collect() };
        assert_eq!(
            codes(&v.onward_start_status),
            ["suggested", "agreed", "referral_made", "accompanied"]
        );
        assert_eq!(codes(&v.goal_rating), ["-2", "-1", "0", "1", "2"]);
        assert_eq!(v.goal_rating[4].label, "+2 much better than expected");
        assert_eq!(v.goal_rating[0].label, "-2 much less than expected");
        assert_eq!(v.ons4_item.len(), 4);
        assert_eq!(v.ons4_item[0].label, "Life satisfaction");
    }

    #[test]
    fn vocabularies_carry_codes_and_labels() {
        let (_d, mut s) = store();
        let v = dispatch(&mut s, "vocabularies", Value::Null).unwrap();
        assert_eq!(v["five_ways"][1]["code"], "be_active");
        assert_eq!(v["five_ways"][1]["label"], "Be active");
    }
}
