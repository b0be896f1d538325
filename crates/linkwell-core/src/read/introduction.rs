//! The introduction for a group's lead when a person is referred onward (issue 17 item 6):
//! the same words shown to copy and printed as a one-page letter.
//!
//! Only what the person agreed to share goes to a group. Linkwell's consent vocabulary has no
//! consent to share with a group yet, so the introduction carries only the person's first
//! name, the group, whether someone from the team comes along the first time, and the
//! worker's contact: what the person would like and their access needs stay here.

use crate::error::Result;
use crate::store::{Store, get, today};
use linkwell_print as lp;
use linkwell_protocol::EntityKind;
use serde::Serialize;
use uuid::Uuid;

use crate::records::directory::OnwardReferral;

/// An introduction as shown (the text to copy) and as printed.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Introduction {
    pub onward_id: Uuid,
    pub title: String,
    /// Plain text to copy into an email or a message to the lead.
    pub text: String,
    /// Why so little is said about the person, in the worker's words.
    pub sharing_words: String,
}

const SHARING_WORDS: &str = "Only the person's first name is given: Linkwell records no consent to share more with a group, so what they would like and their access needs are left out. Talk to them first if the lead needs to know more.";

impl Store {
    /// The introduction for the lead of the group an onward referral goes to.
    pub fn introduction(&self, onward_id: Uuid) -> Result<(Introduction, lp::Letter)> {
        let onward: OnwardReferral = get(self.conn(), EntityKind::OnwardReferral, onward_id)?;
        let person = self.person(onward.person_id)?;
        let service = self.service(onward.service_id)?;
        let worker = self.worker(onward.worker_id)?;
        let team = self.team()?;
        let letterhead = self.letterhead()?;
        let first = person
            .preferred_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| person.given_name.clone());
        let lead = service.lead.clone().or(service.contact_name.clone());
        let dear = lead
            .as_ref()
            .map_or("Hello,".to_string(), |l| format!("Dear {l},"));
        let lead = lead.unwrap_or_else(|| "The group lead".into());
        let along = match (
            &onward.accompanied_by_worker_id,
            &onward.accompanied_by_name,
        ) {
            (Some(w), _) => Some(self.worker(*w)?.name),
            (None, Some(n)) => Some(n.clone()),
            _ => None,
        };
        // A worker without a phone or email of their own is reached through the service's.
        let (phone, email) = match (&worker.phone, &worker.email, &letterhead) {
            (None, None, Some(l)) => (l.phone.clone(), l.email.clone()),
            _ => (worker.phone.clone(), worker.email.clone()),
        };
        let contact: Vec<String> = [Some(worker.name.clone()), phone, email]
            .into_iter()
            .flatten()
            .collect();
        let service_name = letterhead
            .as_ref()
            .map_or(team.name.clone(), |l| l.service_name.clone());
        let mut paras = vec![format!(
            "{first} would like to come along to {}. {} is their link worker at {service_name}.",
            service.name, worker.name
        )];
        paras.push(match &along {
            Some(n) => format!("{n} will come along with {first} the first time."),
            None => format!("No one from {service_name} is down to come along the first time."),
        });
        paras.push(format!(
            "To arrange the first visit, or to let us know how it went, please contact {}.",
            contact.join(", ")
        ));
        let title = format!("Introducing {first} to {}", service.name);
        let text = format!("{dear}\n\n{}\n\n{}", paras.join("\n\n"), worker.name);
        let mut head = vec![service_name.clone()];
        if let Some(l) = &letterhead {
            head.extend(
                [l.address.clone(), l.phone.clone(), l.email.clone()]
                    .into_iter()
                    .flatten(),
            );
        }
        let letter = lp::Letter {
            title: title.clone(),
            letterhead: head,
            recipient: vec![lead.clone(), service.name.clone()],
            date: today(),
            about: format!("Introducing {first}"),
            blocks: vec![lp::LetterBlock {
                heading: dear,
                rows: paras.into_iter().map(|p| (String::new(), p)).collect(),
            }],
            sign_off: vec![format!("{}, link worker, {service_name}", worker.name)],
        };
        Ok((
            Introduction {
                onward_id,
                title,
                text,
                sharing_words: SHARING_WORDS.into(),
            },
            letter,
        ))
    }

    /// The introduction as a one-page A4 PDF.
    pub fn introduction_pdf(&self, onward_id: Uuid) -> Result<Vec<u8>> {
        let (_, letter) = self.introduction(onward_id)?;
        Ok(lp::letter_pdf(&letter, &lp::PrintOptions::new(today()))?)
    }
}
