// ImageNet-1k's 1000 WordNet ids in the class order of ILSVRC 2012 (sorted ids), and their mapping
// to a model's class indices.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mnet {

constexpr int kImageNetClasses = 1000;

// The 1000 ids, "n01440764" (tench) first, "n15075141" (toilet tissue) last.
const std::vector<std::string>& imagenet_wnids();

// Whether `text` has the form of a WordNet noun id: 'n' and 8 digits.
bool is_wnid(const std::string& text);

// The id's position among the 1000 (0..999), or -1 when it is not one of them.
int imagenet_class_of(const std::string& wnid);

// Where ImageNet class 0 sits in a model's output: 0 for a 1000-class model, 1 for a 1001-class one
// (index 0 "background", as the TF-slim and TFLite models have). -1 for any other class count: such
// a model cannot be labelled by WordNet ids.
int imagenet_offset(int64_t classes);

}  // namespace mnet
