#include "importers/text.h"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <functional>

#include "i18n/i18n.h"

namespace yreb::importers::internal {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kIdeographicSpace = "\xE3\x80\x80";

// Converts with glibc iconv. Returns the offset of the first byte that could
// not be converted through `bad_offset` on failure.
absl::StatusOr<std::string> Convert(std::string_view bytes, const char* from, const char* to,
                                    size_t* bad_offset = nullptr) {
  iconv_t cd = iconv_open(to, from);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return absl::InternalError(i18n::Tr("iconv cannot convert from {} to {}", from, to));
  }
  std::string out;
  out.resize(bytes.size() * 2 + 16);
  char* in_ptr = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  size_t written = 0;
  while (in_left > 0) {
    char* out_ptr = out.data() + written;
    size_t out_left = out.size() - written;
    size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
    written = out.size() - out_left;
    if (rc != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.resize(out.size() * 2);
      continue;
    }
    if (bad_offset != nullptr) *bad_offset = bytes.size() - in_left;
    iconv_close(cd);
    return absl::InvalidArgumentError("conversion failed");
  }
  iconv_close(cd);
  out.resize(written);
  return out;
}

// Decodes one UTF-8 code point at `*pos`, advancing it. Returns -1 for an
// invalid sequence. REQUIRES: *pos < text.size().
int32_t NextCodePoint(std::string_view text, size_t* pos) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  uint8_t lead = byte(*pos);
  int length = 0;
  int32_t code_point = 0;
  if (lead < 0x80) {
    ++*pos;
    return lead;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return -1;
  }
  if (*pos + length > text.size()) return -1;
  for (int i = 1; i < length; ++i) {
    uint8_t next = byte(*pos + i);
    if ((next & 0xC0) != 0x80) return -1;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  // Reject overlong forms, surrogates and values past U+10FFFF.
  if ((length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000) ||
      (code_point >= 0xD800 && code_point <= 0xDFFF) || code_point > 0x10FFFF) {
    return -1;
  }
  *pos += length;
  return code_point;
}

// Returns the position of the first byte at or after `pos` that is not
// ASCII, or text.size(). Eight bytes at a time: most bytes of a statistics
// file are digits, commas and codes, and checking them one code point at a
// time took about 150 ms of a 1M-row import (BM_DecodeLongCsv).
size_t SkipAscii(std::string_view text, size_t pos) {
  while (pos + 8 <= text.size()) {
    uint64_t word;
    std::memcpy(&word, text.data() + pos, sizeof(word));
    if ((word & 0x8080808080808080ULL) != 0) break;
    pos += 8;
  }
  while (pos < text.size() && static_cast<uint8_t>(text[pos]) < 0x80) ++pos;
  return pos;
}

bool IsControl(char c) {
  return static_cast<uint8_t>(c) < 0x20 && c != '\t' && c != '\r' && c != '\n';
}

// Returns true when `text` has a control character other than tab and line
// breaks. It reads eight bytes at a time: a byte's top bit ends up set in
// `low` exactly when the byte is below 0x20. Only words with such a byte,
// about one in six of a CSV file with its line ends, are read byte by byte.
bool HasControlCharacter(std::string_view text) {
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  constexpr uint64_t kTop = 0x8080808080808080ULL;
  constexpr uint64_t kLift = 0x6060606060606060ULL;  // 0x80 - 0x20 per byte
  size_t pos = 0;
  for (; pos + 8 <= text.size(); pos += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + pos, sizeof(word));
    uint64_t low = ~(((word & kLow7) + kLift) | word) & kTop;
    if (low == 0) continue;
    for (size_t i = pos; i < pos + 8; ++i) {
      if (IsControl(text[i])) return true;
    }
  }
  for (; pos < text.size(); ++pos) {
    if (IsControl(text[pos])) return true;
  }
  return false;
}

bool IsCjk(int32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2FFFF);
}

