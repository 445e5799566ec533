// Record timestamps: instants, epoch numbers and fixed patterns (see
// source_time.h).
#include "adapters/drop_folder/source_time.h"

#include <charconv>
#include <chrono>

#include "engine/core/time_format.h"

namespace fhirengine::adapters::drop_folder {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `width` digits at text[pos].
std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (!IsDigit(text[i])) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

Result<std::int64_t> ParseOffset(std::string_view offset) {
  if (offset == "Z" || offset.empty()) return std::int64_t{0};
  std::optional<int> hours = Digits(offset, 1, 2);
  std::optional<int> minutes = Digits(offset, 4, 2);
  if (offset.size() != 6 || (offset[0] != '+' && offset[0] != '-') || offset[3] != ':' || !hours ||
      !minutes || *hours > 14 || *minutes > 59) {
    return InvalidArgument("UTC offset '" + std::string(offset) +
                           "' is not of the form +hh:mm, -hh:mm or Z");
  }
  const std::int64_t ms = (std::int64_t{*hours} * 60 + *minutes) * 60'000;
  return offset[0] == '-' ? -ms : ms;
}

}  // namespace

Result<SourceTimeFormat> SourceTimeFormat::Make(std::string_view format,
                                                std::string_view utc_offset) {
  SourceTimeFormat f;
  f.format_ = std::string(format);
  if (format == "instant") {
    f.kind_ = Kind::kInstant;
  } else if (format == "epoch-seconds") {
    f.kind_ = Kind::kEpochSeconds;
  } else if (format == "epoch-millis") {
    f.kind_ = Kind::kEpochMillis;
  } else {
    f.kind_ = Kind::kPattern;
    bool year = false, month = false, day = false;
    for (std::size_t i = 0; i < format.size(); ++i) {
      if (format[i] != '%') continue;
      if (i + 1 == format.size()) return InvalidArgument("pattern ends with a lone '%'");
      switch (format[++i]) {
        case 'Y':
          year = true;
          break;
        case 'm':
          month = true;
          break;
        case 'd':
          day = true;
          break;
        case 'H':
        case 'M':
        case 'S':
        case '%':
          break;
        default:
          return InvalidArgument("pattern has unknown field '%" + std::string(1, format[i]) +
                                 "' (known: %Y %m %d %H %M %S %%)");
      }
    }
    if (!year || !month || !day) {
      return InvalidArgument(
          "format must be instant, epoch-seconds, epoch-millis or a pattern with %Y, %m and %d");
    }
  }
  Result<std::int64_t> offset = ParseOffset(utc_offset);
  if (!offset.ok()) return offset.status();
  f.offset_ms_ = *offset;
  return f;
}

Result<std::int64_t> SourceTimeFormat::Parse(std::string_view text) const {
  auto mismatch = [&] {
    return InvalidArgument("'" + std::string(text.substr(0, 64)) + "' does not match format '" +
                           format_ + "'");
  };
  switch (kind_) {
    case Kind::kInstant:
      return ParseInstant(text);
    case Kind::kEpochSeconds:
    case Kind::kEpochMillis: {
      std::int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size()) return mismatch();
      if (kind_ == Kind::kEpochMillis) return value;
      if (value > INT64_MAX / 1000 || value < INT64_MIN / 1000) return mismatch();
      return value * 1000;
    }
    case Kind::kPattern:
      break;
  }
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < format_.size(); ++i) {
    if (format_[i] != '%' || format_[i + 1] == '%') {
      if (format_[i] == '%') ++i;
      if (pos >= text.size() || text[pos] != format_[i]) return mismatch();
      ++pos;
      continue;
    }
    const char field = format_[++i];
    const std::size_t width = field == 'Y' ? 4 : 2;
    std::optional<int> value = Digits(text, pos, width);
    if (!value) return mismatch();
    pos += width;
    switch (field) {
      case 'Y':
        year = *value;
        break;
      case 'm':
        month = *value;
        break;
      case 'd':
        day = *value;
        break;
      case 'H':
        hour = *value;
        break;
      case 'M':
        minute = *value;
        break;
      default:
        second = *value;
        break;
    }
  }
  if (pos != text.size()) return mismatch();
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return mismatch();
  const std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  const std::int64_t ms =
      ((days * 24 + hour) * 60 + minute) * 60'000 + std::int64_t{second} * 1000 - offset_ms_;
  return ms;
}

Result<SourceTimeFormat> ReadSourceTimeFormat(const SettingsReader& reader) {
  Result<std::string> format = reader.String("timestamp-format", "instant");
  if (!format.ok()) return format.status();
  Result<std::string> offset = reader.String("timestamp-utc-offset", "Z");
  if (!offset.ok()) return offset.status();
  // The format alone first, so a bad format is not blamed on the offset.
  Result<SourceTimeFormat> time_format = SourceTimeFormat::Make(*format, "Z");
  if (!time_format.ok()) return SettingError("timestamp-format", time_format.status().message());
  time_format = SourceTimeFormat::Make(*format, *offset);
  if (!time_format.ok()) {
    return SettingError("timestamp-utc-offset", time_format.status().message());
  }
  return time_format;
}

}  // namespace fhirengine::adapters::drop_folder
