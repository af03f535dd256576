// Activation names as configs spell them.
#include "core/activation.h"

namespace mnet {

namespace {
struct ActName {
  Act act;
  const char* name;
};
constexpr ActName kActNames[] = {{Act::none, "none"},         {Act::relu, "relu"},
                                 {Act::relu6, "relu6"},       {Act::hswish, "hswish"},
                                 {Act::hsigmoid, "hsigmoid"}, {Act::sigmoid, "sigmoid"}};
}  // namespace

bool parse_act(const std::string& name, Act* out) {
  for (const auto& a : kActNames)
    if (name == a.name) {
      *out = a.act;
      return true;
    }
  return false;
}

const char* act_name(Act a) {
  for (const auto& n : kActNames)
    if (n.act == a) return n.name;
  return "?";
}

}  // namespace mnet
