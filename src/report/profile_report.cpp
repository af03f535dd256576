// The profile report: the per-layer table and the by-type breakdown, as text, CSV, Markdown or JSON.
#include "report/profile_report.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "report/latency_report.h"
#include "run/executor.h"

namespace mnet {

namespace {

std::string shapes(const std::vector<Shape>& in) {
  std::string s;
  for (const auto& x : in) s += (s.empty() ? "" : "+") + x.str();
  return s;
}

bool has_ceiling(const ProfileTimings* t) { return t && t->machine.ceiling.gflops > 0; }

// The GFLOP/s cell and, with a ceiling, the "% ceil" cell of a row; empty for rows without
// multiply-adds.
std::vector<std::string> rate_cells(int64_t madds, double ms, const ProfileTimings& t) {
  std::vector<std::string> cells{madds ? fixed(gflops(madds, ms), 1) : ""};
  if (has_ceiling(&t))
    cells.push_back(madds ? fixed(100.0 * ceiling_fraction(gflops(madds, ms), t.machine.ceiling), 1) : "");
  return cells;
}

// The header line on the ceiling: what it is and where it came from, or that there is none.
std::string ceiling_line(const MachineInfo& m) {
  const GemmCeiling& c = m.ceiling;
  if (c.gflops <= 0) {
    return "GEMM ceiling: not measured (run mnet calibrate" +
           (m.threads == 1 ? std::string() : " --threads " + std::to_string(m.threads)) + ")";
  }
  return "GEMM ceiling: " + fixed(c.gflops, 1) + " GFLOP/s, the engine's best 1x1 convolution (" + c.shape +
         "), measured by mnet calibrate " + c.measured_at + ", read from " + c.cache_file +
         "; % ceil = GFLOP/s / ceiling";
}

std::string pct_cell(double p) { return fixed(p, 2); }

std::string format_json(const CostReport& cost, const ProfileTimings* t, const PlannedMemory* memory,
                        const ReportContext& context) {
  using nlohmann::json;
  json j;
  j["model"] = cost.model;
  j["input_shape"] = {1, cost.input.c, cost.input.h, cost.input.w};
  std::map<std::string, double> type_ms;
  double layer_sum = t ? t->layer_sum_ms : 0;
  json layers = json::array();
  for (const auto& r : cost.layers) {
    json l = {{"name", r.name},
              {"type", r.type},
              {"category", r.category.name()},
              {"in_shape", json::array()},
              {"out_shape", {r.out.c, r.out.h, r.out.w}},
              {"madds", r.madds},
              {"params", r.params},
              {"elementwise_ops", r.elementwise_ops}};
    for (const auto& s : r.in) l["in_shape"].push_back({s.c, s.h, s.w});
    if (t) {
      const LayerTiming& lt = t->by_node[r.node];
      // A fused layer has no time of its own: null, not 0, and the layer it runs inside.
      const bool fused = !lt.fused_into.empty();
      l["fused_into"] = fused ? json(lt.fused_into) : json(nullptr);
      l["median_ms"] = fused ? json(nullptr) : json(lt.median_ms);
      l["time_pct"] = fused ? json(nullptr) : json(layer_sum > 0 ? 100.0 * lt.median_ms / layer_sum : 0.0);
      l["gflops"] = fused ? json(nullptr) : json(gflops(r.madds, lt.median_ms));
      if (r.node < int(t->kernels.size()) && !t->kernels[size_t(r.node)].empty()) l["kernel"] = t->kernels[size_t(r.node)];
      if (has_ceiling(t) && !fused && r.madds > 0)
        l["ceiling_fraction"] = ceiling_fraction(gflops(r.madds, lt.median_ms), t->machine.ceiling);
      type_ms[r.category.name()] += lt.median_ms;
    }
    layers.push_back(l);
  }
  j["layers"] = layers;
  j["totals"] = {{"madds", cost.madds}, {"params", cost.params}, {"weights", cost.weights},
                 {"elementwise_ops", cost.elementwise_ops}};
  json by_type = json::array();
  for (const auto& b : cost.by_type) {
    json e = {{"type", b.category.name()},     {"layers", b.layers},       {"madds", b.madds},
              {"madds_pct", b.madds_pct}, {"params", b.params},     {"params_pct", b.params_pct},
              {"weights", b.weights},   {"weights_pct", b.weights_pct}};
    if (t) {
      double ms = type_ms[b.category.name()];
      e["median_ms"] = ms;
      e["time_pct"] = layer_sum > 0 ? 100.0 * ms / layer_sum : 0.0;
      if (b.madds > 0) e["gflops"] = gflops(b.madds, ms);
      if (has_ceiling(t) && b.madds > 0) e["ceiling_fraction"] = ceiling_fraction(gflops(b.madds, ms), t->machine.ceiling);
    }
    by_type.push_back(e);
  }
  j["by_type"] = by_type;
  j["by_part"] = parts_json(cost);
  if (t) {
    // Each part's share of the measured time too.
    std::map<std::string, double> part_ms;
    for (const auto& r : cost.layers) part_ms[r.part] += t->by_node[r.node].median_ms;
    for (auto& p : j["by_part"]) {
      p["median_ms"] = part_ms[p["part"].get<std::string>()];
      p["time_pct"] = layer_sum > 0 ? 100.0 * p["median_ms"].get<double>() / layer_sum : 0.0;
    }
  }
  if (t) {
    j["settings"] = {{"runs", t->machine.runs}, {"warmup", t->machine.warmup}};
    j["startup"] = startup_json(t->startup);
    const GemmCeiling& c = t->machine.ceiling;
    j["ceiling_gflops"] = has_ceiling(t) ? json(c.gflops) : json(nullptr);
    j["ceiling"] = has_ceiling(t) ? json{{"measured", true},
                                         {"gflops", c.gflops},
                                         {"shape", c.shape},
                                         {"measured_at", c.measured_at},
                                         {"cache_file", c.cache_file}}
                                  : json{{"measured", false}, {"note", ceiling_line(t->machine)}};
    if (t->machine.duration_s > 0) j["settings"]["duration_s"] = t->machine.duration_s;
    // Both passes: the layer-by-layer one and the whole model.
    j["conditions"] = conditions_json(combine_conditions(t->layer_conditions, t->model.conditions));
    j["layer_sum_ms"] = t->layer_sum_ms;
    j["model_latency"] = latency_json(t->model);
    j["model_latency"]["band_chains"] = t->band_chains;
    j["instrumentation_overhead_ms"] = t->layer_sum_ms - t->model.median;
  }
  if (memory) {
    j["planned_memory"] = {{"peak_bytes", memory->peak_bytes}};
    for (const auto& [part, bytes] : memory->parts_bytes) j["planned_memory"][part + "_bytes"] = bytes;
  }
  j["timed"] = t != nullptr;
  return json_text(report_json(context, "profile", j));
}

}  // namespace

std::string format_profile(const CostReport& cost, const ProfileTimings* t, Format format,
                           const ReportContext& context, const PlannedMemory* memory) {
  if (format == Format::json) return format_json(cost, t, memory, context);

  Table layers;
  layers.header = {"#", "layer", "type", "in", "out", "MAdds", "params", "MAdds %"};
  layers.right_aligned = {true, false, false, false, false, true, true, true};
  std::vector<std::string> timing_columns{"ms", "time %", "GFLOP/s"};
  if (has_ceiling(t)) timing_columns.push_back("% ceil");
  if (t) {
    for (const auto& h : timing_columns) layers.header.push_back(h);
    layers.right_aligned.resize(layers.header.size(), true);
    layers.header.push_back("fused into");
    layers.right_aligned.push_back(false);
  }
  std::map<std::string, double> type_ms;
  double layer_sum = t ? t->layer_sum_ms : 0;
  for (const auto& r : cost.layers) {
    std::string type = r.type + (r.summary.empty() ? "" : " " + r.summary);
    std::vector<std::string> row{std::to_string(r.node), r.name, format == Format::csv ? r.type : type,
                                 shapes(r.in), r.out.str(),
                                 format == Format::csv ? std::to_string(r.madds) : with_commas(r.madds),
                                 format == Format::csv ? std::to_string(r.params) : with_commas(r.params),
                                 pct_cell(cost.madds ? 100.0 * double(r.madds) / double(cost.madds) : 0)};
    if (t) {
      const LayerTiming& lt = t->by_node[r.node];
      type_ms[r.category.name()] += lt.median_ms;
      if (!lt.fused_into.empty()) {
        row.resize(layers.header.size() - 1);  // no time of its own
        row.push_back(lt.fused_into);
      } else {
        row.push_back(fixed(lt.median_ms, 4));
        row.push_back(pct_cell(layer_sum > 0 ? 100.0 * lt.median_ms / layer_sum : 0));
        for (auto& cell : rate_cells(r.madds, lt.median_ms, *t)) row.push_back(std::move(cell));
        row.push_back("");
      }
    }
    layers.add_row(row);
  }
  if (format == Format::csv) {
    // Every row says what it is of, so that CSVs of several models and machines concatenate.
    layers.header.push_back("model");
    if (t) layers.header.insert(layers.header.end(), {"threads", "mnet_commit", "cpu", "simd"});
    for (auto& row : layers.rows) {
      row.push_back(cost.model);
      if (t) row.insert(row.end(), {std::to_string(t->machine.threads), context.git_commit, context.cpu, context.simd});
    }
    layers.right_aligned.resize(layers.header.size(), false);
    return layers.render(format);
  }

  Table types;
  types.header = {"type", "layers", "MAdds", "MAdds %", "params", "params %", "weights %"};
  types.right_aligned = {false, true, true, true, true, true, true};
  if (t) {
    for (const auto& h : timing_columns) types.header.push_back(h);
    types.right_aligned.resize(types.header.size(), true);
  }
  for (const auto& b : cost.by_type) {
    std::vector<std::string> row{b.category.name(), std::to_string(b.layers), with_commas(b.madds), pct_cell(b.madds_pct),
                                 with_commas(b.params), pct_cell(b.params_pct), pct_cell(b.weights_pct)};
    if (t) {
      double ms = type_ms[b.category.name()];
      row.push_back(fixed(ms, 4));  // the same precision as the per-layer rows
      row.push_back(pct_cell(layer_sum > 0 ? 100.0 * ms / layer_sum : 0));
      for (auto& cell : rate_cells(b.madds, ms, *t)) row.push_back(std::move(cell));
    }
    types.add_row(row);
  }
  std::vector<std::string> total{"total", std::to_string(cost.layers.size()), with_commas(cost.madds), "100.00",
                                 with_commas(cost.params), "100.00", "100.00"};
  if (t) {
    total.insert(total.end(), {fixed(layer_sum, 4), "100.00"});
    for (auto& cell : rate_cells(cost.madds, layer_sum, *t)) total.push_back(std::move(cell));
  }
  types.rules_before.push_back(types.rows.size());
  types.add_row(total);

  // Detectors and segmenters: backbone against head (V2 Table 5's comparison).
  Table parts;
  if (cost.by_part.size() > 1) {
    parts.header = {"part", "layers", "MAdds", "MAdds %", "params", "params %"};
    if (t) parts.header.insert(parts.header.end(), {"ms", "time %"});
    parts.right_aligned = {false};
    parts.right_aligned.resize(parts.header.size(), true);
    std::map<std::string, double> part_ms;
    if (t)
      for (const auto& r : cost.layers) part_ms[r.part] += t->by_node[r.node].median_ms;
    for (const PartCostRow& p : cost.by_part) {
      std::vector<std::string> row{p.part, std::to_string(p.layers), with_commas(p.madds), pct_cell(p.madds_pct),
                                   with_commas(p.params), pct_cell(p.params_pct)};
      if (t) row.insert(row.end(), {fixed(part_ms[p.part], 4), pct_cell(layer_sum > 0 ? 100.0 * part_ms[p.part] / layer_sum : 0)});
      parts.add_row(row);
    }
  }
  std::string out;
  std::string heading = cost.model + ", input " + cost.input.str() + ": " + millions(cost.madds) +
                        " multiply-adds, " + millions(cost.params) + " params (" + with_commas(cost.madds) +
                        " / " + with_commas(cost.params) + "), " + with_commas(cost.elementwise_ops) +
                        " element-wise ops";
  if (memory) heading += "\nplanned peak memory " + memory->text;
  if (t) {
    const MachineInfo& m = t->machine;
    const StartupCost& st = t->startup;
    heading += "\nmeasured by " + context_line(context) +
               (context.openblas_core.empty() ? "" : ", OpenBLAS core " + context.openblas_core) + ", " + runs_text(m) +
               disturbance_note({t->layer_conditions, t->model.conditions}) + "\nload " + fixed(st.load_ms, 1) +
               " ms, executor init " + fixed(st.init_ms, 1) + " ms, first run " + fixed(st.first_run_ms, 2) +
               " ms, peak RSS " + (st.peak_rss_bytes > 0 ? format_bytes(st.peak_rss_bytes) : std::string("unknown")) +
               "\n" + ceiling_line(m);
  }
  if (format == Format::md) {
    out += "**" + heading + "**\n\n" + layers.render(format) + "\n" + types.render(format);
    if (!parts.rows.empty()) out += "\n" + parts.render(format);
  } else {
    out += heading + "\n\n" + layers.render(format) + "\nBy type (weights % counts weights without biases, as the "
           "V1 paper's Table 2 does)\n" + types.render(format);
    if (!parts.rows.empty()) out += "\nBy part (the head a detection or segmentation row adds, against its backbone)\n" + parts.render(format);
  }
  if (t) {
    const std::string bands =
        t->band_chains ? " (" + std::to_string(t->band_chains) + " convolution chains run in bands, as mnet runs them)" : "";
    out += "\nwhole model without per-layer timers" + bands + ": median " + fixed(t->model.median, 3) + " ms (p10 " +
           fixed(t->model.p10, 3) + ", p90 " + fixed(t->model.p90, 3) + ", mean " + fixed(t->model.mean, 3) + " ± " +
           fixed(t->model.stddev, 3) + ", " + std::to_string(t->model.runs) +
           " runs); sum of layer medians " + fixed(t->layer_sum_ms, 3) + " ms; difference " +
           fixed(t->layer_sum_ms - t->model.median, 3) + " ms\n";
  }
  return out;
}

std::string chrome_trace(const CostReport& cost, const ProfileTimings& t, const ReportContext& context) {
  using nlohmann::json;
  std::vector<const LayerCostRow*> row_of_node;
  for (const auto& r : cost.layers) {
    if (size_t(r.node) >= row_of_node.size()) row_of_node.resize(size_t(r.node) + 1, nullptr);
    row_of_node[size_t(r.node)] = &r;
  }
  json events = json::array();
  // Track names: one process (the model), one thread (the layer-by-layer pass).
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"tid", 1}, {"args", {{"name", "mnet " + cost.model}}}});
  events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", 1},
                    {"args", {{"name", "layers, " + std::to_string(t.machine.threads) + " thread(s)"}}}});
  int runs = 0;
  for (const LayerEvent& e : t.events) {
    const LayerCostRow* r = size_t(e.node) < row_of_node.size() ? row_of_node[size_t(e.node)] : nullptr;
    if (!r) continue;
    runs = std::max(runs, e.run + 1);
    json args = {{"run", e.run}, {"type", r->type}, {"madds", r->madds}, {"bytes", compulsory_bytes(*r)},
                 {"out_shape", r->out.str()}};
    if (size_t(e.node) < t.kernels.size() && !t.kernels[size_t(e.node)].empty()) args["kernel"] = t.kernels[size_t(e.node)];
    // Trace-event times are microseconds; fractions keep the nanoseconds.
    events.push_back({{"name", r->name}, {"cat", r->category.name()}, {"ph", "X"}, {"pid", 1}, {"tid", 1},
                      {"ts", double(e.start_ns) / 1e3}, {"dur", double(e.duration_ns) / 1e3}, {"args", args}});
  }
  json metadata = report_json(context, "trace",
                              {{"model", cost.model},
                               {"traced_runs", runs},
                               {"timed_runs", t.model.runs},
                               {"events_truncated", t.events.size() >= kMaxTraceEvents},
                               {"whole_model_median_ms", t.model.median},
                               {"layer_sum_ms", t.layer_sum_ms}});
  return json_text({{"traceEvents", events}, {"displayTimeUnit", "ms"}, {"otherData", metadata}});
}

}  // namespace mnet
