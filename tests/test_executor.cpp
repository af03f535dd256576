// run/executor: hand-computed outputs, fused against unfused and banded against layer-by-layer runs, allocation and planned memory.
#include <malloc.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <thread>
#include <tuple>

#include "config/config.h"
#include "kernels/packed_gemm.h"
#include "run/executor.h"
#include "testing.h"

// Live heap bytes and their peak, for checking the memory estimate against what is really
// allocated: this replaces the test binary's global operator new and delete.
namespace {
std::atomic<int64_t> g_live_bytes{0}, g_peak_bytes{0};
void note_allocated(void* p) {
  const int64_t live = g_live_bytes += int64_t(malloc_usable_size(p));
  int64_t peak = g_peak_bytes.load();
  while (live > peak && !g_peak_bytes.compare_exchange_weak(peak, live)) {
  }
}
}  // namespace

// Every non-aligned form, so that no allocation from the library's (or a sanitizer's) own
// operator new reaches this delete.
void* operator new(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  note_allocated(p);
  return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  void* p = std::malloc(n ? n : 1);
  if (p) note_allocated(p);
  return p;
}
void* operator new[](std::size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
void operator delete(void* p) noexcept {
  if (!p) return;
  g_live_bytes -= int64_t(malloc_usable_size(p));
  std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { operator delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { operator delete(p); }

using namespace mnet;
using testing::source_path;

namespace {

float max_abs(const float* v, int64_t n) {
  float m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::abs(v[i]));
  return m;
}

std::vector<float> input_for(const Shape& s, uint32_t seed) {
  std::vector<float> x(size_t(s.elements()));
  for (float& v : x) {
    seed = seed * 1664525u + 1013904223u;
    v = float(seed >> 8) / float(1u << 24) * 2 - 1;
  }
  return x;
}

// Runs `graph` fused and unfused; returns the largest difference relative to the output's magnitude.
double fused_vs_unfused(const Graph& graph, int threads) {
  WeightMap w = random_weights(graph, 7);
  std::vector<float> x = input_for(graph.input().out, 3);
  Executor fused(graph, w, ExecOptions{threads, true});
  Executor plain(graph, w, ExecOptions{1, false});
  int64_t n = graph.output().out.elements();
  std::vector<float> a(fused.run(x.data()), fused.run(x.data()) + n);  // twice: buffers are reused
  const float* b = plain.run(x.data());
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) worst = std::max(worst, double(std::abs(a[i] - b[i])));
  return worst / std::max(1e-30f, max_abs(b, n));
}

Graph without_softmax(const std::string& config) {
  // Logits, not probabilities: softmax of random weights is nearly flat and would hide errors.
  std::string text = testing::read_text(source_path("configs/" + config));
  size_t cut = text.find(",\n    {\"type\": \"softmax\"");
  REQUIRE(cut != std::string::npos);
  text.erase(cut, text.find('}', cut) + 1 - cut);
  return parse_config(text, source_path("configs/" + config));
}

}  // namespace

TEST_CASE("a hand-computed 1x1 conv, BatchNorm and ReLU6 give the expected numbers") {
  Graph g = parse_config(R"({"name": "t", "resolution": 1, "input_channels": 2, "layers": [
      {"type": "conv", "name": "c", "out": 2, "kernel": 1},
      {"type": "bn", "name": "bn", "eps": 1e-9},
      {"type": "relu6", "name": "act"}]})", "t.json");
  WeightMap w{{"c.weight", {1, 2, 3, -1}},  // [2, 2, 1, 1]
              {"bn.weight", {2, 1}}, {"bn.bias", {0.5f, 7}}, {"bn.running_mean", {-4, 1}}, {"bn.running_var", {4, 16}}};
  float x[2] = {1, -2};
  // conv: [1·1 + 2·(-2), 3·1 + (-1)·(-2)] = [-3, 5]
  // bn:   [2·(-3 + 4)/2 + 0.5, 1·(5 - 1)/4 + 7] = [1.5, 8];  relu6: [1.5, 6]
  for (bool fuse : {true, false}) {
    Executor exec(g, w, ExecOptions{1, fuse});
    const float* y = exec.run(x);
    CHECK(y[0] == Approx(1.5).margin(1e-4));
    CHECK(y[1] == Approx(6.0).margin(1e-6));
  }
}

