//! `.local/report.html`: the dashboard's charts (edges and graph operations written per second, write latency, retries,
//! rejects, iterator age per shard) drawn from the run's own metrics. One self-contained file:
//! the data is embedded as JSON and a small inline script draws SVG charts, no network needed.

use std::path::Path;

use serde::Serialize;
use serde_json::json;

use crate::error::{LocalError, Result};
use crate::metrics::{RunMetrics, Second};

/// The charts, in page order: (element id, title, unit).
pub const CHARTS: &[(&str, &str, &str)] = &[
    (
        "written",
        "Edges and graph operations written per second",
        "per s",
    ),
    ("latency", "Write latency per invocation", "ms"),
    ("retries", "Retries per second", "retries/s"),
    ("rejects", "Rejected records per second", "records/s"),
    ("iterator-age", "Iterator age per shard", "ms"),
];

/// The run summary shown above the charts.
#[derive(Debug, Clone, Serialize)]
pub struct ReportSummary {
    /// e.g. `demo: sent N edges, ...`.
    pub headline: String,
    /// Settings and facts, as (name, value).
    pub facts: Vec<(String, String)>,
}

/// The series of every chart, from the per-second metrics.
pub fn chart_data(seconds: &[Second]) -> serde_json::Value {
    let t: Vec<u64> = seconds.iter().map(|s| s.t).collect();
    let series = |name: &str, f: &dyn Fn(&Second) -> Option<f64>| {
        let points: Vec<[f64; 2]> = seconds
            .iter()
            .filter_map(|s| f(s).map(|v| [s.t as f64, v]))
            .collect();
        json!({"name": name, "points": points})
    };
    let mut shards: Vec<&String> = seconds
        .iter()
        .flat_map(|s| s.iterator_age_ms.keys())
        .collect();
    shards.sort();
    shards.dedup();
    let ages: Vec<serde_json::Value> = shards
        .iter()
        .map(|shard| {
            series(shard, &|s: &Second| {
                s.iterator_age_ms.get(*shard).map(|v| *v as f64)
            })
        })
        .collect();
    json!({
        "t": t,
        "written": [
            series("edges", &|s| Some(s.written as f64)),
            series("operations", &|s| Some(s.operations as f64)),
        ],
        "latency": [
            series("average", &|s| (s.invocations > 0).then(|| s.latency_sum_ms as f64 / s.invocations as f64)),
            series("max", &|s| (s.invocations > 0).then_some(s.latency_max_ms as f64)),
        ],
        "retries": [series("retries", &|s| Some(s.retries as f64))],
        "rejects": [series("rejected", &|s| Some(s.rejected as f64))],
        "iterator-age": ages,
    })
}

/// Renders the page.
pub fn render(metrics: &RunMetrics, summary: &ReportSummary) -> String {
    let data = json!({
        "summary": summary,
        "charts": CHARTS.iter().map(|(id, title, unit)| json!({"id": id, "title": title, "unit": unit})).collect::<Vec<_>>(),
        "series": chart_data(&metrics.seconds()),
    });
    // `</` cannot end the script element early once escaped.
    let data = data.to_string().replace("</", "<\\/");
    TEMPLATE.replace("/*DATA*/", &data)
}

/// Writes the page to `path`.
pub fn write(path: &Path, metrics: &RunMetrics, summary: &ReportSummary) -> Result<()> {
    std::fs::write(path, render(metrics, summary)).map_err(|source| LocalError::Io {
        action: "write",
        path: path.to_owned(),
        source,
    })
}

