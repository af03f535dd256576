#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "graph/graph.h"
#include "run/weights.h"

namespace mnet {

struct ExecOptions {
  int threads = 1;
  bool fuse = true;  // fold BatchNorm and fuse activations; off only to check that fusing changes nothing
  // Run chains of 1×1 and depthwise convolutions band by band (needs `fuse`). Off where each
  // layer's own time is measured.
  bool bands = true;
};

// Called after each executed node with its wall time; fused nodes never report.
using NodeObserver = std::function<void(int node, int64_t nanoseconds)>;

// Graph + weights → a plan: BatchNorm folded into the producing convolution, activations fused
// into their producer where it is the only consumer, activation buffers assigned once and reused.
class Executor {
 public:
  Executor(const Graph& graph, const WeightMap& weights, const ExecOptions& options);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  // input [C, H, W] → output of the graph's last node, valid until the next run.
  const float* run(const float* input, const NodeObserver* observer = nullptr);
  // For every node: the executed node it runs inside (itself when it executes on its own).
  const std::vector<int>& runs_in() const { return runs_in_; }
  int64_t activation_bytes() const;  // planned activation + scratch memory
  int band_chains() const { return band_chains_; }  // convolution chains run band by band

 private:
  struct Step;
  std::vector<Step> steps_;
  std::vector<std::vector<float>> buffers_;
  std::vector<float> scratch_;
  std::vector<int> runs_in_;
  int output_buffer_ = -1;
  Shape input_shape_, output_shape_;
  int threads_ = 1;
  int band_chains_ = 0;
};

}  // namespace mnet
