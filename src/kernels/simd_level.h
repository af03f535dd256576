// Which instruction sets the kernels may use: the CPU's, lowered by MNET_SIMD.
#pragma once
// The one place that says which instruction sets the kernels may use: what the CPU supports,
// lowered by the environment variable MNET_SIMD (scalar, avx2, avx512), so that every fallback
// kernel runs, and is tested, on a machine that has the faster ones.
namespace mnet {

// Instruction sets the kernels have code for, weakest first. AVX2 also needs FMA.
enum class SimdLevel { scalar, avx2, avx512 };

// The best level this CPU and OS support.
SimdLevel cpu_simd_level();
// The level the kernels use: cpu_simd_level(), or MNET_SIMD where it is set. Read once. Throws
// RunError for an unknown MNET_SIMD or one above what the CPU supports.
SimdLevel simd_level();

const char* simd_level_name(SimdLevel level);
// "avx2" → SimdLevel::avx2; false for a name that is not a level.
bool parse_simd_level(const char* name, SimdLevel* level);

}  // namespace mnet
