# cmake --install: headers, the archive, and a package config so that
# find_package(concur) + target_link_libraries(app PRIVATE concur::concur) works.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CONCUR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/concur)
install(TARGETS concur EXPORT concurTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/concur DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT concurTargets NAMESPACE concur:: DESTINATION ${CONCUR_CMAKE_DIR})

configure_package_config_file(cmake/concurConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/concurConfig.cmake
                              INSTALL_DESTINATION ${CONCUR_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/concurConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/concurConfig.cmake
              ${PROJECT_BINARY_DIR}/concurConfigVersion.cmake
        DESTINATION ${CONCUR_CMAKE_DIR})
