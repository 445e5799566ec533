// The reference walk over the JSON tree.
#include "engine/rest/bundle_references.h"

namespace fhirengine::rest {
namespace {

// Recursion is bounded by the parser's depth limit (ParseLimits::max_depth).
Status Walk(json::Document& doc, json::Value& value, const ReferenceResolver& resolve) {
  if (value.IsArray()) {
    for (json::Value& element : value.elements()) {
      FE_RETURN_IF_ERROR(Walk(doc, element, resolve));
    }
    return Status::Ok();
  }
  if (!value.IsObject()) return Status::Ok();
  for (json::Member& member : value.members()) {
    if (member.key == "reference" && member.value.IsString()) {
      Result<std::optional<std::string>> replacement = resolve(member.value.text());
      if (!replacement.ok()) return replacement.status();
      // Members keep their place: only the value handle changes.
      if (replacement->has_value()) member.value = doc.MakeString(**replacement);
      continue;
    }
    FE_RETURN_IF_ERROR(Walk(doc, member.value, resolve));
  }
  return Status::Ok();
}

}  // namespace

Status RewriteReferences(json::Document& doc, json::Value& resource,
                         const ReferenceResolver& resolve) {
  return Walk(doc, resource, resolve);
}

bool IsLocalUrn(std::string_view url) {
  return (url.starts_with("urn:uuid:") && url.size() > 9) ||
         (url.starts_with("urn:oid:") && url.size() > 8);
}

bool IsConditionalReference(std::string_view reference) {
  const std::size_t q = reference.find('?');
  if (q == std::string_view::npos || q == 0) return false;
  const char first = reference[0];
  if (first < 'A' || first > 'Z') return false;
  for (char c : reference.substr(0, q)) {
    const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    if (!letter) return false;
  }
  return true;
}

}  // namespace fhirengine::rest
