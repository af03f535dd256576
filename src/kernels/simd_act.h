// Activations on whole vectors, for the kernels' output passes (each matches apply_act() bit for
// bit, NaN included), and the lane mask of a vector's partly used tail.
#pragma once
#include <immintrin.h>

#include "core/activation.h"

namespace mnet {

// AVX-512 lane mask: lane i set when i < count (count may be <= 0 or >= 16).
inline __mmask16 lanes_below16(int count) {
  return count >= 16 ? __mmask16(0xFFFF) : count <= 0 ? __mmask16(0) : __mmask16((1u << count) - 1);
}

// max/min operand order matches std::max(x, 0) / std::min(x, 6), including for NaN.
__attribute__((target("avx2,fma"), always_inline)) inline __m256 act_avx2(Act act, __m256 x) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 six = _mm256_set1_ps(6.0f);
  const __m256 sixth = _mm256_set1_ps(1.0f / 6.0f);
  switch (act) {
    case Act::relu:
      return _mm256_max_ps(zero, x);
    case Act::relu6:
      return _mm256_min_ps(six, _mm256_max_ps(zero, x));
    case Act::hswish: {
      const __m256 gate =
          _mm256_min_ps(six, _mm256_max_ps(zero, _mm256_add_ps(x, _mm256_set1_ps(3.0f))));
      return _mm256_mul_ps(_mm256_mul_ps(x, gate), sixth);
    }
    case Act::hsigmoid: {
      const __m256 gate =
          _mm256_min_ps(six, _mm256_max_ps(zero, _mm256_add_ps(x, _mm256_set1_ps(3.0f))));
      return _mm256_mul_ps(gate, sixth);
    }
    default:
      return x;
  }
}

// _mm512_max_ps/_mm512_min_ps trip GCC 12's -Wmaybe-uninitialized (their _mm512_undefined_ps
// source operand); the zero-masked forms with a full mask compile to the same instruction.
__attribute__((target("avx512f"), always_inline)) inline __m512 max512(__m512 a, __m512 b) {
  return _mm512_maskz_max_ps(__mmask16(0xFFFF), a, b);
}
__attribute__((target("avx512f"), always_inline)) inline __m512 min512(__m512 a, __m512 b) {
  return _mm512_maskz_min_ps(__mmask16(0xFFFF), a, b);
}

__attribute__((target("avx512f"), always_inline)) inline __m512 act_avx512(Act act, __m512 x) {
  const __m512 zero = _mm512_setzero_ps();
  const __m512 six = _mm512_set1_ps(6.0f);
  const __m512 sixth = _mm512_set1_ps(1.0f / 6.0f);
  switch (act) {
    case Act::relu:
      return max512(zero, x);
    case Act::relu6:
      return min512(six, max512(zero, x));
    case Act::hswish: {
      const __m512 gate = min512(six, max512(zero, _mm512_add_ps(x, _mm512_set1_ps(3.0f))));
      return _mm512_mul_ps(_mm512_mul_ps(x, gate), sixth);
    }
    case Act::hsigmoid: {
      const __m512 gate = min512(six, max512(zero, _mm512_add_ps(x, _mm512_set1_ps(3.0f))));
      return _mm512_mul_ps(gate, sixth);
    }
    default:
      return x;
  }
}

}  // namespace mnet
