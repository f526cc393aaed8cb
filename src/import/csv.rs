//! Reads CSV files with a header row and coordinate columns (lon/lat or x/y), in the dialects
//! municipal offices export: comma or semicolon (Norwegian Excel) or tab separated, UTF-8 with
//! or without a byte-order mark or Windows-1252, LF or CRLF line ends. The separator and the
//! encoding are detected unless given; a semicolon file is read with decimal commas.

use std::path::Path;
use std::sync::Arc;

pub use super::encoding::Encoding;
use super::source::ColumnIndex;
use super::{
    ImportError, Rejection,
    source::{Cells, RawRow, Source},
};

/// How a CSV file is written; `None` fields are detected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: Option<u8>,
    pub decimal_comma: Option<bool>,
    pub encoding: Option<Encoding>,
}

/// A separator as users write it: one character, or `tab`.
pub fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" => Ok(b'\t'),
        one if one.len() == 1 && one.is_ascii() => Ok(one.as_bytes()[0]),
        other => Err(format!("'{other}' is not one character (or 'tab')")),
    }
}

/// A decimal mark as users write it: `comma` or `point`.
pub fn parse_decimal(s: &str) -> Result<bool, String> {
    match s {
        "comma" => Ok(true),
        "point" => Ok(false),
        other => Err(format!("decimal '{other}': comma or point")),
    }
}

/// Bytes read ahead to detect the encoding and the separator (and estimate the row count).
const SAMPLE_BYTES: usize = 1 << 20;

/// Opens the file as a stream: the encoding and the separator come from its first megabyte,
/// then rows are read as they are needed, so memory does not grow with the file.
pub fn read(path: &Path, dialect: Dialect) -> Result<Source, ImportError> {
    use std::io::Read;
    let fail = |e: std::io::Error| ImportError::file(path, e.to_string());
    let mut file = std::fs::File::open(path).map_err(fail)?;
    let size = file.metadata().map_err(fail)?.len();
    let mut sample = Vec::with_capacity(SAMPLE_BYTES.min(size as usize));
    file.by_ref().take(SAMPLE_BYTES as u64).read_to_end(&mut sample).map_err(fail)?;
    let whole = sample.len() as u64 == size;
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        sample.drain(..3);
    }
    let encoding = match dialect.encoding {
        Some(asked) => asked,
        // A character cut at the end of the sample is not an encoding error.
        None => match std::str::from_utf8(&sample) {
            Ok(_) => Encoding::Utf8,
            Err(e) if e.error_len().is_none() && !whole => Encoding::Utf8,
            Err(_) => Encoding::Windows1252,
        },
    };
    let header = sample.split(|&b| b == b'\n').next().unwrap_or_default();
    let header = match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(header).into_owned(),
        Encoding::Windows1252 => super::encoding::windows_1252(header),
    };
    let delimiter = dialect.delimiter.unwrap_or_else(|| detect_delimiter(&header));
    let decimal_comma = dialect.decimal_comma.unwrap_or(delimiter == b';');
    let lines_in_sample = sample.iter().filter(|&&b| b == b'\n').count() as u64;
    let len_hint = Some(if whole { lines_in_sample } else { lines_in_sample * size / sample.len().max(1) as u64 }.saturating_sub(1));
    let stream = super::encoding::Normalised::new(std::io::Cursor::new(sample).chain(file), encoding);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::Headers).delimiter(delimiter).from_reader(stream);
    let headers: Vec<String> =
        reader.headers().map_err(|e| ImportError::file(path, format!("cannot read the header row: {e}")))?.iter().map(str::to_string).collect();
    if headers.len() > super::limits::MAX_COLUMNS {
        return Err(ImportError::file(
            path,
            format!("the header has {} columns; an import reads at most {} columns", headers.len(), super::limits::MAX_COLUMNS),
        ));
    }
    let columns: Arc<ColumnIndex> = Arc::new(headers.iter().enumerate().map(|(i, h)| (h.clone(), i)).collect());
    let width = headers.len();
    // Cells are trimmed where they are read (`Cells::get`), which also trims Unicode spaces.
    let rows = reader.into_records().map(move |record| {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            let hint = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) { "; if Excel wrote the file, pass --encoding windows-1252" } else { "" };
            Rejection::new(line, format!("unreadable CSV row: {e}{hint}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() != width {
            return Err(Rejection::new(line, format!("has {} fields but the header has {width}; is the row truncated?", record.len())));
        }
        Ok(RawRow { line, feature: None, cells: Cells::Record { columns: Arc::clone(&columns), record }, geometry: None })
    });
    let notes = vec![format!(
        "{}-separated, {}, decimal {}",
        match delimiter {
            b';' => "semicolon",
            b'\t' => "tab",
            b',' => "comma",
            _ => "custom",
        },
        encoding.name(),
        if decimal_comma { "comma" } else { "point" }
    )];
    Ok(Source { format: "csv", columns: headers, declared_crs: None, wgs84_by_default: false, rows: Box::new(rows), len_hint, decimal_comma, notes })
}

/// The separator used most in the header row (comma on a tie or none).
fn detect_delimiter(header: &str) -> u8 {
    [b',', b';', b'\t'].into_iter().max_by_key(|&d| (header.bytes().filter(|&b| b == d).count(), d == b',')).unwrap_or(b',')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_is_the_one_the_header_uses() {
        assert_eq!(detect_delimiter("Saksnr;Dato;Hendelsestype;Øst;Nord"), b';');
        assert_eq!(detect_delimiter("id,date,category,x,y"), b',');
        assert_eq!(detect_delimiter("id\tdate\tx\ty"), b'\t');
        assert_eq!(detect_delimiter("id"), b',');
    }
}
