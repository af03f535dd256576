// The eval report as text, CSV, Markdown or JSON, and its JSON read back.
#include "report/eval_report.h"

#include "core/error.h"

namespace mnet {

namespace {

using nlohmann::json;

std::string percent(double fraction) { return fixed(100.0 * fraction, 2); }

std::string ratio(int64_t part, int64_t whole) { return with_commas(part) + "/" + with_commas(whole); }

// "tabby" for "tabby, tabby cat": ImageNet's labels list synonyms, which make tables too wide to
// read (JSON has the whole label).
std::string short_label(const std::string& label) { return label.substr(0, label.find(',')); }

std::string top5_text(const EvalResult& r, const ImageOutcome& o) {
  std::string s;
  for (const Ranked& p : o.top)
    s += (s.empty() ? "" : "; ") + std::to_string(p.index) + " " + short_label(r.class_name(p.index)) + " " + fixed(p.score, 3);
  return s;
}

Table summary_table(const EvalResult& r) {
  Table t;
  t.header = {"model", "data", "images", "failed", "top-1 %", "top-5 %", "images/s"};
  t.right_aligned = {false, false, true, true, true, true, true};
  t.add_row({r.model, r.data, with_commas(r.evaluated()), with_commas(r.failed()), percent(r.top1()),
             percent(r.top5()), fixed(r.images_per_second(), 1)});
  return t;
}

Table class_table(const EvalResult& r) {
  Table t;
  t.header = {"class", "label", "images", "top-1 %", "top-5 %"};
  t.right_aligned = {true, false, true, true, true};
  for (const ClassAccuracy& c : r.per_class())
    t.add_row({std::to_string(c.label), short_label(c.name), with_commas(c.images), percent(double(c.top1) / double(c.images)),
               percent(double(c.top5) / double(c.images))});
  return t;
}

Table error_table(const EvalResult& r) {
  Table t;
  t.header = {"image", "class", "label", "top-5 (class label score)"};
  t.right_aligned = {false, true, false, false};
  for (const ImageOutcome& o : r.images)
    if (!o.failed() && !o.top1()) t.add_row({o.path, std::to_string(o.label), short_label(r.class_name(o.label)), top5_text(r, o)});
  return t;
}

std::string headline(const EvalResult& r) {
  std::string s = r.model + " (" + r.model_path + ") on " + r.data + " (" + r.layout + "), " +
                  with_commas(r.set_images) + " images";
  if (r.shard_count > 1)
    s += ", shard " + std::to_string(r.shard_index) + "/" + std::to_string(r.shard_count) + ": " +
         with_commas(int64_t(r.images.size())) + " of them";
  return s + "\n";
}

std::string summary_text(const EvalResult& r) {
  const int64_t n = r.evaluated();
  std::string s;
  if (r.interrupted)
    s += "interrupted: the accuracy of the " + with_commas(int64_t(r.images.size())) + " images done so far\n";
  s += "top-1  " + percent(r.top1()) + " %  (" + ratio(r.top1_correct(), n) + ")\n";
  s += "top-5  " + percent(r.top5()) + " %  (" + ratio(r.top5_correct(), n) + ")\n";
  s += with_commas(n) + " images evaluated, " + with_commas(r.failed()) + " failed, " +
       fixed(r.images_per_second(), 1) + " images/s (" + fixed(r.seconds, 2) + " s; " + std::to_string(r.decoders) +
       " decode thread" + (r.decoders == 1 ? "" : "s") + ", batch " + std::to_string(r.batch) + ")\n";
  return s;
}

const json& member(const json& j, const char* key, const std::string& source) {
  if (!j.is_object() || !j.contains(key))
    throw InputError(source + ": not an mnet eval JSON report: no \"" + std::string(key) + "\"");
  return j.at(key);
}

template <typename T>
T value(const json& j, const char* key, const std::string& source) {
  try {
    return member(j, key, source).get<T>();
  } catch (const json::exception&) {
    throw InputError(source + ": \"" + std::string(key) + "\" has the wrong type in this eval report");
  }
}

// Records the name a report gives class `c` (merge_shards fills the classes no part named).
void name_class(EvalResult& r, int c, const std::string& name, const std::string& source) {
  if (c < 0 || c >= kMaxClassIndex)
    throw InputError(source + ": class index " + std::to_string(c) + " outside 0.." + std::to_string(kMaxClassIndex - 1) +
                     " (kMaxClassIndex)");
  if (size_t(c) >= r.class_names.size()) r.class_names.resize(size_t(c) + 1);
  r.class_names[size_t(c)] = name;
}

}  // namespace

json eval_json(const EvalResult& r) {
  json classes = json::array();
  for (const ClassAccuracy& c : r.per_class())
    classes.push_back({{"index", c.label}, {"label", c.name}, {"images", c.images}, {"top1", c.top1}, {"top5", c.top5}});
  json results = json::array();
  for (const ImageOutcome& o : r.images) {
    json item = {{"position", o.index}, {"image", o.path}, {"class", o.label}, {"label", r.class_name(o.label)}};
    if (o.failed()) {
      item["error"] = o.error;
    } else {
      json top = json::array();
      for (const Ranked& p : o.top) top.push_back({{"index", p.index}, {"label", r.class_name(p.index)}, {"score", p.score}});
      item["top5"] = top;
    }
    results.push_back(item);
  }
  json body = {{"model", r.model},
               {"model_path", r.model_path},
               {"data", r.data},
               {"layout", r.layout},
               {"set_images", r.set_images}};
  if (r.shard_count > 1) body["shard"] = {{"index", r.shard_index}, {"count", r.shard_count}};
  body["interrupted"] = r.interrupted;
  body["evaluated"] = r.evaluated();
  body["failed"] = r.failed();
  body["top1"] = r.top1();
  body["top5"] = r.top5();
  body["top1_correct"] = r.top1_correct();
  body["top5_correct"] = r.top5_correct();
  body["timing"] = {{"seconds", r.seconds}, {"images_per_second", r.images_per_second()},
                    {"batch", r.batch},     {"decode_threads", r.decoders}};
  body["per_class"] = classes;
  body["results"] = results;
  return body;
}

std::string format_eval(const EvalResult& r, Format format, const EvalReportOptions& options,
                        const ReportContext& context) {
  switch (format) {
    case Format::json:
      return json_text(report_json(context, "eval", eval_json(r)));
    case Format::csv:
      if (options.per_class) return class_table(r).render(Format::csv);
      if (options.errors) return error_table(r).render(Format::csv);
      return summary_table(r).render(Format::csv);
    case Format::md: {
      std::string s = context_line(context) + "\n\n" + summary_table(r).render(Format::md);
      if (r.interrupted) s += "\nInterrupted: the accuracy of the images done so far.\n";
      if (options.per_class) s += "\n" + class_table(r).render(Format::md);
      if (options.errors) s += "\n" + error_table(r).render(Format::md);
      return s;
    }
    case Format::table:
      break;
  }
  std::string s = headline(r) + summary_text(r);
  if (options.per_class) s += "\n" + class_table(r).render(Format::table);
  if (options.errors) {
    const Table errors = error_table(r);
    s += "\n" + std::to_string(errors.rows.size()) + " misclassified (top-1)\n";
    if (!errors.rows.empty()) s += errors.render(Format::table);
  }
  return s;
}

EvalResult parse_eval_json(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(source + ": not JSON (" + std::string(e.what()) + ")");
  }
  if (!j.is_object() || j.value("kind", "") != "eval")
    throw InputError(source + ": not an mnet eval JSON report (\"kind\" is not \"eval\")");
  EvalResult r;
  r.model = value<std::string>(j, "model", source);
  r.model_path = value<std::string>(j, "model_path", source);
  r.data = value<std::string>(j, "data", source);
  r.layout = value<std::string>(j, "layout", source);
  r.set_images = value<int64_t>(j, "set_images", source);
  r.interrupted = value<bool>(j, "interrupted", source);
  if (j.contains("shard")) {
    r.shard_index = value<int>(j["shard"], "index", source);
    r.shard_count = value<int>(j["shard"], "count", source);
  }
  const json& timing = member(j, "timing", source);
  r.seconds = value<double>(timing, "seconds", source);
  r.batch = value<int>(timing, "batch", source);
  r.decoders = value<int>(timing, "decode_threads", source);
  if (j.contains("threads") && j["threads"].is_array() && !j["threads"].empty() && j["threads"][0].is_number_integer())
    r.threads = j["threads"][0].get<int>();
  const json& results = member(j, "results", source);
  if (!results.is_array()) throw InputError(source + ": \"results\" is not an array");
  for (const json& item : results) {
    ImageOutcome o;
    o.index = value<int64_t>(item, "position", source);
    o.path = value<std::string>(item, "image", source);
    o.label = value<int>(item, "class", source);
    name_class(r, o.label, value<std::string>(item, "label", source), source);
    if (item.contains("error")) {
      o.error = value<std::string>(item, "error", source);
    } else {
      const json& top = member(item, "top5", source);
      if (!top.is_array() || top.empty()) throw InputError(source + ": image " + o.path + ": \"top5\" is empty");
      for (const json& p : top) {
        o.top.push_back({value<int>(p, "index", source), value<float>(p, "score", source)});
        name_class(r, o.top.back().index, value<std::string>(p, "label", source), source);
      }
    }
    r.images.push_back(std::move(o));
  }
  return r;
}

}  // namespace mnet
