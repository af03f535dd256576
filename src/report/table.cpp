// Rendering tables as text, CSV and Markdown; JSON text that survives non-UTF-8 names.
#include "report/table.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace mnet {

bool parse_format(const std::string& name, Format* out) {
  if (name == "table") *out = Format::table;
  else if (name == "json") *out = Format::json;
  else if (name == "csv") *out = Format::csv;
  else if (name == "md") *out = Format::md;
  else return false;
  return true;
}

namespace {

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string pad(const std::string& s, size_t width, bool right) {
  // Width in code points so that "×" and "·" line up.
  size_t len = 0;
  for (unsigned char c : s) len += (c & 0xC0) != 0x80;
  std::string fill(width > len ? width - len : 0, ' ');
  return right ? fill + s : s + fill;
}

size_t display_width(const std::string& s) {
  size_t len = 0;
  for (unsigned char c : s) len += (c & 0xC0) != 0x80;
  return len;
}

}  // namespace

std::string Table::render(Format format) const {
  std::string out;
  auto right = [&](size_t i) { return i < right_aligned.size() && right_aligned[i]; };
  if (format == Format::csv) {
    for (size_t i = 0; i < header.size(); ++i) out += (i ? "," : "") + csv_cell(header[i]);
    out += "\n";
    for (const auto& r : rows) {
      for (size_t i = 0; i < r.size(); ++i) out += (i ? "," : "") + csv_cell(r[i]);
      out += "\n";
    }
    return out;
  }
  std::vector<size_t> width(header.size(), 0);
  for (size_t i = 0; i < header.size(); ++i) width[i] = display_width(header[i]);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  if (format == Format::md) {
    out += "|";
    for (size_t i = 0; i < header.size(); ++i) out += " " + pad(header[i], width[i], right(i)) + " |";
    out += "\n|";
    for (size_t i = 0; i < header.size(); ++i)
      out += (right(i) ? std::string(width[i] + 1, '-') + ":" : ":" + std::string(width[i] + 1, '-')) + "|";
    out += "\n";
    for (const auto& r : rows) {
      out += "|";
      for (size_t i = 0; i < header.size(); ++i) out += " " + pad(i < r.size() ? r[i] : "", width[i], right(i)) + " |";
      out += "\n";
    }
    return out;
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (size_t i = 0; i < header.size(); ++i) l += (i ? "  " : "") + pad(i < cells.size() ? cells[i] : "", width[i], right(i));
    while (!l.empty() && l.back() == ' ') l.pop_back();
    return l + "\n";
  };
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  std::string rule(total > 2 ? total - 2 : 0, '-');
  out += line(header) + rule + "\n";
  for (size_t r = 0; r < rows.size(); ++r) {
    if (std::find(rules_before.begin(), rules_before.end(), r) != rules_before.end()) out += rule + "\n";
    out += line(rows[r]);
  }
  return out;
}

std::string with_commas(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string millions(int64_t v) { return fixed(double(v) / 1e6, 1) + "M"; }

std::string key_value_text(const std::vector<std::pair<std::string, std::string>>& rows, Format format) {
  if (format == Format::md) {
    Table t;
    t.header = {"what", "value"};
    for (const auto& [what, value] : rows) {
      std::string cell;
      for (char c : value) cell += c == '|' ? std::string("\\|") : std::string(1, c);
      t.add_row({what, cell});
    }
    return t.render(Format::md);
  }
  size_t width = 0;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  std::string text;
  for (const auto& [what, value] : rows) text += what + std::string(width + 2 - what.size(), ' ') + value + "\n";
  return text;
}

std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace mnet
