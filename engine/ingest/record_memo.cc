// The committed-content memo of the delivery pipeline (see record_memo.h).
#include "engine/ingest/record_memo.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <string_view>

#include "engine/core/check.h"

namespace fhirengine::ingest {
namespace {

// Feeds one length-prefixed part, so that ("ab","c") and ("a","bc") differ.
void Part(EVP_MD_CTX* ctx, std::string_view part) {
  const std::uint64_t size = part.size();
  FE_CHECK(EVP_DigestUpdate(ctx, &size, sizeof size) == 1);
  FE_CHECK(EVP_DigestUpdate(ctx, part.data(), part.size()) == 1);
}

}  // namespace

std::optional<RecordMemo::Fingerprint> RecordMemo::Of(const adapters::SourceRecord& record) {
  if (record.key.empty() || record.format == adapters::RecordFormat::kFhirDelete) {
    return std::nullopt;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  FE_CHECK(ctx != nullptr);
  FE_CHECK(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1);
  const char format = static_cast<char>(record.format);
  Part(ctx.get(), std::string_view(&format, 1));
  Part(ctx.get(), record.payload);
  Part(ctx.get(), std::to_string(record.columns.size()));
  for (const std::string& c : record.columns) Part(ctx.get(), c);
  Part(ctx.get(), std::to_string(record.fields.size()));
  for (const std::string& f : record.fields) Part(ctx.get(), f);
  Part(ctx.get(), record.resource_type);
  Part(ctx.get(), record.resource_id);
  Part(ctx.get(), record.source_time_ms ? std::to_string(*record.source_time_ms) : "-");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  FE_CHECK(EVP_DigestFinal_ex(ctx.get(), digest, &length) == 1);
  Fingerprint out;
  FE_CHECK(length >= out.size());
  std::copy_n(digest, out.size(), out.begin());
  return out;
}

bool RecordMemo::Unchanged(const std::string& key, const Fingerprint& fingerprint) const {
  std::lock_guard lock(mutex_);
  auto it = by_key_.find(key);
  return it != by_key_.end() && it->second == fingerprint;
}

void RecordMemo::Committed(const std::vector<std::pair<std::string, Fingerprint>>& stored,
                           const std::vector<std::string>& deleted) {
  std::lock_guard lock(mutex_);
  for (const std::string& key : deleted) by_key_.erase(key);
  for (const auto& [key, fingerprint] : stored) {
    if (by_key_.size() >= max_entries_ && by_key_.find(key) == by_key_.end()) by_key_.clear();
    by_key_[key] = fingerprint;
  }
}

std::size_t RecordMemo::size() const {
  std::lock_guard lock(mutex_);
  return by_key_.size();
}

}  // namespace fhirengine::ingest
