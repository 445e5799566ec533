// Exact decimal arithmetic on 128-bit scaled integers (see decimal.h).
#include "engine/fhirpath/decimal.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace fhirengine::fhirpath {
namespace {

constexpr int kMaxDigits = 38;

constexpr std::array<Int128, 39> MakePowers() {
  std::array<Int128, 39> p{};
  p[0] = 1;
  for (std::size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}
constexpr std::array<Int128, 39> kPowers = MakePowers();

// 10^38: every unscaled magnitude stays below it.
const Int128 kLimit = kPowers[kMaxDigits];

Int128 AbsValue(Int128 v) { return v < 0 ? -v : v; }

// v / 10^n rounded half away from zero.
Int128 RoundDivPow10(Int128 v, int n) {
  if (n <= 0) return v;
  if (n > kMaxDigits) return 0;
  const Int128 p = kPowers[static_cast<std::size_t>(n)];
  Int128 q = v / p;
  const Int128 r = AbsValue(v % p);
  if (r * 2 >= p) q += v < 0 ? -1 : 1;
  return q;
}

// `d` expressed at scale `s` (exact when s >= scale, rounded otherwise);
// false when the result would reach 10^38.
bool Fit(const Decimal& d, int s, Int128* out) {
  if (s >= d.scale()) {
    const int up = s - d.scale();
    if (up > kMaxDigits) return d.IsZero() ? (*out = 0, true) : false;
    Int128 r;
    if (__builtin_mul_overflow(d.unscaled(), kPowers[static_cast<std::size_t>(up)], &r))
      return false;
    if (AbsValue(r) >= kLimit) return false;
    *out = r;
    return true;
  }
  *out = RoundDivPow10(d.unscaled(), d.scale() - s);
  return AbsValue(*out) < kLimit;
}

// Builds a decimal from a digit string (no sign, no point) and a scale that
// may be out of range, rounding or failing as needed.
std::optional<Decimal> FromDigits(std::string digits, long scale, bool negative) {
  std::size_t first = digits.find_first_not_of('0');
  digits = first == std::string::npos ? "0" : digits.substr(first);
  // Too many digits, or a scale beyond kMaxScale: drop low digits (rounding).
  long drop = 0;
  if (digits.size() > static_cast<std::size_t>(kMaxDigits)) {
    drop = static_cast<long>(digits.size()) - kMaxDigits;
  }
  if (scale - drop > Decimal::kMaxScale) drop = scale - Decimal::kMaxScale;
  bool round_up = false;
  if (drop > 0) {
    if (static_cast<std::size_t>(drop) >= digits.size()) {
      round_up = static_cast<std::size_t>(drop) == digits.size() && digits[0] >= '5';
      digits = "0";
    } else {
      const std::size_t keep = digits.size() - static_cast<std::size_t>(drop);
      round_up = digits[keep] >= '5';
      digits.resize(keep);
    }
    scale -= drop;
  }
  Int128 v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  if (round_up) v += 1;
  if (v >= kLimit) {  // 99..9 rounded up to 10^38
    v = RoundDivPow10(v, 1);
    scale -= 1;
  }
  if (scale < 0) {
    if (-scale > kMaxDigits) return v == 0 ? std::optional<Decimal>(Decimal()) : std::nullopt;
    Int128 r;
    if (__builtin_mul_overflow(v, kPowers[static_cast<std::size_t>(-scale)], &r) || r >= kLimit) {
      return std::nullopt;
    }
    v = r;
    scale = 0;
  }
  return Decimal::FromParts(negative ? -v : v, static_cast<int>(scale));
}

}  // namespace

Int128 Pow10(int n) { return kPowers[static_cast<std::size_t>(std::clamp(n, 0, kMaxDigits))]; }

std::string Int128ToString(Int128 v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  std::string out;
  while (v != 0) {
    const int digit = static_cast<int>(v % 10);
    out.push_back(static_cast<char>('0' + (digit < 0 ? -digit : digit)));
    v /= 10;
  }
  if (negative) out.push_back('-');
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<Decimal> Decimal::Parse(std::string_view text) {
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  std::string digits;
  long scale = 0;
  std::size_t int_digits = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    digits.push_back(text[i++]);
    ++int_digits;
  }
  if (int_digits == 0) return std::nullopt;
  if (i < text.size() && text[i] == '.') {
    ++i;
    std::size_t frac = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      digits.push_back(text[i++]);
      ++frac;
    }
    if (frac == 0) return std::nullopt;
    scale = static_cast<long>(frac);
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) exp_negative = text[i++] == '-';
    long exponent = 0;
    std::size_t exp_digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (exponent < 100000) exponent = exponent * 10 + (text[i] - '0');
      ++i;
      ++exp_digits;
    }
    if (exp_digits == 0) return std::nullopt;
    scale += exp_negative ? exponent : -exponent;
  }
  if (i != text.size()) return std::nullopt;
  return FromDigits(std::move(digits), scale, negative);
}

