# install + export: find_package(e6data) gives e6data::e6data; pkg-config gives e6data.pc.
include(CMakePackageConfigHelpers)
install(TARGETS e6data EXPORT e6dataTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/e6data DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT e6dataTargets NAMESPACE e6data:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/e6data)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/e6dataConfig.cmake.in
  ${PROJECT_BINARY_DIR}/e6dataConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/e6data)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/e6dataConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/e6dataConfig.cmake ${PROJECT_BINARY_DIR}/e6dataConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/e6data)
# Relocatable: the prefix is found from the .pc file's own location, so an installed tree can be
# moved (or installed with `cmake --install --prefix`).
file(RELATIVE_PATH E6DATA_PC_TO_PREFIX "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
configure_file(${PROJECT_SOURCE_DIR}/cmake/e6data.pc.in ${PROJECT_BINARY_DIR}/e6data.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/e6data.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(E6DATA_BUILD_TOOLS)
  # The CLI and the local e6data (the dev server, and the blue-green cluster, which needs nginx).
  install(TARGETS e6data-cli e6data-devserver e6data-bluegreen
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