const TEMPLATE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>stream2neptune local run</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; }
h1 { font-size: 20px; margin: 0 0 4px; }
.headline { font-family: ui-monospace, monospace; background: #fff; border: 1px solid #ddd; padding: 8px; }
table.facts { border-collapse: collapse; margin: 12px 0; }
table.facts td { padding: 2px 12px 2px 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
.chart { background: #fff; border: 1px solid #ddd; padding: 8px; }
.chart h2 { font-size: 14px; margin: 0 0 4px; }
.legend span { margin-right: 12px; font-size: 12px; }
svg text { font-size: 10px; fill: #555; }
</style>
</head>
<body>
<h1>stream2neptune: local run</h1>
<p class="headline" id="headline"></p>
<table class="facts" id="facts"></table>
<div class="grid" id="charts"></div>
<script type="application/json" id="data">/*DATA*/</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById("data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  document.getElementById("headline").textContent = data.summary.headline;
  var facts = document.getElementById("facts");
  data.summary.facts.forEach(function (f) {
    var tr = facts.insertRow(); tr.insertCell().textContent = f[0]; tr.insertCell().textContent = f[1];
  });
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  var W = 500, H = 220, L = 50, R = 10, T = 10, B = 30;
  data.charts.forEach(function (chart) {
    var series = data.series[chart.id] || [];
    var box = document.createElement("div");
    box.className = "chart"; box.id = "chart-" + chart.id;
    var h = document.createElement("h2"); h.textContent = chart.title + " (" + chart.unit + ")"; box.appendChild(h);
    var svg = el("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": chart.title});
    var xs = [], ys = [];
    series.forEach(function (s) { s.points.forEach(function (p) { xs.push(p[0]); ys.push(p[1]); }); });
    var xmax = Math.max(1, Math.max.apply(null, xs.concat([0]))), ymax = Math.max(1, Math.max.apply(null, ys.concat([0])));
    function X(v) { return L + (W - L - R) * v / xmax; }
    function Y(v) { return H - B - (H - T - B) * v / ymax; }
    el("line", {x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#999"}, svg);
    el("line", {x1: L, y1: T, x2: L, y2: H - B, stroke: "#999"}, svg);
    for (var i = 0; i <= 4; i++) {
      var v = ymax * i / 4, y = Y(v);
      el("line", {x1: L, y1: y, x2: W - R, y2: y, stroke: "#eee"}, svg);
      el("text", {x: L - 4, y: y + 3, "text-anchor": "end"}, svg).textContent = v >= 100 ? Math.round(v) : v.toFixed(1);
      var xv = xmax * i / 4;
      el("text", {x: X(xv), y: H - B + 14, "text-anchor": "middle"}, svg).textContent = (xmax < 20 ? xv.toFixed(1) : Math.round(xv)) + " s";
    }
    var points = 0;
    var legend = document.createElement("div"); legend.className = "legend";
    series.forEach(function (s, n) {
      var color = COLORS[n % COLORS.length];
      var text = s.points.map(function (p) { return X(p[0]).toFixed(1) + "," + Y(p[1]).toFixed(1); }).join(" ");
      el("polyline", {points: text, fill: "none", stroke: color, "stroke-width": 1.5, "data-series": s.name}, svg);
      points += s.points.length;
      var key = document.createElement("span"); key.style.color = color; key.textContent = "\u25a0 " + s.name; legend.appendChild(key);
    });
    svg.setAttribute("data-points", points);
    box.appendChild(svg); box.appendChild(legend);
    document.getElementById("charts").appendChild(box);
  });
  document.body.setAttribute("data-rendered", data.charts.length);
})();
</script>
</body>
</html>
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_embedded_safely_and_every_chart_has_series() {
        let m = RunMetrics::default();
        m.add_emf(&[serde_json::json!({"EdgesWritten": 5, "WriteDuration": 7})]);
        m.set_iterator_age("shardId-000000000000", 12);
        let page = render(
            &m,
            &ReportSummary {
                headline: "demo: </script><b>".into(),
                facts: vec![],
            },
        );
        assert!(
            !page.contains("</script><b>"),
            "the headline must not close the script element"
        );
        let data = chart_data(&m.seconds());
        for (id, _, _) in CHARTS {
            assert!(
                data[*id].as_array().is_some_and(|s| !s.is_empty()),
                "{id} has no series"
            );
        }
        assert_eq!(data["iterator-age"][0]["name"], "shardId-000000000000");
    }
}
