// The drop-folder cursor as JSON text (see drop_cursor.h).
#include "adapters/drop_folder/drop_cursor.h"

#include <algorithm>
#include <charconv>

#include "engine/core/log.h"
#include "engine/json/json_parser.h"

namespace fhirengine::adapters::drop_folder {
namespace {

constexpr int kVersion = 1;

template <typename T>
bool ReadInteger(const json::Value& object, std::string_view key, T& out) {
  const json::Value* v = object.Find(key);
  if (v == nullptr || !v->IsNumber()) return false;
  std::string_view text = v->text();
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<DropCursor> DropCursor::Parse(std::string_view text) {
  DropCursor cursor;
  if (text.empty()) return cursor;
  Result<json::Document> doc = json::Parse(text);
  if (!doc.ok()) return InvalidArgument("drop-folder cursor: " + doc.status().message());
  const json::Value& root = doc->root();
  int version = 0;
  if (!root.IsObject() || !ReadInteger(root, "version", version) || version != kVersion) {
    return InvalidArgument("drop-folder cursor: not a version 1 cursor");
  }
  const json::Value* files = root.Find("files");
  if (files == nullptr || !files->IsArray()) {
    return InvalidArgument("drop-folder cursor: \"files\" must be an array");
  }
  for (const json::Value& f : files->elements()) {
    DropFileEntry entry;
    const json::Value* name = f.Find("name");
    const json::Value* sha = f.Find("sha256");
    const json::Value* done = f.Find("done");
    if (name == nullptr || !name->IsString() || name->text().empty() || sha == nullptr ||
        !sha->IsString() || done == nullptr || !done->IsBool() ||
        !ReadInteger(f, "size", entry.size) || !ReadInteger(f, "mtime-ns", entry.mtime_ns) ||
        !ReadInteger(f, "records", entry.records)) {
      return InvalidArgument("drop-folder cursor: malformed file entry");
    }
    entry.name = std::string(name->text());
    entry.sha256 = std::string(sha->text());
    entry.done = done->GetBool();
    cursor.Put(std::move(entry));
  }
  return cursor;
}

std::string DropCursor::ToJson() const {
  std::string out = "{\"version\":" + std::to_string(kVersion) + ",\"files\":[";
  for (std::size_t i = 0; i < files_.size(); ++i) {
    const DropFileEntry& f = files_[i];
    if (i > 0) out += ',';
    out += "{\"name\":";
    log::AppendJsonString(out, f.name);
    out += ",\"size\":" + std::to_string(f.size);
    out += ",\"mtime-ns\":" + std::to_string(f.mtime_ns);
    out += ",\"sha256\":";
    log::AppendJsonString(out, f.sha256);
    out += ",\"records\":" + std::to_string(f.records);
    out += f.done ? ",\"done\":true}" : ",\"done\":false}";
  }
  out += "]}";
  return out;
}

const DropFileEntry* DropCursor::Find(std::string_view name) const {
  auto it = std::lower_bound(files_.begin(), files_.end(), name,
                             [](const DropFileEntry& e, std::string_view n) { return e.name < n; });
  return it != files_.end() && it->name == name ? &*it : nullptr;
}

void DropCursor::Put(DropFileEntry entry) {
  auto it =
      std::lower_bound(files_.begin(), files_.end(), entry.name,
                       [](const DropFileEntry& e, const std::string& n) { return e.name < n; });
  if (it != files_.end() && it->name == entry.name) {
    *it = std::move(entry);
  } else {
    files_.insert(it, std::move(entry));
  }
}

bool DropCursor::Retain(const std::set<std::string, std::less<>>& present) {
  const std::size_t before = files_.size();
  std::erase_if(files_, [&](const DropFileEntry& e) { return !present.contains(e.name); });
  return files_.size() != before;
}

}  // namespace fhirengine::adapters::drop_folder
