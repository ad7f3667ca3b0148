# Writes OUTPUT, a C++ file defining kChineseCatalogPo as the bytes of INPUT.
file(READ "${INPUT}" po_text)
file(WRITE "${OUTPUT}"
  "namespace yreb::i18n {\nextern const char kChineseCatalogPo[];\n"
  "const char kChineseCatalogPo[] = R\"yrebpo(${po_text})yrebpo\";\n}\n")
