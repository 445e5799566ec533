// Splits FHIRPath expression text into tokens (N1 grammar lexical rules:
// identifiers, `delimited identifiers`, 'strings' with escapes, numbers,
// @date/time literals, operators, // and /* */ comments).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/status.h"

namespace fhirengine::fhirpath::internal {

enum class TokenKind : std::uint8_t {
  kEnd,
  kIdentifier,           // name, keyword-looking words included (and, is, true...)
  kDelimitedIdentifier,  // `name` (never a keyword); text is unescaped
  kString,               // 'text'; text is unescaped
  kNumber,               // 12, 3.14
  kTemporal,             // text after '@': "2015-02-04T14:34", "T14:30"
  kDollar,               // $this, $index, $total: text is the name after '$'
  kPunct,                // . [ ] ( ) { } , + - * / & | = ~ != !~ < <= > >= %
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  std::uint32_t offset = 0;  // byte offset in the expression
};

// Tokenizes `text` (ending with a kEnd token). Errors are kInvalidArgument
// with the position ("column 7: unterminated string").
Result<std::vector<Token>> Tokenize(std::string_view text);

// "column 7" or, for multi-line expressions, "line 2, column 3" (1-based,
// counted in characters).
std::string DescribePosition(std::string_view text, std::uint32_t offset);

}  // namespace fhirengine::fhirpath::internal
