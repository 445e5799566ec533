// JSON Pointer and dotted paths (see record_path.h).
#include "adapters/json_rest/record_path.h"

#include <charconv>

namespace fhirengine::adapters::json_rest {

Result<RecordPath> RecordPath::Parse(std::string_view text) {
  RecordPath path;
  path.text_ = std::string(text);
  if (text.empty()) return path;
  if (text.front() == '/') {
    std::size_t pos = 1;
    while (true) {
      const std::size_t slash = text.find('/', pos);
      std::string_view raw =
          text.substr(pos, slash == std::string_view::npos ? slash : slash - pos);
      std::string segment;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '~') {
          segment += raw[i];
          continue;
        }
        if (i + 1 < raw.size() && raw[i + 1] == '0') {
          segment += '~';
        } else if (i + 1 < raw.size() && raw[i + 1] == '1') {
          segment += '/';
        } else {
          return InvalidArgument("JSON pointer '" + path.text_ + "': '~' must be ~0 or ~1");
        }
        ++i;
      }
      path.segments_.push_back(std::move(segment));
      if (slash == std::string_view::npos) break;
      pos = slash + 1;
    }
    return path;
  }
  std::size_t pos = 0;
  while (true) {
    const std::size_t dot = text.find('.', pos);
    std::string_view segment = text.substr(pos, dot == std::string_view::npos ? dot : dot - pos);
    if (segment.empty()) {
      return InvalidArgument("path '" + path.text_ + "' has an empty segment");
    }
    path.segments_.emplace_back(segment);
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  return path;
}

const json::Value* RecordPath::Find(const json::Value& root) const {
  const json::Value* v = &root;
  for (const std::string& segment : segments_) {
    if (v->IsObject()) {
      v = v->Find(segment);
    } else if (v->IsArray()) {
      std::size_t index = 0;
      auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
      if (ec != std::errc() || end != segment.data() + segment.size() ||
          index >= v->elements().size()) {
        return nullptr;
      }
      v = &v->elements()[index];
    } else {
      return nullptr;
    }
    if (v == nullptr) return nullptr;
  }
  return v;
}

}  // namespace fhirengine::adapters::json_rest
