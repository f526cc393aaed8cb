//! Reports rendered from measurement results: the annual bomiljø report (HTML per bydel).
//! Reports leave the municipality, so they render after the privacy checkpoint (public view
//! unless an analyst asks for the internal one).

pub mod annual;
mod svg;
