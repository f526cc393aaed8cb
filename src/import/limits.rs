//! What an import reads at most, checked before anything is allocated: a file or archive may be
//! hostile (a 1.5 KB workbook once claimed a 549 GB sheet, a 77-byte .dbf 4 billion records, a
//! 4.6 MB zip 1.6 GB of stops).
//!
//! Formats read into memory (Excel, GTFS, Shapefile attributes) stop at [`MAX_CELLS`] cells; every
//! tabular format at [`MAX_COLUMNS`] columns; archives at [`MAX_UNCOMPRESSED_BYTES`] as their
//! directory declares them (the zip reader stops every entry at its declared size). Streaming
//! formats (CSV, GeoJSON, Parquet) hold one batch at a time and need no row limit.

use std::path::Path;

use super::ImportError;

/// Columns of a tabular file: far above any agency export, far below a hostile header.
pub const MAX_COLUMNS: usize = 1_000;

/// Cells a format read into memory may hold (well under 512 MB with their rows): a year of a
/// city's call-outs is about 50,000 rows of 6 columns, 300,000 cells.
pub const MAX_CELLS: usize = 2_000_000;

/// What the entries of an archive (an `.xlsx`, `.ods` or GTFS `.zip`) may expand to together.
pub const MAX_UNCOMPRESSED_BYTES: u64 = 256 * 1024 * 1024;

/// Entries an archive may have.
const MAX_ENTRIES: usize = 10_000;

/// Refuses an archive whose directory declares more than [`MAX_UNCOMPRESSED_BYTES`] or
/// [`MAX_ENTRIES`]; a file that is not a zip is left to its reader to refuse.
pub fn check_zip(path: &Path) -> Result<(), ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    let Ok(file) = std::fs::File::open(path) else { return Ok(()) };
    let Ok(mut archive) = zip::ZipArchive::new(file) else { return Ok(()) };
    if archive.len() > MAX_ENTRIES {
        return Err(fail(format!("the archive has {} entries; an import reads archives of at most {MAX_ENTRIES}", archive.len())));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|e| fail(format!("a damaged archive: {e}")))?;
        total = total.saturating_add(entry.size());
        if total > MAX_UNCOMPRESSED_BYTES {
            return Err(fail(format!(
                "the archive expands to more than {} MB ({} alone declares {} MB); an import reads at most that much",
                MAX_UNCOMPRESSED_BYTES >> 20,
                entry.name(),
                entry.size() >> 20
            )));
        }
    }
    Ok(())
}
