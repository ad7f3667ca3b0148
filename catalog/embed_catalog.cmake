# Writes OUTPUT, a C++ file defining kDefaultCatalogJson as the bytes of INPUT.
# A byte array rather than a raw string keeps the bytes exact (a raw string
# would turn CRLF into LF) and has no length limit on any compiler.
file(READ "${INPUT}" catalog_hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," catalog_bytes "${catalog_hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)"
       "\\1\n" catalog_bytes "${catalog_bytes}")
string(LENGTH "${catalog_hex}" hex_length)
math(EXPR byte_count "${hex_length} / 2")
file(WRITE "${OUTPUT}"
  "#include <cstddef>\nnamespace yreb::catalog {\n"
  "extern const unsigned char kDefaultCatalogJson[];\n"
  "extern const size_t kDefaultCatalogJsonSize;\n"
  "const unsigned char kDefaultCatalogJson[] = {\n${catalog_bytes}0x00};\n"
  "const size_t kDefaultCatalogJsonSize = ${byte_count};\n}\n")
