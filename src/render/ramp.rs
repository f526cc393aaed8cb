//! Viridis: a perceptually uniform ramp that stays readable for the common forms of colour
//! blindness and in greyscale.

/// Viridis control points (every 1/8 of the ramp), RGB.
const VIRIDIS: [[u8; 3]; 9] =
    [[68, 1, 84], [70, 50, 127], [54, 92, 141], [39, 127, 142], [31, 161, 135], [74, 194, 109], [159, 218, 58], [223, 227, 24], [253, 231, 37]];

/// The colour at `t` in 0..=1 (clamped), interpolated between control points.
///
/// ```
/// use bomiljo::render::ramp::viridis;
/// assert_eq!(viridis(0.0), [68, 1, 84]);
/// assert_eq!(viridis(1.0), [253, 231, 37]);
/// ```
pub fn viridis(t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let i = (t.floor() as usize).min(VIRIDIS.len() - 2);
    let f = t - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    [0, 1, 2].map(|c| (f64::from(a[c]) + (f64::from(b[c]) - f64::from(a[c])) * f).round() as u8)
}

/// Hex colour for legends.
pub fn hex([r, g, b]: [u8; 3]) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}
