# Helpers that keep each folder's CMakeLists.txt to a line or two.

# Source files compiled together in one unity translation unit: every file re-parses the same
# std / fmt / json headers, which on two cores is most of the build. Helpers in a file's anonymous
# namespace must therefore have names unique within their library (or test binary).
set(GAVEL_UNITY_BATCH 8 CACHE STRING "Source files per unity translation unit (0: a whole target)")

# gavel_library(NAME DIR DEPS...): a static library of every .cpp in DIR (and its sub-folders).
function(gavel_library name dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(srcs)
    add_library(${name} STATIC ${srcs})
    set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${GAVEL_UNITY_BATCH})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name} PUBLIC ${ARGN})
  else()
    # A layer with no code yet still exists, so the layers above can name it.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${name} INTERFACE ${ARGN})
  endif()
endfunction()

# gavel_test_dir(NAME DIR DEPS...): one GoogleTest binary of every .cpp in DIR, registered with CTest.
function(gavel_test_dir name dir)
  file(GLOB srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  if(NOT srcs)
    return()
  endif()
  add_executable(${name} ${srcs})
  target_link_libraries(${name} PRIVATE ${ARGN} GTest::gtest GTest::gtest_main)
  # GoogleTest, nlohmann/json and fmt are most of each test file's compile time: parse them once
  # per test binary (CI builds every test twice, Release and ASan, on two cores).
  target_precompile_headers(${name} PRIVATE <gtest/gtest.h> <nlohmann/json.hpp> <fmt/format.h>
                            <filesystem> <string> <vector>)
  target_compile_definitions(${name} PRIVATE
    GAVEL_TEST_DATA="${PROJECT_SOURCE_DIR}/tests/data"
    GAVEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    GAVEL_BINARY="$<TARGET_FILE:gavel>")
  add_dependencies(${name} gavel)
  # Unity too: each test file's own code is small next to the GoogleTest machinery it instantiates
  # (shared helpers live in the folder's *.hpp).
  set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${GAVEL_UNITY_BATCH})
  target_compile_options(${name} PRIVATE $<$<CONFIG:Release>:-O1>)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
endfunction()
