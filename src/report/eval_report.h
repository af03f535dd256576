// What `mnet eval` prints: top-1 and top-5 over a labelled set, per class and per image; and the
// JSON of a run read back, for `mnet eval --merge`.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "eval/evaluate.h"
#include "report/envelope.h"
#include "report/table.h"

namespace mnet {

// --merge reads each part whole: refused above this (a 50,000-image run's JSON is about 20 MiB).
constexpr uint64_t kMaxEvalReportBytes = uint64_t(1) << 30;  // 1 GiB

// A class index read back from a report: at most this (the JSON names classes by index).
constexpr int kMaxClassIndex = 1 << 20;

struct EvalReportOptions {
  bool per_class = false;  // each class's accuracy (JSON always has it)
  bool errors = false;     // the misclassified images with their top-5 (JSON has every image)
};

// The JSON body (the envelope goes around it): the model, the set, top-1/top-5 and counts, "timing"
// (the only keys that differ between runs of the same set), "per_class" and "results" (every image:
// its position in the set, path, true class, top-5 or error). A shard adds "shard": {"index", "count"}.
nlohmann::json eval_json(const EvalResult& result);

// Table or Markdown: a summary (with --per-class and --errors, their tables); CSV: one table, the
// per-class rows with --per-class, else the misclassified images with --errors, else the summary row.
// JSON: report_json(context, "eval", eval_json(result)).
std::string format_eval(const EvalResult& result, Format format, const EvalReportOptions& options,
                        const ReportContext& context);

// A JSON report written by `mnet eval --format json` (with or without --shard) → its result, for
// merging. Throws InputError naming `source` and the key for anything else.
EvalResult parse_eval_json(const std::string& text, const std::string& source);

}  // namespace mnet
