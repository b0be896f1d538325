//! Field validation and normalisation shared by every input: NHS numbers, postcodes, contact
//! details, dates and free text. Each check returns the message a link worker would see.

use crate::{FieldError, Invalid};
use chrono::{NaiveDate, NaiveDateTime};

/// Collects field errors so a form can show every problem at once.
#[derive(Debug, Default)]
pub struct Checker {
    pub errors: Vec<FieldError>,
}

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Required free text: trimmed, non-empty, at most `max` characters.
    pub fn required(&mut self, field: &str, label: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.fail(field, format!("{label} is required"));
        } else if v.chars().count() > max {
            self.fail(
                field,
                format!("{label} is too long (at most {max} characters)"),
            );
        }
        v.to_string()
    }

    /// Optional free text: trimmed; empty becomes None.
    pub fn optional(
        &mut self,
        field: &str,
        label: &str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        if v.chars().count() > max {
            self.fail(
                field,
                format!("{label} is too long (at most {max} characters)"),
            );
        }
        Some(v.to_string())
    }

    /// Optional text checked and normalised by `rule` (e.g. [`postcode`]); empty becomes None.
    pub fn optional_checked(
        &mut self,
        field: &str,
        value: Option<&str>,
        rule: fn(&str) -> Result<String, String>,
    ) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        rule(v).map_err(|m| self.fail(field, m)).ok()
    }

    pub fn date(&mut self, field: &str, label: &str, value: &str) -> Option<NaiveDate> {
        match parse_date(value) {
            Ok(d) => Some(d),
            Err(m) => {
                self.fail(field, format!("{label} {m}"));
                None
            }
        }
    }

    pub fn optional_date(
        &mut self,
        field: &str,
        label: &str,
        value: Option<&str>,
    ) -> Option<NaiveDate> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        self.date(field, label, v)
    }

    pub fn datetime(&mut self, field: &str, label: &str, value: &str) -> Option<NaiveDateTime> {
        match parse_datetime(value) {
            Ok(d) => Some(d),
            Err(m) => {
                self.fail(field, format!("{label} {m}"));
                None
            }
        }
    }

    pub fn finish(self) -> Result<(), Invalid> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid(self.errors))
        }
    }
}

pub fn parse_date(value: &str) -> Result<NaiveDate, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("is required".into());
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(v, "%d/%m/%Y"))
        .map_err(|_| format!("\"{v}\" is not a date (type day/month/year, for example 01/12/2026)"))
}

pub fn parse_datetime(value: &str) -> Result<NaiveDateTime, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("is required".into());
    }
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y, %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
    .ok_or_else(|| {
        format!("\"{v}\" is not a date and time (type day/month/year and time, for example 01/12/2026 14:30)")
    })
}

/// Checks an NHS number (modulus 11) and returns its 10 digits. Spaces and dashes are allowed
/// in the input; the message shows the number as 3-3-4, as printed on NHS letters.
pub fn nhs_number(value: &str) -> Result<String, String> {
    let digits: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() != 10 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("NHS number \"{}\" must be 10 digits", value.trim()));
    }
    let d: Vec<u32> = digits
        .chars()
        .map(|c| c.to_digit(10).unwrap_or(0))
        .collect();
    let sum: u32 = d[..9].iter().zip((2..=10).rev()).map(|(x, w)| x * w).sum();
    let check = match 11 - (sum % 11) {
        11 => 0,
        c => c,
    };
    if check == 10 || check != d[9] {
        return Err(format!(
            "NHS number {} fails its check digit",
            format_nhs_number(&digits)
        ));
    }
    Ok(digits)
}

/// 10 digits shown 3-3-4.
pub fn format_nhs_number(digits: &str) -> String {
    if digits.len() == 10 {
        format!("{} {} {}", &digits[..3], &digits[3..6], &digits[6..])
    } else {
        digits.to_string()
    }
}

