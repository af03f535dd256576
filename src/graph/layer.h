// The interface every layer type implements (shape, weights, cost, fusion, prepare) and the Op
// it prepares for execution.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/activation.h"
#include "core/shape.h"
#include "graph/cost_category.h"
#include "graph/attrs.h"

namespace mnet {

// A weight tensor a layer declares. Loaders check files against these; params are counted from
// them, so the two can never drift apart.
struct WeightDecl {
  std::string name;            // suffix after the node's name: "weight", "bias", "running_mean"
  std::vector<int64_t> shape;  // e.g. [out_c, in_c/groups, k, k]
  bool counted = true;         // BatchNorm's tensors are folded at load and not counted as params
  int64_t elements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

// Cost by the papers' convention: multiply-adds for convolutions and fully connected layers,
// element-wise operations (activations, pooling, adds, scaling) counted apart.
struct LayerCost {
  int64_t madds = 0;
  int64_t elementwise_ops = 0;
  CostCategory category;  // conv1x1, dw3x3, dw5x5, conv3x3, convKxK, fc, se_fc, other
};

// What the executor's planner may merge into a producing layer.
enum class FusionRole { none, batchnorm, activation };

struct PrepareArgs {
  std::vector<Shape> in;
  Shape out;
  std::map<std::string, std::vector<float>> weights;  // by suffix; after BN folding "bias" exists
  Act fused_act = Act::none;
  // Images per run (ExecOptions::batch). A layer that can run all N at once prepares an op that
  // does and says how (Op::batch_run); any other op is prepared for one image and the executor
  // runs it image by image.
  int batch = 1;
};

struct RunContext {
  int threads = 1;
  // At least the largest Op::scratch_floats() of the plan: the running thread's
  // ScratchSlot::op (kernels/scratch.h), so an op must not keep it past its run.
  float* scratch = nullptr;
};

// How an op prepared for a batch (PrepareArgs::batch > 1) runs it. A batch's values are stored
// either image after image, [N][C][H·W], or in the batch layout, channel-major with the images
// inside each channel, [C][N][H·W] (run/batch_layout.h), where a 1×1 convolution of all N is one
// GEMM N times wider.
enum class BatchRun {
  per_image,     // one image at a time, given contiguous: prepared for one image
  batch_layout,  // all at once, reading and writing the batch layout
  any_layout,    // all at once in either layout, its output in its inputs' (element-wise ops)
};

// A layer bound to its weights, ready to run on planned buffers.
class Op {
 public:
  virtual ~Op() = default;
  BatchRun batch_run = BatchRun::per_image;  // set by prepare for PrepareArgs::batch > 1
  virtual void run(const std::vector<const float*>& in, float* out, RunContext& ctx) = 0;
  virtual int64_t scratch_floats() const { return 0; }
  // The kernel that runs it, as kernels/dispatch.h names it ("gemm_packed_avx512"); "" where no
  // kernel is chosen (element-wise layers).
  virtual std::string kernel_name() const { return ""; }
};

// One layer type: parameters, shape inference, declared weights, cost and execution.
// Shape, weights and cost are pure functions of the input shapes.
class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string type() const = 0;
  virtual std::string summary() const { return ""; }  // "k3 s2 g32 relu6": what `mnet info` shows
  // Number of inputs, or kTwoOrMoreInputs (concat), where infer_shape checks the layer's own limit.
  static constexpr int kTwoOrMoreInputs = -1;
  virtual int arity() const { return 1; }
  virtual Shape infer_shape(const std::vector<Shape>& in) const = 0;  // throws LayerError
  virtual std::vector<WeightDecl> weights(const std::vector<Shape>& in, const Shape& out) const {
    (void)in;
    (void)out;
    return {};
  }
  virtual LayerCost cost(const std::vector<Shape>& in, const Shape& out) const = 0;
  // Whether the output is already probabilities (softmax): classify takes them as they are.
  virtual bool outputs_probabilities() const { return false; }

  virtual FusionRole fusion_role() const { return FusionRole::none; }
  virtual Act activation() const { return Act::none; }  // for FusionRole::activation
  virtual float bn_epsilon() const { return 0; }        // for FusionRole::batchnorm
  // Whether a following BatchNorm can be folded into this layer's weights (rows = out channels)
  // and a following activation applied in this layer's output pass.
  virtual bool accepts_bn() const { return false; }
  virtual bool accepts_act() const { return false; }

  virtual std::unique_ptr<Op> prepare(const PrepareArgs& args) const = 0;
};

// Largest channel count a description may ask for.
constexpr int kMaxChannels = 1 << 16;
// Largest convolution kernel side and stride.
constexpr int kMaxKernel = 15;
constexpr int kMaxStride = 8;
// BatchNorm's epsilon: positive as a float and small beside the variance it is added to.
constexpr double kMinBnEps = 1e-12;
constexpr double kMaxBnEps = 1;
// A fake-quantization grid: its scale, zero point and bounds stay finite in float arithmetic
// ((q - zero_point) · scale with |q - zero_point| ≤ 2 · kMaxQuantLevel).
constexpr double kMinQuantScale = 1e-30;
constexpr double kMaxQuantScale = 1e30;
constexpr int kMaxQuantLevel = 1 << 16;

using LayerFactory = std::unique_ptr<Layer> (*)(Attrs& attrs);

}  // namespace mnet