TEST_CASE("folded BatchNorm and fused activations match the unfused graph on every MobileNet") {
  // Tolerance: float32 re-association of the folded weights, relative to the logits' magnitude.
  for (const char* config : {"mobilenet_v1.json", "mobilenet_v2.json", "mobilenet_v3_large.json",
                             "mobilenet_v3_small.json", "tiny_custom.json"}) {
    INFO(config);
    Graph g = std::string(config) == "tiny_custom.json" ? load_config(source_path(std::string("configs/") + config))
                                                          : without_softmax(config);
    CHECK(fused_vs_unfused(g, 1) < 1e-4);
    CHECK(fused_vs_unfused(g, 2) < 1e-4);
  }
}

TEST_CASE("ShuffleNet v1, MnasNet-A1 and NASNet-A Mobile run with random weights: finite logits, fused as unfused") {
  for (const char* config : {"shufflenet_v1_g3.json", "mnasnet_a1.json", "nasnet_a_mobile.json"}) {
    INFO(config);
    Graph g = without_softmax(config);
    REQUIRE(g.output().out == (Shape{1000, 1, 1}));
    WeightMap w = random_weights(g, 5);
    std::vector<float> x = input_for(g.input().out, 11);
    for (bool fuse : {true, false}) {
      Executor exec(g, w, ExecOptions{2, fuse});
      const float* y = exec.run(x.data());
      int finite = 0;
      for (int i = 0; i < 1000; ++i) finite += std::isfinite(y[i]) ? 1 : 0;
      CHECK(finite == 1000);
      CHECK(max_abs(y, 1000) > 0);
    }
    CHECK(fused_vs_unfused(g, 1) < 1e-4);
  }
}

TEST_CASE("the planner folds every conv's BatchNorm and fuses its activation in MobileNetV2") {
  Graph g = load_config(source_path("configs/mobilenet_v2.json"));
  ExecOptions layer_by_layer;
  layer_by_layer.bands = false;
  Executor exec(g, random_weights(g, 1), layer_by_layer);
  int executed = 0;
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const std::string type = g.nodes[i].layer->type();
    if (type == "bn" || type == "relu6") CHECK(exec.runs_in()[i] != int(i));
    if (exec.runs_in()[i] == int(i)) ++executed;
  }
  CHECK(executed == 52 + 10 + 3);  // 52 convs, 10 adds, pool + fc + softmax
  // Buffers are reused: far less than one buffer per node.
  CHECK(exec.activation_bytes() < 4 * 3 * 96 * 112 * 112 * 4);
}

namespace {

// Nodes that run inside another node's step although they are convolutions themselves.
int convs_run_in_bands(const Graph& g, const Executor& exec) {
  int count = 0;
  for (size_t i = 1; i < g.nodes.size(); ++i) {
    const std::string type = g.nodes[i].layer->type();
    if ((type == "conv" || type == "dwconv") && exec.runs_in()[i] != int(i)) ++count;
  }
  return count;
}

// The graph's output with and without band-by-band chains: the same kernels sum every output in
// the same order either way, so the results must be identical, not just close.
void check_bands_change_nothing(const Graph& g, int threads, int expected_min_chained) {
  WeightMap w = random_weights(g, 3);
  std::vector<float> x = input_for(g.input().out, 5);
  ExecOptions banded{threads, true}, layers{threads, true};
  layers.bands = false;
  Executor a(g, w, banded), b(g, w, layers);
  CHECK(convs_run_in_bands(g, b) == 0);
  if (PackedGemm::available()) {
    CHECK(convs_run_in_bands(g, a) >= expected_min_chained);
  } else {
    CHECK(convs_run_in_bands(g, a) == 0);  // chains need PackedGemm
  }
  const int64_t n = g.output().out.elements();
  std::vector<float> ya(a.run(x.data()), a.run(x.data()) + n);  // twice: band buffers are reused
  const float* yb = b.run(x.data());
  REQUIRE(std::vector<float>(yb, yb + n) == ya);
}

}  // namespace

