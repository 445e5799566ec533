// Listing, reading, hashing and archiving in a drop folder (see
// drop_folder.h).
#include "adapters/drop_folder/drop_folder.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "adapters/drop_folder/text_encoding.h"

namespace fhirengine::adapters::drop_folder {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kMaxBatchSize = 100000;

bool IsTemporaryName(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.back() == '~') return true;
  for (std::string_view suffix : {".tmp", ".part", ".partial", ".swp", ".crdownload"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) return true;
  }
  return false;
}

std::int64_t MtimeNs(fs::file_time_type t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

fs::path Resolve(const std::string& path, const std::string& config_dir) {
  fs::path p(path);
  if (p.is_relative() && !config_dir.empty()) p = fs::path(config_dir) / p;
  return p.lexically_normal();
}

Status CheckFolder(std::string_view key, const fs::path& path, int access_mode) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    return SettingError(key, "folder '" + path.string() + "' does not exist");
  }
  if (!fs::is_directory(st)) return SettingError(key, "'" + path.string() + "' is not a folder");
  if (::access(path.c_str(), access_mode) != 0) {
    return SettingError(key, "folder '" + path.string() + "' is not " +
                                 ((access_mode & W_OK) != 0 ? "writable" : "readable"));
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string_view>& DropFolderSettingKeys() {
  static const std::vector<std::string_view> kKeys = {"directory",         "pattern",
                                                      "settle-seconds",    "max-file-bytes",
                                                      "archive-directory", "batch-size"};
  return kKeys;
}

std::string_view DropFolderSchemaProperties() {
  return R"("directory": {"type": "string", "minLength": 1,
      "description": "The drop folder; relative to the config file's folder."},
    "pattern": {"type": "string", "minLength": 1, "description": "Glob on file names, e.g. *.csv."},
    "settle-seconds": {"type": "number", "minimum": 0, "maximum": 86400,
      "description": "A file is read once unmodified for this long (default 5)."},
    "max-file-bytes": {"type": "integer", "minimum": 1, "maximum": 4294967296,
      "description": "Larger files are quarantined unread."},
    "archive-directory": {"type": "string", "minLength": 1,
      "description": "Finished files move here after their last batch is stored."},
    "batch-size": {"type": "integer", "minimum": 1, "maximum": 100000,
      "description": "Records per delivered batch (default 1000)."})";
}

Result<DropFolderSettings> ParseDropFolderSettings(const SettingsReader& settings,
                                                   const std::string& config_dir,
                                                   std::uint64_t default_max_file_bytes) {
  DropFolderSettings out;
  Result<std::string> directory = settings.RequiredString("directory");
  if (!directory.ok()) return directory.status();
  out.directory = Resolve(*directory, config_dir);
  FE_RETURN_IF_ERROR(CheckFolder("directory", out.directory, R_OK | X_OK));

  Result<std::string> pattern = settings.String("pattern", "*");
  if (!pattern.ok()) return pattern.status();
  out.pattern = std::move(pattern).value();

  Result<double> settle = settings.Seconds("settle-seconds", 5, 86400);
  if (!settle.ok()) return settle.status();
  out.settle_seconds = *settle;

  Result<std::uint64_t> max_bytes =
      settings.Integer("max-file-bytes", default_max_file_bytes, 1, std::uint64_t{1} << 32);
  if (!max_bytes.ok()) return max_bytes.status();
  out.max_file_bytes = *max_bytes;

  Result<std::uint64_t> batch = settings.Integer("batch-size", 1000, 1, kMaxBatchSize);
  if (!batch.ok()) return batch.status();
  out.batch_size = static_cast<std::size_t>(*batch);

  Result<std::optional<std::string>> archive = settings.OptionalString("archive-directory");
  if (!archive.ok()) return archive.status();
  if (archive->has_value()) {
    fs::path path = Resolve(**archive, config_dir);
    FE_RETURN_IF_ERROR(CheckFolder("archive-directory", path, W_OK | X_OK));
    std::error_code ec;
    if (fs::equivalent(path, out.directory, ec)) {
      return SettingError("archive-directory", "must not be the drop folder itself");
    }
    out.archive_directory = std::move(path);
  }
  return out;
}

