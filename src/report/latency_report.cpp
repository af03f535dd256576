// The bench and compare reports as a table, CSV, Markdown or JSON.
#include "report/latency_report.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "run/executor.h"  // format_bytes

#include "graph/attrs.h"  // format_number

namespace mnet {

nlohmann::json conditions_json(const RunConditions& c) {
  using nlohmann::json;
  return {{"disturbed", c.disturbed},
          {"reasons", c.reasons},
          {"cpu_ms_per_run", cpu_ms_per_run(c)},
          {"wall_ms_per_run", wall_ms_per_run(c)},
          {"others_cores", c.have_machine ? json(others_cores(c)) : json(nullptr)},
          {"steal_pct", c.have_machine ? json(steal_pct(c)) : json(nullptr)},
          {"cores", c.cores},
          {"load_avg_1m", c.load_avg_1m ? json(*c.load_avg_1m) : json(nullptr)}};
}

nlohmann::json latency_json(const LatencyStats& s) {
  nlohmann::json j = {{"runs", s.runs},   {"median_ms", s.median}, {"p10_ms", s.p10},  {"p90_ms", s.p90},
                      {"min_ms", s.min},  {"max_ms", s.max},       {"mean_ms", s.mean}, {"stddev_ms", s.stddev}};
  if (s.conditions.measured) j["conditions"] = conditions_json(s.conditions);
  return j;
}

std::string runs_text(const MachineInfo& m) {
  return (m.duration_s > 0 ? "runs for " + format_number(m.duration_s) + " s" : std::to_string(m.runs) + " runs") +
         " after " + std::to_string(m.warmup) + " warm-up";
}

nlohmann::json parts_json(const CostReport& c) {
  nlohmann::json parts = nlohmann::json::array();
  for (const PartCostRow& p : c.by_part)
    parts.push_back({{"part", p.part}, {"layers", p.layers}, {"madds", p.madds}, {"madds_pct", p.madds_pct},
                     {"params", p.params}, {"params_pct", p.params_pct}});
  return parts;
}

nlohmann::json startup_json(const StartupCost& s) {
  using nlohmann::json;
  return {{"load_ms", s.load_ms},
          {"init_ms", s.init_ms},
          {"first_run_ms", s.first_run_ms},
          {"peak_rss_bytes", s.peak_rss_bytes > 0 ? json(s.peak_rss_bytes) : json(nullptr)},
          {"planned_bytes", s.planned_bytes}};
}

namespace {

nlohmann::json settings_json(const MachineInfo& m) {
  nlohmann::json j = {{"warmup", m.warmup}};
  if (m.duration_s > 0) j["duration_s"] = m.duration_s;
  else j["runs"] = m.runs;
  return j;
}

// The line above a timed table: mnet, the machine, OpenBLAS's core where it was loaded, the runs.
std::string timed_head(const ReportContext& context, const MachineInfo& m, const std::vector<RunConditions>& measured) {
  return context_line(context) + (context.openblas_core.empty() ? "" : ", OpenBLAS core " + context.openblas_core) +
         ", " + runs_text(m) + disturbance_note(measured);
}

// The columns every timed CSV row repeats, so that files from several machines concatenate.
const std::vector<std::string> kContextColumns = {"mnet_commit", "cpu", "simd"};
std::vector<std::string> context_cells(const ReportContext& c) { return {c.git_commit, c.cpu, c.simd}; }

// Load, first-run and peak-memory cells: plain numbers in CSV, units in the table.
std::vector<std::string> startup_cells(const StartupCost& s, bool csv) {
  if (csv)
    return {fixed(s.load_ms + s.init_ms, 3), fixed(s.first_run_ms, 3), s.peak_rss_bytes > 0 ? std::to_string(s.peak_rss_bytes) : "",
            std::to_string(s.planned_bytes)};
  return {fixed(s.load_ms + s.init_ms, 1), fixed(s.first_run_ms, 2), s.peak_rss_bytes > 0 ? format_bytes(s.peak_rss_bytes) : "?"};
}
std::vector<std::string> startup_header(bool csv) {
  if (csv) return {"init ms", "first run ms", "peak rss bytes", "planned bytes"};
  return {"init ms", "first ms", "peak RSS"};
}

}  // namespace

namespace {
// Images per second at the median run of the row's batch.
double images_per_second(const BenchRow& r) {
  return r.latency.median > 0 ? 1000.0 * r.batch / r.latency.median : 0;
}
}  // namespace

std::string format_bench(const MachineInfo& machine, const std::vector<BenchRow>& rows, Format format,
                         const ReportContext& context) {
  std::vector<RunConditions> measured;
  for (const BenchRow& r : rows) measured.push_back(r.latency.conditions);
  const bool disturbed = !disturbance_note(measured).empty();
  if (format == Format::json) {
    nlohmann::json body = {{"settings", settings_json(machine)}, {"disturbed", disturbed}, {"results", nlohmann::json::array()}};
    for (const BenchRow& r : rows) {
      nlohmann::json result = latency_json(r.latency);
      result.update({{"model", r.model},
                     {"source", r.source},
                     {"threads", r.threads},
                     {"batch", r.batch},
                     {"images_per_s", images_per_second(r)},
                     {"input_shape", {r.batch, r.input.c, r.input.h, r.input.w}},
                     {"width", r.width > 0 ? nlohmann::json(r.width) : nlohmann::json(nullptr)},
                     {"startup", startup_json(r.startup)}});
      body["results"].push_back(result);
    }
    return json_text(report_json(context, "bench", body));
  }
  // CSV has every statistic in its own column; the table and Markdown "mean ± sd" in one.
  const bool csv = format == Format::csv;
  const bool widths = std::any_of(rows.begin(), rows.end(), [](const BenchRow& r) { return r.width > 0; });
  const bool batches = std::any_of(rows.begin(), rows.end(), [](const BenchRow& r) { return r.batch > 1; });
  Table t;
  t.header = {"model", "input"};
  if (widths || csv) t.header.push_back("width");
  t.header.push_back("threads");
  if (batches || csv) t.header.push_back("batch");
  t.header.insert(t.header.end(), {"median ms", "p10 ms", "p90 ms"});
  if (batches || csv) t.header.push_back("images/s");
  if (csv)
    t.header.insert(t.header.end(), {"mean ms", "stddev ms", "min ms", "max ms", "runs", "cpu ms/run", "disturbed"});
  else
    t.header.insert(t.header.end(), {"mean ± sd ms", "runs"});
  for (auto& h : startup_header(csv)) t.header.push_back(h);
  if (!csv && disturbed) t.header.push_back("disturbed");
  if (csv) t.header.insert(t.header.end(), kContextColumns.begin(), kContextColumns.end());
  t.right_aligned = {false, false};
  t.right_aligned.resize(t.header.size(), true);
  for (const BenchRow& r : rows) {
    const LatencyStats& l = r.latency;
    std::vector<std::string> cells{r.model, r.input.str()};
    if (widths || csv) cells.push_back(r.width > 0 ? format_number(r.width) : "");
    cells.push_back(std::to_string(r.threads));
    if (batches || csv) cells.push_back(std::to_string(r.batch));
    cells.insert(cells.end(), {fixed(l.median, 3), fixed(l.p10, 3), fixed(l.p90, 3)});
    if (batches || csv) cells.push_back(fixed(images_per_second(r), 1));
    if (csv)
      cells.insert(cells.end(), {fixed(l.mean, 3), fixed(l.stddev, 3), fixed(l.min, 3), fixed(l.max, 3),
                                 std::to_string(l.runs), fixed(cpu_ms_per_run(l.conditions), 3),
                                 l.conditions.disturbed ? "yes" : "no"});
    else
      cells.insert(cells.end(), {fixed(l.mean, 3) + " ± " + fixed(l.stddev, 3), std::to_string(l.runs)});
    for (auto& c : startup_cells(r.startup, csv)) cells.push_back(std::move(c));
    if (!csv && disturbed) cells.push_back(l.conditions.disturbed ? "yes" : "no");
    if (csv) for (auto& c : context_cells(context)) cells.push_back(std::move(c));
    t.add_row(cells);
  }
  std::string head;
  if (format == Format::table) head = timed_head(context, machine, measured) + "\n\n";
  if (format == Format::md) head = "**" + timed_head(context, machine, measured) + "**\n\n";
  return head + t.render(format);
}

namespace {

// The share of the model's multiply-adds in depthwise convolutions, or in 1×1 convolutions.
double madds_pct(const CostReport& c, bool depthwise) {
  int64_t m = 0;
  for (const auto& t : c.by_type)
    if (depthwise ? t.category.kind == CostKind::depthwise : t.category == CostCategory{CostKind::conv, 1}) m += t.madds;
  return c.madds ? 100.0 * double(m) / double(c.madds) : 0;
}

double ratio(double x, double base) { return base > 0 ? x / base : 0; }

// The model's head (a detection or segmentation row's layers), or null.
const PartCostRow* head_of(const CostReport& c) {
  for (const PartCostRow& p : c.by_part)
    if (p.part == "head") return &p;
  return nullptr;
}

// "2.31×": a ratio as the table prints it.
std::string times(double r) { return fixed(r, r < 10 ? 2 : 1) + "×"; }

// "+30.3M" / "-1.2M" / "+12.5K": a count's difference with one decimal.
std::string signed_millions(int64_t d) {
  const double a = double(d < 0 ? -d : d);
  return (d < 0 ? "-" : "+") + (a >= 1e6 ? fixed(a / 1e6, 1) + "M" : fixed(a / 1e3, 1) + "K");
}

// "VGG16: 26.9× the multiply-adds (+14,777.6M), 32.8× the params (+134.1M) and 41.2× the latency
// (+120.4 ms) of mobilenet_v1": the seed's way of comparing, one line per model.
std::string baseline_sentences(const std::vector<CompareRow>& rows, size_t base) {
  const CompareRow& b = rows[base];
  std::string text;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i == base) continue;
    const CompareRow& r = rows[i];
    text += r.cost.model + ": " + times(ratio(double(r.cost.madds), double(b.cost.madds))) + " the multiply-adds (" +
            signed_millions(r.cost.madds - b.cost.madds) + "), " +
            times(ratio(double(r.cost.params), double(b.cost.params))) + " the params (" +
            signed_millions(r.cost.params - b.cost.params) + ")";
    if (r.latency && b.latency) {
      const double d = r.latency->median - b.latency->median;
      text += " and " + times(ratio(r.latency->median, b.latency->median)) + " the median latency (" +
              (d < 0 ? "-" : "+") + fixed(d < 0 ? -d : d, 2) + " ms)";
    }
    text += " of " + b.cost.model + "\n";
  }
  return text;
}

}  // namespace