TEST_CASE("chains run band by band give exactly the layer-by-layer results on every MobileNet") {
  // Chains with a large tensor between their convolutions: V1's first dw→pw (32×112×112), V2's
  // expand→dw→project at 112 and 56, V3-Large's at 112.
  for (const auto& [config, min_chained] : {std::pair{"mobilenet_v1.json", 1}, std::pair{"mobilenet_v2.json", 4},
                                           std::pair{"mobilenet_v3_large.json", 2}, std::pair{"mobilenet_v3_small.json", 0}}) {
    INFO(config);
    Graph g = without_softmax(config);
    for (int threads : {1, 2}) check_bands_change_nothing(g, threads, min_chained);
  }
}

TEST_CASE("a 1×1 expansion into a 5×5 stride-2 depthwise whose output has another reader runs in bands") {
  // 128×80×80 floats = 3.3 MB between the two: above kMinIntermediateBytes. The odd resolution
  // leaves a short last band and TensorFlow SAME padding's extra bottom row.
  Graph g = parse_config(R"({"name": "t", "resolution": 79, "input_channels": 8, "layers": [
      {"type": "conv", "name": "expand", "out": 128, "kernel": 1, "act": "hswish", "bias": true},
      {"type": "dwconv", "name": "dw", "kernel": 5, "stride": 2, "pad": "same", "act": "relu", "bias": true},
      {"type": "gap", "name": "pool"}]})", "t.json");
  check_bands_change_nothing(g, 1, 1);  // the expansion runs inside the depthwise step
  check_bands_change_nothing(g, 2, 1);
}

TEST_CASE("a BatchNorm whose producer has a second consumer runs on its own and stays correct") {
  Graph g = parse_config(R"({"name": "t", "resolution": 5, "layers": [
      {"type": "conv", "name": "c", "out": 4, "kernel": 3},
      {"type": "bn", "name": "bn"},
      {"type": "add", "name": "sum", "inputs": ["c", "bn"]},
      {"type": "relu", "name": "act"}]})", "t.json");
  Executor exec(g, random_weights(g, 1), ExecOptions{});
  CHECK(exec.runs_in()[g.find("bn")] == g.find("bn"));
  CHECK(exec.runs_in()[g.find("act")] == g.find("sum"));
  CHECK(fused_vs_unfused(g, 1) < 1e-5);
}

TEST_CASE("random weights are deterministic and cover every declared tensor") {
  Graph g = load_config(source_path("configs/tiny_custom.json"));
  WeightMap a = random_weights(g, 5), b = random_weights(g, 5), c = random_weights(g, 6);
  CHECK(a == b);
  CHECK(a != c);
  size_t declared = 0;
  for (size_t i = 1; i < g.nodes.size(); ++i)
    for (const auto& w : g.weights_of(int(i))) {
      ++declared;
      REQUIRE(a.count(w.name));
      CHECK(int64_t(a[w.name].size()) == w.elements());
    }
  CHECK(a.size() == declared);
}

namespace {

// The most heap bytes live at once while `work` runs on a thread of its own (so that thread-local
// and OpenMP buffers start empty and are counted), above what was live before.
int64_t peak_heap_bytes(const std::function<void()>& work) {
  int64_t peak = 0;
  std::thread t([&] {
    const int64_t before = g_live_bytes.load();
    g_peak_bytes = before;
    work();
    peak = g_peak_bytes.load() - before;
  });
  t.join();
  return peak;
}

}  // namespace

