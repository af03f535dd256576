// The classify report in every format.
#include "report/classify_report.h"

#include <cstdio>

namespace mnet {

int ClassifyReport::classified() const {
  int n = 0;
  for (const ImageResult& r : results) n += r.error.empty();
  return n;
}

int ClassifyReport::failed() const { return int(results.size()) - classified(); }

namespace {

using nlohmann::json;

// A float with the digits that read back as the same float (CSV, where values are data).
std::string exact(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(v));
  return buf;
}
// Six significant digits, for reading (table and Markdown).
std::string short_value(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", double(v));
  return buf;
}

// The error without the image's own path in front: the table prints the path on the line above.
std::string reason(const ImageResult& r) {
  const std::string prefix = r.image + ": ";
  return r.error.compare(0, prefix.size(), prefix) == 0 ? r.error.substr(prefix.size()) : r.error;
}

// A Markdown cell: a label with '|' would end the cell.
std::string md_cell(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string model_line(const Graph& g, const std::string& model_path) {
  const Preprocess& pre = g.preprocess;
  return g.name + " (" + model_path + "), input " + g.input().out.str() + ", " +
         (pre.crop == "central_fraction" ? "central crop " + fixed(pre.central_fraction, 3)
                                         : "resize " + std::to_string(pre.resize) + " + centre crop");
}

json shape_json(const Shape& s) { return json::array({s.c, s.h, s.w}); }

// CSV and Markdown rows: one per (image, rank), or with --raw per (image, output, index); a
// failed image has one row with its error. CSV repeats the model in every row (files concatenate);
// Markdown names it once, above the table.
Table rows_table(const ClassifyReport& report, const std::string& model, bool csv) {
  Table t;
  auto cell = [csv](const std::string& s) { return csv ? s : md_cell(s); };
  if (report.raw) {
    t.header = {"model", "image", "output", "index", "value", "error"};
    t.right_aligned = {false, false, false, true, true, false};
  } else {
    t.header = {"model", "image", "rank", "index", "label", "score", "error"};
    t.right_aligned = {false, false, true, true, false, true, false};
  }
  for (const ImageResult& r : report.results) {
    if (!r.error.empty()) {
      std::vector<std::string> row(t.header.size());
      row[0] = cell(model);
      row[1] = cell(r.image);
      row.back() = cell(csv ? r.error : reason(r));
      t.add_row(row);
      continue;
    }
    if (report.raw) {
      for (const RawOutput& o : r.raw)
        for (size_t i = 0; i < o.values.size(); ++i)
          t.add_row({cell(model), cell(r.image), cell(o.name), std::to_string(i),
                     csv ? exact(o.values[i]) : short_value(o.values[i]), ""});
      continue;
    }
    for (size_t k = 0; k < r.top.size(); ++k) {
      const Prediction& p = r.top[k];
      t.add_row({cell(model), cell(r.image), std::to_string(k + 1), std::to_string(p.index), cell(p.label),
                 fixed(p.score, csv ? 6 : 4), ""});
    }
  }
  if (!csv) {
    t.header.erase(t.header.begin());
    t.right_aligned.erase(t.right_aligned.begin());
    for (auto& row : t.rows) row.erase(row.begin());
  }
  return t;
}

}  // namespace

std::string classify_timing_line(const ClassifyReport& report) {
  const ClassifyTiming& t = report.timing;
  const int n = report.classified();
  std::string line = std::to_string(n) + (n == 1 ? " image" : " images") + " in " + fixed(t.seconds, 2) + " s";
  if (t.seconds > 0) line += ", " + fixed(n / t.seconds, 1) + " images/s";
  line += " (" + std::to_string(t.threads) + (t.threads == 1 ? " thread)" : " threads)");
  if (report.failed() > 0) line += ", " + std::to_string(report.failed()) + " failed";
  return line + "; decode+preprocess " + fixed(t.decode_seconds, 3) + " s, inference " + fixed(t.inference_seconds, 3) + " s";
}

json classify_json(const Graph& g, const ClassifyReport& report) {
  json list = json::array();
  for (const ImageResult& r : report.results) {
    if (!r.error.empty()) {
      list.push_back({{"image", r.image}, {"error", r.error}});
    } else if (report.raw) {
      json outputs = json::array();
      for (const RawOutput& o : r.raw)
        outputs.push_back({{"name", o.name}, {"shape", shape_json(o.shape)}, {"values", o.values}});
      list.push_back({{"image", r.image}, {"outputs", outputs}});
    } else {
      json top = json::array();
      for (size_t k = 0; k < r.top.size(); ++k)
        top.push_back({{"rank", k + 1}, {"index", r.top[k].index}, {"label", r.top[k].label}, {"score", r.top[k].score}});
      list.push_back({{"image", r.image}, {"top", top}});
    }
  }
  const ClassifyTiming& t = report.timing;
  const Shape& in = g.input().out;
  return {{"model", g.name},
          {"source", report.model_path},
          {"input_shape", {1, in.c, in.h, in.w}},
          {"raw", report.raw},
          {"results", list},
          {"images", report.classified()},
          {"failed", report.failed()},
          {"seconds", t.seconds},
          {"images_per_second", t.seconds > 0 ? json(report.classified() / t.seconds) : json(nullptr)},
          {"decode_preprocess_seconds", t.decode_seconds},
          {"inference_seconds", t.inference_seconds}};
}

std::string format_classification(const Graph& g, const ClassifyReport& report, Format format,
                                  const ReportContext& context) {
  if (format == Format::json) return json_text(report_json(context, "classify", classify_json(g, report)));
  if (format == Format::csv) return rows_table(report, g.name, true).render(Format::csv);
  if (format == Format::md)
    return md_cell(model_line(g, report.model_path)) + "\n\n" + rows_table(report, g.name, false).render(Format::md) +
           "\n" + classify_timing_line(report) + "\n";
  std::string text = model_line(g, report.model_path) + "\n";
  for (const ImageResult& r : report.results) {
    text += r.image + "\n";
    if (!r.error.empty()) {
      text += "  error: " + reason(r) + "\n";
      continue;
    }
    for (const RawOutput& o : r.raw) {
      // One line per output: the values in [C, H, W] order.
      text += "  " + o.name + " " + o.shape.str() + ":";
      for (float v : o.values) text += " " + short_value(v);
      text += "\n";
    }
    for (const Prediction& p : r.top)
      text += "  " + fixed(p.score, 4) + "  " + std::to_string(p.index) + "  " + p.label + "\n";
  }
  return text + classify_timing_line(report) + "\n";
}

}  // namespace mnet
