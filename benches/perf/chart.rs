//! The charts of `docs/performance.md`, as hand-written SVG: throughput against the server's
//! rate limit (one line per latency, the limit itself as the dashed diagonal nobody can
//! cross), and goodput against the client's rate for each limiter (`limiter_chart.rs`). No
//! plotting crate: a few dozen lines of SVG need no dependency to review.

use std::fmt::Write;

/// One measured point.
pub struct Point {
    pub limit: f64,
    pub latency_ms: u64,
    pub throughput: f64,
}

/// The plot's own width, between the axis labels and the legend.
const PLOT_WIDTH: f64 = 420.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 70.0;
/// Room on the right for the throughput chart's legend.
const RIGHT: f64 = 150.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
pub(crate) const COLOURS: [&str; 6] = [
    "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d",
];

/// A chart's frame: the scales from values to pixels, the axes, ticks, grid, labels, legend.
pub(crate) struct Frame {
    pub out: String,
    x_max: f64,
    y_max: f64,
    legend: usize,
}

impl Frame {
    /// `right`: room on the right for the legend.
    pub fn new(
        right: f64,
        title: &str,
        x_label: &str,
        y_label: &str,
        x_max: f64,
        y_max: f64,
    ) -> Frame {
        let width = LEFT + PLOT_WIDTH + right;
        let mut frame = Frame {
            out: String::new(),
            x_max,
            y_max,
            legend: 0,
        };
        let out = &mut frame.out;
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(
            out,
            r#"<rect width="100%" height="100%" fill="white"/><text x="{}" y="22" text-anchor="middle" font-size="14">{title}</text>"#,
            width / 2.0
        );
        let (x0, y0, x1, y1) = (frame.x(0.0), frame.y(0.0), frame.x(x_max), frame.y(y_max));
        let out = &mut frame.out;
        let _ = writeln!(
            out,
            r##"<path d="M{x0},{y1} L{x0},{y0} L{x1},{y0}" stroke="#333" fill="none"/>"##
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">{x_label}</text>"#,
            (x0 + x1) / 2.0,
            HEIGHT - 20.0
        );
        let _ = writeln!(
            out,
            r#"<text x="18" y="{}" text-anchor="middle" transform="rotate(-90 18 {})">{y_label}</text>"#,
            (y0 + y1) / 2.0,
            (y0 + y1) / 2.0
        );
        for tick in ticks(y_max) {
            let yt = frame.y(tick);
            let _ = writeln!(
                frame.out,
                r##"<line x1="{x0}" y1="{yt}" x2="{x1}" y2="{yt}" stroke="#eee"/><text x="{xl}" y="{yl}" text-anchor="end">{tick}</text>"##,
                xl = x0 - 6.0,
                yl = yt + 4.0,
            );
        }
        for tick in ticks(x_max) {
            let xt = frame.x(tick);
            let _ = writeln!(
                frame.out,
                r#"<text x="{xt}" y="{yb}" text-anchor="middle">{tick}</text>"#,
                yb = y0 + 16.0,
            );
        }
        frame
    }

    pub fn x(&self, v: f64) -> f64 {
        LEFT + v / self.x_max * PLOT_WIDTH
    }

    pub fn y(&self, v: f64) -> f64 {
        HEIGHT - BOTTOM - v / self.y_max * (HEIGHT - TOP - BOTTOM)
    }

    /// A dashed grey line between two points in the chart's values.
    pub fn dashed(&mut self, from: (f64, f64), to: (f64, f64), colour: &str) {
        let _ = writeln!(
            self.out,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{colour}" stroke-dasharray="5,4"/>"#,
            self.x(from.0),
            self.y(from.1),
            self.x(to.0),
            self.y(to.1)
        );
    }