/// Normalises a UK postcode to BS 7666 shape: upper case, one space before the last three
/// characters. Accepts the NHS pseudo-postcodes (ZZ99 3VZ, ZZ99 3WZ...) and BFPO numbers.
pub fn postcode(value: &str) -> Result<String, String> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if let Some(num) = compact.strip_prefix("BFPO") {
        if (1..=4).contains(&num.len()) && num.chars().all(|c| c.is_ascii_digit()) {
            return Ok(format!("BFPO {num}"));
        }
        return Err(format!(
            "\"{}\" is not a BFPO number (BFPO and 1 to 4 digits)",
            value.trim()
        ));
    }
    if compact == "GIR0AA" {
        return Ok("GIR 0AA".into());
    }
    let bad = || {
        format!(
            "\"{}\" is not a UK postcode (for example LE12 6QW)",
            value.trim()
        )
    };
    if !(5..=7).contains(&compact.len()) || !compact.is_ascii() {
        return Err(bad());
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let ib = inward.as_bytes();
    let inward_ok =
        ib[0].is_ascii_digit() && ib[1].is_ascii_alphabetic() && ib[2].is_ascii_alphabetic();
    // Outward code shapes: A9, A99, AA9, AA99, A9A, AA9A.
    let shape: String = outward
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                '9'
            } else if c.is_ascii_alphabetic() {
                'A'
            } else {
                '?'
            }
        })
        .collect();
    let outward_ok = matches!(
        shape.as_str(),
        "A9" | "A99" | "AA9" | "AA99" | "A9A" | "AA9A"
    );
    // ZZ99 is the NHS pseudo-postcode outward code: its letters break the rules on purpose.
    if !(inward_ok && outward_ok && (outward == "ZZ99" || letters_allowed(outward, inward))) {
        return Err(bad());
    }
    Ok(format!("{outward} {inward}"))
}

/// A postcode district (the outward code, e.g. NG11), from a district or a whole postcode:
/// where a gap in the directory is, without pointing at anyone's street.
pub fn postcode_district(value: &str) -> Result<String, String> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    if let Ok(full) = postcode(&compact) {
        return Ok(full.split(' ').next().unwrap_or_default().to_string());
    }
    // Completed with a made-up inward code, the district is checked by the postcode rules.
    match postcode(&format!("{compact}1AA")) {
        Ok(full) if (2..=4).contains(&compact.len()) && !compact.starts_with("BFPO") => {
            Ok(full.split(' ').next().unwrap_or_default().to_string())
        }
        _ => Err(format!(
            "\"{}\" is not a postcode district (for example NG11) or a postcode",
            value.trim()
        )),
    }
}

/// BS 7666's letters by position (for an outward code and inward code of the right shape):
/// the first letter is never Q, V or X; the second never I, J or Z; a letter third (A9A) is
/// one of ABCDEFGHJKPSTUW, a letter fourth (AA9A) one of ABEHMNPRVWXY; the inward code's
/// letters are never C, I, K, M, O or V.
fn letters_allowed(outward: &str, inward: &str) -> bool {
    let o = outward.as_bytes();
    let not_in = |c: u8, set: &[u8]| !set.contains(&c);
    let first = not_in(o[0], b"QVX");
    let second = !o[1].is_ascii_alphabetic() || not_in(o[1], b"IJZ");
    let last_letter = match o.len() {
        3 if o[2].is_ascii_alphabetic() => b"ABCDEFGHJKPSTUW".contains(&o[2]),
        4 if o[3].is_ascii_alphabetic() => b"ABEHMNPRVWXY".contains(&o[3]),
        _ => true,
    };
    let inward_letters = inward.bytes().skip(1).all(|c| not_in(c, b"CIKMOV"));
    first && second && last_letter && inward_letters
}

/// A date as it is stored and sent: exactly `YYYY-MM-DD` (what [`parse_date`] gives).
pub fn stored_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|d| d.format("%Y-%m-%d").to_string() == value)
        .ok_or_else(|| "is not a date written YYYY-MM-DD".to_string())
}

