// Bytes → read_tflite → dequantize of every constant tensor → load_model, which imports the model
// into an mnet model spec and weights, builds the graph and checks the weights against it (what
// `mnet classify/run model.tflite` do before running), then writes the spec as `mnet import` saves
// it and reads that back. read_tflite takes a path, so each input goes through a per-process file
// on tmpfs.
// InputError is the expected answer to bad input; anything else is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.h"
#include "config/write_config.h"
#include "core/error.h"
#include "model/model.h"
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
    mnet::load_model(path, {});
    // What `mnet import` would save must read back: a config the reader refuses is a finding.
    const mnet::ImportedModel imported = mnet::import_tflite(path);
    const std::string config = mnet::write_config(imported.spec);
    try {
      mnet::parse_config(config, path);
    } catch (const mnet::InputError& e) {
      std::fprintf(stderr, "the imported model's config does not read back: %s\n", e.what());
      std::abort();
    }
  } catch (const mnet::InputError&) {
  }
  return 0;
}