TEST_CASE("the planned peak memory bounds the bytes a V1, V2 or V3 run allocates, within 2x") {
  // Allocated: weights read from an F32 safetensors file, the executors built, one run, the
  // output copied. Estimated before any of it from the graph alone.
  testing::TempDir tmp;
  for (const char* config : {"mobilenet_v1.json", "mobilenet_v2.json", "mobilenet_v3_large.json",
                             "mobilenet_v3_small.json", "tiny_custom.json"}) {
    for (int threads : {1, 2}) {
      ExecOptions layers{threads};
      layers.bands = false;
      for (const std::vector<ExecOptions>& plans :
           {std::vector<ExecOptions>{ExecOptions{threads}}, std::vector<ExecOptions>{layers, ExecOptions{threads}}}) {
        Graph g = load_config(source_path("configs/" + std::string(config)));
        const std::string weights = tmp.file("w.safetensors");
        save_weights(g, random_weights(g, 3), weights);
        std::vector<float> x = input_for(g.input().out, 1);
        const MemoryEstimate estimate = estimate_memory(g, plans);
        const int64_t actual = peak_heap_bytes([&] {
          WeightMap w = load_weights(g, weights);
          std::vector<std::unique_ptr<Executor>> executors;
          for (const ExecOptions& o : plans) executors.push_back(std::make_unique<Executor>(g, w, o));
          const float* y = executors.back()->run(x.data());
          std::vector<float> out(y, y + g.output().out.elements());
        });
        INFO(config << ", " << threads << " thread(s), " << plans.size() << " executor(s): estimated "
                    << estimate.peak() << " bytes (" << estimate.breakdown() << "), allocated " << actual);
        CHECK(estimate.peak() >= actual);
        CHECK(estimate.peak() <= 2 * actual);
      }
    }
  }
}

namespace {

// Heap bytes a second run of `config` takes above what is live before it (0: none allocated).
int64_t bytes_allocated_by_second_run(const std::string& config, int threads) {
  Graph g = load_config(source_path("configs/" + config));
  Executor exec(g, random_weights(g, 3), ExecOptions{threads});
  std::vector<float> x = input_for(g.input().out, 1);
  exec.run(x.data());
  const int64_t before = g_live_bytes.load();
  g_peak_bytes = before;
  exec.run(x.data());
  return g_peak_bytes.load() - before;
}

}  // namespace

TEST_CASE("a run after the first allocates nothing: buffers, scratch arenas and band buffers are kept") {
  for (const char* config : {"mobilenet_v1.json", "mobilenet_v2.json", "mobilenet_v3_large.json",
                             "mobilenet_v3_small.json", "tiny_custom.json"}) {
    for (int threads : {1, 2}) {
      INFO(config << ", " << threads << " thread(s)");
      CHECK(bytes_allocated_by_second_run(config, threads) == 0);
    }
  }
}

TEST_CASE("the memory estimate of a 48 GiB fully connected layer is made without allocating it") {
  // 3x256x256 inputs into 65536 outputs: 12.9e9 weights.
  Graph g = parse_config(R"({"name": "huge_fc", "resolution": 256, "input_channels": 3,
      "layers": [{"type": "fc", "name": "fc", "out": 65536}]})", "huge.json");
  MemoryEstimate estimate;
  const int64_t allocated = peak_heap_bytes([&] { estimate = estimate_memory(g, {ExecOptions{}}); });
  CHECK(estimate.weights == int64_t(4) * (int64_t(65536) * 3 * 256 * 256 + 65536));
  CHECK(estimate.peak() > (int64_t(96) << 30));  // the weights and the executor's copy of them
  CHECK(allocated < (int64_t(1) << 20));
  REQUIRE_THROWS_AS(check_memory(estimate, int64_t(8) << 30, "--max-memory", g, "huge.json"), InputError);
  REQUIRE_THROWS_WITH(check_memory(estimate, int64_t(8) << 30, "--max-memory", g, "huge.json"),
                      Catch::StartsWith("huge.json: huge_fc needs an estimated ") &&
                          Catch::Contains("more than the limit of 8.00 GiB (--max-memory)"));
  CHECK_NOTHROW(check_memory(estimate, estimate.peak(), "--max-memory", g, "huge.json"));
}

TEST_CASE("the default memory limit is 3/4 of physical memory") {
  const int64_t physical = physical_memory_bytes();
  REQUIRE(physical > 0);
  CHECK(default_max_memory() == int64_t(double(physical) * kMaxMemoryShareOfRam));
  CHECK(format_bytes(1536) == "1.50 KiB");
  CHECK(format_bytes(int64_t(48) << 30) == "48.0 GiB");
  CHECK(format_bytes(12) == "12 bytes");
}

