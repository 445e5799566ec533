// The ndjson-file adapter (see ndjson_file_adapter.h).
//
// Cursor (JSON): {"done": ["a.ndjson", ...], "file": "b.ndjson", "line": 120}
// "done" lists the files read to the end; "file"/"line" the file in progress
// and the lines of it already delivered. A crash between batches resumes
// after the last committed batch; a re-delivered line is idempotent anyway.
#include "adapters/ndjson_file/ndjson_file_adapter.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <vector>

namespace fhirengine::adapters::ndjson_file {
namespace {

constexpr const char* kSchema = R"({
  "type": "object",
  "additionalProperties": false,
  "required": ["folder"],
  "properties": {
    "folder": {"type": "string", "minLength": 1,
               "description": "the folder holding the *.ndjson files, relative to the config file"},
    "max-records-per-batch": {"type": "integer", "minimum": 1, "maximum": 10000,
                              "description": "lines per delivered batch, from 1 to 10000"}
  }
})";

struct Cursor {
  std::set<std::string> done;
  std::string file;
  std::size_t line = 0;
};

Cursor ParseCursor(const std::string& text) {
  Cursor c;
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  if (doc.HasParseError() || !doc.IsObject()) return c;
  auto done = doc.FindMember("done");
  if (done != doc.MemberEnd() && done->value.IsArray()) {
    for (const auto& f : done->value.GetArray()) {
      if (f.IsString()) c.done.insert(f.GetString());
    }
  }
  auto file = doc.FindMember("file");
  if (file != doc.MemberEnd() && file->value.IsString()) c.file = file->value.GetString();
  auto line = doc.FindMember("line");
  if (line != doc.MemberEnd() && line->value.IsUint64()) {
    c.line = static_cast<std::size_t>(line->value.GetUint64());
  }
  return c;
}

std::string WriteCursor(const Cursor& c) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("done");
  w.StartArray();
  for (const std::string& f : c.done) w.String(f.c_str());
  w.EndArray();
  w.Key("file");
  w.String(c.file.c_str());
  w.Key("line");
  w.Uint64(c.line);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

PollOutcome NdjsonFileAdapter::Poll(AdapterContext& ctx) {
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(settings_.folder, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".ndjson") {
      files.push_back(entry.path().filename().string());
    }
  }
  if (ec) {
    return {
        Status(StatusCode::kIoError, settings_.folder.string() + ": " + ec.message()), {}, false};
  }
  std::sort(files.begin(), files.end());
  Cursor cursor = ParseCursor(ctx.committed_cursor());
  for (const std::string& name : files) {
    if (cursor.done.contains(name)) continue;
    if (cancelled_ || ctx.stopping()) return {};
    std::ifstream in(settings_.folder / name, std::ios::binary);
    if (!in) return {Status(StatusCode::kIoError, name + ": cannot open"), {}, false};
    const std::size_t skip = cursor.file == name ? cursor.line : 0;
    SourceBatch batch;
    std::size_t line_number = 0;
    std::string line;
    auto deliver = [&](bool file_done) -> Status {
      Cursor next = cursor;
      if (file_done) {
        next.done.insert(name);
        next.file.clear();
        next.line = 0;
      } else {
        next.file = name;
        next.line = line_number;
      }
      batch.cursor = WriteCursor(next);
      Result<DeliveryReport> report = ctx.Deliver(std::move(batch));
      batch = SourceBatch();
      if (!report.ok()) return report.status();
      cursor = std::move(next);
      return Status::Ok();
    };
    while (std::getline(in, line)) {
      ++line_number;
      if (line_number <= skip) continue;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty()) continue;
      const std::string locator = name + ":" + std::to_string(line_number);
      if (line.size() > kMaxLineBytes) {
        batch.rejected.push_back({locator,
                                  "the line exceeds " + std::to_string(kMaxLineBytes) + " bytes",
                                  line.substr(0, 1024)});
      } else {
        SourceRecord record;
        record.format = RecordFormat::kFhirResource;
        record.payload = std::move(line);
        record.key = locator;
        record.locator = locator;
        batch.records.push_back(std::move(record));
      }
      if (batch.records.size() + batch.rejected.size() >= settings_.max_records_per_batch) {
        if (Status s = deliver(false); !s.ok()) return {s, {}, false};
        if (cancelled_ || ctx.stopping()) return {};
      }
    }
    if (in.bad()) return {Status(StatusCode::kIoError, name + ": read failed"), {}, false};
    if (Status s = deliver(true); !s.ok()) return {s, {}, false};
  }
  return {};
}

AdapterType Type() {
  AdapterType type;
  type.name = "ndjson-file";
  type.settings_schema = kSchema;
  type.create = [](const AdapterConfig& config) -> Result<std::unique_ptr<Adapter>> {
    Settings settings;
    const json::Value* folder = config.settings->Find("folder");
    if (folder == nullptr || !folder->IsString()) {
      return InvalidArgument("settings.folder: expected the path of a folder");
    }
    settings.folder = std::filesystem::path(std::string(folder->text()));
    if (settings.folder.is_relative() && !config.config_dir.empty()) {
      settings.folder = std::filesystem::path(config.config_dir) / settings.folder;
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(settings.folder, ec)) {
      return InvalidArgument("settings.folder: " + settings.folder.string() + " is not a folder");
    }
    if (const json::Value* max = config.settings->Find("max-records-per-batch");
        max != nullptr && max->IsNumber()) {
      settings.max_records_per_batch = std::stoul(std::string(max->text()));
    }
    return std::unique_ptr<Adapter>(new NdjsonFileAdapter(std::move(settings)));
  };
  return type;
}

}  // namespace fhirengine::adapters::ndjson_file
