// One poll of a drop folder, shared by the file adapters: reads each new or
// changed file once, in name order, through a format-specific reader, and
// delivers its records in batches whose cursor (a DropCursor) records how
// far it got, so a restart resumes after the last committed batch. Moves
// finished files to the archive folder once their last batch is stored.
#pragma once

#include <atomic>
#include <memory>
#include <string_view>

#include "adapters/api/adapter.h"
#include "adapters/drop_folder/drop_folder.h"

namespace fhirengine::adapters::drop_folder {

// Where a FileRecordReader puts what it reads.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Each returns the delivery's error (stop reading and return it), or OK.
  virtual Status Add(SourceRecord record) = 0;
  virtual Status Reject(RejectedRecord record) = 0;
};

// Turns one file into records: the format half of a file adapter.
class FileRecordReader {
 public:
  virtual ~FileRecordReader() = default;
  // Emits every record of `content` to `sink`, always in the same order for
  // the same content (the cursor counts records to resume mid-file). A bad
  // record, or a file that cannot be read at all, is a Reject, never an
  // error. Returns the first non-OK Status of the sink. Called on the
  // polling thread only.
  virtual Status Read(std::string_view file_name, std::string_view content, RecordSink& sink) = 0;
};

// A drop-folder adapter: the folder's files, each read by `reader` (CSV,
// XML); csv-file and xml-file differ only in their reader. Thread-compatible:
// the engine calls Poll on one thread; Cancel from any.
class DropFolderPoller final : public Adapter {
 public:
  DropFolderPoller(DropFolderSettings settings, std::unique_ptr<FileRecordReader> reader);

  // One round (see Adapter::Poll). A bad committed cursor is logged and the
  // folder read afresh (re-delivery is harmless: upserts are idempotent).
  PollOutcome Poll(AdapterContext& ctx) override;
  void Cancel() override { cancelled_.store(true); }

 private:
  DropFolder folder_;
  std::unique_ptr<FileRecordReader> reader_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace fhirengine::adapters::drop_folder
