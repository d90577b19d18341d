//! A hand-written SVG line plot of offset over time, one line per client.

use std::fmt::Write as _;
use std::prelude::rust_2024::*;

const COLORS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

/// An SVG document plotting `series` (per client: (true time s, offset s)),
/// offsets in µs, clipped to ±`clip_us` (the axis range is the larger of the
/// data's 99.9 % range and 1 µs).
pub fn offset_svg(title: &str, series: &[Vec<(f64, f64)>]) -> String {
    let (w, h, left, right, top, bottom) = (1000.0, 500.0, 80.0, 20.0, 40.0, 50.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let t_max = series
        .iter()
        .flat_map(|s| s.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let mut mags: Vec<f64> = series
        .iter()
        .flat_map(|s| s.iter().map(|p| (p.1 * 1e6).abs()))
        .collect();
    mags.sort_by(|a, b| a.total_cmp(b));
    let y_max = mags
        .get(mags.len() * 999 / 1000)
        .copied()
        .unwrap_or(1.0)
        .max(1.0)
        * 1.1;
    let x = |t: f64| left + t / t_max * pw;
    let y = |us: f64| top + ph / 2.0 - us.clamp(-y_max, y_max) / y_max * ph / 2.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">{}</text>\n",
        w / 2.0,
        title
    );
    // Axes and grid.
    for k in -2..=2 {
        let v = y_max * f64::from(k) / 2.0;
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y0:.1}\" y2=\"{y0:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.1}</text>",
            left + pw,
            left - 6.0,
            y(v) + 4.0,
            y0 = y(v)
        );
    }
    let hours = (t_max / 3600.0).ceil() as i64;
    let step = (hours / 12).max(1);
    for hr in (0..=hours).step_by(step as usize) {
        let xx = x(hr as f64 * 3600.0);
        let _ = writeln!(
            s,
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{top}\" y2=\"{}\" stroke=\"#eee\"/><text x=\"{xx:.1}\" y=\"{}\" text-anchor=\"middle\">{hr} h</text>",
            top + ph,
            top + ph + 18.0
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"20\" y=\"{}\" transform=\"rotate(-90 20 {})\" text-anchor=\"middle\">offset (µs)</text>",
        top + ph / 2.0,
        top + ph / 2.0
    );
    for (i, series) in series.iter().enumerate() {
        let mut d = String::new();
        for (j, &(t, o)) in series.iter().enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1}",
                if j == 0 { "M" } else { " L" },
                x(t),
                y(o * 1e6)
            );
        }
        let _ = writeln!(
            s,
            "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"0.8\" opacity=\"0.8\"/>",
            COLORS[i % COLORS.len()]
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_an_svg() {
        let svg = offset_svg("t", &[vec![(0.0, 1e-5), (3600.0, -1e-5)]]);
        assert!(svg.starts_with("<svg") && svg.contains("<path"));
    }
}
