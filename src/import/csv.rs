//! Reads CSV files with a header row and coordinate columns (lon/lat or x/y), in the dialects
//! municipal offices export: comma or semicolon (Norwegian Excel) or tab separated, UTF-8 with
//! or without a byte-order mark or Windows-1252, LF or CRLF line ends. The separator and the
//! encoding are detected unless given; a semicolon file is read with decimal commas.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::{
    source::{Cells, RawRow, Source},
    ImportError, Rejection,
};

/// How a CSV file is written; `None` fields are detected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: Option<u8>,
    pub decimal_comma: Option<bool>,
    pub encoding: Option<Encoding>,
}

/// Text encodings seen in municipal exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// Windows-1252 (a superset of Latin-1): what Excel writes on a Norwegian Windows.
    Windows1252,
}

impl std::str::FromStr for Encoding {
    type Err = String;

    fn from_str(s: &str) -> Result<Encoding, String> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "windows-1252" | "cp1252" | "1252" | "latin-1" | "latin1" | "iso-8859-1" => Ok(Encoding::Windows1252),
            other => Err(format!("unknown encoding '{other}': utf-8 or windows-1252")),
        }
    }
}

pub fn read(path: &Path, dialect: Dialect) -> Result<Source, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let (text, encoding) = decode(bytes, dialect.encoding).map_err(|reason| ImportError::file(path, reason))?;
    // The csv crate counts a CRLF as two line ends in its positions; one line end each keeps
    // `file:line` right for files from Windows.
    let text = if text.contains('\r') { text.replace("\r\n", "\n") } else { text };
    let header = text.lines().next().unwrap_or_default();
    let len_hint = Some(text.bytes().filter(|&b| b == b'\n').count().saturating_sub(1) as u64);
    let delimiter = dialect.delimiter.unwrap_or_else(|| detect_delimiter(header));
    let decimal_comma = dialect.decimal_comma.unwrap_or(delimiter == b';');
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).delimiter(delimiter).from_reader(std::io::Cursor::new(text.into_bytes()));
    let headers: Vec<String> =
        reader.headers().map_err(|e| ImportError::file(path, format!("cannot read the header row: {e}")))?.iter().map(str::to_string).collect();
    let columns: Arc<HashMap<String, usize>> = Arc::new(headers.iter().enumerate().map(|(i, h)| (h.clone(), i)).collect());
    let width = headers.len();
    let rows = reader.into_records().map(move |record| {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            Rejection::new(line, format!("unreadable CSV row: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() != width {
            return Err(Rejection::new(line, format!("has {} fields but the header has {width}; is the row truncated?", record.len())));
        }
        Ok(RawRow {
            line,
            feature: None,
            cells: Cells::Tabular { columns: Arc::clone(&columns), values: record.iter().map(str::to_string).collect() },
            geometry: None,
        })
    });
    let notes = vec![format!(
        "{}-separated, {}, decimal {}",
        match delimiter {
            b';' => "semicolon",
            b'\t' => "tab",
            b',' => "comma",
            _ => "custom",
        },
        match encoding {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
        },
        if decimal_comma { "comma" } else { "point" }
    )];
    Ok(Source { format: "csv", columns: headers, declared_crs: None, wgs84_by_default: false, rows: Box::new(rows), len_hint, decimal_comma, notes })
}

/// The separator used most in the header row (comma on a tie or none).
fn detect_delimiter(header: &str) -> u8 {
    [b',', b';', b'\t'].into_iter().max_by_key(|&d| (header.bytes().filter(|&b| b == d).count(), d == b',')).unwrap_or(b',')
}

/// Text of the file without a byte-order mark: UTF-8 when it is valid UTF-8 (or asked for),
/// else Windows-1252.
fn decode(mut bytes: Vec<u8>, asked: Option<Encoding>) -> Result<(String, Encoding), String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match asked {
        Some(Encoding::Windows1252) => Ok((windows_1252(&bytes), Encoding::Windows1252)),
        Some(Encoding::Utf8) => String::from_utf8(bytes)
            .map(|t| (t, Encoding::Utf8))
            .map_err(|e| format!("not valid UTF-8 (byte {} of the file); if Excel wrote it, pass --encoding windows-1252", e.utf8_error().valid_up_to())),
        None => match String::from_utf8(bytes) {
            Ok(text) => Ok((text, Encoding::Utf8)),
            Err(e) => Ok((windows_1252(e.as_bytes()), Encoding::Windows1252)),
        },
    }
}

/// Decodes Windows-1252: Latin-1, except 0x80-0x9F, which hold typographic characters.
fn windows_1252(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™',
        'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    bytes.iter().map(|&b| if (0x80..0xA0).contains(&b) { HIGH[usize::from(b - 0x80)] } else { char::from(b) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norwegian_excel_text_decodes() {
        assert_eq!(windows_1252(b"\xd8st \xe6 \xe5 \x80"), "Øst æ å €");
        let (text, encoding) = decode(b"\xef\xbb\xbfid;\xc3\x98st".to_vec(), None).unwrap();
        assert_eq!((text.as_str(), encoding), ("id;Øst", Encoding::Utf8));
        let (text, encoding) = decode(b"id;\xd8st".to_vec(), None).unwrap();
        assert_eq!((text.as_str(), encoding), ("id;Øst", Encoding::Windows1252));
        assert!(decode(b"id;\xd8st".to_vec(), Some(Encoding::Utf8)).unwrap_err().contains("--encoding windows-1252"));
    }

    #[test]
    fn the_separator_is_the_one_the_header_uses() {
        assert_eq!(detect_delimiter("Saksnr;Dato;Hendelsestype;Øst;Nord"), b';');
        assert_eq!(detect_delimiter("id,date,category,x,y"), b',');
        assert_eq!(detect_delimiter("id\tdate\tx\ty"), b'\t');
        assert_eq!(detect_delimiter("id"), b',');
    }
}
