// The arena-backed JSON document model.
#include "engine/json/json_value.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace fhirengine::json {

struct Document::Arena {
  std::pmr::monotonic_buffer_resource resource{16 * 1024};
  std::vector<std::unique_ptr<char[]>> adopted;
  std::size_t bytes = 0;
};

Document::Document() : arena_(std::make_unique<Arena>()) {}
Document::Document(Document&&) noexcept = default;
Document& Document::operator=(Document&&) noexcept = default;
Document::~Document() = default;

void* Document::Allocate(std::size_t bytes, std::size_t align) {
  arena_->bytes += bytes;
  return arena_->resource.allocate(bytes == 0 ? 1 : bytes, align);
}

std::size_t Document::arena_bytes() const { return arena_->bytes; }

void Document::Adopt(std::unique_ptr<char[]> buffer) {
  arena_->adopted.push_back(std::move(buffer));
}

std::string_view Document::Intern(std::string_view key) {
  char* p = static_cast<char*>(Allocate(key.size(), 1));
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  return {p, key.size()};
}

Value Document::StringRef(const char* chars, std::uint32_t size) {
  Value v;
  v.kind_ = Kind::kString;
  v.size_ = size;
  v.u_.chars = chars;
  return v;
}

Value Document::NumberRef(const char* chars, std::uint32_t size) {
  Value v = StringRef(chars, size);
  v.kind_ = Kind::kNumber;
  return v;
}

Value Document::ArrayRef(Value* elements, std::uint32_t size) {
  Value v;
  v.kind_ = Kind::kArray;
  v.size_ = size;
  v.u_.elements = elements;
  return v;
}

Value Document::ObjectRef(Member* members, std::uint32_t size) {
  Value v;
  v.kind_ = Kind::kObject;
  v.size_ = size;
  v.u_.members = members;
  return v;
}

Value Document::MakeString(std::string_view s) {
  std::string_view copy = Intern(s);
  return StringRef(copy.data(), static_cast<std::uint32_t>(copy.size()));
}

Value Document::MakeNumber(std::string_view text) {
  std::string_view copy = Intern(text);
  return NumberRef(copy.data(), static_cast<std::uint32_t>(copy.size()));
}

Value Document::MakeArray(std::span<const Value> elements) {
  auto* p = static_cast<Value*>(Allocate(sizeof(Value) * elements.size(), alignof(Value)));
  std::uninitialized_copy(elements.begin(), elements.end(), p);
  return ArrayRef(p, static_cast<std::uint32_t>(elements.size()));
}

Value Document::MakeObject(std::span<const Member> members) {
  auto* p = static_cast<Member*>(Allocate(sizeof(Member) * members.size(), alignof(Member)));
  std::uninitialized_copy(members.begin(), members.end(), p);
  return ObjectRef(p, static_cast<std::uint32_t>(members.size()));
}

Value Document::Copy(const Value& v) {
  switch (v.kind()) {
    case Kind::kNull:
    case Kind::kTrue:
    case Kind::kFalse:
      return v;
    case Kind::kNumber:
      return MakeNumber(v.text());
    case Kind::kString:
      return MakeString(v.text());
    case Kind::kArray: {
      std::vector<Value> elements;
      elements.reserve(v.size());
      for (const Value& e : v.elements()) elements.push_back(Copy(e));
      return MakeArray(elements);
    }
    case Kind::kObject: {
      std::vector<Member> members;
      members.reserve(v.size());
      for (const Member& m : v.members()) members.push_back({Intern(m.key), Copy(m.value)});
      return MakeObject(members);
    }
  }
  return Value();
}

void Document::SetMember(Value& object, std::string_view key, Value value) {
  FE_CHECK(object.IsObject());
  if (Value* existing = object.Find(key)) {
    *existing = value;
    return;
  }
  std::vector<Member> members(object.members().begin(), object.members().end());
  members.push_back({Intern(key), value});
  object = MakeObject(members);
}

bool Document::RemoveMember(Value& object, std::string_view key) {
  FE_CHECK(object.IsObject());
  std::span<Member> members = object.members();
  auto it =
      std::find_if(members.begin(), members.end(), [&](const Member& m) { return m.key == key; });
  if (it == members.end()) return false;
  std::move(it + 1, members.end(), it);
  object.size_ -= 1;
  return true;
}

const Value* Value::Find(std::string_view key) const {
  for (const Member& m : members()) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

Value* Value::Find(std::string_view key) {
  for (Member& m : members()) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kTrue:
    case Kind::kFalse:
      return "a boolean";
    case Kind::kNumber:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kArray:
      return "an array";
    case Kind::kObject:
      return "an object";
  }
  return "a value";
}

bool Equal(const Value& a, const Value& b,
           bool (*numbers_equal)(std::string_view, std::string_view)) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kNull:
    case Kind::kTrue:
    case Kind::kFalse:
      return true;
    case Kind::kNumber:
      return a.text() == b.text() ||
             (numbers_equal != nullptr && numbers_equal(a.text(), b.text()));
    case Kind::kString:
      return a.text() == b.text();
    case Kind::kArray: {
      if (a.size() != b.size()) return false;
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!Equal(a.elements()[i], b.elements()[i], numbers_equal)) return false;
      }
      return true;
    }
    case Kind::kObject: {
      if (a.size() != b.size()) return false;
      for (const Member& m : a.members()) {
        const Value* other = b.Find(m.key);
        if (other == nullptr || !Equal(m.value, *other, numbers_equal)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace fhirengine::json
