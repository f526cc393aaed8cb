//! What an import reads at most, checked before anything is allocated: a file or archive may be
//! hostile (a 1.5 KB workbook once claimed a 549 GB sheet, a 77-byte .dbf 4 billion records, a
//! 4.6 MB zip 1.6 GB of stops).
//!
//! An import's memory budget (`[limits] import_memory_mb`, default 512) sets the [`Budget`]:
//! formats read into memory (Excel, GTFS, GeoPackage and Shapefile attributes) stop at its cells,
//! archives at its uncompressed bytes as their directory declares them (the zip reader stops every
//! entry at its declared size); every tabular format at [`MAX_COLUMNS`] columns. Streaming formats
//! (CSV, GeoJSON, Parquet) hold one batch at a time and need no row limit.

use std::path::Path;

use super::ImportError;

/// Columns of a tabular file: far above any agency export, far below a hostile header.
pub const MAX_COLUMNS: usize = 1_000;

/// What a file read into memory may hold, from the import's memory budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// The budget it comes from, MB (named in the errors).
    pub memory_mb: u64,
    /// Cells a format read into memory may hold: 256 bytes a cell with its row and strings, so
    /// 2,000,000 at 512 MB (a year of a city's call-outs is about 50,000 rows of 6 columns,
    /// 300,000 cells).
    pub cells: usize,
    /// What the entries of an archive (an `.xlsx`, `.ods` or GTFS `.zip`) may expand to
    /// together: half the budget.
    pub uncompressed_bytes: u64,
}

impl Budget {
    pub fn from_memory_mb(memory_mb: u64) -> Budget {
        let bytes = memory_mb.saturating_mul(1 << 20);
        Budget { memory_mb, cells: usize::try_from(bytes / 256).unwrap_or(usize::MAX), uncompressed_bytes: bytes / 2 }
    }

    /// What to do when a file is over the budget.
    pub fn advice(&self) -> String {
        format!("the import's memory budget is {} MB ([limits] import_memory_mb in bomiljo.toml): split the file or raise the budget", self.memory_mb)
    }
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::from_memory_mb(512)
    }
}

/// Entries an archive may have.
const MAX_ENTRIES: usize = 10_000;

/// Refuses an archive whose directory declares more than the budget's uncompressed bytes or
/// `MAX_ENTRIES`; a file that is not a zip is left to its reader to refuse.
pub fn check_zip(path: &Path, budget: &Budget) -> Result<(), ImportError> {
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
        if total > budget.uncompressed_bytes {
            return Err(fail(format!(
                "the archive expands to more than {} MB ({} alone declares {} MB); {}",
                budget.uncompressed_bytes >> 20,
                entry.name(),
                entry.size() >> 20,
                budget.advice()
            )));
        }
    }
    Ok(())
}
