// mnet import MODEL.tflite --out DIR: config.json + weights.safetensors (+ labels.txt), written
// to a temporary folder beside DIR and renamed into place, so a failed import leaves nothing.
// With --format or -o, a report of what it imported.
#include <filesystem>

#include "common.h"
#include "config/write_config.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "io/temp_files.h"
#include "report/import_report.h"
#include "tflite/import.h"

namespace mnet::app {

namespace fs = std::filesystem;

Command make_import_command(CLI::App& root) {
  auto model = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>();
  auto labels_file = std::make_shared<std::string>();
  auto out = std::make_shared<OutputOptions>();
  CLI::App* app = root.add_subcommand("import", "Convert a TensorFlow Lite model into an mnet model folder.\n"
                                                "  Says what it did on stderr; --format or -o also writes a report (source, folder, layers,\n"
                                                "  weights, labels, notes).\n"
                                                "  example: mnet import mobilenet_v3_small_1.0_224_quant.tflite --out models/mnv3s/\n"
                                                "  example: mnet import v3.tflite --out models/v3/ --format json -o models/v3-import.json");
  app->add_option("model", *model, "The .tflite file")->required();
  app->add_option("--out", *dir, "Folder to create (must not exist, or be empty)")->required();
  app->add_option("--labels", *labels_file, "Labels file to store with the model when the .tflite carries none");
  out->add_to(*app);
  CLI::Option* format_option = app->get_option("--format");
  format_option->description("Report format: table|json|csv|md (default: no report, only the stderr lines)");
  auto run = [model, dir, labels_file, out, format_option]() {
    if (!is_tflite_path(*model)) throw InputError(*model + ": not a .tflite file");
    ImportedModel imported = import_tflite(*model);
    std::vector<std::string> labels = labels_file->empty() ? imported.labels : read_labels(*labels_file);
    Graph g = build_graph(imported.spec);
    // Checked here, not by classify later: the folder must not keep labels that fit no output.
    const int64_t classes = g.output().out.elements();
    if (!labels.empty() && int64_t(labels.size()) != classes)
      throw InputError((labels_file->empty() ? *model + ": labels in its metadata ('" + imported.labels_file + "')"
                                             : *labels_file) +
                       ": has " + std::to_string(labels.size()) + " labels, the model outputs " + std::to_string(classes) +
                       " classes (one label per class)");

    // The folder's config names its weights and labels, so it is an ordinary mnet model.
    imported.spec.weights = "weights.safetensors";
    if (!labels.empty()) imported.spec.labels = "labels.txt";
    const std::string config = write_config(imported.spec);

    fs::path target = fs::path(*dir).lexically_normal();
    if (target.filename().empty()) target = target.parent_path();
    std::error_code ec;
    if (fs::exists(target, ec) && !(fs::is_directory(target, ec) && fs::is_empty(target, ec)))
      throw RunError(target.string() + ": already exists and is not an empty folder; refusing to overwrite");
    fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    if (!fs::is_directory(parent, ec)) throw RunError(target.string() + ": cannot write: " + parent.string() + " is not a folder");
    // Named and registered as io/temp_files.h says: a signal removes it, and so does the next
    // import into the same folder if this process was killed outright.
    remove_stale_temps(target.string());
    const fs::path staging = temp_path_beside(target.string());
    LiveTemp registered(staging.string(), true);
    int64_t weights_bytes = 0;
    try {
      if (!fs::create_directory(staging, ec)) throw RunError(staging.string() + ": cannot write: " + ec.message());
      write_file_atomic((staging / "config.json").string(), config);
      save_weights(g, imported.weights, (staging / "weights.safetensors").string());
      weights_bytes = int64_t(fs::file_size(staging / "weights.safetensors"));
      if (!labels.empty()) {
        std::string text;
        for (const auto& l : labels) text += l + "\n";
        write_file_atomic((staging / "labels.txt").string(), text);
      }
      if (fs::exists(target, ec)) fs::remove(target, ec);
      fs::rename(staging, target, ec);
      if (ec) throw RunError(target.string() + ": cannot write: " + ec.message());
    } catch (...) {
      fs::remove_all(staging, ec);
      throw;
    }
    for (const auto& n : imported.notes) std::fprintf(stderr, "mnet: note: %s: %s\n", model->c_str(), n.c_str());
    std::fprintf(stderr, "mnet: imported %s into %s (%zu layers%s)\n", model->c_str(), target.string().c_str(),
                 g.nodes.size() - 1, labels.empty() ? ", no labels" : "");
    if (format_option->count() > 0 || !out->output.empty()) {
      ImportSummary summary;
      summary.source = *model;
      summary.target = target.string();
      summary.model = g.name;
      summary.layers = int64_t(g.nodes.size()) - 1;
      for (const auto& [name, values] : imported.weights) summary.parameters += int64_t(values.size());
      summary.weights_bytes = weights_bytes;
      summary.labels = int64_t(labels.size());
      if (!labels.empty())
        summary.labels_source = labels_file->empty() ? "metadata (" + imported.labels_file + ")" : "--labels " + *labels_file;
      summary.notes = imported.notes;
      emit(*out, format_import(summary, out->parsed(), report_context()));
    }
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
