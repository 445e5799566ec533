// The xml-file adapter: reads XML exports dropped into a folder, once per
// file content, with the engine's hardened libxml2 settings (no DOCTYPE, no
// entities, no network, depth and size capped), and delivers one kXmlElement
// record per element the record XPath selects. A file that is not
// well-formed is quarantined whole; a record without a key alone.
// See adapters/xml_file/README.md.
#pragma once

#include <memory>

#include "adapters/api/registry.h"

namespace fhirengine::adapters {

// "xml-file": its settings schema and factory, for the registry.
AdapterType XmlFileAdapterType();

// The factory alone: kInvalidArgument naming the settings key when the
// settings are wrong, an XPath does not compile or uses an undeclared
// prefix, or the folder is missing or unreadable.
Result<std::unique_ptr<Adapter>> CreateXmlFileAdapter(const AdapterConfig& config);

}  // namespace fhirengine::adapters
