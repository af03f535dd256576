// Reading labelled sets: folder layouts, CSV/TSV, label resolution and shards.
#include "eval/labelled_set.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "eval/imagenet_classes.h"
#include "io/image_folder.h"

namespace mnet {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

// "quoted 'x' cut" for messages: labels come from user files.
std::string quoted(const std::string& s) { return "'" + (s.size() > 80 ? s.substr(0, 80) + "..." : s) + "'"; }

}  // namespace

LabelResolver::LabelResolver(ClassNames names) : names_(std::move(names)) {
  // Whole labels first, then first names; a key two classes share resolves to neither.
  std::vector<std::pair<std::string, int>> whole, first;
  for (size_t i = 0; i < names_.labels.size(); ++i) {
    const std::string& label = names_.labels[i];
    whole.push_back({lower(trim(label)), int(i)});
    const size_t comma = label.find(',');
    if (comma != std::string::npos) first.push_back({lower(trim(label.substr(0, comma))), int(i)});
  }
  auto collapse = [](std::vector<std::pair<std::string, int>> v) {
    std::sort(v.begin(), v.end());
    std::vector<std::pair<std::string, int>> out;
    for (const auto& e : v) {
      if (!out.empty() && out.back().first == e.first) {
        if (out.back().second != e.second) out.back().second = -1;
      } else {
        out.push_back(e);
      }
    }
    return out;
  };
  whole = collapse(whole);
  // A whole label wins over another class's first name ("crane" is both a whole label and no first name).
  for (const auto& e : collapse(first))
    if (!std::binary_search(whole.begin(), whole.end(), std::make_pair(e.first, -2),
                            [](const auto& a, const auto& b) { return a.first < b.first; }))
      whole.push_back(e);
  std::sort(whole.begin(), whole.end());
  by_name_ = std::move(whole);
}

