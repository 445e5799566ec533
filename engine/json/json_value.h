// A compact JSON document model for FHIR resources: numbers keep their exact
// source text (FHIR decimals carry precision: 1.50 stays 1.50), object member
// order is kept, and all nodes and strings live in one arena per Document.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <span>
#include <string>
#include <string_view>

#include "engine/core/check.h"

namespace fhirengine::json {

enum class Kind : std::uint8_t { kNull, kFalse, kTrue, kNumber, kString, kArray, kObject };

// "null", "a boolean", "a number", "a string", "an array", "an object": for
// messages about what was found.
std::string_view KindName(Kind kind);

struct Member;

// One JSON value. Values are small handles (16 bytes) into their Document's
// arena; a Value is valid as long as the Document that made it.
// Thread safety: const access is safe from many threads; mutation is not.
class Value {
 public:
  Value() = default;  // null

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsBool() const { return kind_ == Kind::kTrue || kind_ == Kind::kFalse; }
  bool IsNumber() const { return kind_ == Kind::kNumber; }
  bool IsString() const { return kind_ == Kind::kString; }
  bool IsArray() const { return kind_ == Kind::kArray; }
  bool IsObject() const { return kind_ == Kind::kObject; }

  // REQUIRES: IsBool().
  bool GetBool() const {
    FE_CHECK(IsBool());
    return kind_ == Kind::kTrue;
  }
  // The string's text or the number's source text. REQUIRES: string or number.
  std::string_view text() const {
    FE_CHECK(kind_ == Kind::kString || kind_ == Kind::kNumber);
    return {u_.chars, size_};
  }

  // Elements of an array (empty span for other kinds).
  std::span<const Value> elements() const {
    return IsArray() ? std::span<const Value>(u_.elements, size_) : std::span<const Value>();
  }
  std::span<Value> elements() {
    return IsArray() ? std::span<Value>(u_.elements, size_) : std::span<Value>();
  }
  // Members of an object, in source order (empty span for other kinds).
  std::span<const Member> members() const;
  std::span<Member> members();

  // The member named `key`, or nullptr (also for non-objects). Linear: FHIR
  // objects are small.
  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);

  // Number of elements or members; 0 for scalars.
  std::size_t size() const { return (IsArray() || IsObject()) ? size_ : 0; }

  static Value Bool(bool b) {
    Value v;
    v.kind_ = b ? Kind::kTrue : Kind::kFalse;
    return v;
  }

 private:
  friend class Document;
  Kind kind_ = Kind::kNull;
  std::uint32_t size_ = 0;
  union U {
    const char* chars;
    Value* elements;
    Member* members;
  } u_{nullptr};
};

struct Member {
  std::string_view key;
  Value value;
};

inline std::span<const Member> Value::members() const {
  return IsObject() ? std::span<const Member>(u_.members, size_) : std::span<const Member>();
}
inline std::span<Member> Value::members() {
  return IsObject() ? std::span<Member>(u_.members, size_) : std::span<Member>();
}

// Owns the arena behind a tree of Values and its root. Move-only.
class Document {
 public:
  Document();
  Document(Document&&) noexcept;
  Document& operator=(Document&&) noexcept;
  ~Document();

  Value& root() { return root_; }
  const Value& root() const { return root_; }
  void set_root(Value v) { root_ = v; }

  // Factories: copy their input into this document's arena.
  Value MakeString(std::string_view s);
  // REQUIRES: `text` is a valid JSON number (the caller checked it).
  Value MakeNumber(std::string_view text);
  Value MakeArray(std::span<const Value> elements);
  Value MakeObject(std::span<const Member> members);
  // Copies `key` into the arena and returns a view of the copy.
  std::string_view Intern(std::string_view key);
  // A deep copy of `v` (which may live in another Document).
  Value Copy(const Value& v);

  // Sets or replaces `key` on object `object` (appends when new).
  // REQUIRES: object.IsObject().
  void SetMember(Value& object, std::string_view key, Value value);
  // Removes `key` from `object`; returns whether it was there.
  bool RemoveMember(Value& object, std::string_view key);

  // Bytes held by the arena (for limits and metrics).
  std::size_t arena_bytes() const;

  // Used by the parser: raw arena allocation.
  void* Allocate(std::size_t bytes, std::size_t align);
  // Builds a value that points at arena memory the caller already filled.
  static Value StringRef(const char* chars, std::uint32_t size);
  static Value NumberRef(const char* chars, std::uint32_t size);
  static Value ArrayRef(Value* elements, std::uint32_t size);
  static Value ObjectRef(Member* members, std::uint32_t size);
  // Keeps a buffer alive for as long as the document (parsed-in-place text).
  void Adopt(std::unique_ptr<char[]> buffer);

 private:
  struct Arena;
  std::unique_ptr<Arena> arena_;
  Value root_;
};

// Structural equality: same kinds, same texts, same array order, and objects
// with the same member set regardless of order. `numbers_equal`, when given,
// decides for two number texts that differ (JSON Patch compares numbers by
// value).
bool Equal(const Value& a, const Value& b,
           bool (*numbers_equal)(std::string_view, std::string_view) = nullptr);

}  // namespace fhirengine::json
