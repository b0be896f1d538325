//! Take-up of an onward referral: whether the person enrolled (agreed to go), engaged (came to
//! a first session) and adhered (still coming 8 weeks after that first session). One rule, read
//! by the person page and by the reports (linkwell-report), so the two cannot disagree.

use crate::vocabulary::OnwardStatus;
use chrono::NaiveDate;
use serde::Serialize;

/// How long after the first session someone must still be coming to count as still attending.
pub const ADHERENCE_DAYS: i64 = 56;

/// Where a linked person stands 8 weeks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Adherence {
    /// No session attended yet.
    NotStarted,
    /// Attended, but 8 weeks have not passed since the first session.
    TooSoon,
    /// Attended a session 8 weeks or more after the first.
    StillAttending,
    /// 8 weeks have passed and no session was attended since then.
    NotAttending,
}

/// Whether a status says the person agreed to go (agreed, referred, accompanied, attending).
pub fn agreed(status: OnwardStatus) -> bool {
    matches!(
        status,
        OnwardStatus::Agreed
            | OnwardStatus::ReferralMade
            | OnwardStatus::Accompanied
            | OnwardStatus::Attending
    )
}

/// Enrolled: agreed at some point (`agreed_on` kept), agreed now, or came to a session.
pub fn enrolled(
    status: OnwardStatus,
    agreed_on: Option<NaiveDate>,
    attended: &[NaiveDate],
) -> bool {
    agreed_on.is_some() || agreed(status) || engaged(status, attended)
}

/// Engaged: came to a first session (a dated attendance, or went along to the first one).
pub fn engaged(status: OnwardStatus, attended: &[NaiveDate]) -> bool {
    !attended.is_empty() || matches!(status, OnwardStatus::Accompanied | OnwardStatus::Attending)
}

/// Where the person stands 8 weeks after their first dated session, as of `on`.
pub fn adherence(attended: &[NaiveDate], on: NaiveDate) -> Adherence {
    let Some(first) = attended.iter().min() else {
        return Adherence::NotStarted;
    };
    let mark = *first + chrono::Duration::days(ADHERENCE_DAYS);
    if attended.iter().any(|d| *d >= mark) {
        Adherence::StillAttending
    } else if on < mark {
        Adherence::TooSoon
    } else {
        Adherence::NotAttending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn eight_weeks_counts_from_the_first_session() {
        let first = d("2026-01-05");
        assert_eq!(adherence(&[], first), Adherence::NotStarted);
        assert_eq!(adherence(&[first], d("2026-02-01")), Adherence::TooSoon);
        assert_eq!(
            adherence(&[first], d("2026-03-02")),
            Adherence::NotAttending
        );
        // Day 55 is not yet 8 weeks; day 56 is.
        assert_eq!(
            adherence(&[first, d("2026-03-01")], d("2026-03-10")),
            Adherence::NotAttending
        );
        assert_eq!(
            adherence(&[d("2026-03-02"), first], d("2026-03-10")),
            Adherence::StillAttending
        );
    }

    #[test]
    fn going_along_is_engaging_and_engaging_is_enrolling() {
        assert!(engaged(OnwardStatus::Accompanied, &[]));
        assert!(!engaged(OnwardStatus::ReferralMade, &[]));
        assert!(enrolled(OnwardStatus::Stopped, None, &[d("2026-01-05")]));
        assert!(enrolled(OnwardStatus::Stopped, Some(d("2026-01-01")), &[]));
        assert!(!enrolled(OnwardStatus::Suggested, None, &[]));
        assert!(!enrolled(OnwardStatus::Declined, None, &[]));
    }
}
