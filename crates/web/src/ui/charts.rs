//! Charts and maps drawn on the server as SVG: no script, no tile server, readable by screen
//! readers (`role="img"` with a title and a description; every shape has its own title).
//! Colours are SVG attributes, not `style`, so the Content-Security-Policy can forbid inline
//! styles.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::OnceLock;

const ADMIN1: &str = include_str!("../../../../data/reference/mali-admin1.geojson");
const ADMIN2: &str = include_str!("../../../../data/reference/mali-admin2.geojson");

/// Sequential palette (light to dark blue), readable in print and by most colour-blind readers.
const CLASSES: [&str; 5] = ["#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c"];
const EMPTY: &str = "#f2f2f2";
/// Qualitative palette for lines.
pub const SERIES_COLOURS: [&str; 6] = ["#08519c", "#d94801", "#238b45", "#6a51a3", "#a50f15", "#525252"];

/// Escapes text for SVG and HTML.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A number with thin spaces between thousands (French and SI style, clear in English too).
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn open_svg(out: &mut String, width: u32, height: u32, title: &str, desc: &str, id: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" role="img" aria-labelledby="{id}-t {id}-d" class="chart"><title id="{id}-t">{}</title><desc id="{id}-d">{}</desc>"#,
        esc(title),
        esc(desc)
    );
}

/// Rounds `max` up to a readable axis maximum (1, 2 or 5 × a power of ten).
fn nice_max(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    for step in [1.0, 2.0, 5.0, 10.0] {
        if max <= step * magnitude {
            return step * magnitude;
        }
    }
    10.0 * magnitude
}

/// One line of a line chart.
pub struct Series {
    pub label: String,
    pub values: Vec<u64>,
}

/// Lines over shared x labels (e.g. month ends), with a y axis from zero and a legend.
pub fn line_chart(id: &str, title: &str, desc: &str, x_labels: &[String], series: &[Series]) -> String {
    let (width, height, left, right, top, bottom) = (640.0, 260.0, 64.0, 24.0, 12.0, 56.0);
    let mut out = String::new();
    open_svg(&mut out, width as u32, height as u32, title, desc, id);
    let max = series.iter().flat_map(|s| s.values.iter()).copied().max().unwrap_or(0) as f64;
    // Below 4, ticks at every whole number, so small counts do not get fractional labels.
    let top_value = nice_max(max).max(4.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let y = |v: f64| top + plot_h - v / top_value * plot_h;
    let x = |i: usize| {
        left + if x_labels.len() > 1 { i as f64 * plot_w / (x_labels.len() - 1) as f64 } else { plot_w / 2.0 }
    };
    for tick in 0..=4 {
        let value = top_value * tick as f64 / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" font-size="11" fill="#333">{}</text>"##,
            width - right,
            left - 6.0,
            y(value) + 4.0,
            thousands(value as u64),
            y = y(value)
        );
    }
    for (i, label) in x_labels.iter().enumerate() {
        if x_labels.len() <= 13 || i % 2 == 0 {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{}" text-anchor="middle" font-size="11" fill="#333">{}</text>"##,
                x(i),
                top + plot_h + 16.0,
                esc(label)
            );
        }
    }
    for (n, s) in series.iter().enumerate() {
        let colour = SERIES_COLOURS[n % SERIES_COLOURS.len()];
        let points: Vec<String> =
            s.values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v as f64))).collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2.5" points="{}"/>"#,
            points.join(" ")
        );
        for (i, v) in s.values.iter().enumerate() {
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{} · {}: {}</title></circle>"#,
                x(i),
                y(*v as f64),
                esc(&s.label),
                esc(x_labels.get(i).map(String::as_str).unwrap_or("")),
                thousands(*v)
            );
        }
        let legend_x = left + (n as f64 % 3.0) * 190.0;
        let legend_y = height - 22.0 + (n / 3) as f64 * 14.0;
        let _ = write!(
            out,
            r##"<rect x="{legend_x}" y="{:.1}" width="12" height="4" fill="{colour}"/><text x="{:.1}" y="{legend_y:.1}" font-size="11" fill="#333">{}</text>"##,
            legend_y - 4.0,
            legend_x + 16.0,
            esc(&s.label)
        );
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars, largest first as given.
pub fn bar_chart(id: &str, title: &str, desc: &str, bars: &[(String, u64)]) -> String {
    let row = 22.0;
    let (width, left, right) = (640.0, 180.0, 70.0);
    let height = 8.0 + row * bars.len().max(1) as f64;
    let mut out = String::new();
    open_svg(&mut out, width as u32, height as u32, title, desc, id);
    let max = nice_max(bars.iter().map(|b| b.1).max().unwrap_or(0) as f64);
    for (i, (label, value)) in bars.iter().enumerate() {
        let y = 4.0 + i as f64 * row;
        let w = (*value as f64 / max * (width - left - right)).max(1.0);
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#222">{}</text><rect x="{left}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect><text x="{:.1}" y="{:.1}" font-size="12" fill="#222">{}</text>"##,
            left - 6.0,
            y + 15.0,
            esc(label),
            y + 3.0,
            row - 6.0,
            CLASSES[3],
            esc(label),
            thousands(*value),
            left + w + 4.0,
            y + 15.0,
            thousands(*value)
        );
    }
    out.push_str("</svg>");
    out
}

