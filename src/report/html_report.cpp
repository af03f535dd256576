// The HTML reports of profile and compare: charts drawn with report/svg.h, tables, a header naming
// the machine, and a few lines of inline JavaScript (tooltips, sorting). Nothing is fetched.
#include "report/html_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "report/chart.h"
#include "report/svg.h"
#include "run/executor.h"

namespace mnet {

namespace {

const char* const kStyle = R"(body{font-family:sans-serif;margin:20px;color:#222;max-width:1400px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ccc}
.meta{color:#444;font-size:13px;line-height:1.5}.note{color:#555;font-size:13px}
svg{display:block;margin:8px 0;max-width:100%;height:auto}
table{border-collapse:collapse;font-size:12px;margin:8px 0}
th,td{border:1px solid #ddd;padding:2px 6px;white-space:nowrap}th{background:#f2f2f2;cursor:pointer}
td.n{text-align:right;font-variant-numeric:tabular-nums}tr:hover td{background:#fff6d5}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border:1px solid #555}
.layer .hit{fill:#000;fill-opacity:0}.layer.hover .hit{fill-opacity:0.10}
.point.hover circle,.segment.hover rect{stroke:#000;stroke-width:2}
#tip{position:absolute;display:none;background:#fffff0;border:1px solid #888;padding:4px 8px;font-size:12px;
white-space:pre;pointer-events:none;box-shadow:2px 2px 4px rgba(0,0,0,.2)}
)";

// The page is also well-formed XML (self-closed void elements, the script in CDATA), so that any
// XML parser can check it. Tooltips from each element's data-tip (its <title> is removed, so that the browser's own tooltip
// does not show the same text twice); tables sort by a click on a column's header.
const char* const kScript = R"(<script>//<![CDATA[
(function(){var tip=document.getElementById('tip');
document.querySelectorAll('[data-tip]').forEach(function(el){
var t=el.querySelector(':scope > title');if(t)t.remove();
el.addEventListener('mousemove',function(e){tip.textContent=el.getAttribute('data-tip');tip.style.display='block';
tip.style.left=(e.pageX+14)+'px';tip.style.top=(e.pageY+14)+'px';el.classList.add('hover');});
el.addEventListener('mouseleave',function(){tip.style.display='none';el.classList.remove('hover');});});
document.querySelectorAll('table.sortable th').forEach(function(th,i){th.addEventListener('click',function(){
var tb=th.closest('table').tBodies[0],rows=Array.from(tb.rows),asc=th.dataset.dir!=='asc';th.dataset.dir=asc?'asc':'desc';
var key=function(r){var c=r.cells[i],v=c&&c.dataset.v!==undefined?parseFloat(c.dataset.v):NaN;return isNaN(v)?(c?c.textContent:''):v;};
rows.sort(function(a,b){var x=key(a),y=key(b),d=(typeof x==='number'&&typeof y==='number')?x-y:String(x).localeCompare(String(y));return asc?d:-d;});
rows.forEach(function(r){tb.appendChild(r);});});});})();
//]]></script>
)";

std::string esc(const std::string& s) { return xml_escape(s); }

double pct(double part, double whole) { return whole > 0 ? 100.0 * part / whole : 0.0; }

// The SVG of a chart inside HTML: without the XML declaration.
std::string inline_svg(const Svg& svg) { return svg.str(false); }

// A whole page: header, sections, the tooltip box and the script.
std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>" + esc(title) +
         "</title>\n<style>\n" + kStyle + "</style>\n</head>\n<body>\n" + body + "<div id=\"tip\"></div>\n" + kScript +
         "</body>\n</html>\n";
}

// A part of the page the browser test finds by id (its screenshots) and class ("chart", "table").
std::string section(const std::string& id, const std::string& cls, const std::string& content) {
  return "<section id=\"" + id + "\" class=\"" + cls + "\">\n" + content + "</section>\n";
}

std::string legend(const std::vector<std::string>& categories) {
  std::string s = "<div class=\"legend\">";
  for (const auto& c : categories)
    s += "<span><i style=\"background:" + category_colour(c) + "\"></i>" + esc(c) + "</span>";
  return s + "</div>\n";
}

// One cell of an HTML table; numbers carry their value for sorting.
std::string cell(const std::string& text) { return "<td>" + esc(text) + "</td>"; }
std::string num_cell(const std::string& text, double v) {
  return "<td class=\"n\" data-v=\"" + svg_number(v, 6) + "\">" + esc(text) + "</td>";
}
std::string table_html(const std::string& cls, const std::vector<std::string>& header,
                       const std::vector<std::string>& rows_html) {
  std::string s = "<table class=\"sortable " + cls + "\"><thead><tr>";
  for (const auto& h : header) s += "<th>" + esc(h) + "</th>";
  s += "</tr></thead><tbody>\n";
  for (const auto& r : rows_html) s += "<tr>" + r + "</tr>\n";
  return s + "</tbody></table>\n";
}

std::string shapes(const std::vector<Shape>& in) {
  std::string s;
  for (const auto& x : in) s += (s.empty() ? "" : "+") + x.str();
  return s;
}

// One stacked bar of shares (%), a segment per category with its figures on hover.
struct Segment {
  std::string category;
  double pct = 0;
  std::string tip;
};
void stacked_bar(Svg& svg, double left, double y, double width, double height, const std::string& label,
                 const std::vector<Segment>& segments) {
  svg.text(left - 8, y + height / 2 + 4, label, "end", 12);
  double x = left;
  for (const Segment& s : segments) {
    const double w = width * s.pct / 100.0;
    svg.open_group({{"class", "segment"}, {"data-category", s.category}, {"data-tip", s.tip}}, s.tip);
    svg.rect(x, y, w, height, category_colour(s.category), {{"stroke", "#fff"}, {"stroke-width", "0.5"}});
    // A label where it fits; the legend and the tooltip name the rest.
    if (w > 70) {
      const bool dark = s.category == "conv1x1" || s.category == "dw5x5" || s.category.rfind("conv", 0) == 0;
      svg.text(x + w / 2, y + height / 2 + 4, s.category + " " + fixed(s.pct, 1) + "%", "middle", 11,
               {{"fill", dark ? "#fff" : "#000"}, {"pointer-events", "none"}});
    }
    svg.close_group();
    x += w;
  }
  svg.rect(left, y, width, height, "none", {{"stroke", "#333"}});
}

// ---- profile ----------------------------------------------------------------------------------

struct LayerFigures {
  const LayerCostRow* row = nullptr;
  double madds_pct = 0, params_pct = 0;
  bool timed = false, fused = false;
  double ms = 0, time_pct = 0, gflops = 0, intensity = 0;
  std::string tip;
};

std::vector<LayerFigures> layer_figures(const CostReport& cost, const ProfileTimings* t) {
  std::vector<LayerFigures> out;
  for (const auto& r : cost.layers) {
    LayerFigures f;
    f.row = &r;
    f.madds_pct = pct(double(r.madds), double(cost.madds));
    f.params_pct = pct(double(r.params), double(cost.params));
    const int64_t bytes = compulsory_bytes(r);
    f.intensity = bytes > 0 ? 2.0 * double(r.madds) / double(bytes) : 0;
    std::string type = r.type + (r.summary.empty() ? "" : " " + r.summary);
    f.tip = "#" + std::to_string(r.node) + " " + r.name + "\n" + type + " (" + r.category.name() + ")\nin " +
            shapes(r.in) + " → out " + r.out.str() + "\nMAdds " + with_commas(r.madds) + " (" + fixed(f.madds_pct, 2) +
            " %)\nparams " + with_commas(r.params) + " (" + fixed(f.params_pct, 2) + " %)";
    if (r.madds > 0) f.tip += "\n" + fixed(f.intensity, 2) + " FLOP/byte";
    if (t && size_t(r.node) < t->by_node.size()) {
      const LayerTiming& lt = t->by_node[size_t(r.node)];
      f.timed = true;
      f.fused = !lt.fused_into.empty();
      f.ms = lt.median_ms;
      f.time_pct = pct(lt.median_ms, t->layer_sum_ms);
      f.gflops = gflops(r.madds, lt.median_ms);
      if (f.fused) {
        f.tip += "\ntime: fused into " + lt.fused_into;
      } else {
        f.tip += "\ntime " + fixed(f.ms, 4) + " ms (" + fixed(f.time_pct, 2) + " %)";
        if (r.madds > 0) f.tip += ", " + fixed(f.gflops, 1) + " GFLOP/s";
      }
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string layer_bars(const std::vector<LayerFigures>& layers, bool timed) {
  struct Metric {
    const char* key;
    const char* label;
    double LayerFigures::*value;
  };
  std::vector<Metric> metrics{{"madds", "MAdds %", &LayerFigures::madds_pct}, {"params", "params %", &LayerFigures::params_pct}};
  if (timed) metrics.push_back({"time", "time %", &LayerFigures::time_pct});
  const double n = double(std::max<size_t>(layers.size(), 1));
  const double bw = std::clamp(1100.0 / n, 3.0, 16.0);
  const double left = 70, top = 16, panel_h = 120, gap = 40;
  const double width = left + n * bw + 30, height = top + double(metrics.size()) * (panel_h + gap) + 30;
  Svg svg(width, height);
  std::vector<Axis> ys;
  for (size_t m = 0; m < metrics.size(); ++m) {
    double hi = 0;
    for (const auto& l : layers) hi = std::max(hi, l.*(metrics[m].value));
    const double y0 = top + double(m) * (panel_h + gap);
    ys.push_back(linear_axis(0, std::max(hi, 1.0), y0 + panel_h, y0));
    const Axis x{0, n, left, left + n * bw, false};  // exactly the layers' span: bar i starts at i
    draw_axes(svg, x, ys.back(), m + 1 == metrics.size() ? "layer, in graph order" : "", metrics[m].label);
  }
  const double plot_top = top, plot_bottom = top + double(metrics.size() - 1) * (panel_h + gap) + panel_h;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerFigures& l = layers[i];
    const double x = left + double(i) * bw;
    svg.open_group({{"class", "layer"}, {"data-node", std::to_string(l.row->node)},
                    {"data-category", l.row->category.name()}, {"data-tip", l.tip}}, l.tip);
    svg.rect(x, plot_top, bw, plot_bottom - plot_top, "#000", {{"class", "hit"}});
    for (size_t m = 0; m < metrics.size(); ++m) {
      const double v = l.*(metrics[m].value);
      const double y = ys[m].map(v);
      svg.rect(x + bw * 0.1, y, std::max(bw * 0.8, 1.0), ys[m].map(0) - y, category_colour(l.row->category.name()),
               {{"class", "bar"}, {"data-metric", metrics[m].key}, {"data-value", svg_number(v, 4)}});
    }
    svg.close_group();
  }
  return inline_svg(svg);
}

std::string type_bars(const CostReport& cost, const std::map<std::string, double>& type_ms, double layer_sum_ms,
                      bool timed) {
  const double left = 90, width = 900, bar_h = 34, gap = 14;
  const int bars = timed ? 3 : 2;
  Svg svg(left + width + 20, 10 + bars * (bar_h + gap));
  const auto segments = [&](const char* what) {
    std::vector<Segment> s;
    for (const auto& b : cost.by_type) {
      const std::string name = b.category.name();
      const double ms = type_ms.count(name) ? type_ms.at(name) : 0;
      const double p = std::string(what) == "madds" ? b.madds_pct
                       : std::string(what) == "params" ? b.params_pct
                                                       : pct(ms, layer_sum_ms);
      if (p <= 0) continue;
      std::string tip = name + ": " + std::to_string(b.layers) + " layers\nMAdds " + with_commas(b.madds) + " (" +
                        fixed(b.madds_pct, 2) + " %)\nparams " + with_commas(b.params) + " (" + fixed(b.params_pct, 2) +
                        " %)";
      if (timed) tip += "\ntime " + fixed(ms, 3) + " ms (" + fixed(pct(ms, layer_sum_ms), 2) + " %)";
      s.push_back({name, p, tip});
    }
    return s;
  };
  stacked_bar(svg, left, 5, width, bar_h, "MAdds %", segments("madds"));
  stacked_bar(svg, left, 5 + (bar_h + gap), width, bar_h, "params %", segments("params"));
  if (timed) stacked_bar(svg, left, 5 + 2 * (bar_h + gap), width, bar_h, "time %", segments("time"));
  return inline_svg(svg);
}

std::string roofline(const std::vector<LayerFigures>& layers, const MachineInfo& m, std::string* note) {
  std::vector<const LayerFigures*> points;
  for (const auto& l : layers)
    if (l.timed && !l.fused && l.row->madds > 0 && l.ms > 0 && l.intensity > 0) points.push_back(&l);
  const GemmCeiling& c = m.ceiling;
  double x_lo = 1e300, x_hi = 0, y_lo = 1e300, y_hi = 0;
  for (const auto* p : points) {
    x_lo = std::min(x_lo, p->intensity), x_hi = std::max(x_hi, p->intensity);
    y_lo = std::min(y_lo, p->gflops), y_hi = std::max(y_hi, p->gflops);
  }
  if (c.gflops > 0) y_hi = std::max(y_hi, c.gflops), y_lo = std::min(y_lo, c.gflops);
  const double ridge = c.gflops > 0 && c.bandwidth_gbs > 0 ? c.gflops / c.bandwidth_gbs : 0;
  if (ridge > 0) x_lo = std::min(x_lo, ridge), x_hi = std::max(x_hi, ridge);
  if (points.empty()) x_lo = 0.1, x_hi = 100, y_lo = 0.1, y_hi = 100;
  const double left = 80, top = 20, w = 760, h = 400;
  const Axis x = log_axis(x_lo, x_hi, left, left + w), y = log_axis(y_lo, y_hi * 1.3, top + h, top);
  Svg svg(left + w + 190, top + h + 60);
  draw_axes(svg, x, y, "arithmetic intensity, FLOP/byte moved (inputs + output + weights, float32)",
            "achieved GFLOP/s");
  if (c.gflops > 0) {
    const double x_from = ridge > 0 ? ridge : x.lo;
    svg.line(x.map(x_from), y.map(c.gflops), x.map(x.hi), y.map(c.gflops), "#000", 2, {{"class", "ceiling"}});
    svg.text(x.map(x.hi) + 6, y.map(c.gflops) + 4, "GEMM ceiling " + fixed(c.gflops, 1) + " GFLOP/s", "start", 11);
  }
  if (c.bandwidth_gbs > 0) {
    // GFLOP/s = FLOP/byte × GB/s, up to the ceiling (the ridge point) or the axis' top.
    const double x_to = ridge > 0 ? ridge : std::min(x.hi, y.hi / c.bandwidth_gbs);
    const double x_from = std::max(x.lo, y.lo / c.bandwidth_gbs);
    svg.line(x.map(x_from), y.map(x_from * c.bandwidth_gbs), x.map(x_to), y.map(x_to * c.bandwidth_gbs), "#000", 2,
             {{"class", "bandwidth"}, {"stroke-dasharray", "7 4"}});
    // Labelled halfway along (on the log scale), left of the line.
    const double x_mid = std::sqrt(x_from * x_to);
    svg.text(x.map(x_mid) - 8, y.map(x_mid * c.bandwidth_gbs) - 8, "memory " + fixed(c.bandwidth_gbs, 1) + " GB/s",
             "end", 11);
  }
  for (const auto* p : points) {
    svg.open_group({{"class", "point"}, {"data-node", std::to_string(p->row->node)}, {"data-tip", p->tip}}, p->tip);
    svg.circle(x.map(p->intensity), y.map(p->gflops), 4.5, category_colour(p->row->category.name()),
               {{"stroke", "#333"}, {"stroke-width", "0.6"}, {"fill-opacity", "0.85"}});
    svg.close_group();
  }
  std::string n = std::to_string(points.size()) + " layers with multiply-adds, each at its own time (layers fused into "
                  "another and element-wise layers have no point). The memory line is the streaming bandwidth from "
                  "main memory: a layer whose tensors stay in the caches can sit above it. ";
  if (c.gflops <= 0) n += "GEMM ceiling not measured: run mnet calibrate --threads " + std::to_string(m.threads) + ". ";
  else if (c.bandwidth_gbs <= 0)
    n += "Memory bandwidth not measured: the calibration cache was written by an older mnet calibrate, so the "
         "bandwidth line is left out; rerun mnet calibrate to draw it. ";
  *note = n;
  return inline_svg(svg);
}

std::string machine_lines(const MachineInfo& m, const std::vector<RunConditions>& conditions) {
  std::string s = "measured on " + m.cpu + ", " + std::to_string(m.threads) + " thread(s), OpenBLAS core " + m.blas_core +
                  " (" + m.blas + "), " + runs_text(m) + disturbance_note(conditions);
  const GemmCeiling& c = m.ceiling;
  s += "\nGEMM ceiling: " +
       (c.gflops > 0 ? fixed(c.gflops, 1) + " GFLOP/s (" + c.shape + "), measured by mnet calibrate " + c.measured_at +
                           ", read from " + c.cache_file
                     : std::string("not measured (run mnet calibrate --threads ") + std::to_string(m.threads) + ")");
  if (c.gflops > 0)
    s += "\nmemory bandwidth: " + (c.bandwidth_gbs > 0 ? fixed(c.bandwidth_gbs, 1) + " GB/s (streaming triad)"
                                                       : std::string("not in the cache (older mnet calibrate)"));
  return s;
}

std::string meta(const std::string& lines) {
  std::string s = "<div class=\"meta\">";
  size_t from = 0;
  while (from <= lines.size()) {
    size_t to = lines.find('\n', from);
    if (to == std::string::npos) to = lines.size();
    s += esc(lines.substr(from, to - from)) + "<br/>\n";
    from = to + 1;
  }
  return s + "</div>\n";
}

}  // namespace

std::string profile_html(const CostReport& cost, const ProfileTimings* t, const PlannedMemory* memory,
                         const ReportContext* context) {
  const std::vector<LayerFigures> layers = layer_figures(cost, t);
  std::map<std::string, double> type_ms;
  if (t)
    for (const auto& l : layers) type_ms[l.row->category.name()] += l.ms;
  const double layer_sum = t ? t->layer_sum_ms : 0;

  std::string body = "<h1>" + esc(cost.model) + ": where the multiply-adds, params and time are</h1>\n";
  std::string head = "input " + cost.input.str() + ": " + with_commas(cost.madds) + " multiply-adds (" +
                     millions(cost.madds) + "), " + with_commas(cost.params) + " params (" + millions(cost.params) +
                     "), " + with_commas(cost.elementwise_ops) + " element-wise ops, " +
                     std::to_string(cost.layers.size()) + " layers";
  if (memory) head += "\nplanned peak memory " + memory->text;
  if (context) head += "\n" + context_line(*context);
  if (t) {
    head += "\n" + machine_lines(t->machine, {t->layer_conditions, t->model.conditions});
    head += "\nwhole model without per-layer timers: median " + fixed(t->model.median, 3) + " ms (p10 " +
            fixed(t->model.p10, 3) + ", p90 " + fixed(t->model.p90, 3) + ", " + std::to_string(t->model.runs) +
            " runs); sum of layer medians " + fixed(layer_sum, 3) + " ms";
  } else {
    head += "\ncost only: no time measured (run without --cost-only for time % and the roofline)";
  }
  head += "\nmultiply-adds counted as the papers do; FLOPs = 2 × multiply-adds";
  body += meta(head);

  std::vector<std::string> categories;
  for (const auto& b : cost.by_type) categories.push_back(b.category.name());

  body += section("per-layer", "chart",
                  "<h2>Per layer</h2>\n<p class=\"note\">Each layer's share of the multiply-adds, params" +
                      std::string(t ? " and measured time" : "") +
                      ", in graph order, coloured by type. Hover a column for the layer's row.</p>\n" + legend(categories) +
                      layer_bars(layers, t != nullptr));

  body += section("by-type", "chart",
                  "<h2>By type (the V1 paper's Table 2)</h2>\n" + legend(categories) +
                      type_bars(cost, type_ms, layer_sum, t != nullptr));

  if (t) {
    std::string note;
    const std::string chart = roofline(layers, t->machine, &note);
    body += section("roofline", "chart", "<h2>Roofline</h2>\n<p class=\"note\">Each layer at its arithmetic intensity and the rate it reached. Under "
            "the dashed memory line a layer is limited by moving its data, under the ceiling by arithmetic; a point "
            "far below both is limited by neither (overhead, a poor kernel, too little work). " +
            esc(note) + "</p>\n" + legend(categories) + chart);
  }

  // The full tables.
  std::vector<std::string> header{"#", "layer", "type", "category", "in", "out", "MAdds", "params", "MAdds %", "params %", "FLOP/byte"};
  if (t) header.insert(header.end(), {"ms", "time %", "GFLOP/s"});
  const bool ceiling = t && t->machine.ceiling.gflops > 0;
  if (ceiling) header.push_back("% ceil");
  std::vector<std::string> rows;
  for (const auto& l : layers) {
    const LayerCostRow& r = *l.row;
    std::string row = num_cell(std::to_string(r.node), r.node) + cell(r.name) +
                      cell(r.type + (r.summary.empty() ? "" : " " + r.summary)) + cell(r.category.name()) +
                      cell(shapes(r.in)) + cell(r.out.str()) + num_cell(with_commas(r.madds), double(r.madds)) +
                      num_cell(with_commas(r.params), double(r.params)) + num_cell(fixed(l.madds_pct, 2), l.madds_pct) +
                      num_cell(fixed(l.params_pct, 2), l.params_pct) +
                      num_cell(r.madds > 0 ? fixed(l.intensity, 2) : "", l.intensity);
    if (t) {
      if (l.fused) {
        row += "<td colspan=\"" + std::to_string(ceiling ? 4 : 3) + "\">fused</td>";
      } else {
        row += num_cell(fixed(l.ms, 4), l.ms) + num_cell(fixed(l.time_pct, 2), l.time_pct) +
               num_cell(r.madds > 0 ? fixed(l.gflops, 1) : "", l.gflops);
        if (ceiling) {
          const double f = 100.0 * ceiling_fraction(l.gflops, t->machine.ceiling);
          row += num_cell(r.madds > 0 ? fixed(f, 1) : "", f);
        }
      }
    }
    rows.push_back(row);
  }
  body += section("layers", "table",
                  "<h2>Layers</h2>\n<p class=\"note\">Click a column's header to sort.</p>\n" + table_html("layers", header, rows));

  std::vector<std::string> type_header{"type", "layers", "MAdds", "MAdds %", "params", "params %", "weights %"};
  if (t) type_header.insert(type_header.end(), {"ms", "time %"});
  std::vector<std::string> type_rows;
  for (const auto& b : cost.by_type) {
    const std::string name = b.category.name();
    std::string row = cell(name) + num_cell(std::to_string(b.layers), b.layers) + num_cell(with_commas(b.madds), double(b.madds)) +
                      num_cell(fixed(b.madds_pct, 2), b.madds_pct) + num_cell(with_commas(b.params), double(b.params)) +
                      num_cell(fixed(b.params_pct, 2), b.params_pct) + num_cell(fixed(b.weights_pct, 2), b.weights_pct);
    if (t) row += num_cell(fixed(type_ms[name], 3), type_ms[name]) + num_cell(fixed(pct(type_ms[name], layer_sum), 2), pct(type_ms[name], layer_sum));
    type_rows.push_back(row);
  }
  body += section("types", "table", "<h2>By type</h2>\n" + table_html("types", type_header, type_rows));
  return page("mnet profile: " + cost.model, body);
}

// ---- compare ----------------------------------------------------------------------------------

namespace {

double conv1x1_pct(const CostReport& c) {
  for (const auto& b : c.by_type)
    if (b.category == CostCategory{CostKind::conv, 1}) return b.madds_pct;
  return 0;
}
double depthwise_pct(const CostReport& c) {
  double p = 0;
  for (const auto& b : c.by_type)
    if (b.category.kind == CostKind::depthwise) p += b.madds_pct;
  return p;
}

// Distinct markers' colours for models (Okabe–Ito, then repeated).
const char* model_colour(size_t i) {
  static const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  return kColours[i % std::size(kColours)];
}

struct ScatterPoint {
  double x, y;
  std::string label, tip;
  size_t model;
  double y_lo = 0, y_hi = 0;  // an error bar (p10 to p90) when y_hi > y_lo
};

std::string scatter(const std::vector<ScatterPoint>& pts, const std::string& x_label, const std::string& y_label,
                    bool log_y) {
  double x_lo = 1e300, x_hi = 0, y_lo = 1e300, y_hi = -1e300;
  for (const auto& p : pts) {
    x_lo = std::min(x_lo, p.x), x_hi = std::max(x_hi, p.x);
    y_lo = std::min({y_lo, p.y, p.y_hi > p.y_lo ? p.y_lo : p.y}), y_hi = std::max({y_hi, p.y, p.y_hi});
  }
  const double left = 80, top = 20, w = 700, h = 380;
  const Axis x = log_axis(x_lo, x_hi, left, left + w);
  const Axis y = log_y ? log_axis(y_lo, y_hi, top + h, top)
                       : linear_axis(std::max(0.0, std::floor(y_lo - (y_hi - y_lo) * 0.15 - 1)), y_hi + (y_hi - y_lo) * 0.1 + 0.5,
                                     top + h, top);
  Svg svg(left + w + 200, top + h + 60);
  draw_axes(svg, x, y, x_label, y_label);
  for (const auto& p : pts) {
    svg.open_group({{"class", "point"}, {"data-model", p.label}, {"data-tip", p.tip}}, p.tip);
    if (p.y_hi > p.y_lo) svg.line(x.map(p.x), y.map(p.y_lo), x.map(p.x), y.map(p.y_hi), model_colour(p.model), 1.5);
    svg.circle(x.map(p.x), y.map(p.y), 6, model_colour(p.model), {{"stroke", "#222"}});
    svg.text(x.map(p.x) + 9, y.map(p.y) - 7, p.label, "start", 12);
    svg.close_group();
  }
  return inline_svg(svg);
}

}  // namespace

std::string compare_html(const std::vector<CompareRow>& rows, const MachineInfo* machine, const ReportContext* context,
                         std::optional<std::string> baseline, const std::vector<std::optional<double>>& top1) {
  const bool timed = !rows.empty() && rows.front().latency.has_value();
  // One row per model and thread count: points are named with their threads when there are several.
  bool several_threads = false;
  for (const auto& r : rows) several_threads |= r.threads != rows.front().threads;
  const auto label = [&](const CompareRow& r) {
    return r.cost.model + (timed && several_threads ? ", " + std::to_string(r.threads) + " thr" : "");
  };
  // The baseline's row at a thread count, if any.
  const auto base_row = [&](int threads) -> const CompareRow* {
    if (!baseline) return nullptr;
    for (const auto& r : rows)
      if (r.source == *baseline && (!timed || r.threads == threads)) return &r;
    return nullptr;
  };
  std::vector<const CompareRow*> models;  // each model once, for the by-type bars
  std::string title;
  for (const auto& r : rows) {
    bool seen = false;
    for (const auto* m : models) seen |= m->source == r.source;
    if (seen) continue;
    models.push_back(&r);
    title += (title.empty() ? "" : ", ") + r.cost.model;
  }
  std::string body = "<h1>" + esc(title) + "</h1>\n";
  std::string head = std::to_string(models.size()) + " models; multiply-adds counted as the papers do";
  if (context) head += "\n" + context_line(*context);
  if (timed && machine) {
    std::vector<RunConditions> measured;
    for (const auto& r : rows) measured.push_back(r.latency->conditions);
    std::vector<int> counts;
    for (const auto& r : rows)
      if (std::find(counts.begin(), counts.end(), r.threads) == counts.end()) counts.push_back(r.threads);
    std::string list;
    for (int n : counts) list += (list.empty() ? "" : ",") + std::to_string(n);
    head += "\nmeasured on " + machine->cpu + ", thread(s) " + list + ", OpenBLAS core " + machine->blas_core + " (" +
            machine->blas + "), " + runs_text(*machine) + disturbance_note(measured);
  } else {
    head += "\ncost only: no latency measured";
  }
  if (baseline && base_row(rows.empty() ? 1 : rows.front().threads))
    head += "\nbaseline: " + base_row(rows.front().threads)->cost.model;
  body += meta(head);

  const auto tip_of = [&](const CompareRow& r, size_t i) {
    std::string t = label(r) + " (" + r.source + ")\ninput " + r.cost.input.str() + "\nMAdds " +
                    with_commas(r.cost.madds) + " (" + millions(r.cost.madds) + ")\nparams " + with_commas(r.cost.params);
    if (r.latency)
      t += "\nmedian " + fixed(r.latency->median, 3) + " ms (p10 " + fixed(r.latency->p10, 3) + ", p90 " +
           fixed(r.latency->p90, 3) + ") at " + std::to_string(r.threads) + " thread(s)";
    if (i < top1.size() && top1[i]) t += "\ntop-1 " + fixed(*top1[i], 2) + " %";
    return t;
  };
  std::vector<ScatterPoint> pts;
  for (size_t i = 0; i < rows.size(); ++i) {
    const CompareRow& r = rows[i];
    if (!timed && &r != *std::find_if(models.begin(), models.end(), [&](const CompareRow* m) { return m->source == r.source; }))
      continue;
    size_t colour = 0;
    while (colour < models.size() && models[colour]->source != r.source) ++colour;
    ScatterPoint p{double(r.cost.madds), timed ? r.latency->median : double(r.cost.params), label(r), tip_of(r, i), colour};
    if (timed) p.y_lo = r.latency->p10, p.y_hi = r.latency->p90;
    pts.push_back(p);
  }
  if (timed) {
    body += section("latency", "chart",
                    "<h2>Multiply-adds vs latency</h2>\n<p class=\"note\">Median latency with a bar from p10 to p90; both "
                    "axes logarithmic. Hover a point for its row.</p>\n" +
                        scatter(pts, "multiply-adds", "median latency, ms", true));
  } else {
    body += section("params", "chart",
                    "<h2>Multiply-adds vs params</h2>\n<p class=\"note\">Cost only (no latency measured); both axes "
                    "logarithmic. Hover a point for its row.</p>\n" +
                        scatter(pts, "multiply-adds", "params", true));
  }
  std::vector<ScatterPoint> acc;
  for (size_t i = 0; i < rows.size() && i < top1.size(); ++i)
    if (top1[i]) acc.push_back({double(rows[i].cost.madds), *top1[i], label(rows[i]), tip_of(rows[i], i), i});
  if (!acc.empty())
    body += section("accuracy", "chart",
                    "<h2>Multiply-adds vs accuracy</h2>\n" + scatter(acc, "multiply-adds", "top-1 accuracy, %", false));

  // Where each model's multiply-adds are.
  std::vector<std::string> categories;
  for (const auto* r : models)
    for (const auto& b : r->cost.by_type)
      if (b.madds > 0 && std::find(categories.begin(), categories.end(), b.category.name()) == categories.end())
        categories.push_back(b.category.name());
  const double left = 150, width = 850, bar_h = 26, gap = 10;
  Svg bars(left + width + 20, 10 + double(models.size()) * (bar_h + gap));
  for (size_t i = 0; i < models.size(); ++i) {
    std::vector<Segment> segs;
    for (const auto& b : models[i]->cost.by_type)
      if (b.madds_pct > 0)
        segs.push_back({b.category.name(), b.madds_pct,
                        models[i]->cost.model + ": " + b.category.name() + "\nMAdds " + with_commas(b.madds) + " (" +
                            fixed(b.madds_pct, 2) + " %), " + std::to_string(b.layers) + " layers"});
    stacked_bar(bars, left, 5 + double(i) * (bar_h + gap), width, bar_h, models[i]->cost.model, segs);
  }
  body += section("by-type", "chart", "<h2>Where the multiply-adds are</h2>\n" + legend(categories) + inline_svg(bars));

  std::vector<std::string> header{"model", "input", "MAdds", "params", "1x1 conv %", "depthwise %"};
  if (timed) header.insert(header.end(), {"threads", "median ms", "p10 ms", "p90 ms", "GFLOP/s"});
  if (!top1.empty()) header.push_back("top-1 %");
  if (baseline) header.insert(header.end(), {"MAdds ×", "params ×"});
  if (baseline && timed) header.push_back("latency ×");
  std::vector<std::string> trs;
  for (size_t i = 0; i < rows.size(); ++i) {
    const CompareRow& r = rows[i];
    if (!timed && &r != *std::find_if(models.begin(), models.end(), [&](const CompareRow* m) { return m->source == r.source; }))
      continue;
    std::string tr = cell(r.cost.model) + cell(r.cost.input.str()) + num_cell(with_commas(r.cost.madds), double(r.cost.madds)) +
                     num_cell(with_commas(r.cost.params), double(r.cost.params)) +
                     num_cell(fixed(conv1x1_pct(r.cost), 2), conv1x1_pct(r.cost)) +
                     num_cell(fixed(depthwise_pct(r.cost), 2), depthwise_pct(r.cost));
    if (timed) {
      const LatencyStats& l = *r.latency;
      const double g = gflops(r.cost.madds, l.median);
      tr += num_cell(std::to_string(r.threads), r.threads) + num_cell(fixed(l.median, 3), l.median) +
            num_cell(fixed(l.p10, 3), l.p10) + num_cell(fixed(l.p90, 3), l.p90) + num_cell(fixed(g, 1), g);
    }
    if (!top1.empty()) tr += i < top1.size() && top1[i] ? num_cell(fixed(*top1[i], 2), *top1[i]) : cell("");
    if (baseline) {
      const auto ratio_cell = [](double x, double base) {
        const double v = base > 0 ? x / base : 0;
        return num_cell(fixed(v, v < 10 ? 2 : 1) + "×", v);
      };
      const CompareRow* b = base_row(r.threads);
      if (b) {
        tr += ratio_cell(double(r.cost.madds), double(b->cost.madds)) + ratio_cell(double(r.cost.params), double(b->cost.params));
        if (timed) tr += ratio_cell(r.latency->median, b->latency->median);
      } else {
        tr += cell("") + cell("") + (timed ? cell("") : "");
      }
    }
    trs.push_back(tr);
  }
  body += section("models", "table", "<h2>Models</h2>\n" + table_html("models", header, trs));
  return page("mnet compare: " + title, body);
}

}  // namespace mnet