// Letters of alphabetic scripts and private-use code points. A few Latin-1
// symbols that Chinese tables do use (°, ±, ·, ×, ÷) are not counted.
bool IsForeignLetter(int32_t c) {
  if (c >= 0x00C0 && c <= 0x024F) return c != 0x00D7 && c != 0x00F7;
  if (c >= 0x0250 && c <= 0x02AF) return true;  // IPA extensions
  if (c >= 0x0370 && c <= 0x052F) return true;  // Greek, Cyrillic
  if (c >= 0x0530 && c <= 0x08FF) return true;  // Armenian to Arabic, Thaana
  if (c >= 0x0E00 && c <= 0x0EFF) return true;  // Thai, Lao
  if (c >= 0xE000 && c <= 0xF8FF) return true;  // private use area
  return false;
}

absl::Status Unreadable(std::string_view file_name, std::string detail) {
  return absl::InvalidArgumentError(
      i18n::Tr("{}: the text encoding is unreadable: {}. Export the file again from its source and "
               "save it as UTF-8 or GBK CSV",
               std::string(file_name), detail));
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) {
  for (size_t pos = SkipAscii(bytes, 0); pos < bytes.size(); pos = SkipAscii(bytes, pos)) {
    if (NextCodePoint(bytes, &pos) < 0) return false;
  }
  return true;
}

absl::StatusOr<std::string> Utf8ToGb18030(std::string_view text) {
  return Convert(text, "UTF-8", "GB18030");
}