/// A polygon outline of one admin unit, projected to the map's coordinates.
struct Shape {
    pcode: String,
    name: String,
    path: String,
}

/// Mali spans about 12.3°W–4.3°E and 10.1°N–25°N; an equirectangular projection scaled by the
/// cosine of the middle latitude keeps shapes recognisable at this size.
const MAP_WIDTH: f64 = 600.0;
const WEST: f64 = -12.4;
const EAST: f64 = 4.4;
const NORTH: f64 = 25.1;
const SOUTH: f64 = 10.0;

fn map_height() -> f64 {
    let k = (17.5f64).to_radians().cos();
    MAP_WIDTH * (NORTH - SOUTH) / ((EAST - WEST) * k)
}

fn project(lon: f64, lat: f64) -> (f64, f64) {
    let x = (lon - WEST) / (EAST - WEST) * MAP_WIDTH;
    let y = (NORTH - lat) / (NORTH - SOUTH) * map_height();
    (x, y)
}

fn ring_path(out: &mut String, ring: &serde_json::Value) {
    let Some(points) = ring.as_array() else { return };
    for (i, point) in points.iter().enumerate() {
        let (Some(lon), Some(lat)) = (point.get(0).and_then(|v| v.as_f64()), point.get(1).and_then(|v| v.as_f64()))
        else {
            continue;
        };
        let (x, y) = project(lon, lat);
        let _ = write!(out, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
    }
    out.push('Z');
}

fn shapes(geojson: &str) -> Vec<Shape> {
    // The GeoJSON is compiled in and tested: unreadable, it draws no map rather than failing a page.
    let parsed: serde_json::Value = serde_json::from_str(geojson).unwrap_or_default();
    let mut shapes = Vec::new();
    for feature in parsed["features"].as_array().into_iter().flatten() {
        let properties = &feature["properties"];
        let geometry = &feature["geometry"];
        let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str() {
            Some("Polygon") => vec![&geometry["coordinates"]],
            Some("MultiPolygon") => geometry["coordinates"].as_array().into_iter().flatten().collect(),
            _ => continue,
        };
        let mut path = String::new();
        for polygon in polygons {
            for ring in polygon.as_array().into_iter().flatten() {
                ring_path(&mut path, ring);
            }
        }
        shapes.push(Shape {
            pcode: properties["pcode"].as_str().unwrap_or_default().to_string(),
            name: properties["name"].as_str().unwrap_or_default().to_string(),
            path,
        });
    }
    shapes
}

fn shapes_at(level: u8) -> Option<&'static [Shape]> {
    static LEVEL1: OnceLock<Vec<Shape>> = OnceLock::new();
    static LEVEL2: OnceLock<Vec<Shape>> = OnceLock::new();
    match level {
        1 => Some(LEVEL1.get_or_init(|| shapes(ADMIN1))),
        2 => Some(LEVEL2.get_or_init(|| shapes(ADMIN2))),
        _ => None,
    }
}

/// Class breaks: five classes of equal count among the places with people (quantiles), so a
/// single large place does not wash out the rest of the map.
fn breaks(values: &HashMap<String, u64>) -> Vec<u64> {
    let mut positive: Vec<u64> = values.values().copied().filter(|v| *v > 0).collect();
    positive.sort_unstable();
    positive.dedup();
    if positive.is_empty() {
        return Vec::new();
    }
    let mut out: Vec<u64> =
        (1..CLASSES.len()).map(|k| positive[(k * positive.len() / CLASSES.len()).min(positive.len() - 1)]).collect();
    out.dedup();
    out
}