std::string Sha256Hex(std::string_view content) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  FE_CHECK(EVP_Digest(content.data(), content.size(), digest.data(), &length, EVP_sha256(),
                      nullptr) == 1);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0x0F];
  }
  return hex;
}

Result<std::vector<DropFile>> DropFolder::List() const {
  std::vector<DropFile> files;
  std::error_code ec;
  fs::directory_iterator it(settings_.directory, ec);
  if (ec) {
    return IoError("cannot list folder '" + settings_.directory.string() + "': " + ec.message());
  }
  const auto now = fs::file_time_type::clock::now();
  const auto settle = std::chrono::duration_cast<fs::file_time_type::duration>(
      std::chrono::duration<double>(settings_.settle_seconds));
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (IsTemporaryName(name) || !IsValidUtf8(name)) continue;
    if (::fnmatch(settings_.pattern.c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec) || it->is_symlink(entry_ec)) continue;
    const std::uintmax_t size = it->file_size(entry_ec);
    if (entry_ec) continue;
    const fs::file_time_type mtime = it->last_write_time(entry_ec);
    if (entry_ec) continue;
    files.push_back({name, size, MtimeNs(mtime), now - mtime >= settle});
  }
  if (ec) {
    return IoError("cannot list folder '" + settings_.directory.string() + "': " + ec.message());
  }
  std::sort(files.begin(), files.end(),
            [](const DropFile& a, const DropFile& b) { return a.name < b.name; });
  return files;
}

Result<std::string> DropFolder::Read(const DropFile& file) const {
  if (file.size > settings_.max_file_bytes) {
    return ResourceExhausted(
        "file of " + std::to_string(file.size) + " bytes is over the limit of " +
        std::to_string(settings_.max_file_bytes) + " bytes (settings max-file-bytes)");
  }
  const fs::path path = settings_.directory / file.name;
  // The name may have been swapped since List(): O_NOFOLLOW refuses a
  // symbolic link (which could point anywhere), O_NONBLOCK keeps a FIFO from
  // blocking the open, and fstat checks what was actually opened.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    return IoError("cannot open '" + path.string() + "': " + std::strerror(errno));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return IoError("'" + path.string() + "' is no longer a regular file");
  }
  std::string content;
  content.resize(static_cast<std::size_t>(file.size));
  std::size_t got = 0;
  bool at_end = false;
  while (true) {
    if (got == content.size()) {
      // One byte more tells a file that grew since it was listed.
      char extra = 0;
      const ssize_t n = ::read(fd, &extra, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("cannot read '" + path.string() + "': " + std::strerror(errno));
      at_end = n == 0;
      break;
    }
    const ssize_t n = ::read(fd, content.data() + got, content.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read '" + path.string() + "': " + std::strerror(errno));
    if (n == 0) break;  // shrank
    got += static_cast<std::size_t>(n);
  }
  // A file that grew or shrank since it was listed is still being written.
  if (got != content.size() || !at_end) {
    return Status(StatusCode::kUnavailable, "'" + file.name + "' changed while being read");
  }
  std::error_code ec;
  const fs::file_time_type mtime = fs::last_write_time(path, ec);
  struct stat now {};
  if (ec || MtimeNs(mtime) != file.mtime_ns || ::lstat(path.c_str(), &now) != 0 ||
      now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
    return Status(StatusCode::kUnavailable, "'" + file.name + "' changed while being read");
  }
  return content;
}

Status DropFolder::Archive(std::string_view name) const {
  if (!settings_.archive_directory) return Status::Ok();
  const fs::path from = settings_.directory / name;
  fs::path to = *settings_.archive_directory / name;
  std::error_code ec;
  for (int n = 1; fs::exists(to, ec) && n < 10000; ++n) {
    to = *settings_.archive_directory / (std::string(name) + "." + std::to_string(n));
  }
  fs::rename(from, to, ec);
  if (ec == std::errc::cross_device_link) {
    ec.clear();
    fs::copy_file(from, to, ec);
    if (!ec) fs::remove(from, ec);
  }
  if (ec) {
    return IoError("cannot move '" + from.string() + "' to '" + to.string() + "': " + ec.message());
  }
  return Status::Ok();
}

}  // namespace fhirengine::adapters::drop_folder
