//! Anonymisation on import: snapping points to a grid, and refusing data that carries personal
//! identifiers (names, fødselsnummer, phone numbers) instead of silently storing them.

use crate::spatial::Metres;

/// Snaps a coordinate to the centre of its grid cell.
///
/// ```
/// use bomiljo::import::anonymise::snap;
/// use bomiljo::spatial::Metres;
/// assert_eq!(snap(597_979.9, Metres(100.0)), 597_950.0);
/// assert_eq!(snap(6_643_100.0, Metres(100.0)), 6_643_150.0);
/// ```
pub fn snap(v: f64, grid: Metres) -> f64 {
    (v / grid.0).floor() * grid.0 + grid.0 / 2.0
}

/// Column names that hold personal data in Norwegian or English sources.
const IDENTIFIER_COLUMNS: &[&str] = &[
    "name",
    "navn",
    "fornavn",
    "etternavn",
    "fullname",
    "full_name",
    "person",
    "personnavn",
    "fnr",
    "fodselsnummer",
    "fødselsnummer",
    "personnummer",
    "personnr",
    "ssn",
    "birth_number",
    "phone",
    "telefon",
    "telefonnummer",
    "tlf",
    "mobil",
    "mobile",
    "email",
    "epost",
    "e_post",
    "adresse",
    "address",
    "gateadresse",
    "bostedsadresse",
    "adr",
    "postadresse",
];

/// Whether a column name looks like it holds a personal identifier.
/// The stored form of a person key: 16 hex digits of SHA-256 over a fixed prefix and the key,
/// so the agency's own key is never stored (the key must itself be pseudonymous: an 11-digit
/// number is refused like any fødselsnummer).
///
/// ```
/// use bomiljo::import::anonymise::pseudonym;
/// assert_eq!(pseudonym("K-1001").len(), 16);
/// assert_ne!(pseudonym("K-1001"), pseudonym("K-1002"));
/// ```
pub fn pseudonym(key: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(format!("bomiljo person key|{key}").as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

pub fn is_identifier_column(column: &str) -> bool {
    let normalised: String = column.trim().to_lowercase().replace(['-', ' '], "_");
    IDENTIFIER_COLUMNS.contains(&normalised.as_str())
}

/// Whether a cell holds an 11-digit number (optionally written "DDMMYY NNNNN"), the shape of a
/// Norwegian fødselsnummer or D-number. Any such value is refused: a real incident id of that
/// shape is indistinguishable from a person's number.
pub fn looks_like_fodselsnummer(cell: &str) -> bool {
    // Called on every cell of every row: counts without building a string, and skips a cell
    // too short to hold 11 digits (almost every cell) without looking at its characters.
    if cell.len() < 11 {
        return false;
    }
    let mut digits = 0;
    for c in cell.chars().filter(|c| !c.is_whitespace()) {
        if !c.is_ascii_digit() || digits == 11 {
            return false;
        }
        digits += 1;
    }
    digits == 11
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_columns_are_recognised_in_either_language() {
        for c in ["Navn", "fødselsnummer", "Telefon", "e-post", "PHONE"] {
            assert!(is_identifier_column(c), "{c}");
        }
        for c in ["category", "date", "delbydel_name"] {
            assert!(!is_identifier_column(c), "{c}");
        }
    }

    #[test]
    fn eleven_digit_numbers_look_like_fodselsnummer() {
        assert!(looks_like_fodselsnummer("01019912345"));
        assert!(looks_like_fodselsnummer("010199 12345"));
        assert!(!looks_like_fodselsnummer("2024-00017"));
        assert!(!looks_like_fodselsnummer("1234567890"));
    }

    #[test]
    fn snapping_is_idempotent() {
        let once = snap(597_123.4, Metres(100.0));
        assert_eq!(snap(once, Metres(100.0)), once);
    }
}
