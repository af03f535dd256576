// A labelled image set as `mnet eval` reads it: a folder in ImageNet's validation layout
// (n01440764/x.JPEG), a folder of files named after their WordNet id (n01440764_x.JPEG), or a
// CSV/TSV of path,label; each image's label resolved to the model's class index. And the
// deterministic 1/N of a set that `--shard K/N` evaluates.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace mnet {

// A CSV/TSV label file is read whole: refused above this size (ImageNet's 50,000-image validation
// list is about 2 MiB).
constexpr uint64_t kMaxLabelFileBytes = uint64_t(256) << 20;  // 256 MiB
// --shard K/N: N at most this.
constexpr int kMaxShards = 100000;

struct LabelledImage {
  std::string path;
  int label = 0;        // the model's class index
  int64_t index = 0;    // position in the whole set (before sharding): shards merge back by it
};

struct LabelledSet {
  std::string source;   // DATA as given
  std::string layout;   // "ImageNet folders", "WordNet-id file names", "CSV", "TSV" (or two joined by " + ")
  int64_t total = 0;    // images in the whole set; images.size() unless this is a shard
  int shard_index = 0;  // --shard K/N: K (0-based) and N; 0 and 1 for the whole set
  int shard_count = 1;
  std::vector<LabelledImage> images;  // in the set's order: sorted paths, or the file's rows
};

// What a label may name: the model's classes (count) and their names (may be empty).
struct ClassNames {
  int64_t classes = 0;
  std::vector<std::string> labels;  // one per class, or empty
  std::string model;                // for messages: the model's path
};

// A label as text → the class index: a decimal index (0..classes-1), a WordNet id (for a 1000- or
// 1001-class ImageNet model), or a label of the model (its whole line, or its first comma-separated
// name: "tabby" for "tabby, tabby cat"; ASCII case ignored). Throws InputError "WHERE: ..." for an
// index out of range, an unknown id or label, or a name two classes share (ImageNet's "crane").
class LabelResolver {
 public:
  explicit LabelResolver(ClassNames names);
  int resolve(const std::string& text, const std::string& where) const;

 private:
  ClassNames names_;
  std::vector<std::pair<std::string, int>> by_name_;  // lower-cased name → class, sorted; -1: ambiguous
  int by_name(const std::string& key, const std::string& text, const std::string& where) const;
};

// The rows of CSV (RFC 4180: "quoted, fields" with "" for a quote) or TSV text, as fields, with the
// line each row starts on. A UTF-8 byte order mark is dropped, CRLF and LF both end a row, blank
// rows are skipped. Throws InputError naming `source` and the line for a quote left open.
struct DelimitedRow {
  int64_t line = 0;
  std::vector<std::string> fields;
};
std::vector<DelimitedRow> parse_delimited(const std::string& text, char delimiter, const std::string& source);

// DATA → the labelled set. A folder: every image under it (io/image_folder.h), labelled by the
// nearest enclosing folder named by a WordNet id, else by the WordNet id its file name starts with.
// A file: CSV (or TSV when its first line has a tab) of path,label, with an optional header row
// ("path,label"); relative paths are taken from the file's folder. Throws InputError naming DATA
// (and the line or image) for a missing path, an empty set, an image without a WordNet id, or a
// label that does not resolve.
LabelledSet read_labelled_set(const std::string& data, const ClassNames& names);

// "K/N" → {K, N}: 0 <= K < N <= kMaxShards. Throws InputError quoting the text otherwise.
std::pair<int, int> parse_shard(const std::string& text);

// The images of shard K of N: every N-th image of the set's order starting at the K-th, so each
// shard gets an even share of every class folder and the N shards together are the set.
LabelledSet shard_of(const LabelledSet& set, int index, int count);

}  // namespace mnet
