// Detecting AVX-512 / AVX2+FMA and reading MNET_SIMD.
#include "kernels/simd_level.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/error.h"

namespace mnet {

namespace {

SimdLevel chosen_level() {
  const SimdLevel cpu = cpu_simd_level();
  const char* wanted = std::getenv("MNET_SIMD");
  if (!wanted || !*wanted) return cpu;
  SimdLevel level;
  if (!parse_simd_level(wanted, &level))
    throw RunError(std::string("MNET_SIMD: unknown instruction set '") + wanted + "' (scalar, avx2, avx512)");
  if (level > cpu)
    throw RunError(std::string("MNET_SIMD: this CPU cannot run ") + wanted + " (it supports up to " +
                   simd_level_name(cpu) + ")");
  return level;
}

}  // namespace

SimdLevel cpu_simd_level() {
  if (__builtin_cpu_supports("avx512f")) return SimdLevel::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return SimdLevel::avx2;
  return SimdLevel::scalar;
}

SimdLevel simd_level() {
  static const SimdLevel level = chosen_level();
  return level;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::scalar:
      return "scalar";
    case SimdLevel::avx2:
      return "avx2";
    case SimdLevel::avx512:
      return "avx512";
  }
  return "?";
}

bool parse_simd_level(const char* name, SimdLevel* level) {
  for (SimdLevel l : {SimdLevel::scalar, SimdLevel::avx2, SimdLevel::avx512})
    if (std::strcmp(name, simd_level_name(l)) == 0) {
      *level = l;
      return true;
    }
  return false;
}

}  // namespace mnet
