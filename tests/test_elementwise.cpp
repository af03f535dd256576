// kernels/elementwise: activations, adds, pooling and scaling, on 1 and 2 threads.
#include <catch2/catch.hpp>
#include <vector>

#include "kernels/elementwise.h"
#include "testing.h"

using namespace mnet;
using namespace mnet::testing;

TEST_CASE("global_avgpool_forward gives each channel's mean across partial-sum run boundaries") {
  for (int64_t spatial : {1, 7, 255, 256, 257, 49 * 11, 112 * 112}) {
    const int channels = 3;
    const auto x = random_values(size_t(channels * spatial), 1.0f, unsigned(spatial));
    std::vector<float> mean(channels), expected(channels);
    global_avgpool_forward(x.data(), channels, spatial, mean.data());
    for (int c = 0; c < channels; ++c) {
      double sum = 0;
      for (int64_t i = 0; i < spatial; ++i) sum += x[size_t(c * spatial + i)];
      expected[c] = float(sum / double(spatial));
    }
    INFO("spatial " << spatial);
    REQUIRE(mismatch(mean, expected, 1e-6f) == "");
  }
}

TEST_CASE("add_forward and activation_forward apply every activation as apply_act does") {
  const int64_t n = 1000;
  const auto a = random_values(n, 8.0f, 1);
  const auto b = random_values(n, 8.0f, 2);
  for (Act act : kAllActs) {
    std::vector<float> sum(n), activated(n), expected_sum(n), expected_act(n);
    add_forward(a.data(), b.data(), sum.data(), n, act);
    activation_forward(a.data(), activated.data(), n, act);
    for (int64_t i = 0; i < n; ++i) {
      expected_sum[i] = apply_act(act, a[i] + b[i]);
      expected_act[i] = apply_act(act, a[i]);
    }
    INFO(act_name(act));
    CHECK(sum == expected_sum);
    CHECK(activated == expected_act);
  }
}

TEST_CASE("add, pooling and channel scaling give the same bits split between 2 threads") {
  // Large enough to be split (2^15 elements and up), with a ragged last chunk and odd channels.
  const int channels = 37;
  const int64_t spatial = 1021, n = channels * spatial;
  const auto a = random_values(size_t(n), 4.0f, 3);
  const auto b = random_values(size_t(n), 4.0f, 4);
  const auto scale = random_values(size_t(channels), 2.0f, 5);
  for (Act act : {Act::none, Act::hswish}) {
    std::vector<float> one(n), two(n, -1.0f);
    add_forward(a.data(), b.data(), one.data(), n, act, 1);
    add_forward(a.data(), b.data(), two.data(), n, act, 2);
    CHECK(one == two);
    for (int64_t i = 0; i < n; i += 997) CHECK(two[size_t(i)] == apply_act(act, a[size_t(i)] + b[size_t(i)]));
  }
  std::vector<float> mean_one(channels), mean_two(channels);
  global_avgpool_forward(a.data(), channels, spatial, mean_one.data(), 1);
  global_avgpool_forward(a.data(), channels, spatial, mean_two.data(), 2);
  CHECK(mean_one == mean_two);
  std::vector<float> scaled(n), expected(n);
  channel_scale_forward(a.data(), scale.data(), channels, spatial, scaled.data(), 2);
  for (int c = 0; c < channels; ++c)
    for (int64_t i = 0; i < spatial; ++i) expected[size_t(c * spatial + i)] = a[size_t(c * spatial + i)] * scale[c];
  CHECK(scaled == expected);
}