TEST_CASE("the detection and segmentation configs run with random weights: every output finite, of its shape, fused as unfused") {
  // Resolution: the config's, or a smaller one where the layout allows it (SSD300's unpadded last
  // extras need its 300).
  struct Case {
    const char* config;
    int resolution;
    size_t outputs;
  };
  for (const Case& c : {Case{"ssdlite_mobilenet_v2.json", 0, 12}, Case{"ssd_mobilenet_v2.json", 0, 12},
                        Case{"ssdlite_mobilenet_v1.json", 0, 12}, Case{"ssdlite_mobilenet_v3_large.json", 0, 12},
                        Case{"ssd300_vgg16.json", 0, 12}, Case{"yolov2_coco.json", 224, 1},
                        Case{"deeplabv3_mobilenet_v2.json", 129, 1}, Case{"deeplabv3_mobilenet_v2_os8.json", 129, 1},
                        Case{"deeplabv3_mobilenet_v2_aspp.json", 129, 1}, Case{"deeplabv3_mobilenet_v2_aspp_os8.json", 129, 1},
                        Case{"deeplabv3_mobilenet_v3_large.json", 128, 1}, Case{"lraspp_mobilenet_v3_large.json", 128, 1}}) {
    INFO(c.config);
    ConfigOverrides o;
    if (c.resolution > 0) o.resolution = c.resolution;
    const Graph g = load_config(source_path(std::string("configs/") + c.config), o);
    REQUIRE(g.output_nodes().size() == c.outputs);
    const WeightMap w = random_weights(g, 5);
    const std::vector<float> x = input_for(g.input().out, 11);
    Executor fused(g, w, ExecOptions{2, true});
    Executor plain(g, w, ExecOptions{1, false});
    const std::vector<ExecOutput> a = fused.run_all(x.data());
    const std::vector<ExecOutput> b = plain.run_all(x.data());
    REQUIRE(a.size() == c.outputs);
    REQUIRE(b.size() == c.outputs);
    for (size_t i = 0; i < a.size(); ++i) {
      INFO(a[i].name);
      const int node = g.output_nodes()[i];
      CHECK(a[i].name == g.nodes[size_t(node)].name);
      CHECK(a[i].shape == g.nodes[size_t(node)].out);
      const int64_t n = a[i].shape.elements();
      int64_t finite = 0;
      double worst = 0;
      for (int64_t k = 0; k < n; ++k) {
        finite += std::isfinite(a[i].data[k]) ? 1 : 0;
        worst = std::max(worst, double(std::abs(a[i].data[k] - b[i].data[k])));
      }
      CHECK(finite == n);
      const float scale = max_abs(b[i].data, n);
      CHECK(scale > 0);
      CHECK(worst / std::max(1e-30f, scale) < 1e-4);
    }
  }
}

namespace {

// The largest difference between `graph`'s outputs for `count` images run one at a time and run as
// one batch of `batch`, relative to each output's largest value; every output compared.
double batch_vs_single(const Graph& graph, int batch, int count, int threads) {
  const WeightMap w = random_weights(graph, 9);
  const Shape in = graph.input().out;
  std::vector<float> images;
  for (int n = 0; n < count; ++n) {
    const std::vector<float> x = input_for(in, uint32_t(100 + n));
    images.insert(images.end(), x.begin(), x.end());
  }
  Executor single(graph, w, ExecOptions{threads});
  ExecOptions batched{threads};
  batched.batch = batch;
  Executor many(graph, w, batched);
  REQUIRE(many.batch() == batch);
  many.run_batch(images.data(), count);  // twice: the buffers are reused
  const std::vector<ExecOutput> got = many.run_batch(images.data(), count);
  REQUIRE(got.size() == graph.output_nodes().size());
  double worst = 0;
  for (int n = 0; n < count; ++n) {
    const std::vector<ExecOutput> want = single.run_all(images.data() + n * in.elements());
    for (size_t o = 0; o < want.size(); ++o) {
      REQUIRE(got[o].shape == want[o].shape);
      const int64_t size = want[o].shape.elements();
      const float* g = got[o].data + n * size;
      const float scale = std::max(1e-30f, max_abs(want[o].data, size));
      CHECK(max_abs(g, size) > 0);  // logits and boxes: an output of zeros would compare equal to anything
      for (int64_t i = 0; i < size; ++i) {
        REQUIRE(std::isfinite(g[i]));
        worst = std::max(worst, double(std::abs(g[i] - want[o].data[i])) / scale);
      }
    }
  }
  return worst;
}

}  // namespace

