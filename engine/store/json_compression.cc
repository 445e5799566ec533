// JSON compression for the store: zlib raw DEFLATE (level 1: the writer
// thread compresses every version) with a fixed preset dictionary.
#include "engine/store/json_compression.h"

#include <zlib.h>

#include <cstdint>

namespace fhirengine::store {
namespace {

// Format bytes. A new dictionary needs a new byte: stored values never
// change, so every dictionary ever used stays here.
constexpr char kPlain = '\x00';
constexpr char kDeflateDictionaryV1 = '\x01';

// Kept as it is: JSON objects need no marker ('{' is not a format byte);
// anything else is marked plain.
std::string Plain(std::string_view json) {
  if (json.empty() || json[0] == '{') return std::string(json);
  std::string out(1, kPlain);
  out += json;
  return out;
}

// Strings FHIR JSON repeats, the most common last (DEFLATE reaches the end
// of the dictionary with the shortest distances). Frozen: see above.
constexpr char kDictionaryV1[] =
    "\"http://terminology.hl7.org/CodeSystem/v3-ActCode\""
    "\"http://terminology.hl7.org/CodeSystem/v2-0116\""
    "\"http://terminology.hl7.org/CodeSystem/location-physical-type\""
    "\"http://terminology.hl7.org/CodeSystem/"
    "\"http://snomed.info/sct\""
    "\"http://loinc.org\""
    "\"http://unitsofmeasure.org\""
    "\"urn:oid:1.2.752.29.4.19\""
    "\"http://hl7.org/fhir/StructureDefinition/"
    "\"extension\":[{\"url\":\""
    "\"valueCodeableConcept\":{\"coding\":[{\"system\":\""
    "\"valueString\":\""
    "\"valueDateTime\":\""
    "\"valueReference\":{\"reference\":\""
    "\"valueBoolean\":true"
    "\"identifier\":[{\"use\":\"official\",\"system\":\""
    "\"identifier\":[{\"system\":\""
    "\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">"
    "</div>\"}"
    "\"address\":[{\"use\":\"work\",\"line\":[\""
    "\"city\":\""
    "\"postalCode\":\""
    "\"country\":\""
    "\"telecom\":[{\"system\":\"phone\",\"value\":\""
    "\"managingOrganization\":{\"reference\":\"Organization/"
    "\"serviceProvider\":{\"reference\":\"Organization/"
    "\"subject\":{\"reference\":\"Patient/"
    "\"location\":[{\"location\":{\"reference\":\"Location/"
    "\"status\":\"active\",\"period\":{\"start\":\""
    "\"class\":{\"system\":\"http://terminology.hl7.org/CodeSystem/"
    "v3-ActCode\",\"code\":\"IMP\",\"display\":\"inpatient encounter\"}"
    "\"status\":\"finished\""
    "\"status\":\"in-progress\""
    "\"status\":\"planned\""
    "\"physicalType\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
    "location-physical-type\",\"code\":\""
    "\"operationalStatus\":{\"system\":\"http://terminology.hl7.org/CodeSystem/"
    "v2-0116\",\"code\":\""
    "\"partOf\":{\"reference\":\"Location/"
    "\"mode\":\"instance\""
    "\"type\":[{\"coding\":[{\"system\":\""
    "\"period\":{\"start\":\""
    "\",\"end\":\""
    "\"display\":\""
    "\"coding\":[{\"system\":\""
    "\"code\":\""
    "\"system\":\""
    "\"reference\":\""
    "\"value\":\""
    "\"name\":\""
    "\"status\":\"active\""
    "{\"resourceType\":\"Encounter\",\"id\":\""
    "{\"resourceType\":\"Organization\",\"id\":\""
    "{\"resourceType\":\"Location\",\"id\":\""
    "\",\"meta\":{\"versionId\":\""
    "\",\"lastUpdated\":\"20"
    "T00:00:00Z\""
    ".000Z\"},";

// Decompressed JSON larger than this is refused as corrupt (the REST layer
// accepts far smaller bodies).
constexpr std::size_t kMaxJsonBytes = std::size_t{1} << 30;

}  // namespace

namespace {

// A deflate stream per thread, reset between values: initialising one
// allocates and clears its tables, which cost more than compressing a
// typical resource. memLevel 5 (8 KB hash table, cleared on every reset)
// suits values of a few kilobytes; larger ones still compress, a little
// less tightly.
class Deflater {
 public:
  Deflater() { ok_ = deflateInit2(&z_, 1, Z_DEFLATED, -15, 5, Z_DEFAULT_STRATEGY) == Z_OK; }
  ~Deflater() {
    if (ok_) deflateEnd(&z_);
  }
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // The stream, reset and primed with the dictionary; nullptr when zlib
  // could not allocate it.
  z_stream* Begin() {
    if (!ok_ || deflateReset(&z_) != Z_OK) return nullptr;
    deflateSetDictionary(&z_, reinterpret_cast<const Bytef*>(kDictionaryV1),
                         static_cast<uInt>(sizeof kDictionaryV1 - 1));
    return &z_;
  }

 private:
  z_stream z_{};
  bool ok_ = false;
};

}  // namespace

std::string CompressJson(std::string_view json) {
  thread_local Deflater deflater;
  // Raw DEFLATE (windowBits -15): no zlib header or checksum, SQLite pages
  // carry their own integrity checks.
  z_stream* z = deflater.Begin();
  if (z == nullptr) return Plain(json);  // out of memory: stored plain, still readable
  std::string out(1 + deflateBound(z, static_cast<uLong>(json.size())), '\0');
  out[0] = kDeflateDictionaryV1;
  z->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(json.data()));
  z->avail_in = static_cast<uInt>(json.size());
  z->next_out = reinterpret_cast<Bytef*>(out.data() + 1);
  z->avail_out = static_cast<uInt>(out.size() - 1);
  const int rc = deflate(z, Z_FINISH);
  const std::size_t written = out.size() - 1 - z->avail_out;
  if (rc != Z_STREAM_END || written + 1 >= json.size()) return Plain(json);
  out.resize(1 + written);
  return out;
}

Result<std::string> DecompressJson(std::string_view stored) {
  if (stored.empty() || stored[0] == '{') return std::string(stored);
  if (stored[0] == kPlain) return std::string(stored.substr(1));
  if (stored[0] != kDeflateDictionaryV1) {
    return IoError("stored resource has unknown format byte " +
                   std::to_string(static_cast<unsigned char>(stored[0])));
  }
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return IoError("inflateInit2 failed");
  inflateSetDictionary(&z, reinterpret_cast<const Bytef*>(kDictionaryV1),
                       static_cast<uInt>(sizeof kDictionaryV1 - 1));
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(stored.data() + 1));
  z.avail_in = static_cast<uInt>(stored.size() - 1);
  std::string out;
  out.resize(std::min<std::size_t>(stored.size() * 4 + 256, kMaxJsonBytes));
  std::size_t produced = 0;
  int rc = Z_OK;
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
    z.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&z, Z_NO_FLUSH);
    produced = out.size() - z.avail_out;
    if (rc == Z_STREAM_END) break;
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (z.avail_out == 0) {
      if (out.size() >= kMaxJsonBytes) break;
      out.resize(std::min(out.size() * 2, kMaxJsonBytes));
    } else if (z.avail_in == 0) {
      break;  // input ended before the stream did
    }
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END)
    return IoError("stored resource is corrupt (inflate " + std::to_string(rc) + ")");
  out.resize(produced);
  return out;
}

}  // namespace fhirengine::store
