# ckpt_add_layer(NAME DEPS dep...): library ckpt_NAME from src/NAME/**/*.cc (an interface
# library while the layer has no sources yet). Public headers live in include/ckpt/NAME.
function(ckpt_add_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cc)
  if(srcs)
    add_library(ckpt_${name} STATIC ${srcs})
    target_link_libraries(ckpt_${name} PUBLIC ${ARG_DEPS})
    target_include_directories(ckpt_${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  else()
    add_library(ckpt_${name} INTERFACE)
    target_link_libraries(ckpt_${name} INTERFACE ${ARG_DEPS})
  endif()
  set_target_properties(ckpt_${name} PROPERTIES EXPORT_NAME ${name})
  add_library(ckpt::${name} ALIAS ckpt_${name})
endfunction()

# ckpt_add_test_dir(LAYER): one GoogleTest binary ckpt_LAYER_tests from tests/LAYER/*_test.cc.
function(ckpt_add_test_dir layer)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${layer}/*.cc)
  if(NOT srcs)
    return()
  endif()
  add_executable(ckpt_${layer}_tests ${srcs})
  find_package(nlohmann_json REQUIRED)
  target_link_libraries(ckpt_${layer}_tests PRIVATE ckpt_${layer} GTest::gmock GTest::gtest_main
    nlohmann_json::nlohmann_json)
  target_include_directories(ckpt_${layer}_tests PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(ckpt_${layer}_tests PRIVATE
    CKPT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(ckpt_${layer}_tests DISCOVERY_MODE PRE_TEST
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    PROPERTIES ENVIRONMENT "CKPT_SOURCE_DIR=${PROJECT_SOURCE_DIR};CKPT_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
