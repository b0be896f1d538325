//! Green Book printing from the store: gathers a person's plan, goals, groups and next steps
//! into linkwell-print's plain input, renders the PDF, and records that it was printed.
//! Only scores of instruments the organisation has enabled are printed, never their items.

use crate::domain::vocabulary::{Attendance, Instrument, OnwardStatus, StepStatus};
use crate::error::{CoreError, Refusal, Result};
use crate::records::audit::AuditAction;
use crate::records::people::Worker;
use crate::store::{Store, today};
use linkwell_print as lp;
use uuid::Uuid;

/// What to print, as the link worker chooses it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(export, optional_fields = nullable)]
#[serde(deny_unknown_fields)]
#[serde(default)]
pub struct GreenBookOptions {
    /// Comma-separated sections (cover, plan, five-ways, goals, groups, next-steps); `None`
    /// means every section with content, and a list with nothing in it is refused.
    pub pages: Option<String>,
    /// None follows the person's recorded communication needs (large print / easy read).
    pub large_print: Option<bool>,
    #[ts(as = "Option<bool>", optional)]
    pub blank: bool,
    /// For reproducible bytes in tests: the printed date and document timestamp.
    pub fixed_date: Option<chrono::NaiveDate>,
}

impl From<lp::PrintError> for CoreError {
    fn from(e: lp::PrintError) -> Self {
        match e {
            lp::PrintError::UnknownSection { .. } => CoreError::invalid("pages", e.to_string()),
            lp::PrintError::NothingToPrint(_) => Refusal::NothingToPrint(e.to_string()).into(),
            other => CoreError::Corrupt(format!("printing failed: {other}")),
        }
    }
}

fn print_options(o: &GreenBookOptions, needs_large_print: bool) -> Result<lp::PrintOptions> {
    let printed_on = o.fixed_date.unwrap_or_else(today);
    let pages = match o.pages.as_deref().map(str::trim) {
        None => None,
        Some("") => {
            return Err(CoreError::invalid(
                "pages",
                "Choose at least one page to print",
            ));
        }
        Some(list) => Some(lp::Section::parse(list)?),
    };
    Ok(lp::PrintOptions {
        pages,
        large_print: o.large_print.unwrap_or(needs_large_print),
        blank: o.blank,
        printed_on,
        fixed_timestamp: o.fixed_date.and_then(|d| d.and_hms_opt(9, 0, 0)),
    })
}

fn five_ways(w: crate::domain::vocabulary::FiveWays) -> lp::FiveWays {
    use crate::domain::vocabulary::FiveWays as F;
    match w {
        F::Connect => lp::FiveWays::Connect,
        F::BeActive => lp::FiveWays::BeActive,
        F::TakeNotice => lp::FiveWays::TakeNotice,
        F::Learn => lp::FiveWays::Learn,
        F::Give => lp::FiveWays::Give,
    }
}

fn access_words(s: &crate::records::directory::Service) -> String {
    let mut parts = Vec::new();
    if s.step_free {
        parts.push("Step-free access".to_string());
    }
    if s.hearing_loop {
        parts.push("Hearing loop".to_string());
    }
    if let Some(t) = &s.transport {
        parts.push(t.clone());
    }
    if parts.is_empty() {
        "Ask the contact about access".into()
    } else {
        parts.join("; ")
    }
}

