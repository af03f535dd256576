// Bytes → read_tflite → dequantize of every constant tensor → import_tflite → the imported config
// parsed back and its weights checked against the layers' declarations, as `mnet import` does.
// read_tflite takes a path, so each input goes through a per-process file on tmpfs.
// InputError is the expected answer to bad input; anything else is a finding, and so is an
// import that succeeds with a config mnet rejects or weights its layers do not declare.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.h"
#include "core/error.h"
#include "tflite/import.h"
#include "tflite/model.h"

namespace {

std::string scratch_path() {
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return std::string(dir) + "/mnet-fuzz-" + std::to_string(getpid()) + ".tflite";
}

void write_all(const std::string& path, const uint8_t* data, size_t size) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();  // not a finding in mnet, but the run cannot go on
  }
}

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_tflite: %s\n", what.c_str());
  std::abort();
}

// What `mnet import` does with a successful import before writing it.
void check_imported(const mnet::ImportedModel& imported, const std::string& path) {
  mnet::Graph g;
  try {
    g = mnet::parse_config(imported.config_json, path);
  } catch (const mnet::InputError& e) {
    finding(std::string("import succeeded but its config is rejected: ") + e.what());
  }
  size_t declared = 0;
  for (int i = 0; i < int(g.nodes.size()); ++i) {
    for (const mnet::WeightDecl& d : g.weights_of(i)) {
      ++declared;
      auto it = imported.weights.find(d.name);
      if (it == imported.weights.end()) finding("imported weights lack '" + d.name + "'");
      if (int64_t(it->second.size()) != d.elements()) finding("imported weight '" + d.name + "' has the wrong size");
    }
  }
  if (declared != imported.weights.size()) finding("imported weights include tensors no layer declares");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = scratch_path();
  write_all(path, data, size);
  try {
    const mnet::TfliteModel m = mnet::read_tflite(path);
    for (int i = 0; i < int(m.tensors.size()); ++i) {
      if (m.tensor_data(i).empty()) continue;
      try {
        mnet::dequantize(m, i);
      } catch (const mnet::InputError&) {
      }
    }
    check_imported(mnet::import_tflite(path), path);
  } catch (const mnet::InputError&) {
  }
  return 0;
}
