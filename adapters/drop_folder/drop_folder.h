// A drop folder: the one directory a file adapter reads. Lists the files
// ready to read (name order, pattern matched, dotfiles and temp files
// skipped, settled), reads one whole file under a size cap, hashes content
// (SHA-256, OpenSSL EVP) and moves finished files to an archive folder.
// Never follows symbolic links and never looks outside the folder.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/drop_folder/settings_reader.h"
#include "engine/core/status.h"

namespace fhirengine::adapters::drop_folder {

struct DropFolderSettings {
  std::filesystem::path directory;  // "directory"
  std::string pattern = "*";        // "pattern": a glob (fnmatch) on the file name
  // "settle-seconds": a file is read only once its last modification is at
  // least this old (writers still appending keep touching it).
  double settle_seconds = 5;
  // "max-file-bytes": larger files are quarantined, never read.
  std::uint64_t max_file_bytes = 256ull << 20;
  // "archive-directory": where finished files are moved once their last batch
  // is acknowledged; nullopt leaves them in place.
  std::optional<std::filesystem::path> archive_directory;
  // "batch-size": records (delivered or rejected) per delivered batch.
  std::size_t batch_size = 1000;
};

// The settings keys ParseDropFolderSettings reads (for CheckKnownKeys).
const std::vector<std::string_view>& DropFolderSettingKeys();

// The JSON Schema properties of those keys, as the text of a JSON object's
// members (no braces), for an adapter's settings schema.
std::string_view DropFolderSchemaProperties();

// Reads the drop-folder keys and checks what a schema cannot: the directory
// exists and is a readable folder, the archive directory (when given) is a
// writable folder other than the drop folder. Relative paths resolve against
// `config_dir`. kInvalidArgument naming the settings key.
Result<DropFolderSettings> ParseDropFolderSettings(const SettingsReader& settings,
                                                   const std::string& config_dir,
                                                   std::uint64_t default_max_file_bytes);

struct DropFile {
  std::string name;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // file clock, nanoseconds since its epoch
  bool settled = false;       // modified at least settle-seconds ago
};

// Lower-case hex SHA-256 of `content`.
std::string Sha256Hex(std::string_view content);

// Thread-compatible: one poll at a time.
class DropFolder {
 public:
  explicit DropFolder(DropFolderSettings settings) : settings_(std::move(settings)) {}

  const DropFolderSettings& settings() const { return settings_; }

  // Regular files matching the pattern, in byte order of their names.
  // Skipped: dotfiles, names ending in "~", ".tmp", ".part", ".partial",
  // ".swp", ".crdownload", names that are not UTF-8, symbolic links and
  // anything that is not a regular file. kIoError when the folder cannot be
  // listed.
  Result<std::vector<DropFile>> List() const;

  // The file's whole content. kResourceExhausted over max-file-bytes,
  // kIoError when it cannot be read or the name no longer is a regular file
  // (a symbolic link or FIFO swapped in since List() is never followed or
  // waited on), kUnavailable when it changed (size, modification time or
  // the file behind the name) while being read: still being written.
  Result<std::string> Read(const DropFile& file) const;

  // Moves `name` into the archive directory (a no-op without one); when the
  // archive already holds that name the moved file gets a ".<n>" suffix.
  // kIoError when the move fails.
  Status Archive(std::string_view name) const;

 private:
  DropFolderSettings settings_;
};

}  // namespace fhirengine::adapters::drop_folder
