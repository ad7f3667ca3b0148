// Internal to importers: SDMX-CSV codes shared by the writer and the reader.
#ifndef YREB_IMPORTERS_SDMX_H_
#define YREB_IMPORTERS_SDMX_H_

#include <string_view>

#include "proto/record.pb.h"

namespace yreb::importers {

// Returns the OBS_STATUS code of a data status (see WriteSdmxCsv).
std::string_view SdmxStatusCode(proto::DataStatus status);

}  // namespace yreb::importers

#endif  // YREB_IMPORTERS_SDMX_H_
