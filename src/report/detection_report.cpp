// Printing detect's and segment's results in the four formats.
#include "report/detection_report.h"

#include <cstdio>

namespace mnet {

int VisionReport::failed() const {
  int n = 0;
  for (const VisionResult& r : results) n += !r.error.empty();
  return n;
}

namespace {

std::string pixels(double v) { return fixed(v, 1); }
std::string percent(double fraction) { return fixed(100 * fraction, 1) + " %"; }

std::string head_line(const VisionReport& r) {
  std::string line = r.model_name + " (" + r.model_path + "): the whole image stretched to " +
                     std::to_string(r.input_size) + "x" + std::to_string(r.input_size) + ", no crop";
  if (!r.segmentation) {
    line += "; scores at or above " + fixed(r.threshold, 2);
    if (r.top > 0) line += ", at most " + std::to_string(r.top) + " per image";
  } else {
    line += "; class map " + std::to_string(r.map_width) + "x" + std::to_string(r.map_height);
  }
  return line;
}

std::string timing_line(const VisionReport& r) {
  const int done = int(r.results.size()) - r.failed();
  char buf[160];
  std::snprintf(buf, sizeof buf, "%d image%s in %.2f s (%d thread%s)%s", done, done == 1 ? "" : "s", r.seconds,
                r.threads, r.threads == 1 ? "" : "s",
                r.failed() ? (", " + std::to_string(r.failed()) + " failed").c_str() : "");
  return buf;
}

Table rows_of(const VisionReport& r, bool with_error_column) {
  Table t;
  if (!r.segmentation) {
    t.header = {"image", "rank", "label", "class", "score", "xmin", "ymin", "xmax", "ymax"};
    t.right_aligned = {false, true, false, true, true, true, true, true, true};
  } else {
    t.header = {"image", "class", "label", "pixels", "share"};
    t.right_aligned = {false, true, false, true, true};
  }
  if (with_error_column) {
    t.header.push_back("error");
    t.right_aligned.push_back(false);
  }
  const size_t columns = t.header.size();
  for (const VisionResult& res : r.results) {
    if (!t.rows.empty()) t.rules_before.push_back(t.rows.size());
    std::vector<std::string> empty(columns, "");
    empty[0] = res.image;
    if (!res.error.empty()) {
      if (with_error_column) empty.back() = res.error;
      else empty[columns > 2 ? 2 : 1] = "error: " + res.error;
      t.add_row(empty);
      continue;
    }
    if (!r.segmentation) {
      if (res.objects.empty()) {
        empty[2] = "(none at or above " + fixed(r.threshold, 2) + ")";
        t.add_row(empty);
      }
      for (size_t i = 0; i < res.objects.size(); ++i) {
        const DetectedObject& o = res.objects[i];
        std::vector<std::string> row{res.image, std::to_string(i + 1), o.label, std::to_string(o.class_index),
                                     fixed(o.score, 3), pixels(o.xmin), pixels(o.ymin), pixels(o.xmax), pixels(o.ymax)};
        if (with_error_column) row.push_back("");
        t.add_row(std::move(row));
      }
    } else {
      for (const SegmentedClass& c : res.classes) {
        std::vector<std::string> row{res.image, std::to_string(c.index), c.label, with_commas(c.pixels),
                                     percent(c.fraction)};
        if (with_error_column) row.push_back("");
        t.add_row(std::move(row));
      }
    }
  }
  return t;
}

}  // namespace

nlohmann::json vision_json(const VisionReport& r) {
  nlohmann::json j;
  j["model"] = r.model_name;
  j["source"] = r.model_path;
  j["input_size"] = r.input_size;
  j["preprocess"] = "whole image stretched to " + std::to_string(r.input_size) + "x" + std::to_string(r.input_size) +
                    " (bilinear, half-pixel centres), no crop";
  if (!r.segmentation) {
    j["threshold"] = r.threshold;
    j["top"] = r.top;
  } else {
    j["class_map"] = {r.map_width, r.map_height};
  }
  nlohmann::json results = nlohmann::json::array();
  for (const VisionResult& res : r.results) {
    nlohmann::json item{{"image", res.image}};
    if (!res.error.empty()) {
      item["error"] = res.error;
      results.push_back(item);
      continue;
    }
    item["width"] = res.width;
    item["height"] = res.height;
    if (!r.segmentation) {
      nlohmann::json list = nlohmann::json::array();
      for (size_t i = 0; i < res.objects.size(); ++i) {
        const DetectedObject& o = res.objects[i];
        list.push_back({{"rank", i + 1},
                        {"class", o.class_index},
                        {"label", o.label},
                        {"score", o.score},
                        {"box", {o.box.ymin, o.box.xmin, o.box.ymax, o.box.xmax}},
                        {"box_pixels", {{"xmin", o.xmin}, {"ymin", o.ymin}, {"xmax", o.xmax}, {"ymax", o.ymax}}}});
      }
      item["detections"] = list;
    } else {
      nlohmann::json list = nlohmann::json::array();
      for (const SegmentedClass& c : res.classes)
        list.push_back({{"index", c.index}, {"label", c.label}, {"pixels", c.pixels}, {"fraction", c.fraction}});
      item["classes"] = list;
    }
    if (!res.drawn.empty()) item["drawn"] = res.drawn;
    results.push_back(item);
  }
  j["results"] = results;
  j["images"] = r.results.size();
  j["failed"] = r.failed();
  j["seconds"] = r.seconds;
  return j;
}

std::string format_vision(const VisionReport& r, Format format, const ReportContext& context) {
  if (format == Format::json)
    return json_text(report_json(context, r.segmentation ? "segment" : "detect", vision_json(r)));
  if (format == Format::csv) return rows_of(r, true).render(Format::csv);
  const std::string table = rows_of(r, false).render(format);
  if (format == Format::md)
    return context_line(context) + "\n\n" + head_line(r) + "\n\n" + table + "\n" + timing_line(r) + "\n";
  return context_line(context) + "\n" + head_line(r) + "\n" + table + timing_line(r) + "\n";
}

}  // namespace mnet
