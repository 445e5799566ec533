// DropFolder::Read against a file swapped after it was listed: a symbolic
// link or a FIFO put in its place is never followed or opened for reading.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "adapters/drop_folder/drop_folder.h"
#include "tests/unit/adapters/drop_folder/recording_context.h"

namespace fhirengine::adapters::drop_folder {
namespace {

namespace fs = std::filesystem;
using testing::TempFolder;

DropFolderSettings SettingsFor(const fs::path& directory) {
  DropFolderSettings settings;
  settings.directory = directory;
  settings.settle_seconds = 0;
  return settings;
}

TEST(DropFolderRead, ReadsAListedFile) {
  TempFolder drop;
  drop.Write("beds.csv", "0123456789");
  DropFolder folder(SettingsFor(drop.path()));
  Result<std::vector<DropFile>> files = folder.List();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  Result<std::string> content = folder.Read(files->front());
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  EXPECT_EQ(*content, "0123456789");
}

TEST(DropFolderRead, NeverFollowsASymlinkSwappedInAfterListing) {
  TempFolder drop;
  TempFolder elsewhere;
  drop.Write("beds.csv", "0123456789");
  DropFolder folder(SettingsFor(drop.path()));
  Result<std::vector<DropFile>> files = folder.List();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  // A file outside the folder with the listed size and modification time,
  // linked in under the listed name.
  const fs::path secret = elsewhere.path() / "secret";
  elsewhere.Write("secret", "SECRET-ABC");
  fs::last_write_time(secret, fs::last_write_time(drop.path() / "beds.csv"));
  fs::remove(drop.path() / "beds.csv");
  fs::create_symlink(secret, drop.path() / "beds.csv");

  Result<std::string> content = folder.Read(files->front());
  EXPECT_FALSE(content.ok()) << "read through a symlink: " << *content;
}

TEST(DropFolderRead, DoesNotBlockOnAFifoSwappedInAfterListing) {
  TempFolder drop;
  drop.Write("beds.csv", "0123456789");
  DropFolder folder(SettingsFor(drop.path()));
  Result<std::vector<DropFile>> files = folder.List();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  fs::remove(drop.path() / "beds.csv");
  ASSERT_EQ(::mkfifo((drop.path() / "beds.csv").c_str(), 0600), 0);

  Result<std::string> content = folder.Read(files->front());  // an open() would wait for a writer
  EXPECT_FALSE(content.ok());
}

}  // namespace
}  // namespace fhirengine::adapters::drop_folder
