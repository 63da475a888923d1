# Install rules: the layer libraries (static), their public headers, the `ckpt` CLI, an
# exported CMake package (find_package(ckpt) -> ckpt::core ... ckpt::metagraph, ckpt::ckpt)
# and a pkg-config file (ckpt.pc). Only the layers in CKPT_LAYERS are installed.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CKPT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/ckpt CACHE STRING
    "Where ckptConfig.cmake is installed, relative to the prefix")

set(_ckpt_install_targets ckpt_proto ckpt_ckpt)
foreach(_l IN LISTS CKPT_LAYERS)
  list(APPEND _ckpt_install_targets ckpt_${_l})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ckpt/${_l}
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ckpt
          FILES_MATCHING PATTERN "*.h")
endforeach()
if(CKPT_HAVE_DIST)
  list(APPEND _ckpt_install_targets ckpt_dist)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ckpt/dist
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ckpt
          FILES_MATCHING PATTERN "*.h")
endif()
install(TARGETS ${_ckpt_install_targets} EXPORT ckptTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET ckpt)
  install(TARGETS ckpt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(EXPORT ckptTargets NAMESPACE ckpt:: FILE ckptTargets.cmake
        DESTINATION ${CKPT_INSTALL_CMAKEDIR})

# ckptConfig.cmake finds what the static libraries link against.
set(CKPT_CONFIG_LAYERS ${CKPT_LAYERS})
set(CKPT_CONFIG_NEEDS_EIGEN OFF)
set(CKPT_CONFIG_HAS_DIST OFF)
if(CKPT_HAVE_DIST)
  set(CKPT_CONFIG_HAS_DIST ON)
endif()
if("graph" IN_LIST CKPT_LAYERS)
  set(CKPT_CONFIG_NEEDS_EIGEN ON)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ckptConfig.cmake.in
  ${PROJECT_BINARY_DIR}/ckptConfig.cmake INSTALL_DESTINATION ${CKPT_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ckptConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/ckptConfig.cmake ${PROJECT_BINARY_DIR}/ckptConfigVersion.cmake
        DESTINATION ${CKPT_INSTALL_CMAKEDIR})

# ckpt.pc: the libraries top layer first (static linking order), then their dependencies.
set(_pc_libs "")
set(_ckpt_rev_layers ${CKPT_LAYERS})
list(REVERSE _ckpt_rev_layers)
foreach(_l IN LISTS _ckpt_rev_layers)
  if(_l STREQUAL "format")
    string(APPEND _pc_libs " -lckpt_format -lckpt_proto")
  else()
    get_target_property(_type ckpt_${_l} TYPE)
    if(NOT _type STREQUAL "INTERFACE_LIBRARY")
      string(APPEND _pc_libs " -lckpt_${_l}")
    endif()
  endif()
endforeach()
set(CKPT_PC_REQUIRES "protobuf")
set(_pc_dep_libs " -lleveldb -lz")
if("graph" IN_LIST CKPT_LAYERS)
  string(APPEND CKPT_PC_REQUIRES " eigen3")
  string(APPEND _pc_dep_libs " -lre2")
  if(CKPT_ONEDNN_LINKED)
    string(APPEND _pc_dep_libs " -ldnnl -lgomp")
  endif()
endif()
string(APPEND _pc_dep_libs " -pthread")
set(CKPT_PC_LIBS "-L\${libdir}${_pc_libs}${_pc_dep_libs}")
# Relocatable: the prefix is found from the .pc file's own place, so `cmake --install --prefix`
# anywhere gives a working file.
file(RELATIVE_PATH CKPT_PC_PREFIX_FROM_PCDIR /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
string(REGEX REPLACE "/$" "" CKPT_PC_PREFIX_FROM_PCDIR "${CKPT_PC_PREFIX_FROM_PCDIR}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/ckpt.pc.in ${PROJECT_BINARY_DIR}/ckpt.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/ckpt.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(CKPT_HAVE_DIST)
  # ckpt::dist as its own package, so programs without MPI never link it: `pkg-config
  # --libs ckpt-dist` adds -lckpt_dist and Open MPI's flags (its mpi-c.pc) to ckpt's.
  configure_file(${PROJECT_SOURCE_DIR}/cmake/ckpt-dist.pc.in ${PROJECT_BINARY_DIR}/ckpt-dist.pc
                 @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/ckpt-dist.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()
