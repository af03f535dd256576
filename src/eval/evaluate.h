// Accuracy of a classifier over a labelled set, streamed: worker threads decode and preprocess
// images into a bounded queue, the calling thread runs the model on them one at a time, so memory
// holds at most the queue's images whatever the size of the set. Top-1, top-5 and per-class
// accuracy; shards of one set merge back into the result one run gives.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "eval/labelled_set.h"
#include "model/model.h"
#include "postprocess/classification.h"

namespace mnet {

// Decode threads beside the inference threads: at most this many.
constexpr int kMaxDecoders = 16;
// Top-5 accuracy, as the papers report it: each image keeps its five best classes.
constexpr int kEvalTop = 5;

// One of an image's best classes. Names stay in EvalResult::class_names, once per class: a set of
// a million images keeps a million of these lists.
struct Ranked {
  int index = 0;
  float score = 0;  // probability
};

struct ImageOutcome {
  int64_t index = 0;        // position in the whole set
  std::string path;
  int label = 0;            // the true class
  std::vector<Ranked> top;  // the kEvalTop best, best first (ties: lower index); empty when the image failed
  std::string error;        // why it failed (one line naming the file), else empty

  bool failed() const { return !error.empty(); }
  bool top1() const { return !top.empty() && top[0].index == label; }
  bool top5() const;
};

struct ClassAccuracy {
  int label = 0;
  std::string name;
  int64_t images = 0, top1 = 0, top5 = 0;  // failed images not counted
};

struct EvalResult {
  std::string model;       // the model's name
  std::string model_path;  // as given
  std::string data;        // DATA as given
  std::string layout;
  int64_t set_images = 0;  // the whole set, all shards
  int shard_index = 0, shard_count = 1;
  std::vector<ImageOutcome> images;  // those run, in set order (an interrupted run: the ones done)
  bool interrupted = false;          // stopped before the end (Ctrl-C)
  double seconds = 0;                // wall time of the run, decoding included
  int threads = 1, batch = 1, decoders = 1;
  size_t queue_capacity = 0, queue_peak = 0;  // the decoded images waiting, bound and most seen
  std::vector<std::string> class_names;       // the model's labels (may be empty or partial)

  std::string class_name(int c) const;  // its label, or "class N"

  int64_t evaluated() const;  // images run through the model
  int64_t failed() const;
  int64_t top1_correct() const;
  int64_t top5_correct() const;
  double top1() const;  // fraction of the evaluated images; 0 when none
  double top5() const;
  double images_per_second() const;
  std::vector<ClassAccuracy> per_class() const;  // by class index, classes with images only
};

struct EvalOptions {
  int threads = 1;   // the model's (OpenMP) threads
  int decoders = 0;  // decode + preprocess threads; 0: the cores left over, at least 1, at most kMaxDecoders
  int batch = 1;     // images run through the model at once (ExecOptions::batch, at most kMaxBatch)
  // Checked between images: once true, the run stops and returns the images done (interrupted).
  const std::atomic<bool>* stop = nullptr;
  // Called on the calling thread after each image with the result so far (for a progress line).
  std::function<void(const ImageOutcome&, int64_t done, int64_t top1_correct)> on_image;
  // Called once per image that failed, as it fails (the run goes on).
  std::function<void(const ImageOutcome&)> on_failure;
};

// Throws InputError naming `source` unless the graph is a classifier eval can score: a [3, S, S]
// input and one score per class (an output of [C, 1, 1]) matching its labels, if it has any.
void check_classifier(const Model& model, const std::string& source);

// Runs `model` over `set`. Images that cannot be read or decoded are counted (outcome.error) and
// the run goes on. The executor is built here, once.
EvalResult evaluate(const Model& model, const LabelledSet& set, const EvalOptions& options);

// The shards of one set (each a run with --shard K/N), in any order → the result of one run over
// the whole set. Throws InputError naming `sources[i]` when the parts are not the N shards of one
// set and one model: a different model, data or set size, a shard missing or given twice.
EvalResult merge_shards(const std::vector<EvalResult>& parts, const std::vector<std::string>& sources);

}  // namespace mnet
