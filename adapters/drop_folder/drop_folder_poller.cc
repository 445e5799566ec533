// The poll loop behind the file adapters (see drop_folder_poller.h).
#include "adapters/drop_folder/drop_folder_poller.h"

#include <set>
#include <string>
#include <vector>

#include "adapters/drop_folder/drop_cursor.h"
#include "engine/core/log.h"

namespace fhirengine::adapters::drop_folder {
namespace {

// Collects records into batches and delivers a batch, with the cursor as it
// stands after its last record, whenever it is full and more is coming.
class BatchingSink : public RecordSink {
 public:
  BatchingSink(AdapterContext& ctx, const DropFolder& folder, DropCursor& cursor)
      : ctx_(ctx), folder_(folder), cursor_(cursor) {}

  // Starts a file whose first `skip` records are already committed.
  void BeginFile(DropFileEntry entry) {
    current_ = std::move(entry);
    skip_ = current_->records;
    seen_ = 0;
  }
  // Marks the current file done in the working cursor (delivered with the
  // next flush).
  void EndFile() {
    current_->done = true;
    cursor_.Put(*current_);
    to_archive_.push_back(current_->name);
    current_.reset();
    dirty_ = true;
  }
  // A file handled without reading it (oversized, or known content).
  void PutEntry(DropFileEntry entry, bool archive) {
    if (archive) to_archive_.push_back(entry.name);
    cursor_.Put(std::move(entry));
    dirty_ = true;
  }
  void RejectWhole(RejectedRecord record) {
    batch_.rejected.push_back(std::move(record));
    dirty_ = true;
  }
  void MarkDirty() { dirty_ = true; }

  Status Add(SourceRecord record) override {
    if (Skip()) return Status::Ok();
    FE_RETURN_IF_ERROR(MakeRoom());
    batch_.records.push_back(std::move(record));
    return Counted();
  }
  Status Reject(RejectedRecord record) override {
    if (Skip()) return Status::Ok();
    FE_RETURN_IF_ERROR(MakeRoom());
    batch_.rejected.push_back(std::move(record));
    return Counted();
  }

  // Delivers what is pending (also a cursor-only change); then archives the
  // files that batch finished.
  Status Flush() {
    if (batch_.records.empty() && batch_.rejected.empty() && !dirty_) return Status::Ok();
    if (current_) cursor_.Put(*current_);
    batch_.cursor = cursor_.ToJson();
    Result<DeliveryReport> report = ctx_.Deliver(std::move(batch_));
    batch_ = SourceBatch();
    if (!report.ok()) return report.status();
    dirty_ = false;
    for (const std::string& name : to_archive_) {
      Status archived = folder_.Archive(name);
      if (!archived.ok()) {
        log::Write(log::Level::kWarning, "drop folder: archive failed",
                   {{"adapter", ctx_.name()}, {"error", archived.message()}});
        if (archive_error_.ok()) archive_error_ = std::move(archived);
      }
    }
    to_archive_.clear();
    return Status::Ok();
  }

  const Status& archive_error() const { return archive_error_; }

 private:
  bool Skip() { return seen_++ < skip_; }
  Status MakeRoom() {
    if (batch_.records.size() + batch_.rejected.size() < folder_.settings().batch_size) {
      return Status::Ok();
    }
    return Flush();
  }
  Status Counted() {
    ++current_->records;
    dirty_ = true;
    return Status::Ok();
  }

  AdapterContext& ctx_;
  const DropFolder& folder_;
  DropCursor& cursor_;
  SourceBatch batch_;
  std::optional<DropFileEntry> current_;
  std::uint64_t skip_ = 0;
  std::uint64_t seen_ = 0;
  bool dirty_ = false;
  std::vector<std::string> to_archive_;
  Status archive_error_;
};

}  // namespace

DropFolderPoller::DropFolderPoller(DropFolderSettings settings,
                                   std::unique_ptr<FileRecordReader> reader)
    : folder_(std::move(settings)), reader_(std::move(reader)) {}

PollOutcome DropFolderPoller::Poll(AdapterContext& ctx) {
  PollOutcome outcome;
  outcome.received = false;  // until a new file is found
  Result<DropCursor> parsed = DropCursor::Parse(ctx.committed_cursor());
  DropCursor cursor;
  if (parsed.ok()) {
    cursor = std::move(parsed).value();
  } else {
    log::Write(log::Level::kWarning, "drop folder: committed cursor unreadable, reading afresh",
               {{"adapter", ctx.name()}, {"error", parsed.status().message()}});
  }
  Result<std::vector<DropFile>> listing = folder_.List();
  if (!listing.ok()) {
    outcome.status = listing.status();
    return outcome;
  }
  std::set<std::string, std::less<>> present;
  for (const DropFile& f : *listing) present.insert(f.name);

  BatchingSink sink(ctx, folder_, cursor);
  if (cursor.Retain(present)) sink.MarkDirty();
  Status read_error;
  for (const DropFile& file : *listing) {
    if (cancelled_.load() || ctx.stopping()) {
      outcome.more = true;
      break;
    }
    const DropFileEntry* entry = cursor.Find(file.name);
    if (entry != nullptr && entry->done && entry->size == file.size &&
        entry->mtime_ns == file.mtime_ns) {
      // Finished earlier; still here when the archive move failed or came
      // after a crash.
      if (folder_.settings().archive_directory) sink.PutEntry(*entry, /*archive=*/true);
      continue;
    }
    if (!file.settled) continue;
    outcome.received = true;  // a file not finished before: the source exported
    DropFileEntry next{file.name, file.size, file.mtime_ns, "", 0, false};
    if (file.size > folder_.settings().max_file_bytes) {
      sink.RejectWhole({file.name,
                        "file of " + std::to_string(file.size) + " bytes is over the limit of " +
                            std::to_string(folder_.settings().max_file_bytes) +
                            " bytes (settings max-file-bytes); not read",
                        ""});
      next.done = true;
      sink.PutEntry(std::move(next), /*archive=*/false);
      continue;
    }
    Result<std::string> content = folder_.Read(file);
    if (!content.ok()) {
      if (content.status().code() != StatusCode::kUnavailable && read_error.ok()) {
        read_error = content.status();
      }
      continue;
    }
    next.sha256 = Sha256Hex(*content);
    if (entry != nullptr && entry->sha256 == next.sha256) {
      if (entry->done) {
        // The same content delivered again (or only touched): not read again.
        next.records = entry->records;
        next.done = true;
        sink.PutEntry(std::move(next), /*archive=*/true);
        continue;
      }
      next.records = entry->records;  // resume after the committed records
    }
    sink.BeginFile(std::move(next));
    Status status = reader_->Read(file.name, *content, sink);
    if (!status.ok()) {
      outcome.status = status;
      return outcome;
    }
    sink.EndFile();
  }
  Status flushed = sink.Flush();
  if (!flushed.ok()) {
    outcome.status = flushed;
    return outcome;
  }
  if (!read_error.ok()) {
    outcome.status = read_error;
  } else if (!sink.archive_error().ok()) {
    outcome.status = sink.archive_error();
  }
  return outcome;
}

}  // namespace fhirengine::adapters::drop_folder