/// A date and time as it is stored and sent: `YYYY-MM-DDTHH:MM:SS`, optionally with a
/// fraction of a second (what [`parse_datetime`] gives, serialised).
pub fn stored_datetime(value: &str) -> Result<NaiveDateTime, String> {
    NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .filter(|_| value.len() >= 19 && value.as_bytes()[10] == b'T')
        .ok_or_else(|| "is not a date and time written YYYY-MM-DDTHH:MM:SS".to_string())
}

/// A time of day as it is stored: `HH:MM`.
pub fn stored_time(value: &str) -> Result<(), String> {
    chrono::NaiveTime::parse_from_str(value, "%H:%M")
        .ok()
        .filter(|_| value.len() == 5)
        .map(|_| ())
        .ok_or_else(|| "is not a time written HH:MM".to_string())
}

/// A value checked by `rule` (e.g. [`postcode`]) that must already be in the form the rule
/// normalises to, as the laptop stores it.
pub fn stored_form(value: &str, rule: fn(&str) -> Result<String, String>) -> Result<(), String> {
    match rule(value) {
        Ok(n) if n == value => Ok(()),
        Ok(n) => Err(format!("is not in its stored form ({n})")),
        Err(m) => Err(m),
    }
}

/// An NHS Organisation Data Service code of a GP practice: one letter and five digits
/// (`C84001`), normalised to upper case.
pub fn ods_code(value: &str) -> Result<String, String> {
    let v = value.trim().to_ascii_uppercase();
    let b = v.as_bytes();
    if b.len() == 6 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit) {
        Ok(v)
    } else {
        Err(format!(
            "\"{}\" is not a GP practice ODS code: one letter and five digits, like C84001",
            value.trim()
        ))
    }
}

/// A plausible email address: something@domain.tld, no spaces.
pub fn email(value: &str) -> Result<String, String> {
    let v = value.trim();
    let ok = v.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !v.chars().any(char::is_whitespace)
            && !domain.contains('@')
    });
    if ok {
        Ok(v.to_string())
    } else {
        Err(format!("\"{v}\" is not an email address"))
    }
}

