// OpenBLAS loaded on first use (src/kernels/openblas.cpp): the same results as linking it, the
// thread count kept across loading, and the address-space arithmetic the start-up check uses.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <vector>

#include "kernels/openblas.h"
#include "testing.h"

using namespace mnet;

TEST_CASE("OpenBLAS loaded on first use multiplies as cblas does") {
  const int M = 5, N = 7, K = 3;
  std::vector<float> A = testing::random_values(size_t(M) * K, 1.0f, 1);
  std::vector<float> B = testing::random_values(size_t(K) * N, 1.0f, 2);
  std::vector<float> C(size_t(M) * N, -99.0f), expected(size_t(M) * N, 0.0f);
  for (int m = 0; m < M; ++m)
    for (int n = 0; n < N; ++n)
      for (int k = 0; k < K; ++k) expected[size_t(m) * N + n] += A[size_t(m) * K + k] * B[size_t(k) * N + n];
  openblas::sgemm(M, N, K, A.data(), B.data(), C.data());
  for (size_t i = 0; i < C.size(); ++i) CHECK(C[i] == Approx(expected[i]).margin(1e-5));

  std::vector<float> x = testing::random_values(K, 1.0f, 3), y(M, -99.0f);
  openblas::sgemv(M, K, A.data(), x.data(), y.data());
  for (int m = 0; m < M; ++m) {
    float e = 0;
    for (int k = 0; k < K; ++k) e += A[size_t(m) * K + k] * x[k];
    CHECK(y[m] == Approx(e).margin(1e-5));
  }
}

TEST_CASE("OpenBLAS takes the thread count it is given and names its build") {
  const int before = openblas::threads();
  openblas::set_threads(2);
  CHECK(openblas::threads() == 2);
  openblas::set_threads(0);  // at least one
  CHECK(openblas::threads() == 1);
  openblas::set_threads(before);
  CHECK(openblas::threads() == before);
  CHECK(openblas::config().find("OpenBLAS") == 0);
  CHECK_FALSE(openblas::corename().empty());
}

TEST_CASE("the address space left is the soft limit less what the process maps") {
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_AS, &limit) == 0);
  if (limit.rlim_cur == RLIM_INFINITY) {
    CHECK(openblas::address_space_left() == -1);
  } else {
    CHECK(openblas::address_space_left() >= 0);
    CHECK(openblas::address_space_left() < (long long)limit.rlim_cur);
  }
}
