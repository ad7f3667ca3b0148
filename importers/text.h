// Internal to importers: turning file bytes into UTF-8 text and CSV records.
#ifndef YREB_IMPORTERS_TEXT_H_
#define YREB_IMPORTERS_TEXT_H_

#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace yreb::importers::internal {

struct DecodedText {
  // UTF-8 text without a BOM: a view of the file's bytes when they are
  // UTF-8 already, else of `converted`.
  std::string_view text() const { return converted.has_value() ? *converted : original; }

  std::string encoding;  // as in ParseResult::encoding
  std::string_view original;
  std::optional<std::string> converted;
};
// Decodes a file's bytes: UTF-8 (BOM optional), UTF-16 with a BOM, or else
// GB18030. The result may view `bytes`, which must outlive it. Rejects, with InvalidArgument naming `file_name`, an empty file, a
// binary file, bytes that decode as neither, and mojibake (see
// CheckNotMojibake).
absl::StatusOr<DecodedText> Decode(std::string_view bytes, std::string_view file_name);

// Rejects UTF-8 text whose Chinese was destroyed by decoding with the wrong
// encoding earlier. Three signs, each of which real bureau files never show:
//   1. U+FFFD replacement characters: bytes that a decoder gave up on, so the
//      original text is lost;
//   2. letters of alphabetic scripts (Latin-1 and extended Latin, Greek,
//      Cyrillic, Thaana, Lao, ...) or private-use code points making up a
//      noticeable share of the non-ASCII text. GBK bytes read as a
//      single-byte code page, or as the wrong multi-byte code, look like that;
//   3. CJK text that, encoded back to GB18030, is valid UTF-8 with non-ASCII
//      characters: UTF-8 bytes that were read as GBK and saved again.
absl::Status CheckNotMojibake(std::string_view text, std::string_view file_name);

// Converts UTF-8 to GB18030. Fails only on invalid UTF-8.
absl::StatusOr<std::string> Utf8ToGb18030(std::string_view text);

// Returns true when `bytes` is well-formed UTF-8.
bool IsValidUtf8(std::string_view bytes);

// One CSV record with the 1-based line it starts on.
struct CsvRecord {
  int line = 0;
  std::vector<std::string> fields;
};

// One CSV record whose fields are views, valid only during the visit that
// passes it: of the text itself, or of a copy for a quoted field that
// differs from its bytes.
struct CsvRow {
  int line = 0;
  std::vector<std::string_view> fields;
};

// Calls `visit` for each RFC 4180 record of `text` in order, until it returns
// false: ',' separates fields, '"' quotes a field that may contain ',', '"'
// (doubled) and line breaks, and records end at LF or CRLF. A quote inside an
// unquoted field is kept as text. Returns InvalidArgument naming the line
// when a quoted field is never closed, after the records before it were
// visited. `first_line` is the line `text` starts on, for a part of a longer
// text.
absl::Status ForEachCsvRow(std::string_view text, std::string_view file_name,
                           const std::function<bool(const CsvRow& row)>& visit, int first_line = 1);

// ForEachCsvRow with fields of their own, which `visit` may move from.
absl::Status ForEachCsvRecord(std::string_view text, std::string_view file_name,
                              const std::function<bool(CsvRecord& record)>& visit,
                              int first_line = 1);

// A place to cut a CSV text in two at a record boundary: the offset just
// past a record's end, and the line the next record starts on.
struct CsvCut {
  size_t offset = 0;
  int line = 0;
};
// Returns the cut after the first record that ends at or after offset `at`,
// splitting records as ForEachCsvRecord does. Returns nothing when no record
// ends there, because the text ends first or ends inside a quoted field.
std::optional<CsvCut> CsvCutAfter(std::string_view text, size_t at);

// Returns the first `max_records` records of `text` (all by default), split
// as ForEachCsvRecord does.
absl::StatusOr<std::vector<CsvRecord>> SplitCsv(
    std::string_view text, std::string_view file_name,
    size_t max_records = std::numeric_limits<size_t>::max());

// Returns `text` as one CSV field: quoted when it contains a separator, a
// quote, a line break or white space at either end.
std::string CsvField(std::string_view text);

// Removes ASCII white space and U+3000 IDEOGRAPHIC SPACE from both ends.
std::string_view Trim(std::string_view text);

}  // namespace yreb::importers::internal

#endif  // YREB_IMPORTERS_TEXT_H_
