// A drop folder's cursor: which files were read (by name, size, modification
// time and SHA-256 of their content) and how far into a file the last
// committed batch got. JSON text, opaque to the engine:
//   {"version":1,"files":[{"name":"beds.csv","size":812,"mtime-ns":1763884800000000000,
//     "sha256":"9f86...","records":1000,"done":false}]}
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace fhirengine::adapters::drop_folder {

struct DropFileEntry {
  std::string name;           // file name inside the folder (no directory)
  std::uint64_t size = 0;     // bytes
  std::int64_t mtime_ns = 0;  // last modification, file clock, nanoseconds
  std::string sha256;         // lower-case hex of the content; "" when not read (oversized)
  std::uint64_t records = 0;  // records (delivered or rejected) handled so far
  bool done = false;          // every record of this content is committed
};

// Value type; not thread-safe.
class DropCursor {
 public:
  // An empty text is the empty cursor. kInvalidArgument when the text is not
  // a cursor this code wrote.
  static Result<DropCursor> Parse(std::string_view text);
  std::string ToJson() const;

  // nullptr when no entry has that name.
  const DropFileEntry* Find(std::string_view name) const;
  // Replaces (or adds) the entry with entry.name, keeping name order.
  void Put(DropFileEntry entry);
  // Drops entries whose file is no longer in the folder, so the cursor stays
  // as small as the folder; true when something was dropped.
  bool Retain(const std::set<std::string, std::less<>>& present);

  const std::vector<DropFileEntry>& files() const { return files_; }

 private:
  std::vector<DropFileEntry> files_;  // sorted by name, unique
};

}  // namespace fhirengine::adapters::drop_folder
