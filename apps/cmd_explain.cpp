// mnet explain conv: the paper's worked example (standard vs depthwise separable cost) for any sizes.
#include "common.h"
#include "cost/explain.h"
#include "report/explain_report.h"

namespace mnet::app {

Command make_explain_command(CLI::App& root) {
  auto what = std::make_shared<std::string>();
  auto in = std::make_shared<int>(0);
  auto out_channels = std::make_shared<int>(0);
  auto kernel = std::make_shared<int>(3);
  auto size = std::make_shared<int>(0);
  auto out = std::make_shared<OutputOptions>();
  CLI::App* app = root.add_subcommand(
      "explain", "Work a cost comparison through with the numbers put in: 'conv' is the MobileNet paper's example of a\n"
                 "standard convolution against its depthwise separable replacement (Section 3.1).\n"
                 "  example: mnet explain conv --in 64 --out 128 --kernel 3 --size 112");
  app->add_option("what", *what, "What to explain: conv")->required()->check(CLI::IsMember({"conv"}));
  app->add_option("--in", *in, "Input channels M")->required()->check(CLI::Range(1, kMaxChannels));
  app->add_option("--out", *out_channels, "Output channels N")->required()->check(CLI::Range(1, kMaxChannels));
  app->add_option("--kernel", *kernel, "Kernel size Dk")->capture_default_str()->check(CLI::Range(1, kMaxKernel));
  app->add_option("--size", *size, "Feature map size Df (height = width)")->required()->check(CLI::Range(1, kMaxResolution));
  out->add_to(*app);
  auto run = [what, in, out_channels, kernel, size, out]() {  // every option variable kept alive with the command
    emit(*out, format_conv_comparison(compare_conv(*in, *out_channels, *kernel, *size), out->parsed(), report_context()));
    return kExitOk;
  };
  return {app, run};
}

}  // namespace mnet::app
