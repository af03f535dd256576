// The classify report as text or JSON.
#include "report/classify_report.h"

#include <nlohmann/json.hpp>

namespace mnet {

std::string format_classification(const Graph& g, const std::string& model_path,
                                  const std::vector<ImageResult>& results, Format format) {
  if (format == Format::json) {
    nlohmann::json list = nlohmann::json::array();
    for (const ImageResult& r : results) {
      if (!r.error.empty()) {
        list.push_back({{"image", r.image}, {"error", r.error}});
        continue;
      }
      nlohmann::json top = nlohmann::json::array();
      for (const Prediction& p : r.top) top.push_back({{"index", p.index}, {"label", p.label}, {"score", p.score}});
      list.push_back({{"image", r.image}, {"top", top}});
    }
    return json_text({{"model", g.name}, {"results", list}});
  }
  const Preprocess& pre = g.preprocess;
  std::string text = g.name + " (" + model_path + "), input " + g.input().out.str() + ", " +
                     (pre.crop == "central_fraction" ? "central crop " + fixed(pre.central_fraction, 3)
                                                     : "resize " + std::to_string(pre.resize) + " + centre crop") +
                     "\n";
  for (const ImageResult& r : results) {
    if (!r.error.empty()) continue;  // said on stderr as it happened
    text += r.image + "\n";
    for (const Prediction& p : r.top)
      text += "  " + fixed(p.score, 4) + "  " + std::to_string(p.index) + "  " + p.label + "\n";
  }
  return text;
}

}  // namespace mnet
