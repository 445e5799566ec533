// FHIRPath's System.Quantity: an exact decimal value with a UCUM unit or a
// calendar-duration keyword (year, month, week, day, hour, minute, second,
// millisecond). Units are compared and converted through a UCUM subset:
// products, quotients and powers of the SI and common clinical atoms with
// metric prefixes ('mg', 'km/h', 'mmol/L', '[lb_av]', 'm2', 'g/(m.s)').
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/fhirpath/date_time.h"
#include "engine/fhirpath/decimal.h"

namespace fhirengine::fhirpath {

struct Quantity {
  Decimal value;
  std::string unit = "1";  // UCUM code, or a calendar keyword as written ("week", "days")

  // "4 'mg'", "1 week" (calendar keywords unquoted, as FHIRPath writes them).
  std::string ToString() const;
};

// The calendar keyword `unit` names (singular or plural), or nullopt.
std::optional<TimeUnit> CalendarUnit(std::string_view unit);
// The time unit a quantity's unit stands for in date/time arithmetic:
// calendar keywords and the definite UCUM durations 'wk', 'd', 'h', 'min',
// 's', 'ms'. 'mo' and 'a' are not calendar units (nullopt).
std::optional<TimeUnit> ArithmeticTimeUnit(std::string_view unit);

// A unit reduced to base dimensions: value_in_base = value * num / den. The
// factor is kept as a fraction so that '/min' and '/s' convert exactly.
struct UnitInfo {
  Decimal num = Decimal::FromInt(1);
  Decimal den = Decimal::FromInt(1);
  std::array<std::int8_t, 9> dims{};  // m g s rad K C cd mol, and arbitrary units
};

// Parses a UCUM unit expression of the supported subset; nullopt when unknown.
std::optional<UnitInfo> ParseUcum(std::string_view unit);

// Both values scaled to one common unit, ready to compare (exactly: the unit
// factors are cross-multiplied, never divided): nullopt when the units are
// not comparable (different dimensions, unknown units, or a calendar year or
// month against anything but years and months).
std::optional<std::pair<Decimal, Decimal>> CommonValues(const Quantity& a, const Quantity& b);

// `q` expressed in `unit` (FHIRPath toQuantity(unit)), or nullopt.
std::optional<Quantity> ConvertQuantity(const Quantity& q, std::string_view unit);

// Arithmetic: sums need comparable units (the result takes a's unit);
// products and quotients combine the units ('cm.m', 'g/m').
std::optional<Quantity> AddQuantities(const Quantity& a, const Quantity& b, bool subtract);
std::optional<Quantity> MultiplyQuantities(const Quantity& a, const Quantity& b);
std::optional<Quantity> DivideQuantities(const Quantity& a, const Quantity& b);

}  // namespace fhirengine::fhirpath
