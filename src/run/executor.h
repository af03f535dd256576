// The executor: a graph and its weights planned once (run/fuse.h, prepare_ops.h, chain_bands.h,
// plan_buffers.h) and run many times; and the memory a run needs, estimated before any of it.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "graph/graph.h"
#include "weights/weights.h"

namespace mnet {

// The most images one run may take (ExecOptions::batch, --batch).
constexpr int kMaxBatch = 1024;

struct ExecOptions {
  int threads = 1;
  bool fuse = true;  // fold BatchNorm and fuse activations; off only to check that fusing changes nothing
  // Run chains of 1×1 and depthwise convolutions band by band (needs `fuse`). Off where each
  // layer's own time is measured.
  bool bands = true;
  // Images per run_batch, held in the batch layout (run/batch_layout.h). Above 1 the layers whose
  // weights outweigh one image's activations run over the whole batch at once (their weights read
  // once for all N; a 1×1 convolution one GEMM N times wider), the others image by image
  // (run/batch_layout.h: first_batched_step).
  int batch = 1;
};

// What running a graph needs in memory at its peak, computed from the graph alone (shapes and
// declared weights) before anything big is allocated. Upper bounds, from the same fusion and
// buffer plan the executor uses (tests/test_executor.cpp checks them against the bytes actually
// allocated for V1, V2 and V3).
struct MemoryEstimate {
  int64_t weights = 0;      // the loaded weights, float32 as declared; held while executors live
  int64_t loading = 0;      // extra while reading them: the file's bytes (up to 8 per value, F64)
  int64_t op_weights = 0;   // the executors' own copies: BatchNorm folded, packed into panels
  int64_t preparing = 0;    // copies made while one layer is prepared (the largest)
  int64_t activations = 0;  // the planned activation buffers
  int64_t scratch = 0;      // im2col, padded copies and band buffers (per thread)
  int64_t io = 0;           // the input and the output, each read or written through a copy
  int64_t peak() const;
  // "weights 16.1 MiB, prepared weights 16.4 MiB, activations 4.6 MiB, scratch 1.2 MiB, ..."
  std::string breakdown() const;
};

// The estimate for one executor per entry of `executors`, all alive at once over one set of
// weights (mnet profile builds two).
MemoryEstimate estimate_memory(const Graph& graph, const std::vector<ExecOptions>& executors);

// The default of --max-memory: this share of the physical memory (or of the cgroup's limit,
// where that is lower).
constexpr double kMaxMemoryShareOfRam = 0.75;
// Physical memory in bytes (sysconf), lowered to the cgroup v2 limit where one is set; 0 if unknown.
int64_t physical_memory_bytes();
int64_t default_max_memory();  // kMaxMemoryShareOfRam × physical_memory_bytes()

// Throws InputError("SOURCE: MODEL needs an estimated ... at peak (...), more than the limit of
// ...") when estimate.peak() > limit. `limit_from`: how the limit was set, for the message.
void check_memory(const MemoryEstimate& estimate, int64_t limit, const std::string& limit_from,
                  const Graph& graph, const std::string& source);

// "36.2 MiB", "1.50 GiB": binary units, for messages and report headers.
std::string format_bytes(int64_t bytes);
// The run's planned peak memory, as report headers show it.
struct PlannedMemory {
  int64_t peak_bytes = 0;
  std::string text;  // "38.2 MiB (weights 16.1 MiB, ...)"
  std::map<std::string, int64_t> parts_bytes;  // "weights", "activations", ...: for JSON
};
// The estimate as report headers show it: "38.2 MiB (weights 16.1 MiB, ...)", bytes by part.
PlannedMemory planned_memory(const MemoryEstimate& estimate);

// One output of a run: the graph node's name and shape, and its values ([C, H, W], valid until
// the next run).
struct ExecOutput {
  std::string name;
  Shape shape;
  const float* data = nullptr;
};

// Called after each executed node with its wall time; fused nodes never report.
using NodeObserver = std::function<void(int node, int64_t nanoseconds)>;

// Graph + weights → a plan: BatchNorm folded into the producing convolution, activations fused
// into their producer where it is the only consumer, chains of convolutions run band by band,
// activation buffers assigned once and reused. Temporary memory comes from the running threads'
// scratch arenas (kernels/scratch.h).
class Executor {
 public:
  Executor(const Graph& graph, const WeightMap& weights, const ExecOptions& options);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }  // the first output's
  // input [C, H, W] → the graph's first (or only) output, valid until the next run. Only for
  // batch 1: a batched executor runs through run_batch.
  const float* run(const float* input, const NodeObserver* observer = nullptr);
  // `count` images [count][C][H][W] (1 <= count <= batch()) through the graph at once → every output
  // in order, each [count][...] image after image, valid until the next run. Images past `count` in
  // the batch are computed on whatever their slots hold and not returned. observer: a step run over
  // the whole batch reports once, with the batch's time; one run image by image (before
  // first_batched_step) reports once per image.
  std::vector<ExecOutput> run_batch(const float* images, int count, const NodeObserver* observer = nullptr);
  int batch() const { return batch_; }
  // The same run, returning every output of the graph (Graph::output_nodes) in order.
  std::vector<ExecOutput> run_all(const float* input, const NodeObserver* observer = nullptr);
  // Every output's name and shape, known before any run (data null).
  const std::vector<ExecOutput>& outputs() const { return outputs_; }
  // For every node: the executed node it runs inside (itself when it executes on its own).
  const std::vector<int>& runs_in() const { return runs_in_; }
  int64_t activation_bytes() const;  // planned activation + scratch memory
  int band_chains() const { return band_chains_; }  // convolution chains run band by band
  // For every node: the kernel its step runs ("packed_gemm_avx512", ...), "" for nodes that run
  // inside another's step or have no kernel of their own.
  std::vector<std::string> kernel_names() const;

 private:
  struct Step;
  std::vector<Step> steps_;
  std::vector<std::vector<float>> buffers_;
  std::vector<const float*> inputs_;  // a step's inputs, reserved for the widest: runs allocate nothing
  int64_t scratch_floats_ = 0;  // RunContext::scratch: the largest Op::scratch_floats() of the plan
  std::vector<int> runs_in_;
  int output_buffer_ = -1;
  std::vector<int> output_buffers_;  // per output; -1: the input itself
  std::vector<ExecOutput> outputs_;
  Shape input_shape_, output_shape_;
  int threads_ = 1;
  int band_chains_ = 0;
  // Batches: room for the copies between the two layouts (run/batch_layout.h), and the outputs
  // held in the batch layout copied out image after image.
  int batch_ = 1;
  size_t first_batched_ = 0;  // steps before it run image by image (all of them at batch 1)
  std::vector<std::vector<float>> stores_;  // run/batch_layout.h: BatchBuffers
  std::vector<int> output_stores_;
  std::vector<float> image_scratch_;
  std::vector<const float*> image_inputs_;
  std::vector<std::vector<float>> batch_outputs_;
  std::vector<char> output_in_batch_layout_;
  void run_steps(const float* input, const NodeObserver* observer, int count);
  void run_batched_step(Step& s, float* out, int count, RunContext& ctx);
};

}  // namespace mnet
