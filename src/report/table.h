// Output formats (table, JSON, CSV, Markdown), a table printer and the number formats reports share.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

namespace mnet {

enum class Format { table, json, csv, md };
bool parse_format(const std::string& name, Format* out);

// A table of already formatted cells; one printer per text format.
struct Table {
  std::vector<std::string> header;
  std::vector<bool> right_aligned;  // per column
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> rules_before;  // row indices preceded by a horizontal rule (table view)

  void add_row(std::vector<std::string> cells) { rows.push_back(std::move(cells)); }
  std::string render(Format format) const;  // table, csv or md
};

// A two-column report of (what, value) rows: aligned text, or a Markdown table (| escaped in values).
std::string key_value_text(const std::vector<std::pair<std::string, std::string>>& rows, Format format);

// Number formatting shared by every report.
std::string with_commas(int64_t v);
std::string fixed(double v, int decimals);
std::string millions(int64_t v);  // "568.7M"

// Indented JSON text. Names from model files and paths need not be UTF-8: invalid bytes become
// U+FFFD instead of an exception after the work is done.
std::string json_text(const nlohmann::json& j);

}  // namespace mnet
