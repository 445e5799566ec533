// JSON parsing on RapidJSON's iterative in-situ SAX reader, building the
// arena document directly.
#include "engine/json/json_parser.h"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace fhirengine::json {
namespace {

constexpr unsigned kFlags = rapidjson::kParseInsituFlag | rapidjson::kParseValidateEncodingFlag |
                            rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

class Builder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Builder> {
 public:
  Builder(Document& doc, const ParseLimits& limits) : doc_(doc), limits_(limits) {
    stack_.reserve(256);
  }

  bool Null() { return Push(Value()); }
  bool Bool(bool b) { return Push(Value::Bool(b)); }
  bool RawNumber(const char* s, rapidjson::SizeType len, bool copy) {
    if (len > limits_.max_string_bytes) {
      error_ = StatusCode::kResourceExhausted;
      message_ = "number of " + std::to_string(len) + " characters exceeds the limit of " +
                 std::to_string(limits_.max_string_bytes);
      return false;
    }
    if (copy) {
      std::string_view interned = doc_.Intern({s, len});
      s = interned.data();
    }
    return Push(Document::NumberRef(s, len));
  }
  bool String(const char* s, rapidjson::SizeType len, bool copy) {
    if (len > limits_.max_string_bytes) {
      error_ = StatusCode::kResourceExhausted;
      message_ = "string of " + std::to_string(len) + " bytes exceeds the limit of " +
                 std::to_string(limits_.max_string_bytes);
      return false;
    }
    // RapidJSON 1.1 decodes an escaped lone low surrogate (\udc00) into the
    // bytes ED B0 80, which are not UTF-8; raw surrogates were already refused
    // by encoding validation, so any ED A0..BF here came from an escape.
    for (const char* p = static_cast<const char*>(std::memchr(s, '\xED', len)); p != nullptr;
         p = static_cast<const char*>(
             std::memchr(p + 1, '\xED', len - static_cast<std::size_t>(p + 1 - s)))) {
      if (p + 1 < s + len && static_cast<unsigned char>(p[1]) >= 0xA0) {
        error_ = StatusCode::kInvalidArgument;
        message_ = "a \\u escape gives a lone UTF-16 surrogate (not a character)";
        return false;
      }
    }
    if (copy) {
      std::string_view interned = doc_.Intern({s, len});
      s = interned.data();
    }
    return Push(Document::StringRef(s, len));
  }
  bool Key(const char* s, rapidjson::SizeType len, bool copy) { return String(s, len, copy); }
  bool StartObject() { return Enter(); }
  bool StartArray() { return Enter(); }

  bool EndObject(rapidjson::SizeType count) {
    --depth_;
    const std::size_t n = count;
    auto* members = static_cast<Member*>(doc_.Allocate(sizeof(Member) * n, alignof(Member)));
    Value* base = stack_.data() + (stack_.size() - 2 * n);
    for (std::size_t i = 0; i < n; ++i) {
      new (&members[i]) Member{base[2 * i].text(), base[2 * i + 1]};
    }
    stack_.resize(stack_.size() - 2 * n);
    if (!CheckUniqueKeys(members, n)) return false;
    stack_.push_back(Document::ObjectRef(members, count));
    return true;
  }

  bool EndArray(rapidjson::SizeType count) {
    --depth_;
    const std::size_t n = count;
    auto* elements = static_cast<Value*>(doc_.Allocate(sizeof(Value) * n, alignof(Value)));
    std::copy(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end(), elements);
    stack_.resize(stack_.size() - n);
    stack_.push_back(Document::ArrayRef(elements, count));
    return true;
  }

  Value TakeRoot() { return stack_.empty() ? Value() : stack_.back(); }
  StatusCode error() const { return error_; }
  const std::string& message() const { return message_; }

 private:
  bool Push(Value v) {
    stack_.push_back(v);
    return true;
  }
  bool Enter() {
    if (++depth_ > limits_.max_depth) {
      error_ = StatusCode::kResourceExhausted;
      message_ = "nesting deeper than the limit of " + std::to_string(limits_.max_depth);
      return false;
    }
    return true;
  }
  bool CheckUniqueKeys(const Member* members, std::size_t n) {
    if (n < 2) return true;
    if (n <= 12) {
      for (std::size_t i = 1; i < n; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
          if (members[i].key == members[j].key) return Duplicate(members[i].key);
        }
      }
      return true;
    }
    std::vector<std::string_view> keys;
    keys.reserve(n);
    for (std::size_t i = 0; i < n; ++i) keys.push_back(members[i].key);
    std::sort(keys.begin(), keys.end());
    auto dup = std::adjacent_find(keys.begin(), keys.end());
    return dup == keys.end() || Duplicate(*dup);
  }
  bool Duplicate(std::string_view key) {
    error_ = StatusCode::kInvalidArgument;
    message_ = "duplicate member name '" + std::string(key.substr(0, 100)) + "'";
    return false;
  }

  Document& doc_;
  const ParseLimits& limits_;
  std::vector<Value> stack_;
  std::size_t depth_ = 0;
  StatusCode error_ = StatusCode::kInvalidArgument;
  std::string message_;
};

std::string Where(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(offset - line_start + 1);
}

}  // namespace

Result<Document> Parse(std::string_view text, const ParseLimits& limits) {
  if (text.size() > limits.max_document_bytes) {
    return ResourceExhausted("JSON document of " + std::to_string(text.size()) +
                             " bytes exceeds the limit of " +
                             std::to_string(limits.max_document_bytes));
  }
  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) text.remove_prefix(3);

  Document doc;
  // In-situ parsing decodes strings in place; it works on a private copy so the
  // caller's text stays intact for error positions.
  auto buffer = std::make_unique<char[]>(text.size() + 1);
  std::memcpy(buffer.get(), text.data(), text.size());
  buffer[text.size()] = '\0';
  char* chars = buffer.get();
  doc.Adopt(std::move(buffer));

  Builder builder(doc, limits);
  rapidjson::GenericInsituStringStream<rapidjson::UTF8<>> stream(chars);
  rapidjson::Reader reader;
  rapidjson::ParseResult result = reader.Parse<kFlags>(stream, builder);
  if (!result) {
    std::string where = Where(text, result.Offset());
    if (result.Code() == rapidjson::kParseErrorTermination) {
      return Status(builder.error(), where + ": " + builder.message());
    }
    std::string message = rapidjson::GetParseError_En(result.Code());
    // A NUL inside the document stops RapidJSON's stream early.
    if (result.Offset() < text.size() && text[result.Offset()] == '\0') {
      message = "NUL character in JSON text";
      if (text.size() >= 2 && (text[0] == '\0' || text[1] == '\0')) {
        message += " (the text looks like UTF-16; FHIR JSON is UTF-8)";
      }
    }
    return InvalidArgument(where + ": " + message);
  }
  // The stream stops at NUL: text after an embedded NUL would go unread.
  if (stream.Tell() < text.size()) {
    return InvalidArgument(Where(text, stream.Tell()) + ": NUL character in JSON text");
  }
  doc.set_root(builder.TakeRoot());
  return doc;
}

}  // namespace fhirengine::json