std::optional<Decimal> Decimal::FromLongDouble(long double v) {
  if (!std::isfinite(v)) return std::nullopt;
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.15Lg", v);
  return Parse(buffer);
}

bool Decimal::IsIntegral() const {
  return scale_ == 0 || unscaled_ % kPowers[static_cast<std::size_t>(scale_)] == 0;
}

std::optional<std::int64_t> Decimal::ToInt64() const {
  if (!IsIntegral()) return std::nullopt;
  const Int128 v = unscaled_ / kPowers[static_cast<std::size_t>(scale_)];
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

long double Decimal::ToLongDouble() const {
  return static_cast<long double>(unscaled_) /
         static_cast<long double>(kPowers[static_cast<std::size_t>(scale_)]);
}

std::string Decimal::ToString() const {
  std::string digits = Int128ToString(AbsValue(unscaled_));
  if (scale_ > 0) {
    const std::size_t s = static_cast<std::size_t>(scale_);
    if (digits.size() <= s) digits.insert(0, s + 1 - digits.size(), '0');
    digits.insert(digits.size() - s, 1, '.');
  }
  if (unscaled_ < 0) digits.insert(0, 1, '-');
  return digits;
}

std::optional<Decimal> Decimal::Add(const Decimal& a, const Decimal& b) {
  for (int s = std::max(a.scale_, b.scale_); s >= 0; --s) {
    Int128 x, y;
    if (!Fit(a, s, &x) || !Fit(b, s, &y)) continue;
    const Int128 sum = x + y;  // both below 10^38: no int128 overflow
    if (AbsValue(sum) < kLimit) return Decimal(sum, s);
  }
  return std::nullopt;
}

std::optional<Decimal> Decimal::Subtract(const Decimal& a, const Decimal& b) {
  return Add(a, b.Negated());
}

std::optional<Decimal> Decimal::Multiply(const Decimal& a, const Decimal& b) {
  Decimal x = a;
  Decimal y = b;
  for (;;) {
    Int128 p;
    if (!__builtin_mul_overflow(x.unscaled_, y.unscaled_, &p) && AbsValue(p) < kLimit) {
      Decimal r(p, x.scale_ + y.scale_);
      if (r.scale_ > kMaxScale) r = r.RoundedTo(kMaxScale);
      return r;
    }
    // Give up a digit of the operand that carries more fractional digits.
    Decimal& finer = x.scale_ >= y.scale_ ? x : y;
    if (finer.scale_ == 0) return std::nullopt;
    finer = finer.RoundedTo(finer.scale_ - 1);
  }
}

std::optional<Decimal> Decimal::Divide(const Decimal& a, const Decimal& b) {
  if (b.IsZero()) return std::nullopt;
  Int128 num = AbsValue(a.unscaled_);
  Int128 den = AbsValue(b.unscaled_);
  int sa = a.scale_;
  int sb = b.scale_;
  // Keep den below 10^36 so remainder * 10 cannot overflow.
  while (den >= kPowers[36]) {
    den = RoundDivPow10(den, 1);
    sb -= 1;
  }
  if (den == 0) return std::nullopt;
  Int128 q = num / den;
  Int128 r = num % den;
  int frac = 0;
  while (r != 0 && frac + sa - sb < kDivisionScale && q < kPowers[36]) {
    r *= 10;
    q = q * 10 + r / den;
    r %= den;
    ++frac;
  }
  if (r != 0 && (r * 10) / den >= 5) q += 1;
  int scale = frac + sa - sb;
  if (scale < 0) {
    Int128 m;
    if (-scale > kMaxDigits ||
        __builtin_mul_overflow(q, kPowers[static_cast<std::size_t>(-scale)], &m) || m >= kLimit) {
      return std::nullopt;
    }
    q = m;
    scale = 0;
  }
  if (q >= kLimit) return std::nullopt;
  Decimal result(((a.unscaled_ < 0) != (b.unscaled_ < 0)) ? -q : q, scale);
  if (result.scale_ > kMaxScale) result = result.RoundedTo(kMaxScale);
  return result.Trimmed();
}

std::optional<Decimal> Decimal::DivideTruncated(const Decimal& a, const Decimal& b) {
  if (b.IsZero()) return std::nullopt;
  const int s = std::max(a.scale_, b.scale_);
  Int128 x, y;
  if (Fit(a, s, &x) && Fit(b, s, &y) && y != 0) return Decimal(x / y, 0);
  std::optional<Decimal> q = Divide(a, b);
  if (!q) return std::nullopt;
  return q->TruncatedTo(0);
}

std::optional<Decimal> Decimal::Modulo(const Decimal& a, const Decimal& b) {
  if (b.IsZero()) return std::nullopt;
  const int s = std::max(a.scale_, b.scale_);
  Int128 x, y;
  if (Fit(a, s, &x) && Fit(b, s, &y) && y != 0) return Decimal(x % y, s);
  std::optional<Decimal> q = DivideTruncated(a, b);
  if (!q) return std::nullopt;
  std::optional<Decimal> p = Multiply(*q, b);
  if (!p) return std::nullopt;
  return Subtract(a, *p);
}

int Decimal::Compare(const Decimal& a, const Decimal& b) {
  const int sign_a = a.unscaled_ < 0 ? -1 : (a.unscaled_ > 0 ? 1 : 0);
  const int sign_b = b.unscaled_ < 0 ? -1 : (b.unscaled_ > 0 ? 1 : 0);
  if (sign_a != sign_b) return sign_a < sign_b ? -1 : 1;
  if (sign_a == 0) return 0;
  const int s = std::max(a.scale_, b.scale_);
  Int128 x = a.unscaled_;
  Int128 y = b.unscaled_;
  // Scaling up the coarser operand can only overflow when its magnitude is
  // the larger one.
  if (a.scale_ < s &&
      __builtin_mul_overflow(x, kPowers[static_cast<std::size_t>(s - a.scale_)], &x)) {
    return sign_a;
  }
  if (b.scale_ < s &&
      __builtin_mul_overflow(y, kPowers[static_cast<std::size_t>(s - b.scale_)], &y)) {
    return -sign_a;
  }
  return x < y ? -1 : (x > y ? 1 : 0);
}

Decimal Decimal::RoundedTo(int digits) const {
  digits = std::max(digits, 0);
  if (digits >= scale_) return *this;
  return Decimal(RoundDivPow10(unscaled_, scale_ - digits), digits);
}

Decimal Decimal::TruncatedTo(int digits) const {
  digits = std::max(digits, 0);
  if (digits >= scale_) return *this;
  return Decimal(unscaled_ / kPowers[static_cast<std::size_t>(scale_ - digits)], digits);
}

Decimal Decimal::Floor() const {
  if (scale_ == 0) return *this;
  const Int128 p = kPowers[static_cast<std::size_t>(scale_)];
  Int128 q = unscaled_ / p;
  if (unscaled_ < 0 && unscaled_ % p != 0) q -= 1;
  return Decimal(q, 0);
}

Decimal Decimal::Ceiling() const {
  if (scale_ == 0) return *this;
  const Int128 p = kPowers[static_cast<std::size_t>(scale_)];
  Int128 q = unscaled_ / p;
  if (unscaled_ > 0 && unscaled_ % p != 0) q += 1;
  return Decimal(q, 0);
}

std::optional<Decimal> Decimal::WithScale(int digits) const {
  if (digits <= scale_) return *this;
  if (digits > kMaxScale) return std::nullopt;
  Int128 v;
  if (!Fit(*this, digits, &v)) return std::nullopt;
  return Decimal(v, digits);
}

Decimal Decimal::Trimmed() const {
  Decimal d = *this;
  while (d.scale_ > 0 && d.unscaled_ % 10 == 0) {
    d.unscaled_ /= 10;
    d.scale_ -= 1;
  }
  return d;
}

}  // namespace fhirengine::fhirpath
