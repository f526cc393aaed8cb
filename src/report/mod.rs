//! Reports rendered from measurement results: the annual bomiljø report (HTML per bydel) and
//! the neighbour-dialogue fact sheet (PDF).
//! Reports leave the municipality, so they render after the privacy checkpoint (public view
//! unless an analyst asks for the internal one).

pub mod annual;
pub mod dialogue;
pub mod pdf;
mod svg;

pub use annual::ReportError;
