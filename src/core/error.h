#pragma once
#include <stdexcept>
#include <string>

namespace mnet {

// Bad input data (config, weights, model, image): the message already names the file, the place
// and the rule. Apps map it to exit code 3.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A failure while doing the work on good input (e.g. an output file that cannot be written).
class RunError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace mnet
