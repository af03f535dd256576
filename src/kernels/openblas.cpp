// Loading OpenBLAS at first use and forwarding sgemm and thread calls to it.
#include "kernels/openblas.h"

#include <cblas.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/error.h"

#ifndef MNET_OPENBLAS_PATH
#define MNET_OPENBLAS_PATH "libopenblas.so.0"
#endif

namespace mnet::openblas {

namespace {

// Room kept free beside OpenBLAS's own needs, for the allocations mnet makes after loading it.
constexpr long long kSlackBytes = 64ll << 20;

struct Library {
  decltype(&cblas_sgemm) sgemm = nullptr;
  decltype(&cblas_sgemv) sgemv = nullptr;
  decltype(&openblas_set_num_threads) set_num_threads = nullptr;
  decltype(&openblas_get_num_threads) get_num_threads = nullptr;
  decltype(&openblas_get_config) get_config = nullptr;
  decltype(&openblas_get_corename) get_corename = nullptr;
  std::string error;  // why it could not be loaded; empty once loaded
};

std::once_flag load_once;
Library lib;
std::mutex threads_mutex;
bool ready = false;      // loaded, with every symbol
int wanted_threads = 1;  // what callers asked for
int buffers = 0;         // thread buffers OpenBLAS holds: it grows them, never shrinks them
std::atomic<bool> gemm_buffer{false};  // whether a large sgemm has run, which takes one more buffer

std::string mib(long long bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// Gives OpenBLAS `n` threads, or as many thread buffers as fit in half the address space left.
// Holds threads_mutex.
void apply_threads(int n) {
  n = std::max(n, 1);
  if (n > buffers) {
    long long left = address_space_left();
    if (left >= 0 && !gemm_buffer) left -= kGemmBufferBytes;
    if (left >= 0) {
      // Buffers take at most half of what is left: mnet's own scratch comes after them.
      long long fit = buffers + std::max(0ll, left / 2 - kSlackBytes) / kThreadBufferBytes;
      n = int(std::min<long long>(n, std::max<long long>(fit, 1)));
    }
  }
  lib.set_num_threads(n);
  buffers = std::max(buffers, n);
}

void load() {
  long long left = address_space_left();
  const long long need = kLoadBytes + kGemmBufferBytes + kSlackBytes;
  if (left >= 0 && left < need) {
    lib.error = "OpenBLAS needs about " + mib(need) +
                " of address space to start and the address-space limit (ulimit -v) leaves " + mib(left);
    return;
  }
  // OpenBLAS allocates one 128 MiB buffer per thread when it loads, as many threads as the
  // OMP_NUM_THREADS it reads from the environment (not libgomp's setting) or the cores; start it
  // with one and grow it to what a caller asks for, where the limit is checked.
  const char* omp_env = std::getenv("OMP_NUM_THREADS");
  const std::string saved = omp_env ? omp_env : "";
  setenv("OMP_NUM_THREADS", "1", 1);
  void* handle = dlopen(MNET_OPENBLAS_PATH, RTLD_NOW | RTLD_LOCAL);
  if (omp_env) setenv("OMP_NUM_THREADS", saved.c_str(), 1);
  else unsetenv("OMP_NUM_THREADS");
  if (!handle) {
    const char* why = dlerror();
    lib.error = std::string("cannot load OpenBLAS (") + MNET_OPENBLAS_PATH + "): " + (why ? why : "unknown error");
    return;
  }
  auto symbol = [&](auto& fn, const char* name) {
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(handle, name));
    if (!fn && lib.error.empty()) lib.error = std::string(MNET_OPENBLAS_PATH) + " has no symbol " + name;
  };
  symbol(lib.sgemm, "cblas_sgemm");
  symbol(lib.sgemv, "cblas_sgemv");
  symbol(lib.set_num_threads, "openblas_set_num_threads");
  symbol(lib.get_num_threads, "openblas_get_num_threads");
  symbol(lib.get_config, "openblas_get_config");
  symbol(lib.get_corename, "openblas_get_corename");
  if (!lib.error.empty()) return;
  std::lock_guard<std::mutex> lock(threads_mutex);
  buffers = 1;
  apply_threads(wanted_threads);
  ready = true;
}

bool try_load() {
  std::call_once(load_once, load);
  return lib.error.empty();
}

const Library& loaded() {
  if (!try_load()) throw RunError(lib.error);
  return lib;
}

}  // namespace

long long address_space_left() {
  rlimit limit{};
  if (getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return -1;
  long long used = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    long pages = 0;
    if (std::fscanf(f, "%ld", &pages) == 1) used = (long long)pages * sysconf(_SC_PAGESIZE);
    std::fclose(f);
  }
  return std::max(0ll, (long long)limit.rlim_cur - used);
}

void sgemm(int M, int N, int K, const float* A, const float* B, float* C) {
  loaded().sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
  gemm_buffer = true;
}

void sgemv(int M, int K, const float* A, const float* x, float* y) {
  loaded().sgemv(CblasRowMajor, CblasNoTrans, M, K, 1.0f, A, K, x, 1, 0.0f, y, 1);
}

void set_threads(int n) {
  std::lock_guard<std::mutex> lock(threads_mutex);
  wanted_threads = std::max(n, 1);
  if (ready) apply_threads(wanted_threads);
}

int threads() {
  std::lock_guard<std::mutex> lock(threads_mutex);
  return ready ? lib.get_num_threads() : wanted_threads;
}

bool is_loaded() {
  std::lock_guard<std::mutex> lock(threads_mutex);
  return ready;
}

std::string config() {
  if (!try_load()) return "OpenBLAS unavailable (" + lib.error + ")";
  const char* c = lib.get_config();
  return c ? c : "";
}

std::string corename() {
  if (!try_load()) return "";
  const char* c = lib.get_corename();
  return c ? c : "";
}

}  // namespace mnet::openblas
