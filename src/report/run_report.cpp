// The run report in every format.
#include "report/run_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mnet {

namespace {

using nlohmann::json;

std::string dims_text(const std::vector<int64_t>& dims, const char* separator) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? separator : "") + std::to_string(dims[i]);
  return s;
}
std::vector<int64_t> written_shape(const Shape& s) { return {1, s.c, s.h, s.w}; }

std::string value_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// The argmax's place in [C, H, W].
std::vector<int64_t> chw_of(int64_t flat, const Shape& s) {
  const int64_t hw = int64_t(s.h) * s.w;
  return {flat / hw, flat % hw / s.w, flat % s.w};
}

}  // namespace

OutputStats output_stats(const std::vector<float>& values) {
  OutputStats st;
  double sum = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    if (!std::isfinite(v)) {
      ++st.nonfinite;
      continue;
    }
    if (st.finite == 0 || v < st.min) st.min = v;
    if (st.finite == 0 || v > st.max) {
      st.max = v;
      st.argmax = int64_t(i);
    }
    ++st.finite;
    sum += v;
  }
  if (st.finite > 0) st.mean = sum / double(st.finite);
  return st;
}

json run_json(const RunSummary& r) {
  const OutputStats st = output_stats(r.values);
  json argmax = nullptr;
  if (st.argmax >= 0) {
    const std::vector<int64_t> at = chw_of(st.argmax, r.output_shape);
    argmax = {{"index", st.argmax}, {"c", at[0]}, {"h", at[1]}, {"w", at[2]}, {"value", r.values[size_t(st.argmax)]}};
  }
  return {{"model", r.model},
          {"source", r.source},
          {"weights", r.weights},
          {"input", r.input},
          {"input_shape", r.input_shape},
          {"output", r.output},
          {"output_node", r.output_node},
          {"output_shape", written_shape(r.output_shape)},
          {"output_stats", {{"min", st.finite ? json(st.min) : json(nullptr)},
                            {"max", st.finite ? json(st.max) : json(nullptr)},
                            {"mean", st.finite ? json(st.mean) : json(nullptr)},
                            {"nonfinite", st.nonfinite}}},
          {"argmax", argmax},
          {"ms", r.ms}};
}

std::string format_run(const RunSummary& r, Format format, const ReportContext& context) {
  if (format == Format::json) return json_text(report_json(context, "run", run_json(r)));
  const OutputStats st = output_stats(r.values);
  const bool any = st.finite > 0;
  const std::string argmax_cell = any ? std::to_string(st.argmax) : "";
  const std::string argmax_value = any ? value_text(r.values[size_t(st.argmax)]) : "";
  if (format == Format::csv) {
    Table t;
    t.header = {"model",  "source", "weights",   "input", "input_shape", "output", "output_shape", "min",
                "max",    "mean",   "nonfinite", "argmax", "argmax_value", "ms",   "threads"};
    t.add_row({r.model, r.source, r.weights, r.input, dims_text(r.input_shape, "x"), r.output,
               dims_text(written_shape(r.output_shape), "x"), any ? value_text(st.min) : "",
               any ? value_text(st.max) : "", any ? value_text(st.mean) : "", std::to_string(st.nonfinite), argmax_cell,
               argmax_value, fixed(r.ms, 3), std::to_string(r.threads)});
    return t.render(Format::csv);
  }
  std::string at;
  if (any) {
    const std::vector<int64_t> chw = chw_of(st.argmax, r.output_shape);
    at = argmax_cell + " (c " + std::to_string(chw[0]) + ", h " + std::to_string(chw[1]) + ", w " +
         std::to_string(chw[2]) + ") = " + argmax_value;
  }
  std::vector<std::pair<std::string, std::string>> rows = {
      {"model", r.model + " (" + r.source + ")"},
      {"weights", r.weights},
      {"input", r.input + " [" + dims_text(r.input_shape, ",") + "]"},
      {"output", r.output + " [" + dims_text(written_shape(r.output_shape), ",") + "], node " + r.output_node},
      {"min / max / mean", any ? value_text(st.min) + " / " + value_text(st.max) + " / " + value_text(st.mean)
                               : "no finite values"},
      {"argmax", any ? at : "none"},
  };
  if (st.nonfinite > 0) rows.push_back({"non-finite", std::to_string(st.nonfinite) + " values"});
  rows.push_back({"time", fixed(r.ms, 3) + " ms, " + std::to_string(r.threads) +
                              (r.threads == 1 ? " thread" : " threads") + " (one pass, not warmed up; mnet bench times)"});
  return key_value_text(rows, format);
}

}  // namespace mnet
