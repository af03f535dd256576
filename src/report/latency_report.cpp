// The bench and compare reports as a table, CSV, Markdown or JSON.
#include "report/latency_report.h"

#include <nlohmann/json.hpp>

namespace mnet {

nlohmann::json latency_json(const LatencyStats& s) {
  return {{"runs", s.runs}, {"median_ms", s.median}, {"p10_ms", s.p10}, {"p90_ms", s.p90},
          {"min_ms", s.min},  {"max_ms", s.max}};
}

std::string format_bench(const MachineInfo& machine, const std::vector<BenchRow>& rows, Format format) {
  if (format == Format::json) {
    nlohmann::json j = {{"machine", {{"cpu", machine.cpu}, {"openblas", machine.blas}, {"openblas_core", machine.blas_core},
                                     {"warmup", machine.warmup}}},
                        {"results", nlohmann::json::array()}};
    for (const BenchRow& r : rows) {
      nlohmann::json result = latency_json(r.latency);
      result.update({{"model", r.model}, {"source", r.source}, {"threads", r.threads}});
      j["results"].push_back(result);
    }
    return json_text(j);
  }
  Table t;
  t.header = {"model", "input", "threads", "median ms", "p10 ms", "p90 ms", "runs"};
  t.right_aligned = {false, false, true, true, true, true, true};
  for (const BenchRow& r : rows)
    t.add_row({r.model, r.input.str(), std::to_string(r.threads), fixed(r.latency.median, 3), fixed(r.latency.p10, 3),
               fixed(r.latency.p90, 3), std::to_string(r.latency.runs)});
  std::string head = format == Format::table ? machine.cpu + ", OpenBLAS core " + machine.blas_core + ", " +
                                                   std::to_string(machine.warmup) + " warm-up runs\n\n"
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

}  // namespace

std::string format_compare(const std::vector<CompareRow>& rows, const MachineInfo* machine, Format format) {
  const bool timed = !rows.empty() && rows.front().latency.has_value();
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
    }
    return json_text(j);
  }
  Table t;
  t.header = {"model", "input", "MAdds", "params", "1x1 conv %", "depthwise %"};
  t.right_aligned = {false, false, true, true, true, true};
  if (timed) {
    t.header.insert(t.header.end(), {"median ms", "p10 ms", "p90 ms", "GFLOP/s"});
    t.right_aligned.insert(t.right_aligned.end(), {true, true, true, true});
  }
  const bool csv = format == Format::csv;
  for (const CompareRow& row : rows) {
    const CostReport& r = row.cost;
    std::vector<std::string> cells{r.model, r.input.str(), csv ? std::to_string(r.madds) : with_commas(r.madds),
                                   csv ? std::to_string(r.params) : with_commas(r.params), fixed(madds_pct(r, false), 2),
                                   fixed(madds_pct(r, true), 2)};
    if (row.latency) {
      const LatencyStats& l = *row.latency;
      cells.insert(cells.end(), {fixed(l.median, 3), fixed(l.p10, 3), fixed(l.p90, 3), fixed(gflops(r.madds, l.median), 1)});
    }
    t.add_row(cells);
  }
  std::string head;
  if (timed && machine && format == Format::table)
    head = machine->cpu + ", " + std::to_string(machine->threads) + " thread(s), OpenBLAS core " + machine->blas_core +
           ", " + std::to_string(machine->runs) + " runs after " + std::to_string(machine->warmup) + " warm-up\n\n";
  return head + t.render(format);
}

}  // namespace mnet
