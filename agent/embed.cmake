# Writes OUTPUT: a C file defining the OEM schema documents as byte arrays,
# so the agent serves exactly the schemas in schemas/ without reading files.
# usage: cmake -DOUTPUT=file.c -DINPUTS="a|b" -P embed.cmake
set(body "/* Generated from schemas/ at build time. */\n#include \"redfish/schemas.h\"\n\n")
set(table "const struct embedded_schema embedded_schemas[] = {\n")
string(REPLACE "|" ";" inputs "${INPUTS}")
set(i 0)
foreach(path ${inputs})
  get_filename_component(name ${path} NAME)
  file(READ ${path} hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(APPEND body "static const unsigned char schema_${i}[] = {${bytes}};\n")
  string(APPEND table "\t{ \"${name}\", schema_${i}, ${len} },\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND table "\t{ 0 },\n};\n")
file(WRITE ${OUTPUT} "${body}\n${table}")