absl::Status CheckNotMojibake(std::string_view text, std::string_view file_name) {
  size_t replacement = 0;
  size_t foreign = 0;
  size_t cjk = 0;
  size_t non_ascii = 0;
  for (size_t pos = SkipAscii(text, 0); pos < text.size(); pos = SkipAscii(text, pos)) {
    int32_t c = NextCodePoint(text, &pos);
    if (c < 0) {
      ++pos;
      continue;
    }
    ++non_ascii;
    if (c == 0xFFFD) ++replacement;
    if (IsForeignLetter(c)) ++foreign;
    if (IsCjk(c)) ++cjk;
  }

  if (replacement > 0) {
    return Unreadable(file_name,
                      i18n::Tr("it contains {} replacement characters (U+FFFD), so its Chinese "
                               "text was lost when it was saved with the wrong encoding",
                               replacement));
  }
  // A handful of foreign letters can be a real name; a twentieth of the
  // non-ASCII text cannot.
  if (foreign >= 3 && foreign * 20 >= non_ascii) {
    return Unreadable(file_name,
                      i18n::Tr("{} of its {} non-ASCII characters are letters of other scripts, "
                               "which is how Chinese text decoded with the wrong encoding looks",
                               foreign, non_ascii));
  }
  if (cjk >= 4) {
    // Converts piece by piece, each ending after a line break. GB18030
    // writes ASCII as itself, so the pieces' outputs end in ASCII and the
    // whole output is valid UTF-8 exactly when each piece's output is. A
    // real Chinese file fails at its first line with Chinese text, and a
    // large file is never copied whole.
    //
    // Some Chinese characters are byte pairs in GB18030 that also read as
    // UTF-8 (女 is C5 AE, which is Ů), so valid output alone proves nothing
    // for a file with few kinds of Chinese characters. Damaged text comes
    // back as Chinese: most of what the conversion recovers must be CJK.
    // The first piece is small, as it decides for nearly every real file.
    // The pieces after it double up to 1 MiB.
    size_t piece = 4 << 10;
    size_t recovered = 0;
    size_t recovered_cjk = 0;
    for (size_t start = 0; start < text.size(); piece = std::min<size_t>(piece * 2, 1 << 20)) {
      size_t end = text.find('\n', std::min(text.size(), start + piece));
      end = end == std::string_view::npos ? text.size() : end + 1;
      absl::StatusOr<std::string> gb = Utf8ToGb18030(text.substr(start, end - start));
      if (!gb.ok() || !IsValidUtf8(*gb)) return absl::OkStatus();
      for (size_t at = 0; at < gb->size();) {
        int32_t c = NextCodePoint(*gb, &at);
        if (c < 0) ++at;
        if (c < 0x80) continue;
        ++recovered;
        if (IsCjk(c)) ++recovered_cjk;
      }
      start = end;
    }
    if (recovered_cjk > 0 && recovered_cjk * 2 >= recovered) {
      return Unreadable(file_name,
                        i18n::Tr("its text is UTF-8 that was read as GBK and saved again"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<DecodedText> Decode(std::string_view bytes, std::string_view file_name) {
  std::string name(file_name);
  std::string_view content = bytes;
  if (content.starts_with(kUtf8Bom)) content.remove_prefix(kUtf8Bom.size());
  if (content.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return absl::InvalidArgumentError(i18n::Tr("{}: the file is empty", name));
  }

  // Office documents and archives: OLE2 (.xls), ZIP (.xlsx), PDF.
  if (bytes.starts_with("\xD0\xCF\x11\xE0") || bytes.starts_with("PK\x03\x04") ||
      bytes.starts_with("%PDF")) {
    return absl::InvalidArgumentError(i18n::Tr(
        "{}: this is a binary file such as an Excel workbook, not CSV text; save it as CSV "
        "and import that",
        name));
  }

  DecodedText decoded;
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    bool little_endian = bytes.starts_with("\xFF\xFE");
    absl::StatusOr<std::string> text =
        Convert(bytes.substr(2), little_endian ? "UTF-16LE" : "UTF-16BE", "UTF-8");
    if (!text.ok()) {
      return Unreadable(file_name, i18n::Tr("it starts like UTF-16 but is not valid UTF-16"));
    }
    decoded.encoding = little_endian ? "UTF-16LE" : "UTF-16BE";
    decoded.converted = *std::move(text);
  } else if (bytes.starts_with(kUtf8Bom)) {
    if (!IsValidUtf8(content)) {
      return Unreadable(file_name, i18n::Tr("it starts with a UTF-8 BOM but is not valid UTF-8"));
    }
    decoded.encoding = "UTF-8 with BOM";
    decoded.original = content;
  } else if (IsValidUtf8(bytes)) {
    decoded.encoding = "UTF-8";
    decoded.original = bytes;
  } else {
    if (bytes.find('\0') != std::string_view::npos) {
      return absl::InvalidArgumentError(i18n::Tr(
          "{}: this is a binary file such as an Excel workbook, not CSV text; save it as CSV "
          "and import that",
          name));
    }
    size_t bad_offset = 0;
    absl::StatusOr<std::string> text = Convert(bytes, "GB18030", "UTF-8", &bad_offset);
    if (!text.ok()) {
      return Unreadable(
          file_name,
          i18n::Tr("it is neither UTF-8 nor GB18030 (byte {} cannot be decoded)", bad_offset));
    }
    decoded.encoding = "GB18030";
    decoded.converted = *std::move(text);
  }

  // Control characters other than tab and line breaks mean binary data.
  if (HasControlCharacter(decoded.text())) {
    return absl::InvalidArgumentError(i18n::Tr(
        "{}: this is a binary file such as an Excel workbook, not CSV text; save it as CSV "
        "and import that",
        name));
  }
  if (absl::Status status = CheckNotMojibake(decoded.text(), file_name); !status.ok()) {
    return status;
  }
  return decoded;
}

namespace {

// The bytes that may end an unquoted run: a field, a record, or a quote
// that opens a quoted field.
constexpr std::array<bool, 256> kRunStops = [] {
  std::array<bool, 256> stops{};
  stops[static_cast<uint8_t>(',')] = true;
  stops[static_cast<uint8_t>('\n')] = true;
  stops[static_cast<uint8_t>('\r')] = true;
  stops[static_cast<uint8_t>('"')] = true;
  return stops;
}();

// The field being read: a view of the text while its bytes are contiguous
// there, else a copy at the end of `built`.
class FieldBuilder {
 public:
  bool empty() const { return size_ == 0; }

  void Append(const char* from, size_t size, std::string& built) {
    if (size == 0) return;
    if (!in_built_ && size_ == 0) {
      begin_ = from;
      size_ = size;
    } else if (!in_built_ && begin_ + size_ == from) {
      size_ += size;
    } else {
      if (!in_built_) {
        offset_ = built.size();
        built.append(begin_, size_);
        in_built_ = true;
      }
      built.append(from, size);
      size_ += size;
    }
  }

  // Adds the field to `row`. A field in `built` is noted in `pending` and
  // gets its view once the row is complete, as `built` may still move.
  void End(CsvRow& row, std::vector<std::pair<size_t, size_t>>& pending) {
    if (in_built_) {
      pending.emplace_back(row.fields.size(), offset_);
      row.fields.emplace_back(nullptr, size_);
    } else {
      row.fields.emplace_back(size_ == 0 ? "" : begin_, size_);
    }
    begin_ = nullptr;
    size_ = 0;
    in_built_ = false;
  }

 private:
  const char* begin_ = nullptr;
  size_t size_ = 0;
  bool in_built_ = false;
  size_t offset_ = 0;
};

}  // namespace

absl::Status ForEachCsvRow(std::string_view text, std::string_view file_name,
                           const std::function<bool(const CsvRow& row)>& visit, int first_line) {
  CsvRow row;
  std::string built;
  std::vector<std::pair<size_t, size_t>> pending;  // (field, offset in `built`)
  FieldBuilder field;
  int line = first_line;
  row.line = first_line;
  bool in_quotes = false;
  bool field_was_quoted = false;
  int quote_line = 0;
  bool stopped = false;
  const char* data = text.data();
  const size_t size = text.size();

  auto end_field = [&] {
    field.End(row, pending);
    field_was_quoted = false;
  };
  auto end_record = [&] {
    end_field();
    for (const auto& [index, offset] : pending) {
      row.fields[index] = std::string_view(built.data() + offset, row.fields[index].size());
    }
    stopped = !visit(row);
    row.fields.clear();
    built.clear();
    pending.clear();
    row.line = line;
  };

  for (size_t i = 0; i < size && !stopped; ++i) {
    char c = data[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < size && data[i + 1] == '"') {
          field.Append(data + i + 1, 1, built);
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        // A CRLF inside a quoted field is kept as LF.
        if (!(c == '\r' && i + 1 < size && data[i + 1] == '\n')) field.Append(data + i, 1, built);
      }
      continue;
    }
    if (c == '"' && field.empty() && !field_was_quoted) {
      in_quotes = true;
      field_was_quoted = true;
      quote_line = line;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n') {
      ++line;
      end_record();
    } else if (c == '\r' && i + 1 < size && data[i + 1] == '\n') {
      continue;
    } else {
      // Takes the bytes up to the next one that may end the field or the
      // record. A quote found there is literal text, and the next round
      // appends it.
      size_t end = i + 1;
      while (end < size && !kRunStops[static_cast<uint8_t>(data[end])]) ++end;
      field.Append(data + i, end - i, built);
      i = end - 1;
    }
  }
  if (stopped) return absl::OkStatus();
  if (in_quotes) {
    return absl::InvalidArgumentError(
        i18n::Tr("{}: line {}: a quoted field is not closed", std::string(file_name), quote_line));
  }
  if (!field.empty() || !row.fields.empty()) end_record();
  return absl::OkStatus();
}

absl::Status ForEachCsvRecord(std::string_view text, std::string_view file_name,
                              const std::function<bool(CsvRecord& record)>& visit, int first_line) {
  CsvRecord record;
  return ForEachCsvRow(
      text, file_name,
      [&](const CsvRow& row) {
        record.line = row.line;
        record.fields.assign(row.fields.begin(), row.fields.end());
        return visit(record);
      },
      first_line);
}

namespace {

// Returns the number of line feeds in [begin, end), eight bytes at a time.
// A byte of `word ^ kFeeds` is zero exactly where a line feed was, and the
// second step sets the top bit of exactly those bytes without the borrows
// that make the shorter zero-byte test count wrongly.
int CountLineFeeds(const char* begin, const char* end) {
  constexpr uint64_t kFeeds = 0x0A0A0A0A0A0A0A0AULL;
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7FULL;
  int count = 0;
  const char* at = begin;
  for (; at + 8 <= end; at += 8) {
    uint64_t word;
    std::memcpy(&word, at, sizeof(word));
    uint64_t x = word ^ kFeeds;
    uint64_t zero = ~(((x & kLow7) + kLow7) | x | kLow7);
    count += __builtin_popcountll(zero);
  }
  for (; at < end; ++at) count += *at == '\n';
  return count;
}

const char* Find(const char* begin, const char* end, char c) {
  if (begin >= end) return end;
  const void* found = std::memchr(begin, c, end - begin);
  return found != nullptr ? static_cast<const char*>(found) : end;
}

}  // namespace

std::optional<CsvCut> CsvCutAfter(std::string_view text, size_t at) {
  // The states of ForEachCsvRecord without its fields. A quote opens a
  // quoted field only as the first byte of a field: at the start of the
  // text or after a comma or a line feed. Elsewhere it is literal text.
  // Between quotes only line feeds matter, so the scan goes from quote to
  // quote and skips each quoted field whole.
  const char* begin = text.data();
  const char* end = begin + text.size();
  const char* cut_from = begin + std::min(at, text.size());
  const char* pos = begin;
  int line = 1;
  while (true) {
    const char* quote = Find(pos, end, '"');
    const char* feed = Find(std::max(pos, cut_from), quote, '\n');
    if (feed < quote) {
      return CsvCut{static_cast<size_t>(feed + 1 - begin), line + CountLineFeeds(pos, feed + 1)};
    }
    line += CountLineFeeds(pos, quote);
    if (quote == end) return std::nullopt;
    bool opens = quote == begin || quote[-1] == ',' || quote[-1] == '\n';
    pos = quote + 1;
    if (!opens) continue;
    // The closing quote is the first one that is not doubled.
    const char* close = Find(pos, end, '"');
    while (close + 1 < end && close[1] == '"') close = Find(close + 2, end, '"');
    if (close == end) return std::nullopt;
    line += CountLineFeeds(pos, close);
    pos = close + 1;
  }
}

absl::StatusOr<std::vector<CsvRecord>> SplitCsv(std::string_view text, std::string_view file_name,
                                                size_t max_records) {
  std::vector<CsvRecord> records;
  absl::Status status = ForEachCsvRecord(text, file_name, [&](CsvRecord& record) {
    records.push_back(std::move(record));
    record = CsvRecord();
    return records.size() < max_records;
  });
  if (!status.ok()) return status;
  return records;
}

std::string_view Trim(std::string_view text) {
  bool changed = true;
  while (changed && !text.empty()) {
    changed = false;
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r' ||
                             text.front() == '\n')) {
      text.remove_prefix(1);
      changed = true;
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                             text.back() == '\n')) {
      text.remove_suffix(1);
      changed = true;
    }
    if (text.starts_with(kIdeographicSpace)) {
      text.remove_prefix(kIdeographicSpace.size());
      changed = true;
    }
    if (text.ends_with(kIdeographicSpace)) {
      text.remove_suffix(kIdeographicSpace.size());
      changed = true;
    }
  }
  return text;
}

std::string CsvField(std::string_view text) {
  bool needs_quotes = text.find_first_of(",\"\r\n") != std::string_view::npos ||
                      (!text.empty() && (text.front() == ' ' || text.back() == ' '));
  if (!needs_quotes) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

}  // namespace yreb::importers::internal
