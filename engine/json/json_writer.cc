// JSON output through RapidJSON's writers (which escape strings correctly and
// emit numbers as raw text).
#include "engine/json/json_writer.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/writer.h>

namespace fhirengine::json {
namespace {

// Appends into a std::string; satisfies RapidJSON's output stream concept.
class StringSink {
 public:
  using Ch = char;
  explicit StringSink(std::string& out) : out_(out) {}
  void Put(char c) { out_.push_back(c); }
  void Flush() {}

 private:
  std::string& out_;
};

template <typename Writer>
void Emit(const Value& v, Writer& w) {
  switch (v.kind()) {
    case Kind::kNull:
      w.Null();
      return;
    case Kind::kTrue:
      w.Bool(true);
      return;
    case Kind::kFalse:
      w.Bool(false);
      return;
    case Kind::kNumber: {
      std::string_view t = v.text();
      w.RawValue(t.data(), t.size(), rapidjson::kNumberType);
      return;
    }
    case Kind::kString: {
      std::string_view t = v.text();
      w.String(t.data(), static_cast<rapidjson::SizeType>(t.size()));
      return;
    }
    case Kind::kArray:
      w.StartArray();
      for (const Value& e : v.elements()) Emit(e, w);
      w.EndArray();
      return;
    case Kind::kObject:
      w.StartObject();
      for (const Member& m : v.members()) {
        w.Key(m.key.data(), static_cast<rapidjson::SizeType>(m.key.size()));
        Emit(m.value, w);
      }
      w.EndObject();
      return;
  }
}

}  // namespace

void WriteTo(const Value& value, std::string& out, const WriteOptions& options) {
  StringSink sink(out);
  if (options.pretty) {
    rapidjson::PrettyWriter<StringSink> writer(sink);
    writer.SetIndent(' ', 2);
    Emit(value, writer);
  } else {
    rapidjson::Writer<StringSink> writer(sink);
    Emit(value, writer);
  }
}

std::string Write(const Value& value, const WriteOptions& options) {
  std::string out;
  WriteTo(value, out, options);
  return out;
}

}  // namespace fhirengine::json
