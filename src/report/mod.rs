//! Reports rendered from measurement results: the annual bomiljø report (HTML per bydel) and
//! the neighbour-dialogue fact sheet (PDF).
//! Reports leave the municipality, so they render after the privacy checkpoint (public view
//! unless an analyst asks for the internal one).

pub mod annual;
pub mod dialogue;
pub mod pdf;
pub(crate) mod svg;

pub use annual::ReportError;

/// A number as a report prints it: `digits` decimals, thousands grouped and the minus sign a minus
/// (bokmål: "10 233", "−1,5" with a decimal comma and a no-break space; English: "10,233", "−1.5").
///
/// ```
/// use bomiljo::report::number;
/// assert_eq!(number(10233.4, 0, true), "10\u{a0}233");
/// assert_eq!(number(-1234.56, 1, true), "−1\u{a0}234,6");
/// assert_eq!(number(1234567.0, 0, false), "1,234,567");
/// assert_eq!(number(-0.2, 0, true), "0");
/// ```
pub fn number(v: f64, digits: usize, norwegian: bool) -> String {
    let text = format!("{:.digits$}", v.abs());
    let (whole, fraction) = text.split_once('.').map_or((text.as_str(), None), |(w, f)| (w, Some(f)));
    let (separator, decimal) = if norwegian { ('\u{a0}', ',') } else { (',', '.') };
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(separator);
        }
        grouped.push(c);
    }
    if let Some(fraction) = fraction {
        grouped.push(decimal);
        grouped.push_str(fraction);
    }
    // A value that rounds to zero has no sign ("−0" would say less than nothing).
    let zero = text.chars().all(|c| c == '0' || c == '.');
    if v < 0.0 && !zero { format!("−{grouped}") } else { grouped }
}

/// A change with its sign as prose writes it: "+21", "−19" (a minus sign, not a hyphen), "0".
///
/// ```
/// assert_eq!(bomiljo::report::signed(21.0, 0), "+21");
/// assert_eq!(bomiljo::report::signed(-1234.0, 0), "\u{2212}1\u{a0}234");
/// assert_eq!(bomiljo::report::signed(-0.2, 0), "0");
/// ```
pub fn signed(v: f64, digits: usize) -> String {
    let text = number(v, digits, true);
    if v > 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') { format!("+{text}") } else { text }
}

/// A count as a report prints it: every whole number grouped in thousands ("4 141 (4 134–4 148)",
/// "<5", "0–7").
///
/// ```
/// use bomiljo::privacy::Count;
/// assert_eq!(bomiljo::report::count(&Count::Exact(10233)), "10\u{a0}233");
/// assert_eq!(bomiljo::report::count(&Count::Below(5)), "<5");
/// ```
pub fn count(count: &crate::privacy::Count) -> String {
    let text = count.to_string();
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if !digits.is_empty() {
            out.push_str(&number(digits.parse::<f64>().unwrap_or(0.0), 0, true));
            digits.clear();
        }
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}
