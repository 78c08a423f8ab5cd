//! The throughput chart of `docs/performance.md`, as a hand-written SVG: achieved requests a
//! second against the server's rate limit, one line per latency, and the limit itself as the
//! dashed diagonal nobody can cross. No plotting crate: a few dozen lines of SVG need no
//! dependency to review.

use std::fmt::Write;

/// One measured point.
pub struct Point {
    pub limit: f64,
    pub latency_ms: u64,
    pub throughput: f64,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;
const COLOURS: [&str; 4] = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a"];

pub fn svg(points: &[Point], title: &str) -> String {
    let max = points
        .iter()
        .map(|p| p.limit.max(p.throughput))
        .fold(1.0_f64, f64::max)
        * 1.1;
    let x = |v: f64| LEFT + v / max * (WIDTH - LEFT - RIGHT);
    let y = |v: f64| HEIGHT - BOTTOM - v / max * (HEIGHT - TOP - BOTTOM);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="100%" height="100%" fill="white"/><text x="{}" y="22" text-anchor="middle" font-size="14">{title}</text>"#,
        WIDTH / 2.0
    );
    // Axes, ticks and grid.
    let (x0, y0, x1, y1) = (x(0.0), y(0.0), x(max), y(max));
    let _ = writeln!(
        out,
        r##"<path d="M{x0},{y1} L{x0},{y0} L{x1},{y0}" stroke="#333" fill="none"/>"##
    );
    for tick in ticks(max) {
        let _ = writeln!(
            out,
            r##"<line x1="{x0}" y1="{yt}" x2="{x1}" y2="{yt}" stroke="#eee"/><text x="{xl}" y="{yl}" text-anchor="end">{tick}</text><text x="{xt}" y="{yb}" text-anchor="middle">{tick}</text>"##,
            yt = y(tick),
            xl = x0 - 6.0,
            yl = y(tick) + 4.0,
            xt = x(tick),
            yb = y0 + 16.0,
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle">server rate limit (requests/s)</text>"#,
        (x0 + x1) / 2.0,
        HEIGHT - 20.0
    );
    let _ = writeln!(
        out,
        r#"<text x="18" y="{}" text-anchor="middle" transform="rotate(-90 18 {})">achieved (requests/s, whole run)</text>"#,
        (y0 + y1) / 2.0,
        (y0 + y1) / 2.0
    );
    let _ = writeln!(
        out,
        r##"<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#999" stroke-dasharray="5,4"/>"##
    );
    // One line per latency.
    let mut latencies: Vec<u64> = points.iter().map(|p| p.latency_ms).collect();
    latencies.sort_unstable();
    latencies.dedup();
    for (n, latency) in latencies.iter().enumerate() {
        let colour = COLOURS[n % COLOURS.len()];
        let mut line: Vec<&Point> = points.iter().filter(|p| p.latency_ms == *latency).collect();
        line.sort_by(|a, b| a.limit.total_cmp(&b.limit));
        let path: Vec<String> = line
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.limit), y(p.throughput)))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline points="{}" stroke="{colour}" stroke-width="2" fill="none"/>"#,
            path.join(" ")
        );
        for p in &line {
            let _ = writeln!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"/>"#,
                x(p.limit),
                y(p.throughput)
            );
        }
        let ly = TOP + 20.0 + 20.0 * n as f64;
        let _ = writeln!(
            out,
            r#"<line x1="{lx}" y1="{ly}" x2="{lx2}" y2="{ly}" stroke="{colour}" stroke-width="2"/><text x="{lt}" y="{lyt}">{latency} ms latency</text>"#,
            lx = WIDTH - RIGHT + 15.0,
            lx2 = WIDTH - RIGHT + 35.0,
            lt = WIDTH - RIGHT + 40.0,
            lyt = ly + 4.0,
        );
    }
    let ly = TOP + 20.0 + 20.0 * latencies.len() as f64;
    let _ = writeln!(
        out,
        r##"<line x1="{lx}" y1="{ly}" x2="{lx2}" y2="{ly}" stroke="#999" stroke-dasharray="5,4"/><text x="{lt}" y="{lyt}">the limit</text>"##,
        lx = WIDTH - RIGHT + 15.0,
        lx2 = WIDTH - RIGHT + 35.0,
        lt = WIDTH - RIGHT + 40.0,
        lyt = ly + 4.0,
    );
    out.push_str("</svg>\n");
    out
}

/// Round tick values up to `max`.
fn ticks(max: f64) -> Vec<f64> {
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(magnitude * 10.0);
    (1..)
        .map(|n| n as f64 * step)
        .take_while(|t| *t <= max)
        .collect()
}
