// OpenBLAS, loaded the first time a kernel needs it rather than when the program starts. Its
// start-up allocates a 128 MiB buffer per thread and, when an allocation fails (a low `ulimit -v`),
// retries for ever; loaded here, the address space is checked first, so mnet fails with one clear
// error instead of hanging, and commands that never call BLAS (cost tables, the AVX-512 kernels)
// run under any limit.
#pragma once
#include <string>

namespace mnet::openblas {

// C[M,N] = A[M,K] · B[K,N] and y[M] = A[M,K] · x[K], row-major, dense (cblas_sgemm / cblas_sgemv
// with alpha 1, beta 0). Load OpenBLAS on first use; throw RunError if it cannot be loaded.
void sgemm(int M, int N, int K, const float* A, const float* B, float* C);
void sgemv(int M, int K, const float* A, const float* x, float* y);

// The thread count OpenBLAS should use. Before OpenBLAS is loaded this is only remembered. Where an
// address-space limit leaves room for fewer thread buffers, OpenBLAS gets as many as fit.
void set_threads(int n);
// The thread count OpenBLAS uses (once loaded), else the one remembered.
int threads();

// "OpenBLAS 0.3.21 ... SkylakeX MAX_THREADS=64" and the core type it chose; loads OpenBLAS. Where it
// cannot be loaded: "OpenBLAS unavailable (why)" and "".
std::string config();
// Whether this process has loaded OpenBLAS (a kernel called it, or config() did).
bool is_loaded();
std::string corename();

// Address space OpenBLAS takes beyond what the process has, measured with Debian's OpenBLAS 0.3.21
// (OpenMP flavour): loading with one thread took 167 MiB (128 MiB of it the thread's buffer), the
// first large sgemm one more 128 MiB buffer, and each further thread 128 MiB.
constexpr long long kLoadBytes = 176ll << 20;
constexpr long long kGemmBufferBytes = 129ll << 20;
constexpr long long kThreadBufferBytes = 129ll << 20;

// Bytes of address space left under RLIMIT_AS (soft), or -1 where there is no limit.
long long address_space_left();

}  // namespace mnet::openblas
