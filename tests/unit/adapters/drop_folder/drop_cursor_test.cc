// The drop-folder cursor: JSON round trip, bounded by the folder's files,
// and refusal of text it did not write.
#include "adapters/drop_folder/drop_cursor.h"

#include <gtest/gtest.h>

#include "adapters/drop_folder/drop_folder.h"
#include "adapters/drop_folder/source_time.h"
#include "adapters/drop_folder/text_encoding.h"

namespace fhirengine::adapters::drop_folder {
namespace {

TEST(DropCursor, RoundTripsEntriesInNameOrder) {
  DropCursor cursor;
  cursor.Put({"b.csv", 10, 123456789, "ab", 7, false});
  cursor.Put({"a \"x\".csv", 20, -5, "", 0, true});
  Result<DropCursor> back = DropCursor::Parse(cursor.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->files().size(), 2u);
  EXPECT_EQ(back->files()[0].name, "a \"x\".csv");
  EXPECT_TRUE(back->files()[0].done);
  EXPECT_EQ(back->files()[0].mtime_ns, -5);
  const DropFileEntry* b = back->Find("b.csv");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->size, 10u);
  EXPECT_EQ(b->sha256, "ab");
  EXPECT_EQ(b->records, 7u);
  EXPECT_FALSE(b->done);
  EXPECT_EQ(back->ToJson(), cursor.ToJson());
}

TEST(DropCursor, RetainKeepsOnlyPresentFiles) {
  DropCursor cursor;
  cursor.Put({"gone.csv", 1, 1, "x", 1, true});
  cursor.Put({"here.csv", 1, 1, "y", 1, true});
  EXPECT_TRUE(cursor.Retain({"here.csv", "new.csv"}));
  ASSERT_EQ(cursor.files().size(), 1u);
  EXPECT_EQ(cursor.files()[0].name, "here.csv");
  EXPECT_FALSE(cursor.Retain({"here.csv"}));
}

TEST(DropCursor, EmptyTextIsEmptyCursorAndForeignTextIsRefused) {
  Result<DropCursor> empty = DropCursor::Parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->files().empty());
  EXPECT_FALSE(DropCursor::Parse("{\"watermark\":\"2026-01-01\"}").ok());
  EXPECT_FALSE(DropCursor::Parse("{\"version\":1,\"files\":[{\"name\":\"a\"}]}").ok());
  EXPECT_FALSE(DropCursor::Parse("not json").ok());
}

TEST(DropFolder, Sha256MatchesKnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(TextEncoding, ValidatesUtf8AndConvertsLatin1) {
  EXPECT_TRUE(IsValidUtf8("plats \xc3\xa5\xc3\xa4\xc3\xb6"));
  EXPECT_EQ(FindInvalidUtf8("ab\xe5"), 2u);
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_EQ(Latin1ToUtf8("\xe5\xe4\xf6 \xc5\xc4\xd6"),
            "\xc3\xa5\xc3\xa4\xc3\xb6 \xc3\x85\xc3\x84\xc3\x96");
}

TEST(SourceTimeFormat, ParsesPatternsAtAnOffsetInstantsAndEpochs) {
  Result<SourceTimeFormat> local = SourceTimeFormat::Make("%Y-%m-%d %H:%M", "+01:00");
  ASSERT_TRUE(local.ok());
  Result<std::int64_t> ms = local->Parse("2026-11-23 08:15");
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  EXPECT_EQ(*ms, 1795418100000);  // 2026-11-23T07:15:00Z
  EXPECT_FALSE(local->Parse("2026-11-23").ok());
  EXPECT_FALSE(local->Parse("2026-02-30 08:15").ok());
  Result<SourceTimeFormat> instant = SourceTimeFormat::Make("instant", "Z");
  ASSERT_TRUE(instant.ok());
  EXPECT_EQ(*instant->Parse("2026-11-23T07:15:00Z"), 1795418100000);
  Result<SourceTimeFormat> seconds = SourceTimeFormat::Make("epoch-seconds", "Z");
  EXPECT_EQ(*seconds->Parse("1795418100"), 1795418100000);
  EXPECT_FALSE(seconds->Parse("17638x").ok());
  EXPECT_FALSE(SourceTimeFormat::Make("%H:%M", "Z").ok());
  EXPECT_FALSE(SourceTimeFormat::Make("%Y-%m-%d %Q", "Z").ok());
  EXPECT_FALSE(SourceTimeFormat::Make("%Y-%m-%d", "CET").ok());
}

}  // namespace
}  // namespace fhirengine::adapters::drop_folder