fn class_of(value: u64, breaks: &[u64]) -> &'static str {
    if value == 0 {
        return EMPTY;
    }
    let index = breaks.iter().take_while(|b| value >= **b).count();
    CLASSES[index.min(CLASSES.len() - 1)]
}

/// A choropleth of `values` (P-code → individuals) at admin level 1 or 2; `None` at other
/// levels (there are no commune boundaries in the shipped data). `legend_none` labels places
/// with nobody.
pub fn choropleth(
    id: &str,
    title: &str,
    desc: &str,
    level: u8,
    values: &HashMap<String, u64>,
    legend_none: &str,
) -> Option<String> {
    let shapes = shapes_at(level)?;
    let height = map_height();
    let mut out = String::new();
    open_svg(&mut out, MAP_WIDTH as u32 + 170, height as u32, title, desc, id);
    let breaks = breaks(values);
    for shape in shapes {
        let value = values.get(&shape.pcode).copied().unwrap_or(0);
        let _ = write!(
            out,
            r##"<path d="{}" fill="{}" stroke="#fff" stroke-width="{}" data-pcode="{}"><title>{} ({}): {}</title></path>"##,
            shape.path,
            class_of(value, &breaks),
            if level == 1 { 1.2 } else { 0.5 },
            esc(&shape.pcode),
            esc(&shape.name),
            esc(&shape.pcode),
            thousands(value)
        );
    }
    // Legend: one swatch per class with its range.
    let legend_x = MAP_WIDTH + 16.0;
    let mut rows: Vec<(String, &str)> = vec![(legend_none.to_string(), EMPTY)];
    let mut lower = 1;
    for (i, colour) in CLASSES.iter().enumerate().take(breaks.len() + 1) {
        let upper = breaks.get(i).map(|b| b.saturating_sub(1));
        let label = match upper {
            Some(upper) if upper == lower => thousands(lower),
            Some(upper) if upper > lower => format!("{} – {}", thousands(lower), thousands(upper)),
            Some(_) => continue,
            None => format!("≥ {}", thousands(lower)),
        };
        rows.push((label, colour));
        lower = breaks.get(i).copied().unwrap_or(lower);
    }
    if breaks.is_empty() {
        rows.truncate(1);
    }
    for (i, (label, colour)) in rows.iter().enumerate() {
        let y = 20.0 + i as f64 * 22.0;
        let _ = write!(
            out,
            r##"<rect x="{legend_x}" y="{y}" width="16" height="16" fill="{colour}" stroke="#999" stroke-width="0.5"/><text x="{}" y="{}" font-size="12" fill="#222">{}</text>"##,
            legend_x + 22.0,
            y + 12.5,
            esc(label)
        );
    }
    out.push_str("</svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_of_the_gazetteer_is_on_the_map() {
        let shapes = shapes_at(1).unwrap();
        assert!(shapes.len() >= 10, "{} régions", shapes.len());
        assert!(shapes.iter().all(|s| s.pcode.starts_with("ML") && s.path.starts_with('M')));
        assert!(shapes_at(2).unwrap().len() >= 49);
        assert!(shapes_at(3).is_none());
    }

    #[test]
    fn the_map_shades_places_by_class_and_names_them() {
        let values: HashMap<String, u64> =
            [("ML07".to_string(), 12_000), ("ML06".to_string(), 300), ("ML05".to_string(), 5)].into_iter().collect();
        let svg = choropleth("m", "Title <x>", "Desc", 1, &values, "none").unwrap();
        assert!(svg.contains("Title &lt;x&gt;"));
        assert!(svg.contains("12\u{202f}000"));
        let fill = |pcode: &str| {
            let before = svg.split(&format!("data-pcode=\"{pcode}\"")).next().unwrap();
            before.rsplit("fill=\"").next().unwrap()[..7].to_string()
        };
        let class = |pcode: &str| CLASSES.iter().position(|c| *c == fill(pcode));
        // More people, darker; a région with nobody is grey.
        assert!(
            class("ML07") > class("ML06") && class("ML06") > class("ML05"),
            "{:?}",
            (fill("ML07"), fill("ML06"), fill("ML05"))
        );
        assert_eq!(fill("ML01"), EMPTY);
    }

    #[test]
    fn numbers_and_axes_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(730.0), 1000.0);
        assert_eq!(nice_max(1500.0), 2000.0);
        assert_eq!(nice_max(4200.0), 5000.0);
    }
}