int LabelResolver::by_name(const std::string& key, const std::string& text, const std::string& where) const {
  auto it = std::lower_bound(by_name_.begin(), by_name_.end(), std::make_pair(key, -2),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
  if (it == by_name_.end() || it->first != key) return -1;
  if (it->second >= 0) return it->second;
  std::string classes;
  for (size_t i = 0; i < names_.labels.size(); ++i) {
    const std::string l = lower(trim(names_.labels[i]));
    if (l == key || l.rfind(key + ",", 0) == 0) classes += (classes.empty() ? "" : " and ") + std::to_string(i);
  }
  throw InputError(where + ": label " + quoted(text) + " names more than one class (" + classes +
                   "): give the class index or the WordNet id");
}

int LabelResolver::resolve(const std::string& raw, const std::string& where) const {
  const std::string text = trim(raw);
  const int64_t classes = names_.classes;
  if (text.empty()) throw InputError(where + ": empty label");
  if (all_digits(text)) {
    if (text.size() > 18 || std::stoll(text) >= classes)
      throw InputError(where + ": class index " + quoted(text) + " out of range (" + names_.model + " has " +
                       std::to_string(classes) + " classes: 0.." + std::to_string(classes - 1) + ")");
    return int(std::stoll(text));
  }
  if (is_wnid(text)) {
    const int offset = imagenet_offset(classes);
    if (offset < 0)
      throw InputError(where + ": WordNet id " + quoted(text) + " needs an ImageNet model of 1000 or 1001 classes, " +
                       names_.model + " has " + std::to_string(classes));
    const int c = imagenet_class_of(text);
    if (c < 0) throw InputError(where + ": WordNet id " + quoted(text) + " is not one of ImageNet-1k's 1000 classes");
    return c + offset;
  }
  const int c = by_name(lower(text), text, where);
  if (c >= 0) return c;
  throw InputError(where + ": unknown label " + quoted(text) +
                   (names_.labels.empty() ? " (" + names_.model + " has no labels: give class indices, WordNet ids or --labels)"
                                          : " (a class index, a WordNet id, or one of " + names_.model + "'s labels)"));
}

std::vector<DelimitedRow> parse_delimited(const std::string& text, char delimiter, const std::string& source) {
  std::vector<DelimitedRow> rows;
  size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  int64_t line = 1;
  while (i < text.size()) {
    DelimitedRow row;
    row.line = line;
    std::string field;
    bool any = false;  // the row has a character or a delimiter: not blank
    for (;;) {
      if (i < text.size() && text[i] == '"' && trim(field).empty()) {
        // A quoted field: up to the closing quote, "" standing for one quote.
        const int64_t opened = line;
        field.clear();
        any = true;
        ++i;
        for (;;) {
          if (i >= text.size())
            throw InputError(source + ": line " + std::to_string(opened) + ": quote opened and never closed");
          if (text[i] == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
        // Anything after the closing quote up to the delimiter (spaces) is ignored.
        while (i < text.size() && text[i] != delimiter && text[i] != '\n' && text[i] != '\r') ++i;
      }
      if (i >= text.size() || text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] == '\n'))) {
        if (any || !field.empty()) row.fields.push_back(field);
        if (i < text.size()) i += text[i] == '\r' ? 2 : 1;
        ++line;
        break;
      }
      if (text[i] == delimiter) {
        row.fields.push_back(field);
        field.clear();
        any = true;
        ++i;
        continue;
      }
      field += text[i++];
    }
    bool blank = std::all_of(row.fields.begin(), row.fields.end(), [](const std::string& f) { return trim(f).empty(); });
    if (!blank) rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

std::string read_label_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open (" + std::strerror(errno) + ")");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) throw InputError(path + ": cannot read");
  if (uint64_t(size) > kMaxLabelFileBytes)
    throw InputError(path + ": " + std::to_string(size) + " bytes, more than the limit of " +
                     std::to_string(kMaxLabelFileBytes) + " for a label file (kMaxLabelFileBytes)");
  in.seekg(0);
  std::string text(size_t(size), '\0');
  if (!in.read(text.data(), size)) throw InputError(path + ": cannot read");
  return text;
}

bool is_header(const DelimitedRow& row) {
  if (row.fields.size() != 2) return false;
  const std::string label = lower(trim(row.fields[1]));
  return label == "label" || label == "class" || label == "wnid" || label == "synset" || label == "category";
}

LabelledSet read_table(const std::string& data, const ClassNames& names) {
  const std::string text = read_label_file(data);
  const std::string first_line = text.substr(0, text.find('\n'));
  const char delimiter = first_line.find('\t') != std::string::npos ? '\t' : ',';
  LabelledSet set;
  set.source = data;
  set.layout = delimiter == '\t' ? "TSV" : "CSV";
  const std::string folder = [&] {
    const size_t slash = data.rfind('/');
    return slash == std::string::npos ? std::string() : data.substr(0, slash + 1);
  }();
  LabelResolver resolver(names);
  std::vector<DelimitedRow> rows = parse_delimited(text, delimiter, data);
  for (size_t r = 0; r < rows.size(); ++r) {
    const DelimitedRow& row = rows[r];
    if (r == 0 && is_header(row)) continue;
    const std::string where = data + ": line " + std::to_string(row.line);
    if (row.fields.size() != 2)
      throw InputError(where + ": " + std::to_string(row.fields.size()) + " fields, expected 2 (path" +
                       std::string(1, delimiter == '\t' ? '\t' : ',') + "label)");
    std::string path = trim(row.fields[0]);
    if (path.empty()) throw InputError(where + ": empty path");
    if (path[0] != '/') path = folder + path;
    set.images.push_back({path, resolver.resolve(row.fields[1], where), int64_t(set.images.size())});
  }
  return set;
}

// The label of one image of a folder: the nearest folder between it and DATA named by a WordNet id,
// else the id its file name starts with ("n01440764_10026.JPEG"); "" when it has neither.
std::string wnid_of(const std::string& relative, bool* from_folder) {
  std::vector<std::string> parts;
  std::stringstream ss(relative);
  for (std::string p; std::getline(ss, p, '/');) parts.push_back(p);
  for (size_t i = parts.size() - 1; i-- > 0;)
    if (is_wnid(parts[i])) {
      *from_folder = true;
      return parts[i];
    }
  const std::string& name = parts.back();
  if (name.size() > 9 && is_wnid(name.substr(0, 9)) && !std::isdigit(static_cast<unsigned char>(name[9]))) {
    *from_folder = false;
    return name.substr(0, 9);
  }
  return "";
}

LabelledSet read_folder(const std::string& data, const ClassNames& names) {
  LabelledSet set;
  set.source = data;
  const std::vector<std::string> paths = list_images(data);
  if (paths.empty())
    throw InputError(data + ": no images (.jpg, .jpeg, .png, .bmp) in the folder or its subfolders");
  std::string root = data;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  LabelResolver resolver(names);
  bool by_folder = false, by_name = false;
  for (const std::string& path : paths) {
    const std::string relative = path.substr(root == "/" ? 1 : root.size() + 1);
    bool from_folder = false;
    const std::string wnid = wnid_of(relative, &from_folder);
    if (wnid.empty())
      throw InputError(path + ": no WordNet id in its folder or file name (the layouts: DATA/n01440764/x.JPEG, "
                              "DATA/n01440764_x.JPEG, or a CSV of path,label)");
    (from_folder ? by_folder : by_name) = true;
    set.images.push_back({path, resolver.resolve(wnid, path), int64_t(set.images.size())});
  }
  set.layout = by_folder && by_name ? "ImageNet folders + WordNet-id file names"
               : by_folder          ? "ImageNet folders"
                                    : "WordNet-id file names";
  return set;
}

}  // namespace

LabelledSet read_labelled_set(const std::string& data, const ClassNames& names) {
  struct stat st {};
  if (::stat(data.c_str(), &st) != 0) throw InputError(data + ": cannot open (" + std::strerror(errno) + ")");
  LabelledSet set = S_ISDIR(st.st_mode) ? read_folder(data, names) : read_table(data, names);
  if (set.images.empty()) throw InputError(data + ": no images listed");
  set.total = int64_t(set.images.size());
  return set;
}

std::pair<int, int> parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  const std::string k = slash == std::string::npos ? "" : text.substr(0, slash);
  const std::string n = slash == std::string::npos ? "" : text.substr(slash + 1);
  if (!all_digits(k) || !all_digits(n) || k.size() > 9 || n.size() > 9 || std::stoi(n) < 1 ||
      std::stoi(n) > kMaxShards || std::stoi(k) >= std::stoi(n))
    throw InputError("--shard " + quoted(text) + ": expected K/N with 0 <= K < N <= " + std::to_string(kMaxShards) +
                     " (kMaxShards), e.g. 0/4 for the first of four shards");
  return {std::stoi(k), std::stoi(n)};
}

LabelledSet shard_of(const LabelledSet& set, int index, int count) {
  LabelledSet shard = set;
  shard.images.clear();
  shard.shard_index = index;
  shard.shard_count = count;
  for (size_t i = size_t(index); i < set.images.size(); i += size_t(count)) shard.images.push_back(set.images[i]);
  return shard;
}

}  // namespace mnet
