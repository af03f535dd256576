// The two errors every command turns into an exit code: bad input (3) and failure while working (1).
#pragma once
#include <stdexcept>
#include <string>

namespace mnet {

// The text with control characters written as escapes (\n, \t, \x01), so that a message quoting
// a hostile name stays one line and is not cut short at a NUL.
std::string one_line(const std::string& text);

// Bad input data (config, weights, model, image): the message already names the file, the place
// and the rule. Apps map it to exit code 3.
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message) : std::runtime_error(one_line(message)) {}
};

// A failure while doing the work on good input (e.g. an output file that cannot be written).
class RunError : public std::runtime_error {
 public:
  explicit RunError(const std::string& message) : std::runtime_error(one_line(message)) {}
};

}  // namespace mnet