std::string format_compare(const std::vector<CompareRow>& rows, const MachineInfo* machine, Format format,
                           const ReportContext& context, std::optional<std::string> baseline) {
  const bool timed = !rows.empty() && rows.front().latency.has_value();
  // Each row's baseline: the baseline model's row at the same thread count.
  auto base_of = [&](const CompareRow& row) -> const CompareRow* {
    if (!baseline) return nullptr;
    for (const CompareRow& r : rows)
      if (r.source == *baseline && r.threads == row.threads) return &r;
    return nullptr;
  };
  const bool with_base = baseline && std::any_of(rows.begin(), rows.end(), [&](const CompareRow& r) { return base_of(r); });
  const bool several_threads =
      std::any_of(rows.begin(), rows.end(), [&](const CompareRow& r) { return r.threads != rows.front().threads; });
  std::vector<RunConditions> measured;
  for (const CompareRow& row : rows)
    if (row.latency) measured.push_back(row.latency->conditions);
  if (format == Format::json) {
    nlohmann::json models = nlohmann::json::array();
    for (const CompareRow& row : rows) {
      const CostReport& r = row.cost;
      models.push_back({{"model", r.model},
                        {"source", row.source},
                        {"input_shape", {1, r.input.c, r.input.h, r.input.w}},
                        {"madds", r.madds},
                        {"params", r.params},
                        {"conv1x1_madds_pct", madds_pct(r, false)},
                        {"depthwise_madds_pct", madds_pct(r, true)},
                        {"by_part", parts_json(r)}});
      if (row.latency) {
        models.back()["latency"] = latency_json(*row.latency);
        models.back()["latency"]["threads"] = row.threads;
        models.back()["startup"] = startup_json(row.startup);
      }
      if (row.accuracy)
        models.back()["accuracy"] = {{"top1", row.accuracy->top1}, {"top5", row.accuracy->top5},
                                     {"images", row.accuracy->images}, {"failed", row.accuracy->failed},
                                     {"data", row.accuracy->data}};
      if (const CompareRow* base = base_of(row)) {
        nlohmann::json to_base = {{"baseline", base->cost.model},
                                  {"madds", ratio(double(r.madds), double(base->cost.madds))},
                                  {"params", ratio(double(r.params), double(base->cost.params))}};
        if (row.latency && base->latency) to_base["median_latency"] = ratio(row.latency->median, base->latency->median);
        models.back()["is_baseline"] = &row == base;
        models.back()["ratio_to_baseline"] = to_base;
      }
    }
    nlohmann::json body = {{"models", models}, {"timed", timed}};
    if (timed && machine) {
      body["settings"] = settings_json(*machine);
      body["disturbed"] = !disturbance_note(measured).empty();
    }
    return json_text(report_json(context, "compare", body));
  }
  Table t;
  const bool csv = format == Format::csv;
  t.header = {"model", "input", "MAdds", "params", "1x1 conv %", "depthwise %"};
  const bool accuracy = std::any_of(rows.begin(), rows.end(), [](const CompareRow& r) { return r.accuracy.has_value(); });
  // Detectors and segmenters: the head's cost beside the whole (V2 Table 5 compares heads).
  const bool heads = std::any_of(rows.begin(), rows.end(), [](const CompareRow& r) { return head_of(r.cost) != nullptr; });
  if (heads) t.header.insert(t.header.end(), {"head MAdds", "head params", "head MAdds %"});
  if (accuracy) t.header.insert(t.header.end(), {"top-1 %", "top-5 %"});
  if (timed) {
    if (several_threads || csv) t.header.push_back("threads");
    t.header.insert(t.header.end(), {"median ms", "p10 ms", "p90 ms"});
    if (csv) t.header.insert(t.header.end(), {"mean ms", "stddev ms", "min ms", "max ms"});
    t.header.push_back("GFLOP/s");
    for (auto& h : startup_header(csv)) t.header.push_back(h);
    if (csv) t.header.push_back("disturbed");
  }
  if (with_base) {
    t.header.insert(t.header.end(), {"MAdds ×", "params ×"});
    if (timed) t.header.push_back("latency ×");
  }
  if (timed && csv) t.header.insert(t.header.end(), kContextColumns.begin(), kContextColumns.end());
  t.right_aligned = {false, false};
  t.right_aligned.resize(t.header.size(), true);
  for (const CompareRow& row : rows) {
    const CostReport& r = row.cost;
    std::vector<std::string> cells{r.model, r.input.str(), csv ? std::to_string(r.madds) : with_commas(r.madds),
                                   csv ? std::to_string(r.params) : with_commas(r.params), fixed(madds_pct(r, false), 2),
                                   fixed(madds_pct(r, true), 2)};
    if (heads) {
      const PartCostRow* h = head_of(r);
      cells.push_back(h ? (csv ? std::to_string(h->madds) : with_commas(h->madds)) : "");
      cells.push_back(h ? (csv ? std::to_string(h->params) : with_commas(h->params)) : "");
      cells.push_back(h ? fixed(h->madds_pct, 2) : "");
    }
    if (accuracy) {
      cells.push_back(row.accuracy ? fixed(100 * row.accuracy->top1, 2) : "");
      cells.push_back(row.accuracy ? fixed(100 * row.accuracy->top5, 2) : "");
    }
    if (row.latency) {
      const LatencyStats& l = *row.latency;
      if (several_threads || csv) cells.push_back(std::to_string(row.threads));
      cells.insert(cells.end(), {fixed(l.median, 3), fixed(l.p10, 3), fixed(l.p90, 3)});
      if (csv) cells.insert(cells.end(), {fixed(l.mean, 3), fixed(l.stddev, 3), fixed(l.min, 3), fixed(l.max, 3)});
      cells.push_back(fixed(gflops(r.madds, l.median), 1));
      for (auto& c : startup_cells(row.startup, csv)) cells.push_back(std::move(c));
      if (csv) cells.push_back(l.conditions.disturbed ? "yes" : "no");
    }
    if (with_base) {
      const CompareRow* base = base_of(row);
      // CSV keeps plain numbers; the table and Markdown say "×".
      auto cell = [&](double x) { return base ? (csv ? fixed(x, 4) : times(x)) : std::string(); };
      cells.push_back(cell(base ? ratio(double(r.madds), double(base->cost.madds)) : 0));
      cells.push_back(cell(base ? ratio(double(r.params), double(base->cost.params)) : 0));
      if (timed) cells.push_back(cell(base && base->latency ? ratio(row.latency->median, base->latency->median) : 0));
    }
    if (timed && csv) for (auto& c : context_cells(context)) cells.push_back(std::move(c));
    t.add_row(cells);
  }
  std::string head;
  if (timed && machine && format == Format::table) head = timed_head(context, *machine, measured) + "\n\n";
  if (timed && machine && format == Format::md) head = "**" + timed_head(context, *machine, measured) + "**\n\n";
  std::string text = head + t.render(format);
  if (with_base && format == Format::table && rows.size() > 1) {
    // One sentence per other model, at the first thread count.
    std::vector<CompareRow> first;
    size_t base_index = 0;
    for (const CompareRow& r : rows)
      if (r.threads == rows.front().threads) {
        if (r.source == *baseline) base_index = first.size();
        first.push_back(r);
      }
    text += "\n" + baseline_sentences(first, base_index);
  }
  return text;
}

}  // namespace mnet