TEST_CASE("a batch of images gives each image's own outputs, on every kind of network") {
  // Batched ops (1x1 convolutions as one wide GEMM, depthwise over strided maps, element-wise ops,
  // pooling, fully connected as a GEMM) and image-by-image ones (im2col, SE, concat, softmax, ...)
  // side by side; a partial batch (count < batch) too.
  struct Case {
    const char* config;
    int resolution;
  };
  for (const Case& c : {Case{"mobilenet_v1.json", 128}, Case{"mobilenet_v2.json", 96}, Case{"mobilenet_v3_small.json", 96},
                        Case{"mobilenet_v3_large.json", 64}, Case{"shufflenet_v2_x1_0.json", 64},
                        Case{"googlenet.json", 64}, Case{"nasnet_a_mobile.json", 64}, Case{"tiny_custom.json", 0},
                        Case{"ssdlite_mobilenet_v2.json", 0}, Case{"lraspp_mobilenet_v3_large.json", 64}}) {
    ConfigOverrides o;
    if (c.resolution > 0) o.resolution = c.resolution;
    const Graph g = load_config(source_path(std::string("configs/") + c.config), o);
    for (const auto& [batch, count, threads] : {std::tuple{4, 4, 1}, std::tuple{4, 3, 2}, std::tuple{2, 1, 1}}) {
      INFO(c.config << ": batch " << batch << ", " << count << " image(s), " << threads << " thread(s)");
      const double worst = batch_vs_single(g, batch, count, threads);
      INFO("largest difference " << worst << " of the largest value");
      // A wider GEMM may take another kernel (or OpenBLAS another blocking): sums in another order.
      CHECK(worst < 1e-5);
    }
  }
}

TEST_CASE("a batched executor refuses a run of the wrong size and a batch above the limit") {
  const Graph g = load_config(source_path("configs/tiny_custom.json"));
  const WeightMap w = random_weights(g, 1);
  ExecOptions options;
  options.batch = 3;
  Executor exec(g, w, options);
  const std::vector<float> x(size_t(g.input().out.elements()) * 4, 0.5f);
  CHECK_THROWS_WITH(exec.run(x.data()), Catch::Contains("runs batches of 3"));
  CHECK_THROWS_WITH(exec.run_batch(x.data(), 4), Catch::Contains("4 images for a batch of 3"));
  CHECK_THROWS_WITH(exec.run_batch(x.data(), 0), Catch::Contains("0 images for a batch of 3"));
  options.batch = kMaxBatch + 1;
  CHECK_THROWS_WITH(Executor(g, w, options), Catch::Contains("more than the limit of " + std::to_string(kMaxBatch)));
}

TEST_CASE("the planned peak memory bounds the bytes a batched run allocates") {
  testing::TempDir tmp;
  for (const char* config : {"mobilenet_v1.json", "mobilenet_v2.json", "mobilenet_v3_small.json"}) {
    for (int batch : {2, 8}) {
      ExecOptions options{2};
      options.batch = batch;
      Graph g = load_config(source_path("configs/" + std::string(config)));
      const std::string weights = tmp.file("w.safetensors");
      save_weights(g, random_weights(g, 3), weights);
      std::vector<float> x(size_t(g.input().out.elements()) * batch, 0.25f);
      const MemoryEstimate estimate = estimate_memory(g, {options});
      const int64_t actual = peak_heap_bytes([&] {
        WeightMap w = load_weights(g, weights);
        Executor exec(g, w, options);
        const std::vector<ExecOutput> y = exec.run_batch(x.data(), batch);
        std::vector<float> out(y[0].data, y[0].data + g.output().out.elements() * batch);
      });
      INFO(config << ", batch " << batch << ": estimated " << estimate.peak() << " bytes (" << estimate.breakdown()
                  << "), allocated " << actual);
      CHECK(estimate.peak() >= actual);
      // Looser than one image's 2x: the estimate plans without the band chains (it has no ops to
      // chain), whose buffers the chains take away N times over.
      CHECK(estimate.peak() <= 5 * actual / 2);
    }
  }
}
