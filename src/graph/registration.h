// Named tables of functions, the one registry mechanism: primitive layer types (kLayerTypes in
// layers/registry.cpp) and the config's table rows (kRowTypes in config/config.cpp).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace mnet {

template <class Function>
struct Registration {
  const char* name;
  Function function;
};

// The function registered under `name`; null if there is none.
template <class Function, size_t N>
Function find_registered(const Registration<Function> (&table)[N], const std::string& name) {
  for (const Registration<Function>& r : table)
    if (name == r.name) return r.function;
  return nullptr;
}

// The names of a table, in its order (error messages list them).
template <class Function, size_t N>
std::vector<std::string> registered_names(const Registration<Function> (&table)[N]) {
  std::vector<std::string> out;
  for (const Registration<Function>& r : table) out.push_back(r.name);
  return out;
}

// "a, b, c".
inline std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace mnet
