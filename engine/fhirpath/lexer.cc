// FHIRPath tokenizer: one pass, no backtracking beyond a character of
// look-ahead, no recursion.
#include "engine/fhirpath/lexer.h"

namespace fhirengine::fhirpath::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

void AppendUtf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}

  Result<std::vector<Token>> Run() {
    std::vector<Token> tokens;
    for (;;) {
      Status skipped = SkipBlanksAndComments();
      if (!skipped.ok()) return skipped;
      Token t;
      t.offset = static_cast<std::uint32_t>(pos_);
      if (pos_ >= s_.size()) {
        tokens.push_back(std::move(t));
        return tokens;
      }
      const char c = s_[pos_];
      if (IsIdentStart(c)) {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && IsIdentChar(s_[pos_])) ++pos_;
        t.kind = TokenKind::kIdentifier;
        t.text = std::string(s_.substr(start, pos_ - start));
      } else if (IsDigit(c)) {
        const std::size_t start = pos_;
        while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
        if (pos_ + 1 < s_.size() && s_[pos_] == '.' && IsDigit(s_[pos_ + 1])) {
          ++pos_;
          while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
        }
        t.kind = TokenKind::kNumber;
        t.text = std::string(s_.substr(start, pos_ - start));
      } else if (c == '\'' || c == '`') {
        Result<std::string> body = Quoted(c);
        if (!body.ok()) return body.status();
        t.kind = c == '\'' ? TokenKind::kString : TokenKind::kDelimitedIdentifier;
        t.text = std::move(*body);
      } else if (c == '@') {
        ++pos_;
        const std::size_t start = pos_;
        ScanTemporal();
        if (pos_ == start)
          return Error(t.offset, "'@' must start a date, date-time or time literal");
        t.kind = TokenKind::kTemporal;
        t.text = std::string(s_.substr(start, pos_ - start));
      } else if (c == '$') {
        ++pos_;
        const std::size_t start = pos_;
        while (pos_ < s_.size() && IsIdentChar(s_[pos_])) ++pos_;
        t.kind = TokenKind::kDollar;
        t.text = std::string(s_.substr(start, pos_ - start));
        if (t.text != "this" && t.text != "index" && t.text != "total") {
          return Error(t.offset, "unknown special variable '$" + t.text +
                                     "' (FHIRPath has $this, $index and $total)");
        }
      } else {
        static constexpr std::string_view kTwo[] = {"!=", "!~", "<=", ">="};
        static constexpr std::string_view kOne = ".[](){},+-*/&|=~<>%";
        t.kind = TokenKind::kPunct;
        bool matched = false;
        for (std::string_view two : kTwo) {
          if (s_.substr(pos_, 2) == two) {
            t.text = std::string(two);
            pos_ += 2;
            matched = true;
            break;
          }
        }
        if (!matched) {
          if (kOne.find(c) == std::string_view::npos) {
            std::string shown =
                (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F)
                    ? "a non-ASCII or control character"
                    : "'" + std::string(1, c) + "'";
            return Error(t.offset, "unexpected " + shown);
          }
          t.text = std::string(1, c);
          ++pos_;
        }
      }
      tokens.push_back(std::move(t));
    }
  }

 private:
  Status Error(std::size_t offset, const std::string& message) const {
    return InvalidArgument(DescribePosition(s_, static_cast<std::uint32_t>(offset)) + ": " +
                           message);
  }

  Status SkipBlanksAndComments() {
    for (;;) {
      while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                  s_[pos_] == '\r' || s_[pos_] == '\f')) {
        ++pos_;
      }
      if (s_.substr(pos_, 2) == "//") {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
        continue;
      }
      if (s_.substr(pos_, 2) == "/*") {
        const std::size_t end = s_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) return Error(pos_, "unterminated /* comment");
        pos_ = end + 2;
        continue;
      }
      return Status::Ok();
    }
  }

  Result<std::string> Quoted(char quote) {
    const std::size_t start = pos_;
    ++pos_;
    std::string out;
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c == quote) {
        ++pos_;
        return out;
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= s_.size()) break;
      const char e = s_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '\'':
        case '"':
        case '`':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          Result<std::uint32_t> cp = Hex4();
          if (!cp.ok()) return cp.status();
          std::uint32_t code = *cp;
          if (code >= 0xD800 && code <= 0xDBFF && s_.substr(pos_, 2) == "\\u") {
            pos_ += 2;
            Result<std::uint32_t> low = Hex4();
            if (!low.ok()) return low.status();
            if (*low < 0xDC00 || *low > 0xDFFF) return Error(pos_, "unpaired UTF-16 surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
          } else if (code >= 0xD800 && code <= 0xDFFF) {
            return Error(pos_, "unpaired UTF-16 surrogate");
          }
          AppendUtf8(out, code);
          break;
        }
        default:
          // Not a FHIRPath escape: keep it as written, so that regular
          // expressions such as '\d+' work whether or not the backslash
          // was doubled.
          out.push_back('\\');
          out.push_back(e);
          break;
      }
    }
    return Error(start, quote == '\'' ? "unterminated string" : "unterminated `identifier`");
  }

  Result<std::uint32_t> Hex4() {
    if (pos_ + 4 > s_.size()) return Error(pos_, "\\u needs four hex digits");
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = s_[pos_++];
      v <<= 4;
      if (IsDigit(h)) {
        v |= static_cast<std::uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v |= static_cast<std::uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v |= static_cast<std::uint32_t>(h - 'A' + 10);
      } else {
        return Error(pos_ - 1, "\\u needs four hex digits");
      }
    }
    return v;
  }

  bool TakeDigits(int n) {
    for (int i = 0; i < n; ++i) {
      if (pos_ + static_cast<std::size_t>(i) >= s_.size() ||
          !IsDigit(s_[pos_ + static_cast<std::size_t>(i)])) {
        return false;
      }
    }
    pos_ += static_cast<std::size_t>(n);
    return true;
  }

  // `sep` followed by `n` digits, consumed only when both are there.
  bool TakeSeparated(char sep, int n) {
    if (pos_ >= s_.size() || s_[pos_] != sep) return false;
    const std::size_t save = pos_++;
    if (TakeDigits(n)) return true;
    pos_ = save;
    return false;
  }

  // hh[:mm[:ss[.fff]]]
  void ScanTime() {
    if (!TakeDigits(2)) return;
    if (!TakeSeparated(':', 2) || !TakeSeparated(':', 2)) return;
    if (pos_ + 1 < s_.size() && s_[pos_] == '.' && IsDigit(s_[pos_ + 1])) {
      ++pos_;
      while (pos_ < s_.size() && IsDigit(s_[pos_])) ++pos_;
    }
  }

  // The longest date/time literal at pos_ (validated later by the parser).
  void ScanTemporal() {
    if (pos_ < s_.size() && s_[pos_] == 'T') {
      ++pos_;
      ScanTime();
      return;
    }
    if (!TakeDigits(4)) return;
    if (TakeSeparated('-', 2)) TakeSeparated('-', 2);
    if (pos_ >= s_.size() || s_[pos_] != 'T') return;
    ++pos_;
    if (pos_ >= s_.size() || !IsDigit(s_[pos_])) return;
    ScanTime();
    if (pos_ < s_.size() && s_[pos_] == 'Z') {
      ++pos_;
    } else if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) {
      const std::size_t save = pos_++;
      if (!TakeDigits(2) || !TakeSeparated(':', 2)) pos_ = save;
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

}  // namespace

Result<std::vector<Token>> Tokenize(std::string_view text) { return Lexer(text).Run(); }

std::string DescribePosition(std::string_view text, std::uint32_t offset) {
  std::size_t line = 1;
  std::size_t line_start = 0;
  const std::size_t end = std::min<std::size_t>(offset, text.size());
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  // Columns count characters (UTF-8 continuation bytes do not start one).
  std::size_t column = 1;
  for (std::size_t i = line_start; i < end; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++column;
  }
  const bool multi_line = text.find('\n') != std::string_view::npos;
  if (!multi_line) return "column " + std::to_string(column);
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace fhirengine::fhirpath::internal
