# Generates src/text's Unicode tables at build time from Debian's unicode-data (UCD 15.0) and the
# committed reference_deltas.txt (see generate_tables.py). Included from src/CMakeLists.txt.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(GAVEL_UCD_DIR /usr/share/unicode CACHE PATH "Directory of Debian's unicode-data files (UCD 15.0)")
if(NOT EXISTS ${GAVEL_UCD_DIR}/UnicodeData.txt)
  message(FATAL_ERROR "gavel: ${GAVEL_UCD_DIR}/UnicodeData.txt not found; install Debian's unicode-data (tools/setup.sh)")
endif()
set(gavel_unicode_dir ${CMAKE_CURRENT_LIST_DIR})
set(gavel_unicode_tables ${PROJECT_BINARY_DIR}/generated/text/unicode_tables.inc)
add_custom_command(
  OUTPUT ${gavel_unicode_tables}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/generated/text
  COMMAND Python3::Interpreter ${gavel_unicode_dir}/generate_tables.py --ucd ${GAVEL_UCD_DIR}
          --deltas ${gavel_unicode_dir}/reference_deltas.txt --output ${gavel_unicode_tables}
  DEPENDS ${gavel_unicode_dir}/generate_tables.py ${gavel_unicode_dir}/reference_deltas.txt
          ${GAVEL_UCD_DIR}/UnicodeData.txt
  COMMENT "Generating Unicode tables for gavel_text"
  VERBATIM)
target_sources(gavel_text PRIVATE ${gavel_unicode_tables})
target_include_directories(gavel_text PRIVATE ${PROJECT_BINARY_DIR}/generated)