/// A UK or international phone number: digits with optional +, spaces, brackets and dashes;
/// 6 to 15 digits (short numbers such as 111 are allowed for service contacts elsewhere).
pub fn phone(value: &str) -> Result<String, String> {
    let v = value.trim();
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let allowed = v.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c));
    if allowed && (6..=15).contains(&digits) {
        Ok(v.to_string())
    } else {
        Err(format!(
            "\"{v}\" is not a phone number (digits, spaces and + only)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: std::fmt::Debug + PartialEq>(got: Result<T, String>, expected: Result<T, &str>) {
        assert_eq!(got, expected.map_err(str::to_string));
    }

    #[test]
    fn ods_codes_are_a_letter_and_five_digits() {
        check(ods_code(" c84001 "), Ok("C84001".to_string()));
        assert!(ods_code("C8400").is_err());
        assert!(ods_code("84001C").is_err());
        assert!(ods_code("CC4001").is_err());
        assert!(ods_code("C840011").is_err());
    }

    #[test]
    fn nhs_numbers() {
        check(nhs_number("943 476 5919"), Ok("9434765919".into()));
        check(nhs_number("9434765919"), Ok("9434765919".into()));
        check(nhs_number("943-476-5919"), Ok("9434765919".into()));
        check(
            nhs_number("943 476 5918"),
            Err("NHS number 943 476 5918 fails its check digit"),
        );
        check(
            nhs_number("94347659"),
            Err("NHS number \"94347659\" must be 10 digits"),
        );
        check(
            nhs_number("94347659AB"),
            Err("NHS number \"94347659AB\" must be 10 digits"),
        );
        // A prefix whose check digit computes to 10 is never valid, whatever the last digit.
        let sum: u32 = [1, 0, 0, 0, 0, 0, 0, 0, 1]
            .iter()
            .zip((2..=10).rev())
            .map(|(x, w)| x * w)
            .sum();
        assert_eq!(11 - sum % 11, 10);
        for last in 0..10 {
            assert!(nhs_number(&format!("100000001{last}")).is_err());
        }
    }

    #[test]
    fn postcodes() {
        check(postcode("le12 6qw"), Ok("LE12 6QW".into()));
        check(postcode("SW1A1AA"), Ok("SW1A 1AA".into()));
        check(postcode(" m1 1ae "), Ok("M1 1AE".into()));
        check(postcode("B33 8TH"), Ok("B33 8TH".into()));
        check(postcode("CR2 6XH"), Ok("CR2 6XH".into()));
        check(postcode("W1A 0AX"), Ok("W1A 0AX".into()));
        check(postcode("zz99 3vz"), Ok("ZZ99 3VZ".into()));
        check(postcode("ZZ993WZ"), Ok("ZZ99 3WZ".into()));
        check(postcode("bfpo 801"), Ok("BFPO 801".into()));
        check(
            postcode("LE12 QQW"),
            Err("\"LE12 QQW\" is not a UK postcode (for example LE12 6QW)"),
        );
        // Letters where BS 7666 never puts them.
        for bad in [
            "QE1 1AA", "VE1 1AA", "XE1 1AA", // first letter
            "AI1 1AA", "EJ1 1AA", "LZ1 1AA", // second letter
            "W1L 0AX", "N1Q 1AA", // third letter of A9A
            "SW1C 1AA", "EC1Z 1AA", // fourth letter of AA9A
            "LE12 6CW", "LE12 6QI", "M1 1AK", "B33 8MO", "CR2 6XV", // inward letters
        ] {
            assert!(postcode(bad).is_err(), "{bad} was accepted");
        }
        check(postcode("EC1A 1BB"), Ok("EC1A 1BB".into()));
        check(postcode("W1P 1HQ"), Ok("W1P 1HQ".into()));
        check(postcode("GIR 0AA"), Ok("GIR 0AA".into()));
        check(
            postcode("12345"),
            Err("\"12345\" is not a UK postcode (for example LE12 6QW)"),
        );
        check(
            postcode("BFPO 12345"),
            Err("\"BFPO 12345\" is not a BFPO number (BFPO and 1 to 4 digits)"),
        );
    }

    #[test]
    fn emails_and_phones() {
        assert!(email("a.b@nhs.net").is_ok());
        assert!(email("a b@nhs.net").is_err());
        assert!(email("ab@nhs").is_err());
        assert!(phone("01509 123456").is_ok());
        assert!(phone("+44 7700 900123").is_ok());
        assert!(phone("call me").is_err());
    }

    #[test]
    fn stored_forms() {
        assert!(stored_date("2026-11-22").is_ok());
        assert!(stored_date("22/11/2026").is_err());
        assert!(stored_date("yesterday").is_err());
        assert!(stored_date("2026-1-2").is_err());
        assert!(stored_datetime("2026-11-22T10:30:00").is_ok());
        assert!(stored_datetime("2026-11-22T10:30:00.250").is_ok());
        assert!(stored_datetime("2026-11-22 10:30").is_err());
        assert!(stored_time("09:30").is_ok());
        assert!(stored_time("9:30").is_err());
        assert!(stored_form("9434765919", nhs_number).is_ok());
        assert!(stored_form("943 476 5919", nhs_number).is_err());
        assert!(stored_form("LE12 6QW", postcode).is_ok());
        assert!(stored_form("le12 6qw", postcode).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2026-11-22").unwrap().to_string(), "2026-11-22");
        assert_eq!(parse_date("22/11/2026").unwrap().to_string(), "2026-11-22");
        assert!(parse_date("31/02/2026").is_err());
    }
}
