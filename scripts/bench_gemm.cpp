// PackedGemm (and SmallMapGemm where it suits the map) against OpenBLAS's sgemm (+ the bias/activation pass) on every 1×1 convolution of the
// given configs. Built with cmake -DMNET_BENCH=ON; then
//   build/bench_gemm [threads] configs/mobilenet_v1.json ...
// Prints per shape the best-of-batches time of both and their GFLOP/s; with one thread the clock
// is the thread's CPU time, so other processes on the machine do not inflate the figures.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "bench_timing.h"
#include "config/config.h"
#include "kernels/gemm.h"
#include "kernels/packed_gemm.h"
#include "kernels/small_map_gemm.h"

using namespace mnet;

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s THREADS CONFIG...\n", argv[0]);
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  set_blas_threads(threads);
  std::printf("%s, %d thread(s)\n", blas_config().c_str(), threads);
  std::printf("%-22s %5s %5s %6s %9s %9s %8s %8s %6s\n", "model", "M", "K", "N", "blas_us", "packed_us",
              "blas_GF", "pack_GF", "ratio");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  for (int i = 2; i < argc; ++i) {
    Graph g = load_config(argv[i]);
    std::map<std::tuple<int, int, int>, int> seen;
    double blas_total = 0, packed_total = 0;
    for (const Node& n : g.nodes) {
      if (!n.layer || n.layer->type() != "conv" || n.in_shapes.size() != 1) continue;
      const Shape& x = n.in_shapes[0];
      if (x.h != n.out.h || x.w != n.out.w || n.layer->cost(n.in_shapes, n.out).madds != int64_t(x.c) * n.out.c * x.h * x.w)
        continue;  // not a plain 1×1
      const int M = n.out.c, K = x.c, N = x.h * x.w;
      if (seen[{M, K, N}]++) continue;
      std::vector<float> A(size_t(M) * K), B(size_t(K) * N), bias(M), C1(size_t(M) * N), C2(size_t(M) * N);
      for (float& v : A) v = uni(rng);
      for (float& v : B) v = uni(rng);
      for (float& v : bias) v = uni(rng);
      PackedGemm packed(M, K, A.data());
      const double blas = best_seconds([&] { gemm_bias_act(M, N, K, A.data(), B.data(), C1.data(), bias.data(), Act::relu6, threads); }, threads == 1);
      const double mine = best_seconds([&] { packed.run(N, B.data(), C2.data(), bias.data(), Act::relu6, threads); }, threads == 1);
      double small = 0;
      if (N % SmallMapGemm::kColumns == 0 && N <= 196) {  // wider than suits(): to see where it pays
        SmallMapGemm small_map(M, K, A.data());
        std::vector<float> C3(size_t(M) * N);
        small = best_seconds([&] { small_map.run(N, B.data(), C3.data(), bias.data(), Act::relu6, threads); }, threads == 1);
        for (size_t j = 0; j < C1.size(); ++j)
          if (std::fabs(C1[j] - C3[j]) > 1e-3) small = -1;
      }
      double worst = 0;
      for (size_t j = 0; j < C1.size(); ++j) worst = std::max(worst, double(std::fabs(C1[j] - C2[j])));
      const double flops = 2.0 * M * K * N;
      std::printf("%-22s %5d %5d %6d %9.1f %9.1f %8.1f %8.1f %6.2f%s", g.name.c_str(), M, K, N, blas * 1e6,
                  mine * 1e6, flops / blas * 1e-9, flops / mine * 1e-9, mine / blas,
                  worst > 1e-3 ? "  MISMATCH" : "");
      if (small > 0) std::printf("   small-map %.1f us %.1f GFLOP/s", small * 1e6, flops / small * 1e-9);
      if (small < 0) std::printf("   small-map MISMATCH");
      std::printf("\n");
      blas_total += blas * seen[{M, K, N}];
      packed_total += mine * seen[{M, K, N}];
    }
    std::printf("%-22s first occurrences: blas %.3f ms, packed %.3f ms\n", g.name.c_str(), blas_total * 1e3,
                packed_total * 1e3);
  }
  return 0;
}
