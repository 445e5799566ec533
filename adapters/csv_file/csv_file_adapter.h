// The csv-file adapter: reads CSV exports (municipal bed lists and the like)
// dropped into a folder, once per file content, and delivers one kCsvRow
// record per data row; malformed rows are quarantined with "file.csv:LINE"
// while the rest of the file goes on. See adapters/csv_file/README.md.
#pragma once

#include <memory>

#include "adapters/api/registry.h"

namespace fhirengine::adapters {

// "csv-file": its settings schema and factory, for the registry.
AdapterType CsvFileAdapterType();

// The factory alone: kInvalidArgument naming the settings key when the
// settings are wrong or the folder is missing or unreadable.
Result<std::unique_ptr<Adapter>> CreateCsvFileAdapter(const AdapterConfig& config);

}  // namespace fhirengine::adapters
