// FHIRPath's System.Decimal: an exact decimal held as a 128-bit scaled integer
// (unscaled * 10^-scale), so 1.50 keeps its scale and 0.1 + 0.2 = 0.3 exactly.
// Up to 38 significant digits; operations that would need more round half-up,
// and operations whose integer part cannot be held return std::nullopt
// (FHIRPath: an arithmetic overflow gives an empty result).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fhirengine::fhirpath {

__extension__ typedef __int128 Int128;  // GCC/Clang; __extension__ keeps -Wpedantic quiet

class Decimal {
 public:
  // Largest scale kept (digits after the point).
  static constexpr int kMaxScale = 38;
  // Digits after the point that division produces at most (results are then
  // trimmed of trailing zeros: 1 / 2 = 0.5).
  static constexpr int kDivisionScale = 28;

  Decimal() = default;
  static Decimal FromInt(std::int64_t v) { return Decimal(v, 0); }
  // `unscaled` * 10^-`scale`. REQUIRES: 0 <= scale <= kMaxScale.
  static Decimal FromParts(Int128 unscaled, int scale) { return Decimal(unscaled, scale); }

  // Parses [+-]digits[.digits][(e|E)[+-]digits] (JSON numbers and FHIRPath
  // literals). Too many digits round half-up; returns nullopt on bad syntax or
  // when the integer part does not fit.
  static std::optional<Decimal> Parse(std::string_view text);
  // A binary floating value rounded to 15 significant digits (results of
  // sqrt/ln/exp/power), or nullopt for NaN/infinity.
  static std::optional<Decimal> FromLongDouble(long double v);

  Int128 unscaled() const { return unscaled_; }
  int scale() const { return scale_; }
  bool IsZero() const { return unscaled_ == 0; }
  bool IsNegative() const { return unscaled_ < 0; }
  // Whether the value has no fractional part (1.0 is integral).
  bool IsIntegral() const;
  // The integer value when integral and within int64, else nullopt.
  std::optional<std::int64_t> ToInt64() const;
  long double ToLongDouble() const;

  // Canonical text keeping the scale: "1.50", "-0.001", "12".
  std::string ToString() const;

  // Exact arithmetic; nullopt on overflow (and division by zero).
  static std::optional<Decimal> Add(const Decimal& a, const Decimal& b);
  static std::optional<Decimal> Subtract(const Decimal& a, const Decimal& b);
  static std::optional<Decimal> Multiply(const Decimal& a, const Decimal& b);
  static std::optional<Decimal> Divide(const Decimal& a, const Decimal& b);
  // Truncated division (FHIRPath `div`) and its remainder (`mod`).
  static std::optional<Decimal> DivideTruncated(const Decimal& a, const Decimal& b);
  static std::optional<Decimal> Modulo(const Decimal& a, const Decimal& b);

  // -1, 0 or 1 by numeric value (1.10 equals 1.1).
  static int Compare(const Decimal& a, const Decimal& b);

  Decimal Negated() const { return Decimal(-unscaled_, scale_); }
  Decimal Abs() const { return unscaled_ < 0 ? Negated() : *this; }
  // Rounds half away from zero to `digits` after the point (digits >= 0).
  Decimal RoundedTo(int digits) const;
  // Drops digits beyond `digits` after the point (toward zero).
  Decimal TruncatedTo(int digits) const;
  Decimal Floor() const;
  Decimal Ceiling() const;
  // The same value with at least `digits` after the point (adds zeros), or
  // nullopt when that does not fit.
  std::optional<Decimal> WithScale(int digits) const;
  // Removes trailing fractional zeros (2.500 -> 2.5, 3.0 -> 3).
  Decimal Trimmed() const;

 private:
  Decimal(Int128 unscaled, int scale) : unscaled_(unscaled), scale_(scale) {}
  Int128 unscaled_ = 0;
  int scale_ = 0;
};

// 10^n for 0 <= n <= 38.
Int128 Pow10(int n);
// Decimal text of a 128-bit integer.
std::string Int128ToString(Int128 v);

}  // namespace fhirengine::fhirpath