fn contact_words(s: &crate::records::directory::Service) -> String {
    [
        s.contact_name.as_deref(),
        s.contact_phone.as_deref(),
        s.contact_email.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

fn when_words(s: &crate::records::directory::Service) -> String {
    if s.schedules.is_empty() {
        "Ask the contact for times".into()
    } else {
        s.schedules
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn place_words(s: &crate::records::directory::Service) -> String {
    [s.venue.as_deref(), s.address.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// A person's Green Book content, gathered from their record.
    pub fn green_book(&self, person_id: Uuid) -> Result<lp::GreenBook> {
        let person = self.person(person_id)?;
        let team = self.team()?;
        let worker = self.book_worker(person_id)?;
        let plan = self.book_plan(person_id)?;
        let goals = self.book_goals(person_id)?;
        let groups = self.book_groups(person_id)?;
        let next_steps = self.book_next_steps(person_id)?;
        let measures = self.book_measures(person_id)?;
        Ok(lp::GreenBook {
            person_preferred_name: person.preferred_name.clone(),
            person_full_name: person.full_name(),
            worker: worker.map(|w| lp::WorkerContact {
                name: w.name,
                phone: w.phone.unwrap_or_default(),
                email: w.email.unwrap_or_default(),
            }),
            service: lp::ServiceInfo {
                name: team.name,
                phone: String::new(),
                email: String::new(),
                crisis_contacts: lp::CrisisContact::uk_defaults(),
            },
            plan,
            goals,
            groups,
            next_steps,
            measures,
        })
    }

    /// Decides whose contact details go in the book: the open episode's worker, else the
    /// first listed episode's.
    fn book_worker(&self, person_id: Uuid) -> Result<Option<Worker>> {
        let episode = self
            .open_episode(person_id)?
            .or(self.episodes(person_id)?.into_iter().next());
        match &episode {
            Some(e) => Ok(Some(self.worker(e.worker_id)?)),
            None => Ok(None),
        }
    }

    /// Gathers the wellness plan page from the person's wellbeing plan, if they have one.
    fn book_plan(&self, person_id: Uuid) -> Result<Option<lp::WellnessPlan>> {
        Ok(self.wellbeing_plan(person_id)?.map(|p| lp::WellnessPlan {
            keeps_me_well: p.keeps_me_well,
            triggers: p.triggers,
            warning_signs: p.warning_signs,
            what_i_do: p.when_i_notice,
            crisis_help: p.crisis_help,
            written_on: p.written_on,
            review_on: p.review_on,
        }))
    }

    /// Gathers the goals pages: every goal with its steps (dropped ones left out) and ratings.
    fn book_goals(&self, person_id: Uuid) -> Result<Vec<lp::Goal>> {
        Ok(self
            .goals(person_id)?
            .into_iter()
            .map(|g| lp::Goal {
                text: g.goal.text,
                five_ways: five_ways(g.goal.five_ways),
                steps: g
                    .steps
                    .into_iter()
                    .filter(|s| s.status != StepStatus::Dropped)
                    .map(|s| lp::Step {
                        text: s.text,
                        target_on: s.target_on,
                        done: s.status == StepStatus::Done,
                    })
                    .collect(),
                ratings: g
                    .ratings
                    .into_iter()
                    .map(|r| lp::Rating {
                        rated_on: r.rated_on,
                        score: r.score,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Gathers the groups pages: every service the person is referred to and not stopped or
    /// declined.
    fn book_groups(&self, person_id: Uuid) -> Result<Vec<lp::GroupBlock>> {
        let mut groups = Vec::new();
        for o in self.onward_referrals(person_id)? {
            if matches!(o.status, OnwardStatus::Stopped | OnwardStatus::Declined) {
                continue;
            }
            let s = self.service(o.service_id)?;
            groups.push(lp::GroupBlock {
                name: s.name.clone(),
                what_happens: s.description.clone(),
                when: when_words(&s),
                place: place_words(&s),
                postcode: s.postcode.clone().unwrap_or_default(),
                cost: s
                    .cost
                    .clone()
                    .unwrap_or_else(|| if s.free { "Free".into() } else { String::new() }),
                access: access_words(&s),
                contact: contact_words(&s),
            });
        }
        Ok(groups)
    }

    /// Gathers the next-steps page: the next booked appointment (else the next step agreed at
    /// the latest attended session, so the page is not blank when a step was agreed but not yet
    /// booked) and the actions agreed then; `None` when there is none of these.
    fn book_next_steps(&self, person_id: Uuid) -> Result<Option<lp::NextSteps>> {
        let sessions = self.sessions(person_id)?; // newest first
        let now = chrono::Local::now().naive_local();
        let latest_attended = sessions
            .iter()
            .find(|s| s.attendance == Attendance::Attended);
        let booked = sessions
            .iter()
            .filter(|s| s.attendance == Attendance::Booked && s.starts_at >= now)
            .min_by_key(|s| s.starts_at)
            .map(|s| {
                let place = s
                    .venue
                    .as_deref()
                    .map(|v| format!(" at {v}"))
                    .unwrap_or_default();
                format!("{}{place}", s.starts_at.format("%A %-d %B %Y, %H:%M"))
            });
        let next_appointment = booked.or_else(|| {
            latest_attended
                .and_then(|s| s.next_step.as_deref())
                .map(str::trim)
                .filter(|step| !step.is_empty())
                .map(str::to_string)
        });
        let actions_agreed: Vec<String> = latest_attended
            .and_then(|s| s.actions_agreed.clone())
            .map(|a| {
                a.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Ok(
            (next_appointment.is_some() || !actions_agreed.is_empty()).then_some(lp::NextSteps {
                next_appointment,
                actions_agreed,
            }),
        )
    }

    /// Gathers the measures lines: the latest score of each printable instrument, walking the
    /// measures from the end of the list.
    fn book_measures(&self, person_id: Uuid) -> Result<Vec<lp::MeasureLine>> {
        let mut measures = Vec::new();
        for m in self.measures(person_id)?.into_iter().rev() {
            if !self.measure_printable(m.instrument)?
                || measures
                    .iter()
                    .any(|(i, _): &(Instrument, lp::MeasureLine)| *i == m.instrument)
            {
                continue;
            }
            measures.push((
                m.instrument,
                lp::MeasureLine {
                    label: format!(
                        "{} on {}",
                        m.instrument.label(),
                        m.taken_on.format("%-d %B %Y")
                    ),
                    value: m.for_the_person(),
                },
            ));
        }
        Ok(measures.into_iter().map(|(_, l)| l).collect())
    }

    /// Decides the licence rule: an instrument's scores print only when it needs no licence
    /// or the organisation holds one, and only for instruments the Green Book shows.
    fn measure_printable(&self, instrument: Instrument) -> Result<bool> {
        if instrument.is_licensed() && self.licence(instrument)?.is_none() {
            return Ok(false);
        }
        Ok(matches!(
            instrument,
            Instrument::Ons4 | Instrument::Pam | Instrument::Swemwbs | Instrument::Eq5d
        ))
    }

    /// Lays out a person's Green Book as it will print: the page model the preview draws.
    /// Not audited by itself: the record was opened (and audited) to get here.
    pub fn green_book_document(
        &self,
        person_id: Uuid,
        options: &GreenBookOptions,
    ) -> Result<(lp::Document, lp::PrintOptions)> {
        let book = self.green_book(person_id)?;
        let person = self.person(person_id)?;
        let opts = print_options(options, person.large_print || person.easy_read)?;
        Ok((lp::layout_green_book(&book, &opts)?, opts))
    }

    /// Prints a person's Green Book to PDF bytes and records the printing in the audit trail.
    pub fn green_book_pdf(
        &mut self,
        person_id: Uuid,
        options: &GreenBookOptions,
    ) -> Result<Vec<u8>> {
        let (doc, opts) = self.green_book_document(person_id, options)?;
        let pdf = lp::render_pdf(&doc, &opts)?;
        self.record_audit(person_id, AuditAction::PrintedGreenBook)?;
        Ok(pdf)
    }

    /// Prints the Green Book into `folder` (the worker's Downloads, chosen by the shell) under
    /// a name that does not show the person's name (folders are not encrypted). Never
    /// overwrites: a second copy the same day gets "-2", "-3"….
    pub fn save_green_book(
        &mut self,
        person_id: Uuid,
        options: &GreenBookOptions,
        folder: &std::path::Path,
    ) -> Result<std::path::PathBuf> {
        let pdf = self.green_book_pdf(person_id, options)?;
        let stem = green_book_file_stem(person_id, options.fixed_date.unwrap_or_else(today));
        save_pdf(&pdf, folder, &stem)
    }

    /// Prints a group's directory page (the Green Book insert) into `folder`, as
    /// [`Store::save_green_book`] does.
    pub fn save_service_page(
        &self,
        service_id: Uuid,
        options: &GreenBookOptions,
        folder: &std::path::Path,
    ) -> Result<std::path::PathBuf> {
        let pdf = self.service_page_pdf(service_id, options)?;
        let stem = service_page_file_stem(service_id, options.fixed_date.unwrap_or_else(today));
        save_pdf(&pdf, folder, &stem)
    }

    /// A stand-alone directory page for one service (for a noticeboard or another person).
    pub fn service_page_pdf(
        &self,
        service_id: Uuid,
        options: &GreenBookOptions,
    ) -> Result<Vec<u8>> {
        let s = self.service(service_id)?;
        let page = lp::ServicePage {
            name: s.name.clone(),
            description: s.description.clone(),
            categories: s.categories.iter().map(|c| c.label().to_string()).collect(),
            what_happens: s.description.clone(),
            when: when_words(&s),
            place: place_words(&s),
            postcode: s.postcode.clone().unwrap_or_default(),
            cost: s.cost.clone().unwrap_or_default(),
            access: access_words(&s),
            contact: contact_words(&s),
            last_checked: s.last_verified_on,
        };
        let opts = print_options(options, false)?;
        Ok(lp::service_page_pdf(&page, &opts)?)
    }
}

/// Writes a PDF into `folder` as `stem.pdf`, never over a file already there (a second copy
/// gets "-2", "-3"…), readable by this worker's account only.
fn save_pdf(pdf: &[u8], folder: &std::path::Path, stem: &str) -> Result<std::path::PathBuf> {
    std::fs::create_dir_all(folder)
        .map_err(|e| CoreError::File(format!("could not make the folder to save in: {e}")))?;
    for n in 1..1000 {
        let name = if n == 1 {
            format!("{stem}.pdf")
        } else {
            format!("{stem}-{n}.pdf")
        };
        let path = folder.join(name);
        // create_new: never replace a file that is already there.
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create_new(true);
        // Readable by this worker's account only (a shared laptop has other accounts).
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
        match open.open(&path) {
            Ok(mut f) => {
                use std::io::Write as _;
                if let Err(e) = f.write_all(pdf).and_then(|()| f.sync_all()) {
                    // Never leave half a PDF (health data, unencrypted) behind.
                    drop(f);
                    let _ = std::fs::remove_file(&path);
                    return Err(CoreError::File(format!("could not save the PDF: {e}")));
                }
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(CoreError::File(format!("could not save the PDF: {e}"))),
        }
    }
    Err(CoreError::File(
        "could not save the PDF: too many copies with the same name".into(),
    ))
}

/// "group-insert-1a2b3c4d-2026-11-22": a group's Green Book insert, named like the book.
pub fn service_page_file_stem(service_id: Uuid, on: chrono::NaiveDate) -> String {
    let id = service_id.simple().to_string();
    format!("group-insert-{}-{on}", &id[id.len() - 8..])
}

/// "green-book-1a2b3c4d-2026-11-22": the end of the record's id (its random part: the start
/// of a v7 id is its creation time), not the person's name.
pub fn green_book_file_stem(person_id: Uuid, on: chrono::NaiveDate) -> String {
    let id = person_id.simple().to_string();
    format!("green-book-{}-{on}", &id[id.len() - 8..])
}
