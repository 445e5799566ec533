// Change detection before mapping: per adapter, a fingerprint of each
// record's content by its source key (SourceRecord::key) as of the last
// committed delivery. A record whose fingerprint is the remembered one is
// reported unchanged without being mapped, validated or written
// (docs/adapters.md, "Unchanged records"). In memory only: a restart starts
// empty, and the store's skip-if-unchanged keeps re-mapped records from
// making new versions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/api/adapter.h"

namespace fhirengine::ingest {

class RecordMemo {
 public:
  // Bound on the remembered keys per adapter (~100 bytes each). Past it the
  // memo is emptied and fills again: more mapping work, never a wrong skip.
  static constexpr std::size_t kDefaultMaxEntries = 500'000;

  // 128 bits of SHA-256 over everything the mapping reads of a record.
  using Fingerprint = std::array<std::uint8_t, 16>;

  explicit RecordMemo(std::size_t max_entries = kDefaultMaxEntries) : max_entries_(max_entries) {}

  // The record's fingerprint: its format, payload, columns, fields, resource
  // type and id and source time (not its locator, which only names where it
  // was read). None for a record without a key or for a delete: those are
  // always delivered.
  static std::optional<Fingerprint> Of(const adapters::SourceRecord& record);

  // Whether `key` was last committed with exactly this content.
  bool Unchanged(const std::string& key, const Fingerprint& fingerprint) const;

  // After a batch committed: remembers what its stored records were, in
  // order (a later record of the same key wins), and forgets deleted keys.
  void Committed(const std::vector<std::pair<std::string, Fingerprint>>& stored,
                 const std::vector<std::string>& deleted);

  std::size_t size() const;

 private:
  const std::size_t max_entries_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Fingerprint> by_key_;
};

}  // namespace fhirengine::ingest
