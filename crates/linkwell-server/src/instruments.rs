//! `linkwell-server instrument licence|schedule|list`: the organisation's licences for the
//! licensed instruments (PAM, EQ-5D, the Well-being Star, SWEMWBS) and its follow-up
//! schedules. Each setting is checked with the laptop's own rules (the vocabulary and
//! [`linkwell_protocol::fields`]) and reaches every laptop at its next sync.

use crate::SqliteStorage;
use anyhow::{Result, bail};
use clap::Subcommand;
use linkwell_domain::vocabulary::Instrument;
use linkwell_protocol::{EntityKind, fields};
use serde_json::{Map, Value, json};

#[derive(Subcommand)]
pub enum InstrumentCmd {
    /// Enable (or with --off, disable) a licensed instrument for the whole organisation.
    Licence {
        /// pam, eq5d, wellbeing_star or swemwbs.
        #[arg(long)]
        instrument: String,
        /// Who holds the licence, as on the licence.
        #[arg(long)]
        holder: String,
        /// The date on the licence (YYYY-MM-DD).
        #[arg(long)]
        date: String,
        /// The licence lets the organisation keep the item answers (SWEMWBS), not only scores.
        #[arg(long)]
        items: bool,
        /// Switch the instrument off again.
        #[arg(long)]
        off: bool,
    },
    /// When an instrument is followed up: T1 and T2 months after the baseline, or every N
    /// months while the person is supported.
    Schedule {
        #[arg(long)]
        instrument: String,
        #[arg(long)]
        t1_months: Option<i64>,
        #[arg(long)]
        t2_months: Option<i64>,
        #[arg(long, conflicts_with_all = ["t1_months", "t2_months"])]
        every_months: Option<i64>,
    },
    /// Which instruments are on, who holds each licence, and the schedules.
    List,
}

fn instrument(code: &str) -> Result<Instrument> {
    match Instrument::parse(code) {
        Some(i) => Ok(i),
        None => bail!("instrument must be one of: {}", Instrument::choices()),
    }
}

/// Checks a setting with the laptop's own field rules, then sends it to every laptop.
fn send(storage: &SqliteStorage, kind: EntityKind, payload: Value) -> Result<()> {
    let Value::Object(payload) = payload else {
        unreachable!("settings are objects")
    };
    if let Err(p) = fields::check_payload(kind, &payload) {
        bail!("{}: {}", p.field, p.message);
    }
    let id = storage.add_instrument_setting(kind, &payload)?;
    println!("recorded {id}; laptops receive it at their next sync");
    Ok(())
}

fn text<'a>(m: &'a Map<String, Value>, k: &str) -> &'a str {
    m.get(k).and_then(Value::as_str).unwrap_or("")
}

impl InstrumentCmd {
    pub fn run(&self, storage: &SqliteStorage) -> Result<()> {
        let today = chrono::Utc::now().date_naive().to_string();
        match self {
            InstrumentCmd::Licence {
                instrument: code,
                holder,
                date,
                items,
                off,
            } => {
                let i = instrument(code)?;
                if !i.is_licensed() {
                    bail!("{} is public and needs no licence", i.label());
                }
                if holder.trim().is_empty() {
                    bail!("--holder: say who holds the licence");
                }
                let payload = json!({
                    "instrument": i.as_str(), "licence_holder": holder.trim(), "enabled": !off,
                    "recorded_on": today, "licensed_on": date, "covers_items": items,
                });
                send(storage, EntityKind::InstrumentLicence, payload)
            }
            InstrumentCmd::Schedule {
                instrument: code,
                t1_months,
                t2_months,
                every_months,
            } => {
                let i = instrument(code)?;
                let months = [t1_months, t2_months, every_months];
                if months.iter().all(|m| m.is_none()) {
                    bail!("give --t1-months and/or --t2-months, or --every-months");
                }
                if months
                    .iter()
                    .any(|m| m.is_some_and(|m| !(1..=36).contains(&m)))
                {
                    bail!("months must be from 1 to 36");
                }
                let payload = json!({
                    "instrument": i.as_str(), "t1_months": t1_months, "t2_months": t2_months,
                    "every_months": every_months, "recorded_on": today,
                });
                send(storage, EntityKind::FollowUpSchedule, payload)
            }
            InstrumentCmd::List => {
                let settings = storage.instrument_settings()?;
                for i in Instrument::ALL {
                    let latest = |kind| {
                        settings
                            .iter()
                            .rev()
                            .find(|m| m.entity == kind && m.payload["instrument"] == i.as_str())
                    };
                    let licence = match latest(EntityKind::InstrumentLicence) {
                        _ if !i.is_licensed() => "public".to_string(),
                        Some(m) if m.payload["enabled"] == true => {
                            let p = m.payload.as_object().cloned().unwrap_or_default();
                            format!(
                                "ON, licensed to {} from {}{}",
                                text(&p, "licence_holder"),
                                text(&p, "licensed_on"),
                                if p["covers_items"] == true {
                                    ", item answers kept"
                                } else {
                                    ""
                                }
                            )
                        }
                        _ => "off".to_string(),
                    };
                    let schedule = latest(EntityKind::FollowUpSchedule)
                        .map_or("default schedule".to_string(), |m| {
                            format!("schedule {}", m.payload)
                        });
                    println!("{:<16} {licence}; {schedule}", i.as_str());
                }
                Ok(())
            }
        }
    }
}