    /// A line through `points` (in the chart's values) with a dot at each.
    pub fn line(&mut self, points: &[(f64, f64)], colour: &str) {
        let path: Vec<String> = points
            .iter()
            .map(|&(px, py)| format!("{:.1},{:.1}", self.x(px), self.y(py)))
            .collect();
        let _ = writeln!(
            self.out,
            r#"<polyline points="{}" stroke="{colour}" stroke-width="2" fill="none"/>"#,
            path.join(" ")
        );
        for &(px, py) in points {
            let _ = writeln!(
                self.out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"/>"#,
                self.x(px),
                self.y(py)
            );
        }
    }

    /// A hollow marker, for a point that is not part of a line.
    pub fn ring(&mut self, (px, py): (f64, f64), colour: &str) {
        let _ = writeln!(
            self.out,
            r#"<circle cx="{:.1}" cy="{:.1}" r="6" stroke="{colour}" stroke-width="2" fill="none"/>"#,
            self.x(px),
            self.y(py)
        );
    }

    /// The next line of the legend: a short stroke (dashed or not) and its text.
    pub fn legend(&mut self, text: &str, colour: &str, dashed: bool) {
        let ly = self.next_legend_line();
        let dash = if dashed {
            r#" stroke-dasharray="5,4""#
        } else {
            r#" stroke-width="2""#
        };
        let _ = writeln!(
            self.out,
            r#"<line x1="{lx}" y1="{ly}" x2="{lx2}" y2="{ly}" stroke="{colour}"{dash}/><text x="{lt}" y="{lyt}">{text}</text>"#,
            lx = LEFT + PLOT_WIDTH + 15.0,
            lx2 = LEFT + PLOT_WIDTH + 35.0,
            lt = LEFT + PLOT_WIDTH + 40.0,
            lyt = ly + 4.0,
        );
    }

    /// A legend line for the hollow marker of [`Frame::ring`].
    pub fn legend_ring(&mut self, text: &str, colour: &str) {
        let ly = self.next_legend_line();
        let _ = writeln!(
            self.out,
            r#"<circle cx="{cx}" cy="{ly}" r="6" stroke="{colour}" stroke-width="2" fill="none"/><text x="{lt}" y="{lyt}">{text}</text>"#,
            cx = LEFT + PLOT_WIDTH + 25.0,
            lt = LEFT + PLOT_WIDTH + 40.0,
            lyt = ly + 4.0,
        );
    }

    fn next_legend_line(&mut self) -> f64 {
        self.legend += 1;
        TOP + 20.0 * self.legend as f64
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// Achieved requests a second against the limit, one line per latency.
pub fn svg(points: &[Point], title: &str) -> String {
    let max = points
        .iter()
        .map(|p| p.limit.max(p.throughput))
        .fold(1.0_f64, f64::max)
        * 1.1;
    let mut frame = Frame::new(
        RIGHT,
        title,
        "server rate limit (requests/s)",
        "achieved (requests/s, whole run)",
        max,
        max,
    );
    frame.dashed((0.0, 0.0), (max, max), "#999");
    let mut latencies: Vec<u64> = points.iter().map(|p| p.latency_ms).collect();
    latencies.sort_unstable();
    latencies.dedup();
    for (n, latency) in latencies.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        let mut line: Vec<&Point> = points.iter().filter(|p| p.latency_ms == *latency).collect();
        line.sort_by(|a, b| a.limit.total_cmp(&b.limit));
        let values: Vec<(f64, f64)> = line.iter().map(|p| (p.limit, p.throughput)).collect();
        frame.line(&values, colour);
        frame.legend(&format!("{latency} ms latency"), colour, false);
    }
    frame.legend("the limit", "#999", true);
    frame.finish()
}

/// Round tick values up to `max`: steps of 1, 2 or 5 times a power of ten, at least four.
fn ticks(max: f64) -> Vec<f64> {
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [5.0, 2.0, 1.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s <= raw)
        .unwrap_or(magnitude);
    (1..)
        .map(|n| n as f64 * step)
        .take_while(|t| *t <= max + 1e-9)
        .map(|t| (t * 1e6).round() / 1e6)
        .collect()
}
