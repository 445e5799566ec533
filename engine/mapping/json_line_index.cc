// A small recursive scanner over valid JSON text that remembers lines.
#include "engine/mapping/json_line_index.h"

#include <cstddef>

namespace fhirengine::mapping {
namespace {

struct Scanner {
  std::string_view s;
  std::size_t p = 0;
  int line = 1;
  std::map<std::string, int, std::less<>>& out;

  void Skip() {
    while (p < s.size() && (s[p] == ' ' || s[p] == '\t' || s[p] == '\n' || s[p] == '\r')) {
      if (s[p] == '\n') ++line;
      ++p;
    }
  }
  std::string String() {  // at the opening quote; returns the raw text
    std::string v;
    ++p;
    while (p < s.size() && s[p] != '"') {
      if (s[p] == '\\' && p + 1 < s.size()) {
        v.push_back(s[p + 1] == '/' ? '/' : s[p + 1]);
        p += 2;
        continue;
      }
      v.push_back(s[p++]);
    }
    ++p;
    return v;
  }
  static std::string Escape(const std::string& key) {
    std::string e;
    for (char c : key) {
      if (c == '~')
        e += "~0";
      else if (c == '/')
        e += "~1";
      else
        e.push_back(c);
    }
    return e;
  }
  void Value(const std::string& pointer, int depth) {
    Skip();
    if (p >= s.size()) return;
    if (depth < 64) out.emplace(pointer, line);
    if (s[p] == '{') {
      ++p;
      for (;;) {
        Skip();
        if (p >= s.size() || s[p] == '}') break;
        if (s[p] == ',') {
          ++p;
          continue;
        }
        std::string key = String();
        Skip();
        ++p;  // ':'
        Value(pointer + "/" + Escape(key), depth + 1);
      }
      ++p;
    } else if (s[p] == '[') {
      ++p;
      int index = 0;
      for (;;) {
        Skip();
        if (p >= s.size() || s[p] == ']') break;
        if (s[p] == ',') {
          ++p;
          continue;
        }
        Value(pointer + "/" + std::to_string(index++), depth + 1);
      }
      ++p;
    } else if (s[p] == '"') {
      String();
    } else {
      while (p < s.size() && s[p] != ',' && s[p] != '}' && s[p] != ']' && s[p] != ' ' &&
             s[p] != '\n' && s[p] != '\r' && s[p] != '\t')
        ++p;
    }
  }
};

}  // namespace

JsonLineIndex::JsonLineIndex(std::string_view text) {
  Scanner scanner{text, 0, 1, lines_};
  if (text.substr(0, 3) == "\xEF\xBB\xBF") scanner.p = 3;
  scanner.Value("", 0);
}

int JsonLineIndex::LineOf(std::string_view pointer) const {
  std::string p(pointer);
  for (;;) {
    auto it = lines_.find(p);
    if (it != lines_.end()) return it->second;
    const std::size_t slash = p.rfind('/');
    if (slash == std::string::npos) return 1;
    p.resize(slash);
  }
}

}  // namespace fhirengine::mapping
