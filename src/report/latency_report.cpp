// The bench and compare reports as a table, CSV, Markdown or JSON.
#include "report/latency_report.h"

#include <nlohmann/json.hpp>

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

std::string format_bench(const MachineInfo& machine, const std::vector<BenchRow>& rows, Format format) {
  std::vector<RunConditions> measured;
  for (const BenchRow& r : rows) measured.push_back(r.latency.conditions);
  const bool disturbed = !disturbance_note(measured).empty();
  if (format == Format::json) {
    nlohmann::json j = {{"machine", {{"cpu", machine.cpu}, {"openblas", machine.blas}, {"openblas_core", machine.blas_core},
                                     {"warmup", machine.warmup}}},
                        {"disturbed", disturbed},
                        {"results", nlohmann::json::array()}};
    if (machine.duration_s > 0) j["machine"]["duration_s"] = machine.duration_s;
    for (const BenchRow& r : rows) {
      nlohmann::json result = latency_json(r.latency);
      result.update({{"model", r.model}, {"source", r.source}, {"threads", r.threads}});
      j["results"].push_back(result);
    }
    return json_text(j);
  }
  // CSV has every statistic in its own column; the table and Markdown "mean ± sd" in one.
  const bool csv = format == Format::csv;
  Table t;
  t.header = {"model", "input", "threads", "median ms", "p10 ms", "p90 ms"};
  if (csv)
    t.header.insert(t.header.end(), {"mean ms", "stddev ms", "min ms", "max ms", "runs", "cpu ms/run", "disturbed"});
  else
    t.header.insert(t.header.end(), {"mean ± sd ms", "runs"});
  if (!csv && disturbed) t.header.push_back("disturbed");
  t.right_aligned = {false, false};
  t.right_aligned.resize(t.header.size(), true);
  for (const BenchRow& r : rows) {
    const LatencyStats& l = r.latency;
    std::vector<std::string> cells{r.model, r.input.str(), std::to_string(r.threads), fixed(l.median, 3), fixed(l.p10, 3),
                                   fixed(l.p90, 3)};
    if (csv)
      cells.insert(cells.end(), {fixed(l.mean, 3), fixed(l.stddev, 3), fixed(l.min, 3), fixed(l.max, 3),
                                 std::to_string(l.runs), fixed(cpu_ms_per_run(l.conditions), 3),
                                 l.conditions.disturbed ? "yes" : "no"});
    else
      cells.insert(cells.end(), {fixed(l.mean, 3) + " ± " + fixed(l.stddev, 3), std::to_string(l.runs)});
    if (!csv && disturbed) cells.push_back(l.conditions.disturbed ? "yes" : "no");
    t.add_row(cells);
  }
  std::string head = format == Format::table ? machine.cpu + ", OpenBLAS core " + machine.blas_core + ", " +
                                                   std::to_string(machine.warmup) + " warm-up runs" +
                                                   (machine.duration_s > 0 ? ", runs for " + format_number(machine.duration_s) + " s each" : "") +
                                                   disturbance_note(measured) + "\n\n"
                                             : "";
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
                           std::optional<size_t> baseline) {
  const bool timed = !rows.empty() && rows.front().latency.has_value();
  if (baseline && *baseline >= rows.size()) baseline.reset();
  const CompareRow* base = baseline ? &rows[*baseline] : nullptr;
  if (format == Format::json) {
    nlohmann::json j = nlohmann::json::array();
    for (const CompareRow& row : rows) {
      const CostReport& r = row.cost;
      j.push_back({{"model", r.model},
                   {"source", row.source},
                   {"input_shape", {1, r.input.c, r.input.h, r.input.w}},
                   {"madds", r.madds},
                   {"params", r.params},
                   {"conv1x1_madds_pct", madds_pct(r, false)},
                   {"depthwise_madds_pct", madds_pct(r, true)}});
      if (row.latency) {
        j.back()["latency"] = latency_json(*row.latency);
        if (machine) j.back()["latency"]["threads"] = machine->threads;
      }
      if (base) {
        nlohmann::json to_base = {{"baseline", base->cost.model},
                                  {"madds", ratio(double(r.madds), double(base->cost.madds))},
                                  {"params", ratio(double(r.params), double(base->cost.params))}};
        if (row.latency && base->latency) to_base["median_latency"] = ratio(row.latency->median, base->latency->median);
        j.back()["is_baseline"] = &row == base;
        j.back()["ratio_to_baseline"] = to_base;
      }
    }
    return json_text(j);
  }
  Table t;
  t.header = {"model", "input", "MAdds", "params", "1x1 conv %", "depthwise %"};
  t.right_aligned = {false, false, true, true, true, true};
  const bool csv = format == Format::csv;
  if (timed) {
    t.header.insert(t.header.end(), {"median ms", "p10 ms", "p90 ms"});
    if (csv) t.header.insert(t.header.end(), {"mean ms", "stddev ms", "min ms", "max ms"});
    t.header.push_back("GFLOP/s");
    if (csv) t.header.push_back("disturbed");
    t.right_aligned.resize(t.header.size(), true);
  }
  if (base) {
    t.header.insert(t.header.end(), {"MAdds ×", "params ×"});
    if (timed) t.header.push_back("latency ×");
    t.right_aligned.resize(t.header.size(), true);
  }
  std::vector<RunConditions> measured;
  for (const CompareRow& row : rows) {
    const CostReport& r = row.cost;
    std::vector<std::string> cells{r.model, r.input.str(), csv ? std::to_string(r.madds) : with_commas(r.madds),
                                   csv ? std::to_string(r.params) : with_commas(r.params), fixed(madds_pct(r, false), 2),
                                   fixed(madds_pct(r, true), 2)};
    if (row.latency) {
      const LatencyStats& l = *row.latency;
      measured.push_back(l.conditions);
      cells.insert(cells.end(), {fixed(l.median, 3), fixed(l.p10, 3), fixed(l.p90, 3)});
      if (csv) cells.insert(cells.end(), {fixed(l.mean, 3), fixed(l.stddev, 3), fixed(l.min, 3), fixed(l.max, 3)});
      cells.push_back(fixed(gflops(r.madds, l.median), 1));
      if (csv) cells.push_back(l.conditions.disturbed ? "yes" : "no");
    }
    if (base) {
      // CSV keeps plain numbers; the table and Markdown say "×".
      auto cell = [&](double x) { return csv ? fixed(x, 4) : times(x); };
      cells.push_back(cell(ratio(double(r.madds), double(base->cost.madds))));
      cells.push_back(cell(ratio(double(r.params), double(base->cost.params))));
      if (timed) cells.push_back(cell(ratio(row.latency->median, base->latency->median)));
    }
    t.add_row(cells);
  }
  std::string head;
  if (timed && machine && format == Format::table)
    head = machine->cpu + ", " + std::to_string(machine->threads) + " thread(s), OpenBLAS core " + machine->blas_core +
           ", " + runs_text(*machine) + disturbance_note(measured) + "\n\n";
  std::string text = head + t.render(format);
  if (base && format == Format::table && rows.size() > 1) text += "\n" + baseline_sentences(rows, size_t(base - rows.data()));
  return text;
}

}  // namespace mnet
