// The hand-written primitive checks, and their agreement with the official
// regexes that the derived type model carries.
#include "engine/fhir/primitive_types.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

namespace fhirengine::fhir {
namespace {

struct Case {
  Primitive type;
  const char* name;
  std::vector<const char*> valid;
  std::vector<const char*> invalid;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      {Primitive::kBoolean, "boolean", {"true", "false"}, {"True", "1", "yes"}},
      {Primitive::kInteger,
       "integer",
       {"0", "-1", "2147483647", "-2147483648"},
       {"01", "2147483648", "-2147483649", "1.0", "+1", "1e3"}},
      {Primitive::kPositiveInt,
       "positiveInt",
       {"1", "7", "2147483647"},
       {"0", "-1", "+7", "2147483648"}},
      {Primitive::kUnsignedInt, "unsignedInt", {"0", "42"}, {"-1", "00", "+1"}},
      {Primitive::kDecimal,
       "decimal",
       {"0", "-1.50", "1e3", "1.0E-10", "0.000"},
       {"01.5", "1.", ".5", "+1", "1e", "--1"}},
      {Primitive::kDate,
       "date",
       {"2024", "2024-02", "2024-02-29", "0001-01-01"},
       {"2023-02-29", "2024-13-01", "2024-00", "24-01-01", "2024-1-1", "0000", "2024-02-30"}},
      {Primitive::kDateTime,
       "dateTime",
       {"2024", "2024-06", "2024-06-01", "2024-06-01T10:20:30Z", "2024-06-01T10:20:30.123+02:00",
        "2016-12-31T23:59:60Z"},
       {"2024-06-01T10:20:30", "2024-06-01T10:20Z", "2024-06T10:20:30Z", "2024-06-01T24:00:00Z",
        "2024-06-01T10:20:30+15:00", "2024-06-01 10:20:30Z"}},
      {Primitive::kInstant,
       "instant",
       {"2024-06-01T10:20:30Z", "2024-06-01T10:20:30.5-05:00"},
       {"2024-06-01", "2024-06-01T10:20:30"}},
      {Primitive::kTime, "time", {"00:00:00", "23:59:59.999"}, {"24:00:00", "1:00:00", "10:00"}},
      {Primitive::kId,
       "id",
       {"a", "A-1.b", "0123456789012345678901234567890123456789012345678901234567890123"},
       {"a b", "a_b", "01234567890123456789012345678901234567890123456789012345678901234"}},
      {Primitive::kCode, "code", {"U", "in-progress", "a b"}, {" a", "a ", "a  b"}},
      {Primitive::kOid,
       "oid",
       {"urn:oid:1.2.752.29.4.19", "urn:oid:2.16.840.1.113883"},
       {"1.2.3", "urn:oid:3.1", "urn:oid:1.02", "urn:oid:1"}},
      {Primitive::kUuid,
       "uuid",
       {"urn:uuid:c757873d-ec9a-4326-a141-556f43239520"},
       {"urn:uuid:C757873D-EC9A-4326-A141-556F43239520", "c757873d-ec9a-4326-a141-556f43239520",
        "urn:uuid:c757873d"}},
      {Primitive::kUri, "uri", {"http://x.org/a", "urn:x", "#ref"}, {"a b"}},
      {Primitive::kBase64Binary,
       "base64Binary",
       {"QUJD", "QUI=", "QQ==", "QUJD QUJD", "QUJD\nQQ=="},
       {"QUJ", "Q=JD", "QUJD===", "QU*D", "QU JD"}},
      {Primitive::kString, "string", {"x", " x ", "line\nnext"}, {"   ", "a\x01"}},
  };
  return kCases;
}

TEST(PrimitiveTypes, AcceptsValidAndRejectsInvalidForms) {
  for (const Case& c : Cases()) {
    for (const char* v : c.valid) {
      EXPECT_EQ(CheckPrimitive(c.type, v), "") << c.name << " '" << v << "'";
    }
    for (const char* v : c.invalid) {
      EXPECT_NE(CheckPrimitive(c.type, v), "") << c.name << " '" << v << "' should be invalid";
    }
    EXPECT_NE(CheckPrimitive(c.type, ""), "") << c.name << ": empty values are never valid";
  }
}

TEST(PrimitiveTypes, ExplainsTheProblem) {
  EXPECT_EQ(CheckPrimitive(Primitive::kDate, "2024-13-01"), "expected a month 01-12");
  EXPECT_EQ(CheckPrimitive(Primitive::kDateTime, "2024-06-01T10:20:30"),
            "a time needs a time zone (Z or +hh:mm)");
  EXPECT_EQ(CheckPrimitive(Primitive::kId, std::string(65, 'a')), "longer than 64 characters");
}

// The official regexes (from the StructureDefinitions, carried in the type
// model) accept what the hand-written checks accept. Some R4 regexes are
// looser than the specification's prose, which the engine follows (a day of
// month beyond the month's length, the 32-bit range of integers), so only the
// valid forms are checked against them.
TEST(PrimitiveTypes, ValidFormsMatchTheOfficialRegexes) {
  const TypeModel& model = TypeModel::R4();
  for (const Case& c : Cases()) {
    const TypeDef* type = model.Find(c.name);
    ASSERT_NE(type, nullptr) << c.name;
    ASSERT_EQ(type->primitive, c.type);
    ASSERT_FALSE(type->regex.empty()) << c.name;
    const std::regex re(type->regex, std::regex::ECMAScript);
    for (const char* v : c.valid) {
      EXPECT_TRUE(std::regex_match(v, re)) << c.name << " '" << v << "' vs " << type->regex;
    }
  }
}

TEST(PrimitiveTypes, JsonNumberGrammar) {
  EXPECT_TRUE(IsJsonNumber("-0.5e+10"));
  EXPECT_FALSE(IsJsonNumber("0x10"));
  EXPECT_FALSE(IsJsonNumber("-"));
  EXPECT_FALSE(IsJsonNumber(""));
}

}  // namespace
}  // namespace fhirengine::fhir
